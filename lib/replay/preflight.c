/* preflight.c - every check of a replay before its first change (see
 * preflight.h) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/core/path.h"
#include "lib/kernel/syscalls.h"
#include "lib/replay/exec.h"
#include "lib/replay/preflight.h"
#include "lib/replay/replay_ns.h"
#include "lib/replay/resolve.h"
#include "lib/replay/sbsource.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

/* "'ns0:/a' (ext4 8:1)": how a mount is named, as the planner names it. */
static char *mount_item(const struct mnts_mount *m)
{
	char name[512];

	return xasprintf("'%s' (%s %u:%u)", mnts_plan_mount_name(m, name, sizeof(name)), m->fstype,
			 m->dev_major, m->dev_minor);
}

static void mount_problem(struct mnts_preflight *pf, const struct mnts_mount *m, const char *text)
{
	_cleanup_free_ char *item = mount_item(m);

	mnts_findings_add(&pf->problems, item, "%s", text);
}

int mnts_pin_state(int dirfd, const char *name)
{
	_cleanup_close_ int fd = -1;
	struct statx dir, file;
	struct statfs sfs;

	fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? MNTS_PIN_ABSENT : -errno;
	if (fstatfs(fd, &sfs) < 0)
		return -errno;
	if (sfs.f_type == NSFS_MAGIC)
		return MNTS_PIN_LIVE;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_MNT_ID, &file) < 0 ||
	    statx(dirfd, "", AT_EMPTY_PATH, STATX_MNT_ID, &dir) < 0)
		return -errno;
	/* a file with something mounted on it is on another mount than DIR */
	if (S_ISREG(file.stx_mode) && file.stx_mnt_id == dir.stx_mnt_id)
		return MNTS_PIN_STALE;
	return MNTS_PIN_OTHER;
}

/* The directory dir is in: "." for a relative name. */
static char *parent_of(const char *dir)
{
	char *p = xstrdup(dir);
	size_t len = strlen(p);
	char *slash;

	while (len > 1 && p[len - 1] == '/')
		p[--len] = '\0';
	slash = strrchr(p, '/');
	if (!slash)
		strcpy(p, ".");
	else
		slash[slash == p] = '\0';
	return p;
}

/* DIR (fd; missing: its parent's fd) on a shared mount: the pins would
 * propagate to its peers.  Says what to do about it. */
static void check_pin_dir_shared(struct mnts_preflight *pf, int fd, const char *dir, bool missing)
{
	_cleanup_free_ char *item = xasprintf("--new '%s'", dir), *mp = NULL;
	uint64_t group = 0;
	int r = mnts_fd_shared_mount(fd, &group, &mp);

	if (r < 0)
		mnts_findings_add(&pf->problems, item, "statmount: %s", strerror(-r));
	else if (r > 0)
		mnts_findings_add(&pf->problems, item,
				  "%s on a shared mount (peer group %llu of '%s'): the pins would "
				  "propagate to its peers; %smount --bind %s %s && mount "
				  "--make-private %s first",
				  missing ? "--mkdir would make it" : "is",
				  (unsigned long long)group, mp, missing ? "mkdir it, then " : "",
				  dir, dir, dir);
}

/* Each pin DIR/LABEL (and DIR/LABEL.userns) the replay makes: free, or a
 * stale pin made again, never a live one or anything else. */
static void check_pins(struct mnts_preflight *pf, const struct mnts_plan *plan, int dirfd,
		       const char *dir)
{
	for (size_t n = 0; n < plan->n_nss; n++) {
		const struct mnts_ns *ns = plan->nss[n].ns;
		_cleanup_free_ char *userns = mnts_plan_userns_pin(plan, n);
		const char *names[] = {ns->label, userns};

		for (size_t k = 0; k < ARRAY_SIZE(names) && names[k]; k++) {
			_cleanup_free_ char *item = xasprintf("pin '%s/%s'", dir, names[k]);
			int state;

			if (!mnts_plain_name(names[k])) {
				mnts_findings_add(&pf->problems, item,
						  "namespace '%s': the label is not a plain file "
						  "name (it names the pin in '%s')",
						  ns->label, dir);
				continue;
			}
			if (dirfd < 0)
				continue;
			state = mnts_pin_state(dirfd, names[k]);
			if (state < 0)
				mnts_findings_add(&pf->problems, item, "%s", strerror(-state));
			else if (state == MNTS_PIN_LIVE)
				mnts_findings_add(&pf->problems, item,
						  "a namespace is pinned there (a live pin: "
						  "umount %s/%s && rm %s/%s to replace it)",
						  dir, names[k], dir, names[k]);
			else if (state == MNTS_PIN_OTHER)
				mnts_findings_add(&pf->problems, item,
						  "exists and is not a pin (a regular file with "
						  "nothing mounted on it)");
			else if (state == MNTS_PIN_STALE)
				mnts_findings_add(&pf->warnings, item,
						  "a stale pin (its namespace is gone): reused");
		}
	}
}

/* --new DIR: exists (or --mkdir makes it), a writable directory, not on a
 * shared mount; the pins in it. */
static void check_new_dir(struct mnts_preflight *pf, const struct mnts_plan *plan,
			  const struct mnts_replay_opts *opts)
{
	const char *dir = opts->new_dir;
	_cleanup_free_ char *item = xasprintf("--new '%s'", dir);
	_cleanup_close_ int fd = -1;
	struct statvfs vfs;
	struct stat st;

	if (stat(dir, &st) < 0 && errno == ENOENT) {
		_cleanup_free_ char *parent = parent_of(dir);
		_cleanup_close_ int pfd = -1;

		if (!opts->mkdir_new) {
			mnts_findings_add(&pf->problems, item,
					  "does not exist (create it, or give --mkdir)");
		} else {
			pfd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (pfd < 0)
				mnts_findings_add(&pf->problems, item,
						  "--mkdir: its parent '%s': %s", parent,
						  strerror(errno));
			else
				check_pin_dir_shared(pf, pfd, dir, true);
			pf->new_dir_make = true;
		}
		if (plan)
			check_pins(pf, plan, -1, dir);
		return;
	}
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		mnts_findings_add(&pf->problems, item, "%s", strerror(errno));
		return;
	}
	pf->new_dir_abs = realpath(dir, NULL);
	if (!pf->new_dir_abs) {
		mnts_findings_add(&pf->problems, item, "%s", strerror(errno));
		return;
	}
	if (fstatvfs(fd, &vfs) == 0 && (vfs.f_flag & ST_RDONLY))
		mnts_findings_add(&pf->problems, item, "is on a read-only mount: %s",
				  strerror(EROFS));
	else if (faccessat(fd, "", W_OK, AT_EACCESS | AT_EMPTY_PATH) < 0)
		mnts_findings_add(&pf->problems, item, "not writable: %s", strerror(errno));
	check_pin_dir_shared(pf, fd, dir, false);
	if (plan)
		check_pins(pf, plan, fd, dir);
	pf->new_dir_fd = TAKE_FD(fd);
}

/* --userns=PID|NSFILE: an fd of that user namespace. */
static void open_userns(struct mnts_preflight *pf, const char *what)
{
	_cleanup_free_ char *path = NULL, *item = NULL;
	size_t digits = strspn(what, "0123456789");
	int fd;

	path = digits && !what[digits] ? xasprintf("/proc/%s/ns/user", what) : xstrdup(what);
	item = xasprintf("--userns '%s'", path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		mnts_findings_add(&pf->problems, item, "%s", strerror(errno));
		return;
	}
	if (ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWUSER) {
		close(fd);
		mnts_findings_add(&pf->problems, item, "not a user namespace");
		return;
	}
	pf->userns_fd = fd;
}

static void open_target(struct mnts_preflight *pf, const struct mnts_replay_opts *opts)
{
	_cleanup_free_ char *path = NULL, *item = NULL;
	int fd;

	if (opts->target == MNTS_REPLAY_PID)
		path = xasprintf("/proc/%d/ns/mnt", (int)opts->pid);
	else
		path = xstrdup(opts->nsfile);
	item = xasprintf("target '%s'", path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		mnts_findings_add(&pf->problems, item, "%s", strerror(errno));
		return;
	}
	if (ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNS) {
		close(fd);
		mnts_findings_add(&pf->problems, item, "not a mount namespace");
		return;
	}
	pf->target_ns = fd;
}

/* --root DIR where the tree goes: a directory, and in a target namespace
 * not on a shared mount (the tree would propagate to its peers).  With
 * --new it is looked up here: the new namespace is a private copy of ours.
 * In a target it is looked up there, from this process (mntsnap is single
 * threaded; a child would pass for the executor to whoever waits for it),
 * which then comes back to its namespace and working directory.  Returns:
 * 0, or -errno when it could not come back (then nothing may go on). */
static int check_root_dir(struct mnts_preflight *pf, const char *root_dir, int target_ns)
{
	_cleanup_close_ int self = -1, cwd = -1, rootfd = -1, at = -1;
	struct mnts_error err = {0};
	_cleanup_free_ char *mp = NULL;
	uint64_t group = 0;
	int shared, r = 0;

	if (target_ns >= 0) {
		self = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
		cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (self < 0 || cwd < 0 || setns(target_ns, CLONE_NEWNS) < 0) {
			mnts_findings_add(&pf->problems, "--root",
					  "--root '%s': setns into the target namespace: %s",
					  root_dir, strerror(errno));
			return 0;
		}
	}
	rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	at = rootfd < 0 ? -errno : mnts_open_in_root(rootfd, root_dir, O_DIRECTORY);
	if (at < 0) {
		mnts_root_dir_error(&err, at, root_dir,
				    target_ns >= 0 ? " in the target namespace" : "");
	} else if (target_ns >= 0) {
		shared = mnts_fd_shared_mount(at, &group, &mp);
		if (shared < 0)
			mnts_err(&err, -shared, "--root '%s': statmount", root_dir);
		else if (shared)
			mnts_err(&err, 0,
				 "--root '%s': is on a shared mount in the target namespace (peer "
				 "group %llu of '%s'): the tree would propagate to its peers; make "
				 "it private there first (mount --bind %s %s && mount "
				 "--make-private %s)",
				 root_dir, (unsigned long long)group, mp, root_dir, root_dir,
				 root_dir);
	}
	if (target_ns >= 0 && (setns(self, CLONE_NEWNS) < 0 || fchdir(cwd) < 0))
		r = -errno;
	if (err.msg[0])
		mnts_findings_add(&pf->problems, "--root", "%s%s%s", err.msg, err.code ? ": " : "",
				  err.code ? strerror(err.code) : "");
	return r;
}

static int ns_mount_count(int nsfd, uint32_t *ret)
{
	struct mnts_mnt_ns_info info = {.size = MNTS_MNT_NS_INFO_SIZE_VER0};

	if (ioctl(nsfd, MNTS_NS_MNT_GET_INFO, &info) < 0)
		return -errno;
	*ret = info.nr_mounts;
	return 0;
}

/* fs.mount-max counts every mount of a namespace, and a namespace holds
 * one fewer: measured on 6.18, mount(2) and move_mount() into a namespace
 * of fs.mount-max - 1 mounts fail with ENOSPC (a detached tree takes
 * fs.mount-max), so no live namespace has more to capture.  A new
 * namespace holds one seed mount when its tree goes in (replay_ns.c), but
 * the tree's root goes in without the last subtree of its children, which
 * follows once the seed is detached (plan_steps.c), so a tree as large as
 * any namespace can hold fits.  With --root the namespace keeps its copy
 * of the caller's mounts; a graft adds to the target's. */
static void check_mount_max(struct mnts_preflight *pf, const struct mnts_plan *plan,
			    unsigned long max, int base_ns)
{
	uint32_t present = 0;

	if (!max)
		return; /* no limit known: the kernel will say ENOSPC */
	if (base_ns >= 0 && ns_mount_count(base_ns, &present) < 0)
		present = 0;
	for (size_t n = 0; n < plan->n_nss; n++) {
		size_t need = plan->nss[n].ns->n_mounts + present;
		_cleanup_free_ char *item = NULL;

		if (need < max)
			continue;
		item = xasprintf("namespace '%s'", plan->nss[n].ns->label);
		if (!present)
			mnts_findings_add(&pf->problems, item,
					  "needs %zu mounts, a namespace holds at most %lu "
					  "(fs.mount-max %lu): %s",
					  need, max - 1, max, strerror(ENOSPC));
		else
			mnts_findings_add(&pf->problems, item,
					  "needs %zu mounts (%u there already), a namespace holds at "
					  "most %lu (fs.mount-max %lu): %s",
					  need, present, max - 1, max, strerror(ENOSPC));
	}
}

static size_t open_fds(void)
{
	_cleanup_closedir_ DIR *d = opendir("/proc/self/fd");
	size_t n = 0;

	while (d && readdir(d))
		n++;
	return n;
}

/* The executor holds up to one fd per level of the tree being built (each
 * is closed after its last step: a level whose propagation waits for its
 * children keeps its own), and mounts stacked on one path make a tree as
 * deep as fs.mount-max, above the usual hard limits (20,000 here).  Never
 * more than one fd per slot: raise both limits to that where privileged
 * (CAP_SYS_RESOURCE, up to fs.nr_open), else take the whole hard limit;
 * then what the plan holds at once must fit. */
static void check_fd_limit(struct mnts_preflight *pf, const struct mnts_plan *plan)
{
	const rlim_t need = (rlim_t)plan->n_slots + 64;
	size_t peak;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < need) {
		if (rl.rlim_max >= need ||
		    setrlimit(RLIMIT_NOFILE, &(struct rlimit){.rlim_cur = need, .rlim_max = need}) <
			0) {
			rl.rlim_cur = rl.rlim_max < need ? rl.rlim_max : need;
			(void)setrlimit(RLIMIT_NOFILE, &rl);
		}
		if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
			return;
	}
	/* the executor's own few (namespaces, undo entries) on top */
	peak = mnts_exec_peak_fds(plan) + open_fds() + 8;
	if (rl.rlim_cur != RLIM_INFINITY && peak > rl.rlim_cur)
		mnts_findings_add(
		    &pf->problems, "RLIMIT_NOFILE",
		    "the replay holds up to %zu files open at once, the limit is "
		    "%llu (raise it with ulimit -n, or run with CAP_SYS_RESOURCE): %s",
		    peak, (unsigned long long)rl.rlim_cur, strerror(EMFILE));
}

/* The file type of what the source holds at a mount's root: 'd', 'f', or 0
 * when unknown (a new superblock, a source in another namespace). */
struct source_facts {
	int *clone;	 /* per superblock: a detached clone of its source, -1 */
	char *root_kind; /* per mount */
};

static char kind_of(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return 0;
	return S_ISDIR(st.st_mode) ? 'd' : 'f';
}

/* Superblock s's source (a live mount, or --external) cloned, as the
 * executor clones it, and every root bound from it there.  A clone is
 * detached and dies with its fd: nothing changes. */
static void check_source(struct mnts_preflight *pf, const struct mnts_plan *plan, size_t s,
			 struct source_facts *sf)
{
	const struct mnts_plan_sb *sb = &plan->sbs[s];
	struct mnts_error err = {0};
	int fd;

	if (sb->how == MNTS_SB_FRESH || sb->ns_id)
		return;
	fd = mnts_sb_clone(AT_FDCWD, sb->path, sb->how == MNTS_SB_LIVE, sb->dev_major,
			   sb->dev_minor, &err);
	if (fd < 0) {
		_cleanup_free_ char *item = NULL;

		if (sb->how == MNTS_SB_EXTERNAL)
			item = xasprintf("--external '%s'", sb->path);
		else
			item = mount_item(sb->first);
		mnts_findings_add(&pf->problems, item, "its source: %s%s%s", err.msg,
				  err.code ? ": " : "", err.code ? strerror(err.code) : "");
		return;
	}
	sf->clone[s] = fd;
	for (int k = plan->sb_mounts_off[s]; k < plan->sb_mounts_off[s + 1]; k++) {
		int i = plan->sb_mounts[k];
		const struct mnts_mount *m = plan->mounts[i].m;
		const char *rel = mnts_path_below(m->root, sb->root);
		_cleanup_free_ char *text = NULL;
		int at;

		if (m->deleted || !rel)
			continue; /* made again (plan_steps.c), or refused by the plan */
		if (!*rel) {
			/* the source itself: it may be a file (a mapped file bind) */
			sf->root_kind[i] = kind_of(fd);
			continue;
		}
		at = mnts_open_beneath(fd, rel);
		if (at >= 0) {
			sf->root_kind[i] = kind_of(at);
			close(at);
			continue;
		}
		text = xasprintf("its root '/%s' is not in its source '%s'%s: %s", rel, sb->path,
				 sb->how == MNTS_SB_LIVE ? " (the file or directory it binds is "
							   "gone from this host)"
							 : "",
				 strerror(-at));
		mount_problem(pf, m, text);
	}
}

/* The mountpoints of mount i's children, when i is cloned from the host
 * (its filesystem is reused, not made): each must be there unless
 * --create-mountpoints, and of its child's kind (move_mount puts neither a
 * directory on a file nor the reverse). */
static void check_mountpoints(struct mnts_preflight *pf, const struct mnts_plan *plan, int i,
			      const struct source_facts *sf)
{
	const struct mnts_plan_mount *pp = &plan->mounts[i];
	const struct mnts_plan_sb *sb;
	const char *below;
	int base = i - (int)pp->m->index;

	if (pp->sb < 0 || sf->clone[pp->sb] < 0)
		return;
	sb = &plan->sbs[pp->sb];
	below = mnts_path_below(pp->m->root, sb->root);
	if (!below || pp->m->deleted)
		return;
	for (size_t c = 0; c < pp->m->n_children; c++) {
		const struct mnts_mount *m = pp->m->children[c];
		const char *rel = mnts_path_below(m->mountpoint, pp->m->mountpoint);
		_cleanup_free_ char *path = NULL, *text = NULL;
		char kind, want = sf->root_kind[base + (int)m->index];
		int at;

		if (!rel)
			continue;
		path =
		    *below && *rel ? xasprintf("%s/%s", below, rel) : xstrdup(*below ? below : rel);
		at = mnts_open_beneath(sf->clone[pp->sb], path);
		if (at == -ENOENT && plan->opts->create_mountpoints)
			continue;
		if (at < 0) {
			text = xasprintf("its mountpoint '/%s' is missing in the reused filesystem "
					 "of '%s'%s: %s",
					 rel, pp->m->mountpoint,
					 at == -ENOENT ? " (--create-mountpoints creates it)" : "",
					 strerror(-at));
			mount_problem(pf, m, text);
			continue;
		}
		kind = kind_of(at);
		close(at);
		if (want && kind && want != kind) {
			text = xasprintf("its root is a %s, its mountpoint '/%s' in '%s' a %s "
					 "(move_mount puts neither on the other)",
					 want == 'd' ? "directory" : "file", rel, pp->m->mountpoint,
					 kind == 'd' ? "directory" : "file");
			mount_problem(pf, m, text);
		}
	}
}

/* nsfs mounts given by --external: an nsfs file each. */
static void check_nsfs_externals(struct mnts_preflight *pf, const struct mnts_plan *plan)
{
	for (size_t i = 0; i < plan->n_mounts; i++) {
		const char *path = plan->mounts[i].ext_path;
		_cleanup_free_ char *item = NULL;
		struct statfs sfs;

		if (!path)
			continue;
		item = xasprintf("--external '%s'", path);
		if (statfs(path, &sfs) < 0)
			mnts_findings_add(&pf->problems, item, "%s", strerror(errno));
		else if (sfs.f_type != NSFS_MAGIC)
			mnts_findings_add(&pf->problems, item,
					  "not a namespace file (nsfs), which '%s' pins",
					  plan->mounts[i].m->mountpoint);
	}
}

static void check_sources(struct mnts_preflight *pf, const struct mnts_plan *plan)
{
	struct source_facts sf = {
	    .clone = xcalloc(plan->n_sbs + 1, sizeof(int)),
	    .root_kind = xcalloc(plan->n_mounts + 1, 1),
	};

	for (size_t s = 0; s < plan->n_sbs; s++)
		sf.clone[s] = -1;
	for (size_t s = 0; s < plan->n_sbs; s++)
		check_source(pf, plan, s, &sf);
	for (size_t i = 0; i < plan->n_mounts; i++)
		if (plan->mounts[i].m->n_children)
			check_mountpoints(pf, plan, (int)i, &sf);
	for (size_t s = 0; s < plan->n_sbs; s++)
		if (sf.clone[s] >= 0)
			close(sf.clone[s]);
	free(sf.clone);
	free(sf.root_kind);
	check_nsfs_externals(pf, plan);
}

int mnts_preflight_run(struct mnts_preflight *pf, const struct mnts_plan *plan,
		       const struct mnts_replay_opts *opts, unsigned long mount_max,
		       struct mnts_error *err)
{
	int r;

	pf->new_dir_fd = pf->target_ns = pf->userns_fd = -1;
	if (opts->userns && !streq(opts->userns, "none"))
		open_userns(pf, opts->userns);
	if (opts->target == MNTS_REPLAY_NEW) {
		check_new_dir(pf, plan, opts);
		if (opts->root_dir)
			(void)check_root_dir(pf, opts->root_dir, -1);
	} else {
		open_target(pf, opts);
		/* stuck in the target's namespace: nothing may go on */
		if (pf->target_ns >= 0 && opts->root_dir &&
		    (r = check_root_dir(pf, opts->root_dir, pf->target_ns)) < 0)
			return mnts_err(err, -r, "--root: back from the target namespace");
	}
	if (!plan)
		return (int)pf->problems.n;
	/* first: the sources checked next hold a clone of each open */
	check_fd_limit(pf, plan);
	/* every source cloned and every root and mountpoint looked up: a few
	 * syscalls per mount, which made a real replay of 10,000 live mounts 3x
	 * the floor.  The real run makes the same checks as it goes, and undoes
	 * everything when one fails (the target is left as it was), so only a
	 * dry run, which must predict them all, makes them here. */
	if (opts->dry_run)
		check_sources(pf, plan);
	if (opts->target == MNTS_REPLAY_NEW) {
		_cleanup_close_ int self = -1;

		if (opts->root_dir)
			self = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
		check_mount_max(pf, plan, mount_max, opts->root_dir ? self : -1);
	} else if (pf->target_ns >= 0) {
		check_mount_max(pf, plan, mount_max, pf->target_ns);
	}
	return (int)pf->problems.n;
}

void mnts_preflight_done(struct mnts_preflight *pf)
{
	mnts_findings_clear(&pf->problems);
	mnts_findings_clear(&pf->warnings);
	if (pf->new_dir_fd >= 0)
		close(pf->new_dir_fd);
	if (pf->target_ns >= 0)
		close(pf->target_ns);
	if (pf->userns_fd >= 0)
		close(pf->userns_fd);
	free(pf->new_dir_abs);
	*pf = (struct mnts_preflight)MNTS_PREFLIGHT_INIT;
}
