/* plan_test.c - replay plans built from fixtures: a snapshot
 * (tests/unit/fixtures/plan/) and host facts made here, no root, no kernel. */
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <unistd.h>

#include "lib/json/snapjson.h"
#include "lib/replay/host.h"
#include "lib/replay/plan.h"
#include "lib/replay/replay.h"
#include "tests/unit/tap.h"

static const char *const kind_names[] = {
    [MNTS_STEP_NS_CREATE] = "NS_CREATE",
    [MNTS_STEP_SB_FRESH] = "SB_FRESH",
    [MNTS_STEP_SB_LIVE] = "SB_LIVE",
    [MNTS_STEP_SB_EXTERNAL] = "SB_EXTERNAL",
    [MNTS_STEP_CLONE] = "CLONE",
    [MNTS_STEP_NSFS] = "NSFS",
    [MNTS_STEP_IDMAP] = "IDMAP",
    [MNTS_STEP_MOUNTPOINT] = "MOUNTPOINT",
    [MNTS_STEP_ATTACH] = "ATTACH",
    [MNTS_STEP_FLAGS] = "FLAGS",
    [MNTS_STEP_SB_RO] = "SB_RO",
    [MNTS_STEP_ANCHOR] = "ANCHOR",
    [MNTS_STEP_SLAVE_ANCHOR] = "SLAVE_ANCHOR",
    [MNTS_STEP_JOIN] = "JOIN",
    [MNTS_STEP_SHARE] = "SHARE",
    [MNTS_STEP_SLAVE] = "SLAVE",
    [MNTS_STEP_UNBINDABLE] = "UNBINDABLE",
    [MNTS_STEP_DROP] = "DROP",
    [MNTS_STEP_NS_POPULATE] = "NS_POPULATE",
    [MNTS_STEP_GRAFT] = "GRAFT",
    [MNTS_STEP_PIN] = "PIN",
    [MNTS_STEP_LIVE_MEMBER] = "LIVE_MEMBER",
    [MNTS_STEP_UNLINK_ROOT] = "UNLINK_ROOT",
};

static struct mnts_snapshot *load(const char *name)
{
	_cleanup_free_ char *path = xasprintf("tests/unit/fixtures/plan/%s", name);
	struct mnts_snapshot *snap = NULL;
	struct mnts_error err = {0};

	if (mnts_snapshot_read(path, &snap, &err) < 0)
		printf("# %s\n", err.msg);
	return snap;
}

/* A live mount of the caller's namespace, as the host would have read it. */
static void live_add(struct mnts_host *h, uint64_t id, uint64_t parent_id, uint32_t major,
		     uint32_t minor, const char *fstype, const char *root, const char *target)
{
	struct mnts_live_table *t = &h->live;

	t->v = xreallocarray(t->v, t->n + 1, sizeof(*t->v));
	t->v[t->n++] = (struct mnts_live_mount){
	    .id = id,
	    .parent_id = parent_id,
	    .dev_major = major,
	    .dev_minor = minor,
	    .root = xstrdup(root),
	    .target = xstrdup(target),
	    .fstype = xstrdup(fstype),
	};
}

/* The steps' kinds, space-separated (free it). */
static char *kinds(const struct mnts_plan *plan)
{
	char *s = xstrdup("");

	for (size_t i = 0; i < plan->n_steps; i++) {
		char *t = xasprintf("%s%s%s", s, i ? " " : "", kind_names[plan->steps[i].kind]);

		free(s);
		s = t;
	}
	return s;
}

static size_t count_kind(const struct mnts_plan *plan, enum mnts_step_kind kind)
{
	size_t n = 0;

	for (size_t i = 0; i < plan->n_steps; i++)
		n += plan->steps[i].kind == kind;
	return n;
}

/* The superblock of plan with that device number, or NULL. */
static const struct mnts_plan_sb *sb_of(const struct mnts_plan *plan, uint32_t major,
					uint32_t minor)
{
	for (size_t i = 0; i < plan->n_sbs; i++)
		if (plan->sbs[i].dev_major == major && plan->sbs[i].dev_minor == minor)
			return &plan->sbs[i];
	return NULL;
}

/* The host of sources.json: the host's root is the ext4 8:1 the snapshot's
 * /data comes from, and tmpfs 0:31 is mounted at /run/x. */
static void sources_host(struct mnts_host *h)
{
	*h = (struct mnts_host){0};
	live_add(h, 100, 1, 8, 1, "ext4", "/", "/");
	live_add(h, 101, 100, 0, 31, "tmpfs", "/", "/run/x");
	mnts_live_table_index(&h->live);
}

static struct mnts_plan_opts new_opts(void)
{
	return (struct mnts_plan_opts){.target = MNTS_PLAN_TARGET_NEW, .new_dir = "/tmp/out"};
}

/* Parses a snapshot of one namespace: a tmpfs root and n more mounts.
 * STACKED: each on /a over the previous one, each its own tmpfs.  CHAINED:
 * siblings /m2 .. /m(n+1) on one tmpfs, /mI in peer group I, a slave of
 * group I-1 (/m2 of group 1, which /m1 has), the last group's first. */
enum deep_shape { STACKED, CHAINED };

static void deep_mount(FILE *f, size_t id, size_t parent, size_t dev, const char *mp, size_t shared,
		       size_t master)
{
	fprintf(f,
		"%s{\"deleted\":false,\"dev\":\"0:%zu\",\"fstype\":\"tmpfs\",\"id\":%zu,"
		"\"idmap\":null,\"master_id\":%zu,\"mnt_id\":%zu,\"mount_options\":[\"rw\","
		"\"relatime\"],\"mountpoint\":\"%s\",\"nsfs\":null,",
		id > 1 ? "," : "", dev, id, master, id, mp);
	if (parent)
		fprintf(f, "\"parent\":%zu,", parent);
	else
		fputs("\"parent\":null,", f);
	fprintf(f,
		"\"propagate_from\":0,\"root\":\"/\",\"shared_id\":%zu,\"source\":\"none\","
		"\"super_options\":[\"rw\"],\"unbindable\":false}",
		shared);
}

/* Starts the text of a snapshot of one namespace (mnt_ns_id 0: null). */
static void snap_begin(FILE *f, const char *label, uint64_t mnt_ns_id)
{
	fprintf(f,
		"{\"capture\":{\"method\":\"mountinfo\",\"selection\":\"pid\",\"subtree\":null},"
		"\"created\":\"2021-09-20T10:00:00Z\",\"format\":\"mntsnap\",\"format_version\":1,"
		"\"host\":{\"arch\":\"x86_64\",\"hostname\":\"h\",\"kernel\":\"6.18\"},"
		"\"namespaces\":[{\"label\":\"%s\",\"mnt_ns_id\":",
		label);
	if (mnt_ns_id)
		fprintf(f, "%" PRIu64 ",\"mounts\":[", mnt_ns_id);
	else
		fputs("null,\"mounts\":[", f);
}

/* Ends and parses snap_begin()'s text (f over text, len). */
static struct mnts_snapshot *snap_end(FILE *f, char **text, size_t *len)
{
	struct mnts_snapshot *snap = NULL;
	struct mnts_error err = {0};

	fputs("],\"ns_ino\":4026532300,\"nsfs_paths\":[],\"owner_userns_ino\":null,\"pids\":[],"
	      "\"root_mount\":1}],\"tool\":{\"name\":\"mntsnap\",\"version\":\"0.1.0\"},"
	      "\"warnings\":[]}",
	      f);
	fclose(f);
	if (mnts_snapshot_parse(*text, *len, "generated", &snap, &err) < 0)
		printf("# %s\n", err.msg);
	free(*text);
	return snap;
}

static struct mnts_snapshot *deep_snapshot(enum deep_shape shape, size_t n)
{
	char *text = NULL, mp[32];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	snap_begin(f, "ns0", 0);
	deep_mount(f, 1, 0, 1, "/", 0, 0);
	for (size_t i = 2; i <= n + 1; i++) {
		if (shape == STACKED) {
			deep_mount(f, i, i - 1, i, "/a", 0, 0);
			continue;
		}
		/* id i holds group g = n + 3 - i: the deepest slave first */
		snprintf(mp, sizeof(mp), "/m%zu", n + 3 - i);
		deep_mount(f, i, 1, 2, mp, n + 3 - i, n + 2 - i);
	}
	if (shape == CHAINED)
		deep_mount(f, n + 2, 1, 2, "/m1", 1, 0);
	return snap_end(f, &text, &len);
}

/* n tmpfs mounts /mK below a tmpfs root, each on its own superblock 0:K+100
 * and in peer group K+1000 (K = 1..n).  REPLAYED: group K+1000 is a slave
 * of group K, which has no member in it (shared+slave mounts).  LIVE: the
 * mounts of namespace 7002, in group K (the live masters). */
enum masters_side { REPLAYED, LIVE };

static struct mnts_snapshot *masters_snapshot(enum masters_side side, size_t n)
{
	char *text = NULL, mp[32];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	snap_begin(f, side == LIVE ? "other" : "ns0", side == LIVE ? 7002 : 0);
	deep_mount(f, 1, 0, 1, "/", 0, 0);
	for (size_t k = 1; k <= n; k++) {
		snprintf(mp, sizeof(mp), "/m%zu", k);
		deep_mount(f, k + 1, 1, k + 100, mp, side == LIVE ? k : k + 1000,
			   side == LIVE ? 0 : k);
	}
	return snap_end(f, &text, &len);
}

struct deep_run {
	const struct mnts_snapshot *stacked, *chained;
	size_t n, n_chained;
	size_t stacked_steps, anchors; /* of the plans */
	int stacked_rc, chained_rc;
	size_t reachable; /* live mounts of a stack of n found reachable */
};

static int plan_steps_of(const struct mnts_snapshot *snap, enum mnts_step_kind kind,
			 size_t *ret_steps, size_t *ret_kind)
{
	const struct mnts_plan_opts opts = new_opts();
	struct mnts_host h = {0};
	struct mnts_plan plan;
	struct mnts_error err = {0};
	int r;

	mnts_live_table_index(&h.live);
	r = mnts_plan_build(&plan, snap, &h, &opts, &err);
	if (r == 0) {
		*ret_steps = plan.n_steps;
		*ret_kind = count_kind(&plan, kind);
		mnts_plan_done(&plan);
	} else {
		printf("# %s\n", err.msg);
	}
	mnts_host_done(&h);
	return r;
}

/* Plans the deep snapshots and indexes a live table of n mounts stacked on
 * one path, on a thread with a small stack. */
static void *deep_thread(void *arg)
{
	struct deep_run *d = arg;
	struct mnts_host h = {0};
	size_t ignored;

	d->stacked_rc = plan_steps_of(d->stacked, MNTS_STEP_DROP, &d->stacked_steps, &ignored);
	d->chained_rc = plan_steps_of(d->chained, MNTS_STEP_ANCHOR, &ignored, &d->anchors);
	/* the top of the stack first: each mount's answer needs its parent's */
	for (size_t i = d->n + 1; i >= 2; i--)
		live_add(&h, i, i - 1, 0, (uint32_t)i, "tmpfs", "/", "/a");
	live_add(&h, 1, 1, 0, 1, "tmpfs", "/", "/");
	mnts_live_table_index(&h.live);
	for (size_t i = 0; i < h.live.n; i++)
		d->reachable += h.live.v[i].reach == MNTS_REACH_YES;
	mnts_host_done(&h);
	return NULL;
}

static void test_live_source(void)
{
	struct mnts_error err = {0};
	struct mnts_plan plan;
	struct mnts_host h;

	TEST("a superblock with a live mount is cloned from it; one without is created")
	{
		_cleanup_snapshot_ struct mnts_snapshot *snap = load("sources.json");
		const struct mnts_plan_opts opts = new_opts();
		const struct mnts_plan_sb *sb;

		sources_host(&h);
		CHECK(snap);
		CHECK_INT(mnts_plan_build(&plan, snap, &h, &opts, &err), 0);
		sb = sb_of(&plan, 8, 1);
		CHECK(sb && sb->how == MNTS_SB_LIVE);
		CHECK_STR(sb ? sb->path : NULL, "/");
		sb = sb_of(&plan, 0, 31);
		CHECK(sb && sb->how == MNTS_SB_LIVE);
		CHECK_STR(sb ? sb->path : NULL, "/run/x");
		sb = sb_of(&plan, 0, 30);
		CHECK(sb && sb->how == MNTS_SB_FRESH && sb->options);
		/* /data is below its source's root: a clone of it; /run is its
		 * source's root: the source itself */
		_cleanup_free_ char *k = kinds(&plan);
		/* the root's last child goes in after the rest of the tree
		 * (its mountpoint opened before): a tree of fs.mount-max fits */
		CHECK_STR(k,
			  "NS_CREATE SB_FRESH SB_LIVE CLONE ATTACH SB_LIVE MOUNTPOINT NS_POPULATE "
			  "ATTACH DROP PIN");
		mnts_plan_done(&plan);
		mnts_host_done(&h);
	}
}

static void test_fresh(void)
{
	struct mnts_error err = {0};
	struct mnts_plan plan;
	struct mnts_host h;

	TEST("--fresh creates a tmpfs a live mount could give, and still clones ext4")
	{
		_cleanup_snapshot_ struct mnts_snapshot *snap = load("sources.json");
		struct mnts_plan_opts opts = new_opts();
		const struct mnts_plan_sb *sb;

		opts.fresh = true;
		sources_host(&h);
		CHECK_INT(mnts_plan_build(&plan, snap, &h, &opts, &err), 0);
		sb = sb_of(&plan, 0, 31);
		CHECK(sb && sb->how == MNTS_SB_FRESH && sb->options);
		sb = sb_of(&plan, 8, 1);
		CHECK(sb && sb->how == MNTS_SB_LIVE);
		CHECK_INT(count_kind(&plan, MNTS_STEP_SB_FRESH), 2);
		CHECK_INT(count_kind(&plan, MNTS_STEP_SB_LIVE), 1);
		mnts_plan_done(&plan);
		mnts_host_done(&h);
	}
}

static void test_unresolvable(void)
{
	struct mnts_error err = {0};
	struct mnts_plan plan;
	struct mnts_host h;

	TEST("an unresolvable source is one error naming the mount")
	{
		_cleanup_snapshot_ struct mnts_snapshot *snap = load("sources.json");
		const struct mnts_plan_opts opts = new_opts();

		h = (struct mnts_host){0};
		mnts_live_table_index(&h.live);
		CHECK(mnts_plan_build(&plan, snap, &h, &opts, &err) < 0);
		CHECK(strstr(err.msg, "cannot replay 1 mount: 'ns0:/data' (ext4 8:1): no live "
				      "mount of this superblock contains its root '/srv/data', "
				      "and ext4 cannot be created") != NULL);
		CHECK_INT(plan.n_steps, 0);
		mnts_host_done(&h);
	}
}

static void test_deleted(void)
{
	struct mnts_error err = {0};
	struct mnts_plan plan;
	struct mnts_host h;

	TEST("a deleted root is made again in its live source, then removed once, at the end")
	{
		_cleanup_snapshot_ struct mnts_snapshot *snap = load("deleted.json");
		const struct mnts_plan_opts opts = new_opts();
		const struct mnts_plan_sb *sb;
		size_t n_create = 0;

		sources_host(&h);
		CHECK(snap);
		CHECK_INT(mnts_plan_build(&plan, snap, &h, &opts, &err), 0);
		sb = sb_of(&plan, 8, 1);
		CHECK(sb && sb->how == MNTS_SB_LIVE);
		CHECK_STR(sb ? sb->path : NULL, "/");
		_cleanup_free_ char *k = kinds(&plan);
		/* /x and /y share /srv/gone: one makes it, one removal */
		CHECK_STR(k,
			  "NS_CREATE SB_FRESH SB_LIVE CLONE ATTACH CLONE ATTACH CLONE MOUNTPOINT "
			  "NS_POPULATE ATTACH UNLINK_ROOT UNLINK_ROOT DROP PIN");
		for (size_t i = 0; i < plan.n_steps; i++)
			if (plan.steps[i].kind == MNTS_STEP_CLONE && plan.steps[i].create) {
				n_create++;
				CHECK(plan.steps[i].rel && plan.steps[i].rel[0] == 's');
			}
		CHECK_INT(n_create, 2);
		for (size_t i = 0; i < plan.n_steps; i++)
			if (plan.steps[i].kind == MNTS_STEP_UNLINK_ROOT)
				CHECK(streq(plan.steps[i].rel, "srv/gone") ||
				      streq(plan.steps[i].rel, "srv/f"));
		mnts_plan_done(&plan);
		mnts_host_done(&h);
	}
	TEST("a live mount whose root is the deleted one is no source for it")
	{
		_cleanup_snapshot_ struct mnts_snapshot *snap = load("deleted.json");
		const struct mnts_plan_opts opts = new_opts();

		h = (struct mnts_host){0};
		live_add(&h, 100, 1, 0, 2, "tmpfs", "/", "/");
		live_add(&h, 101, 100, 8, 1, "ext4", "/srv/gone//deleted", "/x");
		live_add(&h, 102, 100, 8, 1, "ext4", "/srv/f//deleted", "/fx");
		mnts_live_table_index(&h.live);
		CHECK(mnts_plan_build(&plan, snap, &h, &opts, &err) < 0);
		CHECK(strstr(err.msg, "'ns0:/x' (ext4 8:1): no live mount of this superblock "
				      "contains its root '/srv/gone'") != NULL);
		mnts_host_done(&h);
	}
}

static void test_covered(void)
{
	struct mnts_error err = {0};
	struct mnts_plan plan;
	struct mnts_host h;

	TEST("a live mount covered by another one is not a source")
	{
		_cleanup_snapshot_ struct mnts_snapshot *snap = load("sources.json");
		const struct mnts_plan_opts opts = new_opts();

		h = (struct mnts_host){0};
		live_add(&h, 100, 1, 0, 20, "tmpfs", "/", "/");
		live_add(&h, 101, 100, 8, 1, "ext4", "/", "/mnt");
		live_add(&h, 102, 101, 0, 21, "tmpfs", "/", "/mnt");
		mnts_live_table_index(&h.live);
		CHECK(mnts_plan_build(&plan, snap, &h, &opts, &err) < 0);
		CHECK(strstr(err.msg, "'ns0:/data' (ext4 8:1)") != NULL);
		mnts_host_done(&h);
	}
}

static void test_external(void)
{
	struct mnts_error err = {0};
	struct mnts_plan plan;
	struct mnts_host h;

	TEST("--external gives the superblock of the mount it names")
	{
		_cleanup_snapshot_ struct mnts_snapshot *snap = load("sources.json");
		char *ext[] = {"ns0:/data:/mnt/disk"};
		struct mnts_plan_opts opts = new_opts();
		const struct mnts_plan_sb *sb;

		opts.externals = ext;
		opts.n_externals = 1;
		h = (struct mnts_host){0};
		mnts_live_table_index(&h.live);
		CHECK_INT(mnts_plan_build(&plan, snap, &h, &opts, &err), 0);
		sb = sb_of(&plan, 8, 1);
		CHECK(sb && sb->how == MNTS_SB_EXTERNAL);
		CHECK_STR(sb ? sb->path : NULL, "/mnt/disk");
		CHECK_STR(sb ? sb->root : NULL, "/srv/data");
		CHECK_INT(count_kind(&plan, MNTS_STEP_SB_EXTERNAL), 1);
		mnts_plan_done(&plan);
		mnts_host_done(&h);
	}
}

static void test_peer_group(void)
{
	struct mnts_error err = {0};
	struct mnts_plan plan;
	struct mnts_host h;

	TEST("a peer group gets one anchor and a join per member; a pure slave its slave anchor")
	{
		_cleanup_snapshot_ struct mnts_snapshot *snap = load("groups.json");
		const struct mnts_plan_opts opts = new_opts();
		int anchor = -1, slave_anchor = -1, joins = 0, slaves = 0;

		h = (struct mnts_host){0};
		mnts_live_table_index(&h.live);
		CHECK_INT(mnts_plan_build(&plan, snap, &h, &opts, &err), 0);
		CHECK_INT(count_kind(&plan, MNTS_STEP_ANCHOR), 1);
		CHECK_INT(count_kind(&plan, MNTS_STEP_SLAVE_ANCHOR), 1);
		for (size_t i = 0; i < plan.n_steps; i++) {
			const struct mnts_step *s = &plan.steps[i];

			if (s->kind == MNTS_STEP_ANCHOR)
				anchor = s->dst;
			if (s->kind == MNTS_STEP_SLAVE_ANCHOR) {
				CHECK(anchor >= 0 && s->aux == anchor);
				slave_anchor = s->dst;
			}
			if (s->kind == MNTS_STEP_JOIN) {
				/* from the anchor, made before */
				CHECK(anchor >= 0 && s->src == anchor);
				joins++;
			}
			if (s->kind == MNTS_STEP_SLAVE) {
				CHECK(slave_anchor >= 0 && s->src == slave_anchor);
				CHECK_STR(plan.mounts[s->obj].m->mountpoint, "/s");
				slaves++;
			}
		}
		CHECK_INT(joins, 2);
		/* /o's master group 9 is nowhere: replayed private (warned) */
		CHECK_INT(slaves, 1);
		CHECK_INT(count_kind(&plan, MNTS_STEP_LIVE_MEMBER), 0);
		mnts_plan_done(&plan);
		mnts_host_done(&h);
	}
}

static void test_live_group(void)
{
	struct mnts_error err = {0};
	struct mnts_plan plan;
	struct mnts_host h;

	TEST("a slave of a group outside the snapshot rejoins a live member of it")
	{
		_cleanup_snapshot_ struct mnts_snapshot *snap = load("groups.json");
		const struct mnts_plan_opts opts = new_opts();
		const struct mnts_plan_sb *sb;
		size_t slaves = 0;

		h = (struct mnts_host){0};
		mnts_live_table_index(&h.live);
		h.groups.all = load("live_groups.json");
		h.groups.self_ns_id = 7001;
		CHECK_INT(mnts_plan_build(&plan, snap, &h, &opts, &err), 0);
		CHECK_INT(count_kind(&plan, MNTS_STEP_LIVE_MEMBER), 1);
		CHECK(plan.n_groups == 2 && plan.groups[1].live && plan.groups[1].ns_id == 7002);
		CHECK_STR(plan.n_groups == 2 ? plan.groups[1].path : NULL, "/m");
		/* its superblock must be the live one too: cloned from the member */
		sb = sb_of(&plan, 0, 41);
		CHECK(sb && sb->how == MNTS_SB_LIVE && sb->ns_id == 7002);
		slaves = count_kind(&plan, MNTS_STEP_SLAVE);
		CHECK_INT(slaves, 2);
		mnts_plan_done(&plan);
		mnts_host_done(&h);
	}
}

static void test_live_masters_grow_groups(void)
{
	struct mnts_error err = {0};
	struct mnts_plan plan;
	struct mnts_host h;

	/* each live master is a group added while the groups of the replay are
	 * walked: the array moves under the group being given its master */
	TEST("shared+slave mounts whose masters are live outside the snapshot keep them all")
	{
		const size_t n = 300;
		_cleanup_snapshot_ struct mnts_snapshot *snap = masters_snapshot(REPLAYED, n);
		const struct mnts_plan_opts opts = new_opts();
		size_t with_master = 0, live = 0;

		h = (struct mnts_host){0};
		mnts_live_table_index(&h.live);
		h.groups.all = masters_snapshot(LIVE, n);
		h.groups.self_ns_id = 7001;
		CHECK_INT(mnts_plan_build(&plan, snap, &h, &opts, &err), 0);
		CHECK_INT(plan.n_groups, 2 * n);
		for (size_t g = 0; g < plan.n_groups; g++) {
			const struct mnts_plan_group *grp = &plan.groups[g];

			live += grp->live;
			with_master += !grp->live && grp->master >= 0 &&
				       plan.groups[grp->master].live &&
				       plan.groups[grp->master].shared_id == grp->master_id;
		}
		CHECK_INT(live, n);
		CHECK_INT(with_master, n);
		CHECK_INT(count_kind(&plan, MNTS_STEP_LIVE_MEMBER), n);
		mnts_plan_done(&plan);
		mnts_host_done(&h);
	}
}

static void test_shared_elsewhere(void)
{
	struct mnts_error err = {0};
	struct mnts_plan plan;
	struct mnts_host h;

	TEST(
	    "a superblock replay never creates, mounted only in another namespace, is cloned there")
	{
		_cleanup_snapshot_ struct mnts_snapshot *snap = load("shared.json");
		struct mnts_plan_opts opts = new_opts();
		const struct mnts_plan_sb *sb;

		opts.fresh = true; /* even so: sysfs is never created */
		h = (struct mnts_host){0};
		mnts_live_table_index(&h.live);
		CHECK(mnts_plan_needs_other_ns(snap, &opts, &h.live));
		h.groups.all = load("live_elsewhere.json");
		h.groups.self_ns_id = 7001;
		CHECK_INT(mnts_plan_build(&plan, snap, &h, &opts, &err), 0);
		sb = sb_of(&plan, 0, 22);
		CHECK(sb && sb->how == MNTS_SB_LIVE && sb->ns_id == 7002);
		CHECK_STR(sb ? sb->path : NULL, "/sys");
		CHECK_INT(count_kind(&plan, MNTS_STEP_SB_FRESH), 1);
		mnts_plan_done(&plan);
		mnts_host_done(&h);
	}
	TEST("every namespace is gathered only for a shared superblock with no live mount here")
	{
		_cleanup_snapshot_ struct mnts_snapshot *shared = load("shared.json");
		_cleanup_snapshot_ struct mnts_snapshot *groups = load("groups.json");
		struct mnts_plan_opts opts = new_opts();
		char *ext[] = {"/sys:/mnt/sys"};

		h = (struct mnts_host){0};
		mnts_live_table_index(&h.live);
		/* tmpfs only: created */
		CHECK(!mnts_plan_needs_other_ns(groups, &opts, &h.live));
		opts.externals = ext;
		opts.n_externals = 1;
		CHECK(!mnts_plan_needs_other_ns(shared, &opts, &h.live));
		mnts_host_done(&h);
		opts.n_externals = 0;
		live_add(&h, 100, 100, 0, 20, "tmpfs", "/", "/");
		live_add(&h, 101, 100, 0, 22, "sysfs", "/", "/sys");
		mnts_live_table_index(&h.live);
		CHECK(!mnts_plan_needs_other_ns(shared, &opts, &h.live));
		CHECK_INT(mnts_plan_build(&plan, shared, &h, &opts, &err), 0);
		CHECK(plan.n_sbs == 2 && sb_of(&plan, 0, 22)->how == MNTS_SB_LIVE &&
		      sb_of(&plan, 0, 22)->ns_id == 0);
		mnts_plan_done(&plan);
		mnts_host_done(&h);
	}
}

/* The master groups a plan of snap wants from the host: how many, and the
 * first's group and root (into *ret_group, ret_root, size). */
static size_t want_masters(const struct mnts_snapshot *snap, const struct mnts_plan_opts *opts,
			   uint64_t *ret_group, char *ret_root, size_t size)
{
	struct mnts_live_wants w = {0};
	size_t n;

	mnts_plan_want_masters(snap, opts, &w);
	n = w.n;
	if (n) {
		*ret_group = w.v[0].group_id;
		snprintf(ret_root, size, "%s", w.v[0].root);
	}
	mnts_live_wants_done(&w);
	return n;
}

static void test_needs_live_groups(void)
{
	TEST("live groups are wanted only for a master outside the snapshot, with the roots of "
	     "its superblock")
	{
		_cleanup_snapshot_ struct mnts_snapshot *groups = load("groups.json");
		_cleanup_snapshot_ struct mnts_snapshot *sources = load("sources.json");
		struct mnts_plan_opts opts = new_opts();
		char *ext[] = {"/o:/mnt/o"}, root[64] = "";
		uint64_t group = 0;

		/* /o: a slave of group 9, alone on 0:41 */
		CHECK_INT(want_masters(groups, &opts, &group, root, sizeof(root)), 1);
		CHECK_INT(group, 9);
		CHECK_STR(root, "/");
		CHECK_INT(want_masters(sources, &opts, &group, root, sizeof(root)), 0);
		opts.fresh = true;
		CHECK_INT(want_masters(groups, &opts, &group, root, sizeof(root)), 0);
		opts.fresh = false;
		opts.externals = ext;
		opts.n_externals = 1;
		CHECK_INT(want_masters(groups, &opts, &group, root, sizeof(root)), 0);
	}
}

static void test_depth(void)
{
	TEST("100,000 stacked mounts, and a chain of 5,000 masters, plan on a 128 KiB stack")
	{
		/* the reader checks a master chain in quadratic time: 5,000 */
		struct deep_run d = {.n = 99999, .n_chained = 4999};
		_cleanup_snapshot_ struct mnts_snapshot *stacked = deep_snapshot(STACKED, d.n);
		_cleanup_snapshot_ struct mnts_snapshot *chained =
		    deep_snapshot(CHAINED, d.n_chained);
		pthread_attr_t attr;
		pthread_t t;

		CHECK(stacked && chained);
		d.stacked = stacked;
		d.chained = chained;
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, 128 << 10);
		CHECK_INT(pthread_create(&t, &attr, deep_thread, &d), 0);
		pthread_join(t, NULL);
		pthread_attr_destroy(&attr);
		CHECK_INT(d.stacked_rc, 0);
		/* namespace, root, a superblock and an attach each, the root's
		 * child's mountpoint (it goes in after populate), populate,
		 * drop, pin */
		CHECK_INT(d.stacked_steps, 1 + 1 + 2 * d.n + 1 + 3);
		CHECK_INT(d.chained_rc, 0);
		/* an anchor for every group with a slave group: all but the last */
		CHECK_INT(d.anchors, d.n_chained);
		/* the live stack: the root and the top of the stack */
		CHECK_INT(d.reachable, 2);
	}
}

/* The index into plan->mounts of the mount at mountpoint mp, or -1. */
static int mount_at(const struct mnts_plan *plan, const char *mp)
{
	for (size_t i = 0; i < plan->n_mounts; i++)
		if (streq(plan->mounts[i].m->mountpoint, mp))
			return (int)i;
	return -1;
}

/* The index of the first step of that kind on obj, or -1. */
static ssize_t step_of(const struct mnts_plan *plan, enum mnts_step_kind kind, int obj)
{
	for (size_t i = 0; i < plan->n_steps; i++)
		if (plan->steps[i].kind == kind && plan->steps[i].obj == obj)
			return (ssize_t)i;
	return -1;
}

/* The step that puts mount i on its mountpoint: MOUNTPOINT for a path of
 * several components (it opens, and may create, the mountpoint), else
 * ATTACH. */
static const struct mnts_step *mountpoint_step(const struct mnts_plan *plan, int i)
{
	ssize_t k = step_of(plan, MNTS_STEP_MOUNTPOINT, i);

	if (k < 0)
		k = step_of(plan, MNTS_STEP_ATTACH, i);
	return k < 0 ? NULL : &plan->steps[k];
}

/* readonly.json: a read-only root (a container's) with /c1, a tmpfs /ro
 * read-only per mount and at the superblock with /ro/a/b below, and a
 * read-only bind /b of the root's superblock with /b/c below. */
static void test_readonly(void)
{
	struct mnts_error err = {0};
	struct mnts_plan plan;
	struct mnts_host h;

	TEST("read-only parents: mountpoints made through the superblock's writable source, "
	     "ro after the children")
	{
		_cleanup_snapshot_ struct mnts_snapshot *snap = load("readonly.json");
		struct mnts_plan_opts opts = new_opts();
		int root, ro, bind, child;
		const struct mnts_step *s;
		ssize_t populate, sb_ro, k;

		opts.fresh = true;
		sources_host(&h);
		CHECK_INT(mnts_plan_build(&plan, snap, &h, &opts, &err), 0);
		root = mount_at(&plan, "/");
		ro = mount_at(&plan, "/ro");
		bind = mount_at(&plan, "/b");
		populate = step_of(&plan, MNTS_STEP_NS_POPULATE, 0);
		CHECK(root >= 0 && ro >= 0 && bind >= 0 && populate > 0);
		/* every mountpoint that may be created is made through the
		 * parent superblock's source, which is never the parent */
		for (size_t i = 0; i < plan.n_mounts; i++) {
			const struct mnts_plan_mount *pm = &plan.mounts[i], *pp;

			if (!pm->m->parent)
				continue;
			pp = &plan.mounts[mount_at(&plan, pm->m->parent->mountpoint)];
			s = mountpoint_step(&plan, (int)i);
			CHECK(s && s->create);
			CHECK_INT(s->view, plan.sbs[pp->sb].slot);
			CHECK(s->view != pp->slot);
		}
		s = mountpoint_step(&plan, mount_at(&plan, "/ro/a/b"));
		CHECK(s && s->kind == MNTS_STEP_MOUNTPOINT && streq(s->rel, "a/b"));
		s = mountpoint_step(&plan, mount_at(&plan, "/b/c"));
		CHECK(s && s->kind == MNTS_STEP_ATTACH &&
		      s->view == plan.sbs[plan.mounts[root].sb].slot);
		/* the read-only root once every child is attached, before it
		 * goes into its namespace */
		k = step_of(&plan, MNTS_STEP_FLAGS, root);
		CHECK(k > 0 && k < populate);
		CHECK(plan.steps[k].attr_set & MOUNT_ATTR_RDONLY);
		/* all but the root's last child, which goes in right after
		 * the rest, inside the namespace */
		for (size_t i = 0; i < plan.n_mounts; i++)
			if (plan.mounts[i].m->parent && (int)i != bind)
				CHECK(step_of(&plan, MNTS_STEP_ATTACH, (int)i) < k);
		CHECK_INT(step_of(&plan, MNTS_STEP_ATTACH, bind), populate + 1);
		CHECK(step_of(&plan, MNTS_STEP_MOUNTPOINT, bind) < k);
		/* a mount with a parent: its flags before it is attached
		 * (mount_setattr refuses it after), its children after */
		k = step_of(&plan, MNTS_STEP_FLAGS, ro);
		CHECK(k >= 0 && k < step_of(&plan, MNTS_STEP_ATTACH, ro));
		/* the new read-only superblock once everything below it
		 * exists: after the last mountpoint and attach */
		sb_ro = step_of(&plan, MNTS_STEP_SB_RO, plan.mounts[ro].sb);
		CHECK(sb_ro > 0 && sb_ro < populate);
		CHECK_INT(count_kind(&plan, MNTS_STEP_SB_RO), 1);
		child = mount_at(&plan, "/ro/a/b");
		CHECK(step_of(&plan, MNTS_STEP_ATTACH, child) < sb_ro);
		for (size_t i = 0; i < plan.n_steps; i++)
			if (plan.steps[i].kind == MNTS_STEP_MOUNTPOINT ||
			    (plan.steps[i].kind == MNTS_STEP_ATTACH && plan.steps[i].obj != bind) ||
			    plan.steps[i].kind == MNTS_STEP_CLONE)
				CHECK((ssize_t)i < sb_ro);
		mnts_plan_done(&plan);
		mnts_host_done(&h);
	}
}

/* Reachability from the table alone (host.c): what a lookup of each
 * mountpoint ends on, keyed by each mountpoint below its parent's. */
static void test_reachability(void)
{
	TEST("live mounts in sight: stacked, tucked under a sibling, two on one place, below")
	{
		struct mnts_host h = {0};

		live_add(&h, 1, 1, 0, 1, "tmpfs", "/", "/");
		live_add(&h, 2, 1, 0, 2, "tmpfs", "/", "/c");	/* covered by 3 */
		live_add(&h, 3, 2, 0, 3, "tmpfs", "/", "/c");	/* on 2's root */
		live_add(&h, 4, 1, 0, 4, "tmpfs", "/", "/a/b"); /* under 5, mounted after */
		live_add(&h, 5, 1, 0, 5, "tmpfs", "/", "/a");	/* hides 4 */
		live_add(&h, 6, 5, 0, 6, "tmpfs", "/", "/a/b"); /* 5's own: in sight */
		live_add(&h, 7, 1, 0, 7, "tmpfs", "/", "/e");	/* 7 and 8 on one place */
		live_add(&h, 8, 1, 0, 8, "tmpfs", "/", "/e");
		live_add(&h, 9, 3, 0, 9, "tmpfs", "/", "/c/d/e/f"); /* below the top of a stack */
		mnts_live_table_index(&h.live);
		CHECK(h.live.v[0].reach == MNTS_REACH_YES);
		CHECK(h.live.v[1].reach == MNTS_REACH_NO);
		CHECK(h.live.v[2].reach == MNTS_REACH_YES);
		CHECK(h.live.v[3].reach == MNTS_REACH_NO);
		CHECK(h.live.v[4].reach == MNTS_REACH_YES);
		CHECK(h.live.v[5].reach == MNTS_REACH_YES);
		CHECK(h.live.v[6].reach == MNTS_REACH_ASK);
		CHECK(h.live.v[7].reach == MNTS_REACH_ASK);
		CHECK(h.live.v[8].reach == MNTS_REACH_YES);
		mnts_host_done(&h);
	}
	TEST("live mounts in sight from the links of an assumed table, as from its ids and places")
	{
		/* a linked snapshot's: no two siblings on one place */
		static const struct {
			uint64_t id, parent_id;
			int parent; /* entry */
			const char *target;
			enum mnts_reach_state want;
		} v[] = {
		    {1, 1, -1, "/", MNTS_REACH_YES},
		    {2, 1, 0, "/c", MNTS_REACH_NO},	   /* covered by 3 */
		    {3, 2, 1, "/c", MNTS_REACH_YES},	   /* on 2's root */
		    {4, 1, 0, "/a/b", MNTS_REACH_NO},	   /* under 5, mounted after */
		    {5, 1, 0, "/a", MNTS_REACH_YES},	   /* hides 4 */
		    {6, 5, 4, "/a/b", MNTS_REACH_YES},	   /* 5's own */
		    {9, 3, 2, "/c/d/e/f", MNTS_REACH_YES}, /* below the top of a stack */
		    {10, 1, 0, "/g/h/i", MNTS_REACH_YES},  /* deeper, nothing on the way */
		    {11, 4, 3, "/a/b/x", MNTS_REACH_NO},   /* on a hidden one */
		    {12, 1, 0, "/a/b/y/z", MNTS_REACH_NO}, /* under 5 too */
		};
		struct mnts_host by_ids = {0}, linked = {0}, flat = {0};
		int parent_of[ARRAY_SIZE(v)];

		for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
			live_add(&by_ids, v[i].id, v[i].parent_id, 0, (uint32_t)v[i].id, "tmpfs",
				 "/", v[i].target);
			live_add(&linked, v[i].id, v[i].parent_id, 0, (uint32_t)v[i].id, "tmpfs",
				 "/", v[i].target);
			parent_of[i] = v[i].parent;
		}
		by_ids.live.assumed = linked.live.assumed = true;
		mnts_live_table_index(&by_ids.live);
		mnts_live_table_index_linked(&linked.live, parent_of);
		for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
			CHECK_INT(by_ids.live.v[i].reach, v[i].want);
			CHECK_INT(linked.live.v[i].reach, v[i].want);
		}
		/* every mountpoint a component below its parent's: no places */
		live_add(&flat, 1, 1, 0, 1, "tmpfs", "/", "/");
		live_add(&flat, 2, 1, 0, 2, "tmpfs", "/", "/c");
		live_add(&flat, 3, 2, 0, 3, "tmpfs", "/", "/c");
		live_add(&flat, 4, 1, 0, 4, "tmpfs", "/", "/d");
		flat.live.assumed = true;
		mnts_live_table_index_linked(&flat.live, (const int[]){-1, 0, 1, 0});
		CHECK_INT(flat.live.v[0].reach, MNTS_REACH_YES);
		CHECK_INT(flat.live.v[1].reach, MNTS_REACH_NO);
		CHECK_INT(flat.live.v[2].reach, MNTS_REACH_YES);
		CHECK_INT(flat.live.v[3].reach, MNTS_REACH_YES);
		/* the tables own their strings here (an assumed one's are the
		 * snapshot's, not freed) */
		by_ids.live.assumed = linked.live.assumed = flat.live.assumed = false;
		mnts_host_done(&by_ids);
		mnts_host_done(&linked);
		mnts_host_done(&flat);
	}
	TEST("live mounts in sight: places that shared a key when the parent was XORed into it")
	{
		/* (0, "a") and (2, "c"), (0, "b") and (1, "c"): the second of
		 * each left out of the map, a mount hidden under /x/c taken as
		 * in sight, /b and /x/c as sharing a place */
		struct mnts_host tucked = {0}, apart = {0};

		live_add(&tucked, 1, 1, 0, 1, "tmpfs", "/", "/");
		live_add(&tucked, 2, 1, 0, 2, "tmpfs", "/", "/a");
		live_add(&tucked, 3, 1, 0, 3, "tmpfs", "/", "/x");
		live_add(&tucked, 4, 3, 0, 4, "tmpfs", "/", "/x/c");
		live_add(&tucked, 5, 3, 0, 5, "tmpfs", "/", "/x/c/z"); /* under 4, mounted after */
		mnts_live_table_index(&tucked.live);
		CHECK_INT(tucked.live.v[1].reach, MNTS_REACH_YES);
		CHECK_INT(tucked.live.v[3].reach, MNTS_REACH_YES);
		CHECK_INT(tucked.live.v[4].reach, MNTS_REACH_NO);
		live_add(&apart, 1, 1, 0, 1, "tmpfs", "/", "/");
		live_add(&apart, 2, 1, 0, 2, "tmpfs", "/", "/x");
		live_add(&apart, 3, 1, 0, 3, "tmpfs", "/", "/b");
		live_add(&apart, 4, 2, 0, 4, "tmpfs", "/", "/x/c");
		mnts_live_table_index(&apart.live);
		CHECK_INT(apart.live.v[2].reach, MNTS_REACH_YES);
		CHECK_INT(apart.live.v[3].reach, MNTS_REACH_YES);
		mnts_host_done(&tucked);
		mnts_host_done(&apart);
	}
}

/* A replay refused before it looked at anything closes no descriptor of
 * the caller's: its preflight's descriptors start at -1, not at 0, which
 * is stdin (these ways out closed it). */
static void test_refused_keeps_stdin(void)
{
	TEST("a replay refused at once closes none of the caller's descriptors (stdin)")
	{
		_cleanup_snapshot_ struct mnts_snapshot *snap = load("shared.json");
		const struct mnts_replay_opts no_root = {.target = MNTS_REPLAY_PID, .pid = 1};
		const struct mnts_replay_opts relative_root = {
		    .target = MNTS_REPLAY_PID, .pid = 1, .root_dir = "graft"};
		int saved = fcntl(0, F_DUPFD_CLOEXEC, 10), null = open("/dev/null", O_RDONLY);
		struct mnts_error err = {0};

		CHECK(snap != NULL);
		CHECK(null >= 0);
		/* stdin is a descriptor the test owns, whatever ran it */
		CHECK_INT(dup2(null, 0), 0);
		if (snap) {
			CHECK(mnts_replay(snap, &no_root, NULL, &err) < 0);
			CHECK(strstr(err.msg, "--target/--mount") != NULL);
			CHECK(fcntl(0, F_GETFD) >= 0);
			CHECK(mnts_replay(snap, &relative_root, NULL, &err) < 0);
			CHECK(strstr(err.msg, "not an absolute path") != NULL);
			CHECK(fcntl(0, F_GETFD) >= 0);
		}
		if (saved >= 0) {
			dup2(saved, 0);
			close(saved);
		} else {
			close(0);
		}
		close(null);
	}
}

/* pinned.json: ns1 pins ns0 (an nsfs mount), so the plan replays ns1
 * first, its namespaces in another order than the snapshot's.  The plan's
 * entry of each mount names its namespace in the snapshot (the executor
 * asks it of every attach), which must lead to the plan's namespace of the
 * mount whatever the order. */
static void test_namespace_of_mounts(void)
{
	struct mnts_error err = {0};
	struct mnts_plan plan;
	struct mnts_host h;

	TEST("namespaces replayed in another order: each mount's entry names its namespace")
	{
		_cleanup_snapshot_ struct mnts_snapshot *snap = load("pinned.json");
		struct mnts_plan_opts opts = new_opts();

		opts.fresh = true;
		sources_host(&h);
		CHECK(snap != NULL);
		CHECK_INT(snap ? mnts_plan_build(&plan, snap, &h, &opts, &err) : -1, 0);
		if (snap && !err.msg[0]) {
			CHECK_INT(plan.n_nss, 2);
			CHECK(plan.nss[0].ns == &snap->nss[1]);
			CHECK(plan.nss[1].ns == &snap->nss[0]);
			CHECK_INT(plan.n_mounts, 6);
			for (size_t i = 0; i < plan.n_mounts; i++) {
				const struct mnts_plan_mount *pm = &plan.mounts[i];

				CHECK_INT(pm->snap_ns, (int)(pm->m->ns - snap->nss));
				CHECK_INT(plan.ns_by_snap[pm->snap_ns],
					  mnts_plan_ns_index(&plan, pm->m->ns));
			}
			mnts_plan_done(&plan);
		}
		mnts_host_done(&h);
	}
}

int main(void)
{
	test_refused_keeps_stdin();
	test_live_source();
	test_fresh();
	test_unresolvable();
	test_covered();
	test_deleted();
	test_external();
	test_peer_group();
	test_live_group();
	test_live_masters_grow_groups();
	test_shared_elsewhere();
	test_needs_live_groups();
	test_depth();
	test_readonly();
	test_reachability();
	test_namespace_of_mounts();
	return tap_done();
}
