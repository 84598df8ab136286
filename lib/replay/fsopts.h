/* fsopts.h - a snapshot's superblock options to fsconfig() calls.
 *
 * Only for superblocks replay creates (features.h MNTS_FS_CREATE_NEW).  Words
 * that are per-mount flags or LSM labels are not fsconfig keys and are
 * skipped; "rw"/"ro" are left to the caller (a read-only superblock is made
 * read-only after its mountpoints exist).
 */
#pragma once

#include "lib/core/error.h"
#include "lib/core/model.h"
#include "lib/kernel/fsctx.h"

/* True when word (from super_options) is passed to fsconfig. */
bool mnts_fsopt_is_key(const char *word);

/* Sets every key of opts on the fs context fsfd.  The kernel's log line
 * (read from fsfd) is added to the error.  Returns: 0 or -errno. */
int mnts_fsopts_apply(int fsfd, const struct mnts_strv *opts, struct mnts_error *err);
