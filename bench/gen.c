/* gen.c - builds N mounts under BASE, for the benchmarks.
 *
 *   gen [-H HOST_NS_INO] SHAPE N BASE
 *
 * SHAPE is flat, binds, groups, deep, container or multi (README.md describes
 * each).  BASE must be an existing directory; gen mounts a private tmpfs on
 * it and creates exactly N mounts below that tmpfs (N+1 mounts in all); for
 * multi, N mounts in N / GEN_MULTI_PER mount namespaces of their own, pinned
 * at BASE/pins/ns<k>, and GEN_MULTI_VOLUMES shared volumes under BASE.
 *
 * Safety: the mounts are made in the caller's mount namespace, so gen refuses
 * to run unless that namespace is provably not the host's: it must differ from
 * PID 1's (when /proc/1/ns/mnt is readable), from HOST_NS_INO (the inode of
 * the namespace the harness started in, given with -H), and from the fixed
 * inode of the initial mount namespace (0xEFFFFFF8 on 6.18).  With neither
 * PID 1's namespace nor -H to compare with, it refuses.
 *
 * fs.mount-max is a machine-wide sysctl: gen never changes it.  When the
 * namespace cannot hold N more mounts it says so and exits 3 (skip).
 *
 * Mounts are made with mount(2) in a loop, relative to BASE (chdir), so the
 * cost per mount does not grow with the path length.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "lib/kernel/syscalls.h"

static void die(const char *fmt, ...);
#include "seedns.h"

#define INIT_MNT_NS_INO 0xEFFFFFF8UL
#define EXIT_SKIP 3
#define DEEP_MAX 256   /* chain length: keeps mount points near 520 bytes */
#define GROUP_SIZE 10  /* members per peer group */
#define FAMILY_GROUPS 5 /* groups per superblock: g0 shared, g1..g4 slaves */
#define MULTI_PER 50    /* multi: mounts per namespace (GEN_MULTI_PER) */
#define MULTI_VOLUMES 10 /* multi: the host's shared volumes (GEN_MULTI_VOLUMES) */

static long made; /* mounts created under BASE so far */
static long want; /* N */

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("gen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static bool full(void)
{
	return made >= want;
}

static void xmount(const char *src, const char *target, const char *fstype, unsigned long flags,
		   const char *data)
{
	if (mount(src, target, fstype, flags, data) < 0)
		die("mount %s '%s' (after %ld mounts): %m", fstype ? fstype : "bind", target,
		    made);
	if (!(flags & (MS_SHARED | MS_SLAVE | MS_PRIVATE)))
		made++;
}

static void xmkdir(const char *path)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		die("mkdir '%s': %m", path);
}

static void xmkfile(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		die("create '%s': %m", path);
	close(fd);
}

static void set_prop(const char *path, unsigned long flag)
{
	xmount(NULL, path, NULL, flag, NULL);
}

/* flat: N sibling tmpfs mounts m<i>. */
static void gen_flat(void)
{
	char p[64];

	for (long i = 0; !full(); i++) {
		snprintf(p, sizeof(p), "m%ld", i);
		xmkdir(p);
		xmount("tmpfs", p, "tmpfs", 0, NULL);
	}
}

/* binds: one tmpfs src, then N-1 bind mounts b<i> of src/s<i>: one
 * superblock, every mount with its own narrow root.  src stays childless, so
 * every bind is O(1) in the kernel. */
static void gen_binds(void)
{
	char s[64], b[64];

	xmkdir("src");
	xmount("tmpfs", "src", "tmpfs", 0, NULL);
	for (long i = 1; !full(); i++) {
		snprintf(s, sizeof(s), "src/s%ld", i);
		snprintf(b, sizeof(b), "b%ld", i);
		xmkdir(s);
		xmkdir(b);
		xmount(s, b, NULL, MS_BIND, NULL);
	}
}

/* groups: families of FAMILY_GROUPS peer groups of GROUP_SIZE members, one
 * tmpfs per family.  g0 is shared; g<j> (j>0) is a slave of g<(j-1)/2> and
 * shared itself, so g3 and g4 are slaves of slaves. */
static void gen_groups(void)
{
	char p[64], leader[FAMILY_GROUPS][64];

	for (long f = 0; !full(); f++) {
		for (int g = 0; g < FAMILY_GROUPS && !full(); g++) {
			for (int m = 0; m < GROUP_SIZE && !full(); m++) {
				snprintf(p, sizeof(p), "f%ld.g%d.m%d", f, g, m);
				xmkdir(p);
				if (m == 0 && g == 0) {
					xmount("tmpfs", p, "tmpfs", 0, NULL);
					set_prop(p, MS_SHARED);
				} else if (m == 0) {
					/* joins the master group, then leaves it as its slave */
					xmount(leader[(g - 1) / 2], p, NULL, MS_BIND, NULL);
					set_prop(p, MS_SLAVE);
					set_prop(p, MS_SHARED);
				} else {
					xmount(leader[g], p, NULL, MS_BIND, NULL);
				}
				if (m == 0)
					memcpy(leader[g], p, sizeof(p));
			}
		}
	}
}

/* deep: chains c<k>/d/d/... of nested tmpfs, DEEP_MAX long. */
static void gen_deep(int basefd)
{
	char p[64];

	for (long k = 0; !full(); k++) {
		if (fchdir(basefd) < 0)
			die("fchdir BASE: %m");
		snprintf(p, sizeof(p), "c%ld", k);
		for (int depth = 0; depth < DEEP_MAX && !full(); depth++) {
			xmkdir(p);
			xmount("tmpfs", p, "tmpfs", 0, NULL);
			if (chdir(p) < 0)
				die("chdir '%s': %m", p);
			strcpy(p, "d");
		}
	}
	if (fchdir(basefd) < 0)
		die("fchdir BASE: %m");
}

static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
static const char *const lxcfs_files[] = { "cpuinfo", "diskstats", "loadavg",
					   "meminfo", "stat",      "uptime" };

/* The shared pieces every container binds from: a pool tmpfs holding the
 * rootfs directories, device nodes, lxcfs-style files and a cpu directory. */
static void container_pool(void)
{
	char p[128];

	xmkdir("pool");
	xmount("tmpfs", "pool", "tmpfs", 0, "mode=755");
	xmkdir("pool/devnodes");
	for (size_t i = 0; i < sizeof(dev_nodes) / sizeof(dev_nodes[0]); i++) {
		snprintf(p, sizeof(p), "pool/devnodes/%s", dev_nodes[i]);
		if (mknod(p, S_IFCHR | 0666, makedev(1, 3)) < 0 && errno != EEXIST)
			die("mknod '%s': %m", p);
	}
	xmkdir("pool/lxcfs");
	for (size_t i = 0; i < sizeof(lxcfs_files) / sizeof(lxcfs_files[0]); i++) {
		snprintf(p, sizeof(p), "pool/lxcfs/%s", lxcfs_files[i]);
		xmkfile(p);
	}
	xmkdir("pool/cpu");
}

/* One container, up to 26 mounts, stopping when N is reached: rootfs bind
 * from the pool; /dev tmpfs with devpts, a ptmx bind, mqueue, shm, six
 * device-node file binds and two lxd tmpfs; proc with six lxcfs-style file
 * binds over it; a sysfs-like tmpfs /sys with a cpu bind and a cgroup tmpfs;
 * /run tmpfs with a second tmpfs over it (an overmount).  Then rshared, as
 * systemd does inside a container. */
static void container_one(long c)
{
	char ct[64], p[256], s[320];
	static const char *const rootdirs[] = { "dev", "proc", "sys", "run", "tmp" };

	snprintf(ct, sizeof(ct), "ct%ld", c);
	snprintf(p, sizeof(p), "pool/%s", ct);
	xmkdir(p);
	snprintf(p, sizeof(p), "pool/%s/rootfs", ct);
	xmkdir(p);
	for (size_t i = 0; i < sizeof(rootdirs) / sizeof(rootdirs[0]); i++) {
		snprintf(s, sizeof(s), "%s/%s", p, rootdirs[i]);
		xmkdir(s);
	}
	xmkdir(ct);
	xmount(p, ct, NULL, MS_BIND, NULL);

#define STEP(...)                                                                                  \
	do {                                                                                       \
		if (full())                                                                        \
			goto done;                                                                 \
		__VA_ARGS__;                                                                       \
	} while (0)
#define P(...) (snprintf(p, sizeof(p), __VA_ARGS__), p)
#define S(...) (snprintf(s, sizeof(s), __VA_ARGS__), s)

	STEP(xmount("none", P("%s/dev", ct), "tmpfs", 0, "mode=755,size=65536k"));
	xmkdir(P("%s/dev/pts", ct));
	xmkdir(P("%s/dev/mqueue", ct));
	xmkdir(P("%s/dev/shm", ct));
	xmkdir(P("%s/dev/.lxd-mounts", ct));
	xmkdir(P("%s/dev/lxd", ct));
	xmkfile(P("%s/dev/ptmx", ct));
	for (size_t i = 0; i < sizeof(dev_nodes) / sizeof(dev_nodes[0]); i++)
		xmkfile(P("%s/dev/%s", ct, dev_nodes[i]));
	/* a devpts mounted in a non-initial mount namespace is always a new
	 * instance, so its options touch nothing outside */
	STEP(xmount("devpts", P("%s/dev/pts", ct), "devpts", 0,
		    "newinstance,ptmxmode=0666,mode=0620,gid=5"));
	STEP(xmount(S("%s/dev/pts/ptmx", ct), P("%s/dev/ptmx", ct), NULL, MS_BIND, NULL));
	/* mqueue of our IPC namespace: no options, ever */
	STEP(xmount("mqueue", P("%s/dev/mqueue", ct), "mqueue", 0, NULL));
	STEP(xmount("shm", P("%s/dev/shm", ct), "tmpfs", 0, "mode=1777,size=65536k"));
	for (size_t i = 0; i < sizeof(dev_nodes) / sizeof(dev_nodes[0]); i++)
		STEP(xmount(S("pool/devnodes/%s", dev_nodes[i]), P("%s/dev/%s", ct, dev_nodes[i]),
			    NULL, MS_BIND, NULL));
	STEP(xmount("none", P("%s/dev/.lxd-mounts", ct), "tmpfs", 0, "size=100k,mode=711"));
	STEP(xmount("none", P("%s/dev/lxd", ct), "tmpfs", 0, "size=100k,mode=755"));
	STEP(xmount("proc", P("%s/proc", ct), "proc", 0, NULL));
	for (size_t i = 0; i < sizeof(lxcfs_files) / sizeof(lxcfs_files[0]); i++)
		STEP(xmount(S("pool/lxcfs/%s", lxcfs_files[i]),
			    P("%s/proc/%s", ct, lxcfs_files[i]), NULL, MS_BIND, NULL));
	STEP(xmount("sysfs", P("%s/sys", ct), "tmpfs", 0, "mode=555"));
	xmkdir(P("%s/sys/devices", ct));
	xmkdir(P("%s/sys/devices/system", ct));
	xmkdir(P("%s/sys/devices/system/cpu", ct));
	xmkdir(P("%s/sys/fs", ct));
	xmkdir(P("%s/sys/fs/cgroup", ct));
	STEP(xmount("pool/cpu", P("%s/sys/devices/system/cpu", ct), NULL, MS_BIND, NULL));
	STEP(xmount("cgroup", P("%s/sys/fs/cgroup", ct), "tmpfs", 0, "mode=755"));
	STEP(xmount("none", P("%s/run", ct), "tmpfs", 0, "mode=755,size=65536k"));
	STEP(xmount("none", P("%s/run", ct), "tmpfs", 0, "mode=755,size=32768k"));
done:
	xmount(NULL, ct, NULL, MS_REC | MS_SHARED, NULL);
#undef STEP
#undef P
#undef S
}

static void gen_container(void)
{
	container_pool();
	for (long c = 0; !full(); c++)
		container_one(c);
}

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 10) : def;
}

/* multi: K = N / PER mount namespaces of PER mounts each, a host of
 * containers.  The host (the cell's namespace) has VOLUMES shared tmpfs
 * volumes BASE/vol<j> (not counted in N).  Each namespace is a copy of a
 * seed namespace holding one tmpfs (seedns.h: each copy is one mount,
 * whatever the cell holds), whose root is that seed tmpfs (one superblock
 * for every root, a rootfs pool); in it v0 and v1, clones of volumes k and
 * k + 1 (mod VOLUMES: peers of them, so every volume's peer group spans
 * 2K/VOLUMES namespaces and the host), and PER - 3 tmpfs m<i>.  Each
 * namespace is pinned at BASE/pins/ns<k> (an nsfs mount of the cell, not
 * counted). */
static void gen_multi(int basefd)
{
	long per = env_long("GEN_MULTI_PER", MULTI_PER);
	long vols = env_long("GEN_MULTI_VOLUMES", MULTI_VOLUMES);
	int orig = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	int nsdir = open("/proc/thread-self/ns", O_PATH | O_DIRECTORY | O_CLOEXEC);
	uint64_t orig_id;
	int seed, root;
	char p[64];

	if (per < 3 || vols < 1 || want % per)
		die("multi: N must be a multiple of GEN_MULTI_PER (%ld, at least 3)", per);
	if (orig < 0 || nsdir < 0)
		die("open /proc/self/ns: %m");
	orig_id = seed_ns_id(orig);
	xmkdir("pins");
	for (long j = 0; j < vols; j++) {
		snprintf(p, sizeof(p), "vol%ld", j);
		xmkdir(p);
		if (mount("tmpfs", p, "tmpfs", 0, NULL) < 0 || mount(NULL, p, NULL, MS_SHARED, NULL) < 0)
			die("volume '%s': %m", p);
	}
	/* the seed, its tmpfs holding every namespace's mountpoints */
	seed = seed_make(orig, nsdir, &root);
	if (mkdirat(root, "v0", 0755) < 0 || mkdirat(root, "v1", 0755) < 0)
		die("seed mountpoints: %m");
	for (long i = 1; i <= per - 3; i++) {
		snprintf(p, sizeof(p), "m%ld", i);
		if (mkdirat(root, p, 0755) < 0)
			die("seed mountpoint '%s': %m", p);
	}
	close(root);

	for (long k = 0; !full(); k++) {
		int v[2], ns, pin, file;

		/* clones of the volumes, in the namespace that holds them: the
		 * only one that may clone them */
		if (fchdir(basefd) < 0)
			die("fchdir BASE: %m");
		for (int x = 0; x < 2; x++) {
			snprintf(p, sizeof(p), "vol%ld", (k + x) % vols);
			v[x] = mnts_sys_open_tree(AT_FDCWD, p, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
			if (v[x] < 0)
				die("clone '%s': %m", p);
		}
		ns = seed_copy(seed, orig, nsdir, orig_id);
		made++; /* its root */
		for (int x = 0; x < 2; x++) {
			snprintf(p, sizeof(p), "/v%d", x);
			if (mnts_sys_move_mount(v[x], "", AT_FDCWD, p, MOVE_MOUNT_F_EMPTY_PATH) < 0)
				die("attach '%s' in namespace %ld: %m", p, k);
			close(v[x]);
			made++;
		}
		for (long i = 1; i <= per - 3; i++) {
			snprintf(p, sizeof(p), "/m%ld", i);
			xmount("tmpfs", p, "tmpfs", 0, NULL);
		}
		pin = mnts_sys_open_tree(ns, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
		if (pin < 0 || setns(orig, CLONE_NEWNS) < 0)
			die("the namespace file: %m");
		snprintf(p, sizeof(p), "pins/ns%ld", k);
		if (fchdir(basefd) < 0 || (file = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0444)) < 0)
			die("create '%s': %m", p);
		close(file);
		if (mnts_sys_move_mount(pin, "", basefd, p, MOVE_MOUNT_F_EMPTY_PATH) < 0)
			die("pin '%s': %m", p);
		close(pin);
		close(ns);
	}
	close(seed);
	close(nsdir);
	close(orig);
	if (fchdir(basefd) < 0)
		die("fchdir BASE: %m");
}

static unsigned long ns_ino(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return 0;
	return st.st_ino;
}

static void check_namespace(unsigned long host_ino)
{
	unsigned long self = ns_ino("/proc/self/ns/mnt");
	unsigned long init = ns_ino("/proc/1/ns/mnt");

	if (!self)
		die("cannot stat /proc/self/ns/mnt: %m");
	if (self == INIT_MNT_NS_INO)
		die("refusing to run in the initial mount namespace; run under "
		    "unshare --mount --propagation private");
	if (init && self == init)
		die("refusing to run in PID 1's mount namespace; run under "
		    "unshare --mount --propagation private");
	if (host_ino && self == host_ino)
		die("refusing to run in the namespace the benchmark started in (%lu)", host_ino);
	if (!init && !host_ino)
		die("cannot read /proc/1/ns/mnt and no -H HOST_NS_INO given: cannot prove this "
		    "is a private mount namespace");
}

static long count_mounts(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	long n = 0;
	int c;

	if (!f)
		die("open /proc/self/mountinfo: %m");
	while ((c = getc_unlocked(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static long mount_max(void)
{
	FILE *f = fopen("/proc/sys/fs/mount-max", "re");
	long v = -1;

	if (!f || fscanf(f, "%ld", &v) != 1)
		die("read /proc/sys/fs/mount-max: %m");
	fclose(f);
	return v;
}

int main(int argc, char **argv)
{
	unsigned long host_ino = 0;
	struct timespec t0, t1;
	const char *shape, *base;
	int opt, basefd;
	long have, limit;

	while ((opt = getopt(argc, argv, "H:")) != -1) {
		if (opt != 'H')
			die("usage: gen [-H HOST_NS_INO] SHAPE N BASE");
		host_ino = strtoul(optarg, NULL, 0);
	}
	if (argc - optind != 3)
		die("usage: gen [-H HOST_NS_INO] SHAPE N BASE");
	shape = argv[optind];
	want = strtol(argv[optind + 1], NULL, 10);
	base = argv[optind + 2];
	if (want < 1)
		die("N must be positive");
	if (geteuid() != 0)
		die("needs root");
	check_namespace(host_ino);

	/* +1 for BASE itself; the kernel also counts the hidden rootfs (multi:
	 * the pins and volumes stay here, the mounts go elsewhere) */
	have = count_mounts();
	limit = mount_max();
	if (strcmp(shape, "multi") && have + want + 2 > limit) {
		fprintf(stderr,
			"gen: skip: %ld mounts present + %ld wanted exceed fs.mount-max=%ld "
			"(a global sysctl; not changed)\n",
			have, want + 1, limit);
		return EXIT_SKIP;
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (mount("bench", base, "tmpfs", 0, "mode=755") < 0)
		die("mount tmpfs on '%s': %m", base);
	if (mount(NULL, base, NULL, MS_PRIVATE, NULL) < 0)
		die("make '%s' private: %m", base);
	basefd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (basefd < 0 || fchdir(basefd) < 0)
		die("enter '%s': %m", base);

	if (!strcmp(shape, "flat"))
		gen_flat();
	else if (!strcmp(shape, "binds"))
		gen_binds();
	else if (!strcmp(shape, "groups"))
		gen_groups();
	else if (!strcmp(shape, "deep"))
		gen_deep(basefd);
	else if (!strcmp(shape, "container"))
		gen_container();
	else if (!strcmp(shape, "multi"))
		gen_multi(basefd);
	else
		die("unknown shape '%s' (flat, binds, groups, deep, container, multi)", shape);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	fprintf(stderr, "gen: %s: %ld mounts under %s in %.0f ms\n", shape, made, base,
		(t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	close(basefd);
	return 0;
}
