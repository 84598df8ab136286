/* floor.c - the replay floor: the minimal syscall sequence that rebuilds a
 * snapshot's tree in a new mount namespace, the way `mntsnap replay --new`
 * does, with no JSON, no planning and no checks.
 *
 *   floor [-v] DIR DESC
 *   floor -i NSFILE...     (prints those namespaces' mountinfo)
 *   floor -s [NSFILE...]   (the statmount() calls a capture of them makes)
 *
 * DESC is the compact description the harness derives from a snapshot with
 * jq (desc.jq), one record per line, tab separated, parents before children:
 *
 *   S <src> live <path>      source <src>: clone of the live mount at <path>
 *   S <src> new <fstype> <source> <options>
 *                            source <src>: a new superblock with that source
 *                            (devname) and those superblock options
 *                            (comma separated; "-": none of either), given
 *                            to fsconfig as replay gives them
 *   M <idx> <parent> <src> <subpath> <relpath> <shared> <master>
 *                            mount <idx> (0-based; parent -1 for the root
 *                            of a namespace: each starts the next one,
 *                            pinned at DIR/ns0, DIR/ns1, ...):
 *                            a clone of <subpath> of source <src>, attached at
 *                            <relpath> of its parent ("." for the parent's root,
 *                            i.e. an overmount), in peer group <shared> and
 *                            slave of group <master> (0 = none)
 *
 * The sequence, per the measured costs in shared/docs/performance.md:
 * - one detached, private, childless source per superblock: open_tree_attr(
 *   OPEN_TREE_CLONE, propagation=MS_PRIVATE) of a live mount, or fsopen +
 *   fsconfig(CREATE) + fsmount; cloning from a mount with children costs
 *   O(children);
 * - per mount: open_tree(src, subpath, OPEN_TREE_CLONE) and move_mount onto
 *   its parent's fd (the parent is still private, so nothing propagates);
 * - sharing last, for each mount as soon as all its children are attached:
 *   MOVE_MOUNT_SET_GROUP from a detached anchor per peer group (itself a
 *   clone of the source root, which contains every member's root), then
 *   MS_SLAVE / MS_SHARED through mount_setattr.  A group of one with no
 *   slaves needs no anchor.  Fds are closed as soon as they are done with, so
 *   the number open stays far below the 20000 RLIMIT_NOFILE of this machine;
 * - then a seed namespace: a copy of ours (unshare), or of a much smaller
 *   namespace when one is found (lib/kernel/nssmall.h, as replay's), made rprivate (its
 *   copies of shared mounts are peers of the originals), emptied down to one
 *   tmpfs (pivot_root into it, the copied mounts detached: a 50k copy plus a
 *   50k tree would exceed fs.mount-max); per namespace, a copy of the seed
 *   (setns + unshare: one mount copied, whatever ours holds), the tree
 *   attached on its root, pivot_root into it, the seed's tmpfs detached; the
 *   namespace pinned at DIR/ns<k> with an nsfs mount, as replay pins
 *   DIR/LABEL.  All in this process, as replay's executor does.
 *
 * Mount flags (ro, nosuid, ...) are not replayed: the generated layouts use
 * none.  Safety: DIR must be on a private mount of a private namespace (the
 * harness creates it so); floor does not check.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/kernel/statmount.h"
#include "lib/kernel/syscalls.h"

static void die(const char *fmt, ...);
#include "seedns.h"

struct src {
	bool is_new;
	char *arg;    /* live path or fstype */
	char *source; /* new: its source, or NULL */
	char *opts;   /* new: its options, comma separated, or NULL */
	int fd;
	long last; /* last step that uses it */
	long uses; /* mounts cloned from it */
};

struct mnt {
	long parent;
	long src;
	char *sub;
	char *rel;
	unsigned long shared, master;
	long last_child; /* -1: none */
	int fd;
};

struct group {
	unsigned long master; /* the group's own master, 0 = none */
	long members;
	bool has_slaves;
	long last; /* last step that uses its anchor */
	int anchor, slave_anchor;
};

static struct src *srcs;
static long n_srcs;
static struct mnt *mnts;
static long n_mnts;
static struct group *groups; /* indexed by group id */
static unsigned long n_groups;
static bool verbose;

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("floor: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static const char *field(char **save)
{
	const char *f = strtok_r(NULL, "\t\n", save);

	if (!f)
		die("short line in description");
	return f;
}

static void read_desc(const char *path)
{
	FILE *f = fopen(path, "re");
	char *line = NULL, *save;
	size_t cap = 0;
	long cap_s = 0, cap_m = 0;

	if (!f)
		die("open '%s': %m", path);
	while (getline(&line, &cap, f) > 0) {
		const char *kind = strtok_r(line, "\t\n", &save);

		if (!kind)
			continue;
		if (!strcmp(kind, "S")) {
			if (n_srcs == cap_s) {
				cap_s = cap_s ? 2 * cap_s : 1024;
				srcs = realloc(srcs, cap_s * sizeof(*srcs));
			}
			struct src *s = &srcs[n_srcs++];

			field(&save); /* number: implied by the order */
			s->is_new = !strcmp(field(&save), "new");
			s->arg = strdup(field(&save));
			if (s->is_new) {
				const char *src = field(&save), *opts = field(&save);

				s->source = strcmp(src, "-") ? strdup(src) : NULL;
				s->opts = strcmp(opts, "-") ? strdup(opts) : NULL;
			}
			s->fd = -1;
			s->last = -1;
		} else if (!strcmp(kind, "M")) {
			if (n_mnts == cap_m) {
				cap_m = cap_m ? 2 * cap_m : 1024;
				mnts = realloc(mnts, cap_m * sizeof(*mnts));
			}
			struct mnt *m = &mnts[n_mnts++];

			field(&save);
			m->parent = strtol(field(&save), NULL, 10);
			m->src = strtol(field(&save), NULL, 10);
			m->sub = strdup(field(&save));
			m->rel = strdup(field(&save));
			m->shared = strtoul(field(&save), NULL, 10);
			m->master = strtoul(field(&save), NULL, 10);
			m->last_child = -1;
			m->fd = -1;
			if (m->parent >= n_mnts - 1 || m->src < 0 || m->src >= n_srcs ||
			    (m->parent < 0 && m->parent != -1) || (n_mnts == 1 && m->parent != -1))
				die("bad mount line %ld", n_mnts - 1);
		}
	}
	free(line);
	fclose(f);
	if (!n_mnts)
		die("no mounts in '%s'", path);
}

/* The step at which mount i gets its propagation: when its last child is
 * attached (or at once when it has none). */
static long fin_step(long i)
{
	return mnts[i].last_child > i ? mnts[i].last_child : i;
}

static void plan(void)
{
	for (long i = 0; i < n_mnts; i++) {
		unsigned long g = mnts[i].shared > mnts[i].master ? mnts[i].shared : mnts[i].master;

		if (g >= n_groups)
			n_groups = g + 1;
		if (mnts[i].parent >= 0)
			mnts[mnts[i].parent].last_child = i;
	}
	groups = calloc(n_groups ? n_groups : 1, sizeof(*groups));
	for (unsigned long g = 0; g < n_groups; g++)
		groups[g].anchor = groups[g].slave_anchor = -1;
	for (long i = 0; i < n_mnts; i++) {
		struct mnt *m = &mnts[i];
		long fin = fin_step(i);

		if (fin > srcs[m->src].last)
			srcs[m->src].last = fin;
		srcs[m->src].uses++;
		if (m->shared) {
			groups[m->shared].members++;
			groups[m->shared].master = m->master;
			if (fin > groups[m->shared].last)
				groups[m->shared].last = fin;
		}
		if (m->master) {
			groups[m->master].has_slaves = true;
			if (fin > groups[m->master].last)
				groups[m->master].last = fin;
		}
	}
}

static void set_propagation(int fd, unsigned long prop)
{
	struct mnts_mount_attr attr = { .propagation = prop };

	if (mnts_sys_mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		die("mount_setattr propagation %#lx: %m", prop);
}

static void set_group(int from, int to)
{
	if (mnts_sys_move_mount(from, "", to, "",
				MOVE_MOUNT_SET_GROUP | MOVE_MOUNT_F_EMPTY_PATH |
					MOVE_MOUNT_T_EMPTY_PATH) < 0)
		die("set-group: %m");
}

static void open_source(struct src *s)
{
	if (s->is_new) {
		int ctx = mnts_sys_fsopen(s->arg, FSOPEN_CLOEXEC);

		if (ctx < 0 ||
		    (s->source && mnts_sys_fsconfig(ctx, MNTS_FSCONFIG_SET_STRING, "source",
						    s->source, 0) < 0))
			die("new %s superblock: %m", s->arg);
		for (char *save = NULL, *w = s->opts ? strtok_r(s->opts, ",", &save) : NULL; w;
		     w = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(w, '=');

			if (eq)
				*eq = '\0';
			if (mnts_sys_fsconfig(ctx, eq ? MNTS_FSCONFIG_SET_STRING : MNTS_FSCONFIG_SET_FLAG,
					      w, eq ? eq + 1 : NULL, 0) < 0)
				die("new %s superblock: option '%s': %m", s->arg, w);
		}
		if (mnts_sys_fsconfig(ctx, MNTS_FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
			die("new %s superblock: %m", s->arg);
		s->fd = mnts_sys_fsmount(ctx, FSMOUNT_CLOEXEC, 0);
		if (s->fd < 0)
			die("fsmount %s: %m", s->arg);
		close(ctx);
	} else {
		struct mnts_mount_attr attr = { .propagation = MS_PRIVATE };
		/* Resolve a path that extends the previous source's relative to
		 * it: a deep chain's paths cross hundreds of mounts each. */
		static char *prev_path;
		static int prev_fd = -1;
		size_t plen = prev_path ? strlen(prev_path) : 0;
		bool below = prev_fd >= 0 && !strncmp(s->arg, prev_path, plen) && s->arg[plen] == '/';
		int dfd = below ? prev_fd : AT_FDCWD;
		const char *path = below ? s->arg + plen + 1 : s->arg;
		int here = openat(dfd, path, O_PATH | O_CLOEXEC);

		if (here < 0)
			die("open source '%s': %m", s->arg);
		s->fd = mnts_sys_open_tree_attr(here, "",
						OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH,
						&attr, sizeof(attr));
		if (prev_fd >= 0)
			close(prev_fd);
		free(prev_path);
		prev_fd = here;
		prev_path = strdup(s->arg);
		if (s->fd < 0)
			die("clone source '%s': %m", s->arg);
	}
}

/* Anchors and sources done with go into one detached tmpfs, closed at the
 * end, as replay's do (lib/replay/exec.c): an attached one cannot be moved
 * and is closed.  Closing a detached tree's last fd waits for an RCU grace
 * period, once per tree otherwise.  FLOOR_TRASH_OFF=1 closes each as before. */
static int trash = -1;
static unsigned n_trash;

static void drop_detached(int fd)
{
	char name[16];

	if (fd < 0)
		return;
	if (trash == -1) {
		int fs = mnts_sys_fsopen("tmpfs", FSOPEN_CLOEXEC);

		trash = -2;
		if (!getenv("FLOOR_TRASH_OFF") && fs >= 0 &&
		    mnts_sys_fsconfig(fs, MNTS_FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
			trash = mnts_sys_fsmount(fs, FSMOUNT_CLOEXEC, 0);
		if (trash < 0)
			trash = -2;
		if (fs >= 0)
			close(fs);
	}
	snprintf(name, sizeof(name), "%u", n_trash++);
	if (trash >= 0 && mkdirat(trash, name, 0700) == 0)
		(void)mnts_sys_move_mount(fd, "", trash, name, MOVE_MOUNT_F_EMPTY_PATH);
	close(fd);
}

static int anchor_of(unsigned long g, long src);
static void make_anchor(struct group *gr, unsigned long master, long src)
{
	gr->anchor = mnts_sys_open_tree(srcs[src].fd, "",
					OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (gr->anchor < 0)
		die("clone anchor: %m");
	if (master) {
		set_group(anchor_of(master, src), gr->anchor);
		set_propagation(gr->anchor, MS_SLAVE);
	}
	set_propagation(gr->anchor, MS_SHARED);
}

/* A group's anchor; a master group's lives on the same superblock. */
static int anchor_of(unsigned long g, long src)
{
	if (groups[g].anchor < 0)
		make_anchor(&groups[g], groups[g].master, src);
	return groups[g].anchor;
}

/* A slave anchor of group g: a detached clone that is a slave of g and in
 * no peer group, the from side for pure slaves that cannot get MS_SLAVE
 * themselves (mount_setattr only works on the root of a detached tree). */
static int slave_anchor_of(unsigned long g, long src)
{
	struct group *gr = &groups[g];

	if (gr->slave_anchor < 0) {
		gr->slave_anchor = mnts_sys_open_tree(srcs[src].fd, "",
						      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
							      AT_EMPTY_PATH);
		if (gr->slave_anchor < 0)
			die("clone slave anchor: %m");
		set_group(anchor_of(g, src), gr->slave_anchor);
		set_propagation(gr->slave_anchor, MS_SLAVE);
	}
	return gr->slave_anchor;
}

/* Sets mount i's propagation.  A leaf gets it before it is attached, while
 * it is still the root of its own detached tree and mount_setattr works on
 * it; a mount with children gets it once they are all attached (attaching
 * under a shared parent would make them shared), through set-group only. */
static void propagate(long i, bool leaf)
{
	struct mnt *m = &mnts[i];

	if (m->shared) {
		struct group *gr = &groups[m->shared];

		if (leaf && gr->members == 1 && !gr->has_slaves) {
			if (m->master) {
				set_group(anchor_of(m->master, m->src), m->fd);
				set_propagation(m->fd, MS_SLAVE);
			}
			set_propagation(m->fd, MS_SHARED);
		} else {
			set_group(anchor_of(m->shared, m->src), m->fd);
		}
	} else if (m->master) {
		if (leaf) {
			set_group(anchor_of(m->master, m->src), m->fd);
			set_propagation(m->fd, MS_SLAVE);
		} else {
			set_group(slave_anchor_of(m->master, m->src), m->fd);
		}
	}
}

static void release(long step)
{
	long s = mnts[step].src;

	if (srcs[s].last == step && srcs[s].fd >= 0) {
		drop_detached(srcs[s].fd);
		srcs[s].fd = -1;
	}
	/* anchors: only groups this step touched can end here */
	unsigned long gs[2] = { mnts[step].shared, mnts[step].master };
	long p = mnts[step].parent;
	unsigned long gp[2] = { p >= 0 ? mnts[p].shared : 0, p >= 0 ? mnts[p].master : 0 };
	unsigned long all[4] = { gs[0], gs[1], gp[0], gp[1] };

	for (int k = 0; k < 4; k++) {
		struct group *gr = all[k] ? &groups[all[k]] : NULL;

		if (gr && gr->last <= step) {
			drop_detached(gr->anchor);
			drop_detached(gr->slave_anchor);
			gr->anchor = gr->slave_anchor = -1;
		}
	}
	if (p >= 0 && mnts[p].last_child == step && srcs[mnts[p].src].last == step &&
	    srcs[mnts[p].src].fd >= 0) {
		drop_detached(srcs[mnts[p].src].fd);
		srcs[mnts[p].src].fd = -1;
	}
}

static void build(void)
{
	for (long i = 0; i < n_mnts; i++) {
		struct mnt *m = &mnts[i];
		struct src *s = &srcs[m->src];
		bool whole = !strcmp(m->sub, ".");

		if (s->fd < 0)
			open_source(s);
		if (s->uses == 1 && whole && !m->shared && !m->master) {
			/* the source is this mount: no second clone */
			m->fd = s->fd;
			s->fd = -1;
			s->last = -1;
		} else {
			m->fd = mnts_sys_open_tree(s->fd, whole ? "" : m->sub,
						   OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
							   (whole ? AT_EMPTY_PATH : 0));
		}
		if (m->fd < 0)
			die("clone mount %ld ('%s'): %m", i, m->sub);
		if (m->last_child < 0)
			propagate(i, true);
		if (m->parent >= 0) {
			struct mnt *p = &mnts[m->parent];
			bool onto_root = !strcmp(m->rel, ".");

			if (!onto_root && srcs[p->src].is_new)
				mkdirat(p->fd, m->rel, 0755); /* new superblock: make the mountpoint */
			if (mnts_sys_move_mount(m->fd, "", p->fd, onto_root ? "" : m->rel,
						MOVE_MOUNT_F_EMPTY_PATH |
							(onto_root ? MOVE_MOUNT_T_EMPTY_PATH : 0)) < 0)
				die("attach mount %ld at '%s': %m", i, m->rel);
		}
		if (m->parent >= 0 && mnts[m->parent].last_child == i) {
			propagate(m->parent, false);
			/* a namespace's root is kept: it goes into its namespace */
			if (mnts[m->parent].parent >= 0) {
				close(mnts[m->parent].fd);
				mnts[m->parent].fd = -1;
			}
		}
		if (m->last_child < 0 && m->parent >= 0) {
			close(m->fd);
			m->fd = -1;
		}
		release(i);
	}
}

/* Each tree into a namespace of its own, pinned at DIR/ns<k>. */
static void new_namespaces(const char *dir)
{
	int orig = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	int nsdir = open("/proc/thread-self/ns", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	uint64_t ours;
	long k = 0;
	int seed;

	if (orig < 0 || nsdir < 0 || dirfd < 0)
		die("prepare '%s': %m", dir);
	ours = seed_ns_id(orig);
	seed = seed_make(orig, nsdir, NULL);
	for (long i = 0; i < n_mnts; i++) {
		char pin[64];
		int ns, nsmnt, file;

		if (mnts[i].parent >= 0)
			continue;
		ns = seed_copy(seed, orig, nsdir, ours);
		/* onto the seed's tmpfs, then it is the root */
		if (mnts_sys_move_mount(mnts[i].fd, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0)
			die("attach tree %ld: %m", k);
		seed_enter_root(mnts[i].fd);
		close(mnts[i].fd);
		mnts[i].fd = -1;
		nsmnt = mnts_sys_open_tree(ns, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
		if (nsmnt < 0 || setns(orig, CLONE_NEWNS) < 0)
			die("namespace file %ld: %m", k);
		snprintf(pin, sizeof(pin), "ns%ld", k++);
		file = openat(dirfd, pin, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (file < 0 || mnts_sys_move_mount(nsmnt, "", dirfd, pin, MOVE_MOUNT_F_EMPTY_PATH) < 0)
			die("pin at '%s/%s': %m", dir, pin);
		close(file);
		close(nsmnt);
		close(ns);
	}
	close(seed);
	close(dirfd);
	close(nsdir);
	close(orig);
}

/* floor -i NSFILE...: prints the mountinfo of the namespaces the files pin,
 * one after the other (the replayed roots have no /proc and no cat of their
 * own): the baseline of a capture of them, as cat is of one with a process. */
static int dump_mountinfo(char **nsfiles, int n)
{
	int procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC), *nsfds;
	char buf[65536];
	ssize_t got = 0;

	if (procfd < 0)
		die("open /proc: %m");
	nsfds = calloc(n + 1, sizeof(*nsfds));
	if (!nsfds)
		die("out of memory");
	/* all opened first: the paths name files of this namespace, and a
	 * namespace entered has another root */
	for (int i = 0; i < n; i++) {
		nsfds[i] = open(nsfiles[i], O_RDONLY | O_CLOEXEC);
		if (nsfds[i] < 0)
			die("open '%s': %m", nsfiles[i]);
	}
	for (int i = 0; i < n; i++) {
		int fd;

		if (setns(nsfds[i], CLONE_NEWNS) < 0)
			die("enter '%s': %m", nsfiles[i]);
		close(nsfds[i]);
		fd = openat(procfd, "thread-self/mountinfo", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die("open mountinfo: %m");
		while ((got = read(fd, buf, sizeof(buf))) > 0)
			if (fwrite(buf, 1, got, stdout) != (size_t)got)
				die("write: %m");
		close(fd);
		if (got < 0)
			break;
	}
	free(nsfds);
	return got < 0 || fflush(stdout) ? 2 : 0;
}

/* floor -s [NSFILE...]: the kernel's part of a capture of the namespaces
 * the files pin (none: our own), with nothing of capture's own: every
 * mount listed, and statmount() of each with the fields capture asks
 * (MNTS_STATMOUNT_CAPTURE_MASK) into a reused buffer, by two threads in
 * chunks, the helper starting on the first ids while the rest are listed,
 * as capture's statmount_ns() does (lib/kernel/statmount.c); no record is
 * kept.  Beside `cat` of the same mountinfo it shows what reading the
 * mount table one statmount() a mount costs by itself. */
struct sm_mount {
	uint64_t ns_id, id;
};

struct sm_job {
	struct sm_mount *v; /* room for cap, fixed while the helper runs */
	size_t cap;
	size_t listed;	/* published (atomic) */
	bool list_done; /* no more will be (atomic) */
	size_t next;	/* the first not claimed (atomic) */
};

#define SM_CHUNK 128
#define SM_BATCH 4096

static void *sm_work(void *data)
{
	struct sm_job *job = data;
	size_t size = 16384;
	struct mnts_statmount *sm = malloc(size);

	if (!sm)
		die("out of memory");
	for (;;) {
		size_t begin = __atomic_fetch_add(&job->next, SM_CHUNK, __ATOMIC_RELAXED);
		size_t end = begin + SM_CHUNK, listed;
		bool done;

		/* wait for the lister, several times faster than a worker */
		for (;;) {
			done = __atomic_load_n(&job->list_done, __ATOMIC_ACQUIRE);
			listed = __atomic_load_n(&job->listed, __ATOMIC_ACQUIRE);
			if (listed >= end || done)
				break;
			sched_yield();
		}
		if (end > listed)
			end = listed;
		if (begin >= end)
			break;
		for (size_t i = begin; i < end; i++) {
			while (mnts_sys_statmount(job->v[i].id, job->v[i].ns_id,
						  MNTS_STATMOUNT_CAPTURE_MASK, sm, size) < 0) {
				if (errno != EOVERFLOW || size >= (64U << 20))
					die("statmount of mount %llu: %m",
					    (unsigned long long)job->v[i].id);
				free(sm);
				size *= 2;
				sm = malloc(size);
				if (!sm)
					die("out of memory");
			}
		}
	}
	free(sm);
	return NULL;
}

/* Lists the mounts of namespace ns_id into job, publishing each batch. */
static void sm_list(struct sm_job *job, uint64_t ns_id, const char *what)
{
	size_t n = job->listed, first = n;

	for (;;) {
		uint64_t ids[SM_BATCH];
		long got;

		/* listmount() writes ids only: into a batch, then the job */
		got = mnts_sys_listmount(MNTS_LSMT_ROOT, ns_id, n > first ? job->v[n - 1].id : 0,
					 ids, SM_BATCH);
		if (got < 0)
			die("listmount of '%s': %m%s", what,
			    errno == ENOENT ? " (a namespace whose root mount is older than "
					      "itself is not listable from outside)"
					    : "");
		if (n + (size_t)got > job->cap)
			die("'%s': more mounts than NS_MNT_GET_INFO said", what);
		for (long i = 0; i < got; i++)
			job->v[n + i] = (struct sm_mount){ns_id, ids[i]};
		n += (size_t)got;
		__atomic_store_n(&job->listed, n, __ATOMIC_RELEASE);
		if (got < SM_BATCH)
			break;
	}
}

static int statmount_floor(char **nsfiles, int n)
{
	int k_max = n ? n : 1, err;
	struct sm_job job = {0};
	uint64_t *ns_ids = calloc(k_max, sizeof(*ns_ids));
	pthread_t helper;

	if (!ns_ids)
		die("out of memory");
	/* every namespace's id and size first: the array the helper reads
	 * is not moved while it runs */
	for (int k = 0; k < k_max; k++) {
		const char *path = n ? nsfiles[k] : "/proc/self/ns/mnt";
		struct mnts_mnt_ns_info info = {.size = sizeof(info)};
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			die("open '%s': %m", path);
		if (ioctl(fd, MNTS_NS_GET_MNTNS_ID, &ns_ids[k]) < 0 ||
		    ioctl(fd, MNTS_NS_MNT_GET_INFO, &info) < 0)
			die("'%s': no mount namespace id or size: %m", path);
		close(fd);
		/* nr_mounts leaves out the namespace's hidden root; a few
		 * more in case some are made meanwhile */
		job.cap += info.nr_mounts + 64;
	}
	job.v = malloc((job.cap + 1) * sizeof(*job.v));
	if (!job.v)
		die("out of memory");
	err = pthread_create(&helper, NULL, sm_work, &job);
	if (err)
		die("thread: %s", strerror(err));
	for (int k = 0; k < k_max; k++)
		sm_list(&job, ns_ids[k], n ? nsfiles[k] : "/proc/self/ns/mnt");
	__atomic_store_n(&job.list_done, true, __ATOMIC_RELEASE);
	sm_work(&job);
	pthread_join(helper, NULL);
	if (verbose)
		fprintf(stderr, "floor: %zu mounts\n", job.listed);
	free(job.v);
	free(ns_ids);
	return 0;
}

int main(int argc, char **argv)
{
	struct rlimit rl;
	double t0, t1, t2, t3;
	bool statmount_mode = false;
	int opt;

	while ((opt = getopt(argc, argv, "vi:s")) != -1) {
		if (opt == 's') {
			statmount_mode = true;
			continue;
		}
		if (opt == 'i') {
			/* a descriptor per namespace: 2,000 at 100k */
			if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
				rl.rlim_cur = rl.rlim_max;
				setrlimit(RLIMIT_NOFILE, &rl);
			}
			return dump_mountinfo(argv + optind - 1, argc - optind + 1);
		}
		if (opt != 'v')
			die("usage: floor [-v] DIR DESC | floor -i NSFILE... | floor [-v] -s "
			    "[NSFILE...]");
		verbose = true;
	}
	if (statmount_mode)
		return statmount_floor(argv + optind, argc - optind);
	if (argc - optind != 2)
		die("usage: floor [-v] DIR DESC");
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	t0 = now_ms();
	read_desc(argv[optind + 1]);
	plan();
	t1 = now_ms();
	build();
	t2 = now_ms();
	new_namespaces(argv[optind]);
	/* every anchor at once: one RCU grace period */
	if (trash >= 0)
		close(trash);
	t3 = now_ms();
	if (verbose)
		fprintf(stderr, "floor: %ld mounts, %ld sources: read %.1f ms, build %.1f ms, "
				"namespace %.1f ms\n",
			n_mnts, n_srcs, t1 - t0, t2 - t1, t3 - t2);
	return 0;
}
