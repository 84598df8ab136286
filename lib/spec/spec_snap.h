/* spec_snap.h - a parsed spec as a snapshot to replay (spec/SPEC.md §3, §6).
 *
 * What a line leaves unstated takes the defaults: tmpfs, source "tmpfs"
 * ("none" for other types), root "/", rw, relatime, private, bindable, the
 * kernel's superblock options (super_options left empty: compare takes
 * that as "anything").  A line on no superblock of its own
 * (no type, sb=, bind) that joins a peer group, or is a slave of one,
 * declared on another line is on that line's superblock (peers and a
 * slave's master share one).  Ids, devices (anonymous, minor >= 2^20: no
 * live device has one, so replay never mistakes one for a live superblock)
 * and group numbers are made up.  The default section is namespace "ns0"
 * (or the first "nsN" no section is called). */
#pragma once

#include "lib/core/error.h"
#include "lib/core/model.h"
#include "lib/spec/spec.h"

/* The first minor number of the devices made up for superblocks. */
#define MNTS_SPEC_DEV_MINOR_BASE (1u << 20)

/* Whether a device number is one made up here (no live device has it). */
static inline bool mnts_spec_dev_is_made_up(uint32_t dev_major, uint32_t dev_minor)
{
	return dev_major == 0 && dev_minor >= MNTS_SPEC_DEV_MINOR_BASE;
}

/* Builds and links a snapshot from spec.  Errors name "FILE:LINE: ...".
 * Returns: 0 or -EINVAL, *ret set on success. */
int mnts_spec_to_snapshot(const struct mnts_spec *spec, struct mnts_snapshot **ret,
			  struct mnts_error *err);
