/* identity.h - what identifies a captured superblock beyond this boot
 * (FORMAT.md §4, format 3): the boot id, and each block filesystem's UUID
 * and label.  Device numbers name the same superblock only within one boot
 * of one machine; a replay elsewhere matches by these instead. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "lib/core/model.h"

/* This boot's id (/proc/sys/kernel/random/boot_id), a string to free, or
 * NULL when unreadable. */
char *mnts_boot_id(void);

/* Fills snap->boot_id and the fs_uuid/fs_label of the mounts of the live
 * namespaces (live[i] for snap->nss[i]): libblkid probes each block device
 * once per superblock, never per mount, and only a block device whose
 * number is the superblock's (the mount's source, else /dev/block/M:m). */
void mnts_capture_identity(struct mnts_snapshot *snap, const bool *live);
