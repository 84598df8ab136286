/* mountinfo.h - the /proc/PID/mountinfo capture backend (libmount), for
 * kernels without listmount and for offline files (-F). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/core/error.h"
#include "lib/core/model.h"

/* Parses the optional fields of a mountinfo line ("shared:2 master:1",
 * "propagate_from:N", "unbindable"; NULL or "" = private) into m.
 * Unknown words are ignored.  Returns: 0, or -EINVAL on a bad number. */
int mnts_mountinfo_parse_optional(const char *fields, struct mnts_mount *m);

/* Parses mountinfo text buf[0..len) into ns (which must have no mounts);
 * what names the source in errors ("mountinfo file '/x'").  id and mnt_id
 * are field 1; the mount whose parent is not listed is the root.  live: a
 * second unlisted parent means the table changed while being read (-EAGAIN)
 * rather than a malformed file.  Root and fstype are raw (see capture.c).
 * Returns: 0 or -errno; errors name the line ("'F': line 3: ..."). */
int mnts_mountinfo_parse(struct mnts_ns *ns, const char *buf, size_t len, const char *what,
			 bool live, struct mnts_error *err);

/* The mountinfo of a live namespace as a process at its root sees it: a
 * child setns()es into nsfd and reads /proc/thread-self/mountinfo (works for
 * namespaces without any process).  Returns: 0 or -errno. */
int mnts_mountinfo_read_ns(int nsfd, char **ret, size_t *ret_len, struct mnts_error *err);
