/* capture.h - live mount namespaces (or mountinfo dumps) into a snapshot.
 *
 * Two backends behind one interface: listmount+statmount (ids, namespaces
 * without processes, raw strings) and libmount's mountinfo parser (fallback,
 * and offline -F).  Both give the same snapshot for the same namespace except
 * for `id` (unique id vs mountinfo id).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lib/core/error.h"
#include "lib/core/model.h"

enum mnts_backend {
	MNTS_BACKEND_AUTO = 0,  /* listmount where the kernel has it, else mountinfo */
	MNTS_BACKEND_LISTMOUNT, /* fail if the kernel lacks it */
	MNTS_BACKEND_MOUNTINFO,
};

enum mnts_target_kind {
	MNTS_TARGET_PID,       /* num: a pid; its mount namespace */
	MNTS_TARGET_NSFILE,    /* arg: /proc/PID/ns/mnt or a bind-mounted nsfs file */
	MNTS_TARGET_NSID,      /* num: a 64-bit mount namespace id */
	MNTS_TARGET_MOUNTINFO, /* arg: a saved mountinfo file (offline; no root needed) */
};

struct mnts_target {
	enum mnts_target_kind kind;
	const char *arg;
	uint64_t num;
	const char *label; /* label to give the namespace, or NULL for "nsN" */
};

struct mnts_capture_opts {
	enum mnts_backend backend;
	const struct mnts_target *targets; /* none: every mount namespace (-A) */
	size_t n_targets;
	const char *subtree; /* keep only mounts at or below this path, or NULL */
	/* the pids in each namespace are not wanted (a side of a comparison,
	 * which ignores them): /proc is not walked */
	bool no_pids;
};

/* Captures the selected namespaces into a new linked snapshot.
 * Returns: 0 or -errno, *ret set on success. */
int mnts_capture(const struct mnts_capture_opts *opts, struct mnts_snapshot **ret,
		 struct mnts_error *err);
