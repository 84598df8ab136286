/* nsenum.c - see nsenum.h; kernel facts in kernel-api.md §2 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "lib/core/log.h"
#include "lib/core/macros.h"
#include "lib/kernel/nsenum.h"
#include "lib/kernel/syscalls.h"

void mnts_nsref_done(struct mnts_nsref *ref)
{
	if (ref->fd >= 0)
		close(ref->fd);
	ref->fd = -1;
	free(ref->pids);
	ref->pids = NULL;
	ref->n_pids = 0;
}

void mnts_nslist_free(struct mnts_nslist *list)
{
	for (size_t i = 0; i < list->n; i++)
		mnts_nsref_done(&list->v[i]);
	free(list->v);
	list->v = NULL;
	list->n = 0;
}

static void nslist_push(struct mnts_nslist *list, const struct mnts_nsref *ref)
{
	list->v = xreallocarray(list->v, list->n + 1, sizeof(*list->v));
	list->v[list->n++] = *ref;
}

int mnts_nsref_from_fd(int fd, const char *what, struct mnts_nsref *ret, struct mnts_error *err)
{
	_cleanup_close_ int owned = fd;
	struct stat st;
	__u64 id = 0;
	int type;

	type = ioctl(owned, NS_GET_NSTYPE);
	if (type < 0)
		return mnts_err(err, 0, "%s: not an nsfs file", what);
	if (type != CLONE_NEWNS)
		return mnts_err(err, 0, "%s: not a mount namespace", what);
	if (fstat(owned, &st) < 0)
		return mnts_err(err, errno, "%s: fstat", what);
	/* kernels before 6.10 have no ids: the mountinfo backend copes with 0 */
	if (ioctl(owned, MNTS_NS_GET_MNTNS_ID, &id) < 0)
		id = 0;
	*ret = (struct mnts_nsref){.fd = -1, .ns_id = id, .ino = st.st_ino};
	{
		_cleanup_close_ int ufd = ioctl(owned, NS_GET_USERNS);
		struct stat ust;

		if (ufd >= 0 && fstat(ufd, &ust) == 0)
			ret->userns_ino = ust.st_ino;
	}
	ret->fd = TAKE_FD(owned);
	return 0;
}

int mnts_nsref_open_pid(uint64_t pid, struct mnts_nsref *ret, struct mnts_error *err)
{
	char path[64], what[64];
	int fd;

	snprintf(what, sizeof(what), "pid '%" PRIu64 "'", pid);
	if (pid == 0 || pid > INT32_MAX)
		return mnts_err(err, 0, "%s: no such process", what);
	snprintf(path, sizeof(path), "/proc/%" PRIu64 "/ns/mnt", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ESRCH)
			return mnts_err(err, 0, "%s: no such process", what);
		return mnts_err(err, errno, "%s: cannot open '%s'", what, path);
	}
	return mnts_nsref_from_fd(fd, what, ret, err);
}

int mnts_nsref_open_file(const char *path, struct mnts_nsref *ret, struct mnts_error *err)
{
	_cleanup_free_ char *what = xasprintf("namespace file '%s'", path);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return mnts_err(err, errno, "%s", what);
	return mnts_nsref_from_fd(fd, what, ret, err);
}

int mnts_nsref_open_id(uint64_t ns_id, struct mnts_nsref *ret, struct mnts_error *err)
{
	struct mnts_nslist all = {0};
	int r = mnts_nslist_all(&all, NULL, err);

	if (r < 0)
		return r;
	for (size_t i = 0; i < all.n; i++) {
		if (all.v[i].ns_id != ns_id)
			continue;
		*ret = all.v[i];
		all.v[i].fd = -1;
		all.v[i].pids = NULL;
		mnts_nslist_free(&all);
		return 0;
	}
	mnts_nslist_free(&all);
	return mnts_err(err, 0, "mount namespace id '%" PRIu64 "': no such namespace", ns_id);
}

static int cmp_nsref(const void *a, const void *b)
{
	const struct mnts_nsref *x = a, *y = b;

	if (x->ns_id != y->ns_id)
		return x->ns_id < y->ns_id ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* Errors that say the system is out of something: never a reason to see
 * less and carry on. */
static bool out_of_resources(int e)
{
	return e == EMFILE || e == ENFILE || e == ENOMEM;
}

/* Follows NS_MNT_GET_PREV or _NEXT from start until ENOENT.  Returns: 0, or
 * -errno when the walk is not possible (EPERM unprivileged, ENOTTY old) or
 * failed (EMFILE). */
static int walk(int start, unsigned long req, struct mnts_nslist *list)
{
	int cur = start;

	for (;;) {
		struct mnts_mnt_ns_info info = {.size = sizeof(info)};
		struct mnts_error ignored;
		struct mnts_nsref ref;
		int fd = ioctl(cur, req, &info);

		if (fd < 0)
			return errno == ENOENT ? 0 : -errno;
		if (mnts_nsref_from_fd(fd, "namespace walk", &ref, &ignored) < 0)
			return -EINVAL;
		if (!ref.ns_id)
			ref.ns_id = info.mnt_ns_id;
		nslist_push(list, &ref);
		cur = ref.fd;
	}
}

static bool is_pid_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static void count_gap(struct mnts_nsenum_gaps *gaps, int e, const char *pid)
{
	if (!gaps->n_procs++) {
		gaps->procs_errno = e;
		gaps->procs_example = strtol(pid, NULL, 10);
	}
}

/* Fallback: the namespaces of every readable process (misses namespaces
 * pinned only by nsfs mounts or fds).  A process that exits meanwhile is
 * no gap. */
static int scan_proc(struct mnts_nslist *list, struct mnts_nsenum_gaps *gaps,
		     struct mnts_error *err)
{
	_cleanup_closedir_ DIR *d = opendir("/proc");
	struct dirent *de;

	if (!d)
		return mnts_err(err, errno, "cannot open '/proc'");
	while ((de = readdir(d))) {
		struct mnts_error ignored;
		struct mnts_nsref ref;
		char path[300];
		struct stat st;
		bool seen = false;
		int fd;

		if (!is_pid_name(de->d_name))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/mnt", de->d_name);
		if (stat(path, &st) < 0) {
			if (errno != ENOENT && errno != ESRCH)
				count_gap(gaps, errno, de->d_name);
			continue;
		}
		for (size_t i = 0; i < list->n && !seen; i++)
			seen = list->v[i].ino == st.st_ino;
		if (seen)
			continue;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 && out_of_resources(errno))
			return mnts_err(err, errno, "cannot open '%s'", path);
		if (fd < 0) {
			if (errno != ENOENT && errno != ESRCH)
				count_gap(gaps, errno, de->d_name);
			continue;
		}
		if (mnts_nsref_from_fd(fd, path, &ref, &ignored) < 0)
			continue;
		nslist_push(list, &ref);
	}
	return 0;
}

int mnts_nslist_all(struct mnts_nslist *ret, struct mnts_nsenum_gaps *gaps,
		    struct mnts_error *err)
{
	struct mnts_nsenum_gaps ignored = {0};
	struct mnts_nslist list = {0};
	struct mnts_nsref self;
	int fd, r;

	if (!gaps)
		gaps = &ignored;
	*gaps = (struct mnts_nsenum_gaps){0};
	fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return mnts_err(err, errno, "cannot open '/proc/self/ns/mnt'");
	r = mnts_nsref_from_fd(fd, "'/proc/self/ns/mnt'", &self, err);
	if (r < 0)
		return r;
	nslist_push(&list, &self);
	r = walk(self.fd, MNTS_NS_MNT_GET_PREV, &list);
	if (r == 0)
		r = walk(list.v[0].fd, MNTS_NS_MNT_GET_NEXT, &list);
	if (r < 0 && out_of_resources(-r)) {
		mnts_nslist_free(&list);
		return mnts_err(err, -r, "namespace walk: cannot open the next mount namespace");
	}
	if (r < 0) {
		mnts_debug(1, "namespace walk: %s; scanning /proc instead", strerror(-r));
		if (r == -EPERM || r == -EACCES)
			gaps->walk_errno = -r;
		mnts_nslist_free(&list);
		r = scan_proc(&list, gaps, err);
		if (r < 0) {
			mnts_nslist_free(&list);
			return r;
		}
	}
	qsort(list.v, list.n, sizeof(*list.v), cmp_nsref);
	*ret = list;
	return 0;
}

void mnts_nslist_attach_pids(struct mnts_nslist *list, pid_t skip_pid)
{
	_cleanup_closedir_ DIR *d = opendir("/proc");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[300];
		struct stat st;
		uint64_t pid;

		if (!is_pid_name(de->d_name))
			continue;
		pid = strtoull(de->d_name, NULL, 10);
		if (pid == (uint64_t)skip_pid)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/mnt", de->d_name);
		if (stat(path, &st) < 0)
			continue;
		for (size_t i = 0; i < list->n; i++) {
			struct mnts_nsref *ref = &list->v[i];
			size_t k;

			if (ref->ino != st.st_ino)
				continue;
			/* readdir order is ascending already; keep it sorted anyway */
			ref->pids = xreallocarray(ref->pids, ref->n_pids + 1, sizeof(*ref->pids));
			for (k = ref->n_pids; k > 0 && ref->pids[k - 1] > pid; k--)
				ref->pids[k] = ref->pids[k - 1];
			ref->pids[k] = pid;
			ref->n_pids++;
			break;
		}
	}
}

uint64_t mnts_nsenum_self_id(void)
{
	_cleanup_close_ int fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	__u64 id = 0;

	if (fd < 0 || ioctl(fd, MNTS_NS_GET_MNTNS_ID, &id) < 0)
		return 0;
	return id;
}

int mnts_ns_id_exists(uint64_t ns_id, bool *ret, struct mnts_error *err)
{
	uint64_t id;

	if (mnts_sys_listmount(MNTS_LSMT_ROOT, ns_id, 0, &id, 1) >= 0 || errno == ENOSYS) {
		*ret = true;
		return 0;
	}
	if (errno == ENOENT) {
		*ret = false;
		return 0;
	}
	return mnts_err(err, errno, "listmount of mount namespace %" PRIu64, ns_id);
}
