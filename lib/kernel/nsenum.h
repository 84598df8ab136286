/* nsenum.h - finding mount namespaces: by pid, nsfs file or id, or all of
 * them (NS_MNT_GET_PREV/NEXT walk, falling back to a /proc scan), and the
 * pids living in each.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/core/error.h"

/* One live mount namespace, held open by an nsfs fd. */
struct mnts_nsref {
	int fd;		     /* O_CLOEXEC nsfs fd, -1 when none */
	uint64_t ns_id;	     /* 64-bit mount namespace id, 0 when the kernel has none */
	uint64_t ino;	     /* nsfs inode number */
	uint64_t userns_ino; /* owning user namespace inode, 0 when unknown */
	uint64_t *pids;	     /* ascending, filled by mnts_nslist_attach_pids() */
	size_t n_pids;
};

struct mnts_nslist {
	struct mnts_nsref *v;
	size_t n;
};

void mnts_nsref_done(struct mnts_nsref *ref);
void mnts_nslist_free(struct mnts_nslist *list);

/* Takes ownership of fd; fails with ENOTTY-like errors when fd is not a
 * mount namespace.  what names the fd in errors ("pid '12'", "'/x'").
 * Returns: 0 or -errno. */
int mnts_nsref_from_fd(int fd, const char *what, struct mnts_nsref *ret, struct mnts_error *err);

/* /proc/PID/ns/mnt.  Errors: "pid 'N': no such process". */
int mnts_nsref_open_pid(uint64_t pid, struct mnts_nsref *ret, struct mnts_error *err);
/* /proc/PID/ns/mnt or a bind-mounted nsfs file. */
int mnts_nsref_open_file(const char *path, struct mnts_nsref *ret, struct mnts_error *err);
/* The live namespace with this id (found by the namespace walk). */
int mnts_nsref_open_id(uint64_t ns_id, struct mnts_nsref *ret, struct mnts_error *err);

/* What mnts_nslist_all() could not look into.  Unprivileged, the kernel
 * refuses the namespace walk (then namespaces without a process are not
 * found) and other users' /proc/PID/ns/mnt. */
struct mnts_nsenum_gaps {
	int walk_errno;	 /* the walk was refused (EPERM) and /proc scanned instead */
	size_t n_procs;	 /* processes whose namespace could not be identified */
	int procs_errno; /* why, for the first of them */
	long procs_example; /* the pid of the first of them */
};

/* Every mount namespace the caller may see, ascending ns id (by inode when
 * the kernel has no ids).  What was refused is counted in gaps (may be
 * NULL); running out of file descriptors or memory is an error, not a gap.
 * Returns: 0 or -errno. */
int mnts_nslist_all(struct mnts_nslist *ret, struct mnts_nsenum_gaps *gaps,
		    struct mnts_error *err);

/* Scans /proc and records each process (except skip_pid) in the namespace
 * it lives in.  Unreadable processes are skipped silently. */
void mnts_nslist_attach_pids(struct mnts_nslist *list, pid_t skip_pid);

/* The caller's own mount namespace id, 0 when unknown. */
uint64_t mnts_nsenum_self_id(void);

/* Whether the mount namespace with this 64-bit id still exists (listmount of
 * a namespace that is gone fails with ENOENT; a kernel before 6.8 cannot
 * tell, and says yes).  Returns: 0 with *ret set, or -errno. */
int mnts_ns_id_exists(uint64_t ns_id, bool *ret, struct mnts_error *err);
