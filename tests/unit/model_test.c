/* model_test.c - linking a snapshot (lib/core/model.c): the tree, and the
 * rules of spec/FORMAT.md §9 that mnts_snapshot_link() checks, each with
 * the message that names the item. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/core/model.h"
#include "tests/unit/tap.h"

/* A mount of ns: id, parent id (0: the root), mountpoint. */
static struct mnts_mount *add(struct mnts_ns *ns, uint64_t id, uint64_t parent, const char *mp)
{
	struct mnts_mount *m = mnts_ns_add_mount(ns);

	m->id = m->mnt_id = id;
	m->parent_id = parent;
	m->mountpoint = xstrdup(mp);
	m->root = xstrdup("/");
	m->fstype = xstrdup("tmpfs");
	m->source = xstrdup("none");
	return m;
}

/* One namespace "ns0" with / (1), /tmp (2) and /tmp/a (3). */
static struct mnts_snapshot *three(void)
{
	struct mnts_snapshot *snap = mnts_snapshot_new();
	struct mnts_ns *ns = mnts_snapshot_add_ns(snap, "ns0");

	add(ns, 1, 0, "/");
	add(ns, 2, 1, "/tmp");
	add(ns, 3, 2, "/tmp/a");
	return snap;
}

/* The message linking snap gives ("" when it links); frees snap. */
static const char *link_error(struct mnts_snapshot *snap, struct mnts_error *err)
{
	if (mnts_snapshot_link(snap, err) == 0)
		err->msg[0] = '\0';
	mnts_snapshot_free(snap);
	return err->msg;
}

/* One namespace "ns0": / and n - 1 mounts /m2 .. /mN beside each other,
 * mount i in peer group i, a chain of masters: group i's master is i - 1
 * (down) or i + 1 (up), the end of the chain has none. */
static struct mnts_snapshot *master_chain(uint64_t n, bool up)
{
	struct mnts_snapshot *snap = mnts_snapshot_new();
	struct mnts_ns *ns = mnts_snapshot_add_ns(snap, "ns0");
	char mp[32];

	add(ns, 1, 0, "/");
	for (uint64_t i = 2; i <= n; i++) {
		struct mnts_mount *m;

		snprintf(mp, sizeof(mp), "/m%" PRIu64, i);
		m = add(ns, i, 1, mp);
		m->shared_id = i;
		if (up ? i < n : i > 2)
			m->master_id = up ? i + 1 : i - 1;
	}
	return snap;
}

int main(void)
{
	struct mnts_error err;
	struct mnts_snapshot *snap;

	TEST("a tree links: root, parents, children in order, lookup by id")
	{
		struct mnts_ns *ns;

		snap = three();
		ns = &snap->nss[0];
		add(ns, 4, 2, "/tmp/b");
		CHECK_INT(mnts_snapshot_link(snap, &err), 0);
		CHECK(ns->root == &ns->mounts[0]);
		CHECK_INT(ns->root_mount, 1);
		CHECK(ns->mounts[2].parent == &ns->mounts[1]);
		CHECK_INT(ns->mounts[1].n_children, 2);
		CHECK(ns->mounts[1].children[0]->id == 3 && ns->mounts[1].children[1]->id == 4);
		CHECK(mnts_ns_find(ns, 4) == &ns->mounts[3]);
		CHECK(mnts_ns_find(ns, 5) == NULL);
		mnts_snapshot_free(snap);
	}
	TEST("a dangling parent, a parent that is itself, two roots, no root")
	{
		snap = three();
		snap->nss[0].mounts[2].parent_id = 99;
		CHECK_STR(link_error(snap, &err),
			  "namespace 'ns0' mount 3: parent 99: no such mount in the namespace");
		snap = three();
		snap->nss[0].mounts[2].parent_id = 3;
		CHECK_STR(link_error(snap, &err), "namespace 'ns0' mount 3: parent: is itself");
		snap = three();
		snap->nss[0].mounts[2].parent_id = 0;
		CHECK_STR(link_error(snap, &err), "namespace 'ns0': two root mounts (1 and 3)");
		snap = three();
		snap->nss[0].mounts[0].parent_id = 3;
		CHECK_STR(link_error(snap, &err),
			  "namespace 'ns0': no root mount (every parent is set: a cycle)");
	}
	TEST("a cycle away from the root is reported as one, whatever its mountpoints")
	{
		snap = three();
		add(&snap->nss[0], 4, 5, "/x");
		add(&snap->nss[0], 5, 4, "/x");
		CHECK_STR(link_error(snap, &err),
			  "namespace 'ns0' mount 4: parent: cycle (not reachable from the root)");
		snap = three();
		add(&snap->nss[0], 4, 5, "/x");
		add(&snap->nss[0], 5, 4, "/x/y");
		CHECK_STR(link_error(snap, &err),
			  "namespace 'ns0' mount 4: parent: cycle (not reachable from the root)");
	}
	TEST("duplicate ids, id 0, duplicate and invalid labels")
	{
		snap = three();
		add(&snap->nss[0], 2, 1, "/srv");
		CHECK_STR(link_error(snap, &err), "namespace 'ns0': mount id 2 appears twice");
		snap = three();
		snap->nss[0].mounts[2].id = 0;
		CHECK_STR(link_error(snap, &err), "namespace 'ns0': mount with id 0");
		snap = three();
		add(mnts_snapshot_add_ns(snap, "ns0"), 1, 0, "/");
		CHECK_STR(link_error(snap, &err), "namespace 'ns0': label: appears twice");
		snap = three();
		mnts_snapshot_free_str(snap, snap->nss[0].label);
		snap->nss[0].label = xstrdup("../escaped");
		CHECK(strstr(link_error(snap, &err), "namespace #0: label '../escaped': not a valid label"));
	}
	TEST("labels: the pattern, its length, no '.' or '..'")
	{
		char l64[66];

		memset(l64, 'a', 65);
		l64[64] = '\0';
		CHECK(mnts_label_is_valid("ns0"));
		CHECK(mnts_label_is_valid("A.b-c_9"));
		CHECK(mnts_label_is_valid(l64));
		l64[64] = 'a';
		l64[65] = '\0';
		CHECK(!mnts_label_is_valid(l64));
		CHECK(!mnts_label_is_valid("."));
		CHECK(!mnts_label_is_valid(".."));
		CHECK(!mnts_label_is_valid("a/b"));
		CHECK(!mnts_label_is_valid("/a"));
		CHECK(!mnts_label_is_valid("-a"));
		CHECK(!mnts_label_is_valid(""));
		CHECK(!mnts_label_is_valid("a b"));
		CHECK(!mnts_label_is_valid("\xc3\xbc"));
	}
	TEST("two siblings on one mountpoint; a stack on the parent's mountpoint is fine")
	{
		snap = three();
		add(&snap->nss[0], 4, 2, "/tmp/a");
		CHECK_STR(link_error(snap, &err),
			  "namespace 'ns0' mount 4: mountpoint '/tmp/a': also that of its sibling 3 (a "
			  "mount on an occupied mountpoint has the one there as parent or child)");
		snap = three();
		add(&snap->nss[0], 4, 3, "/tmp/a");
		add(&snap->nss[0], 5, 4, "/tmp/a");
		CHECK_STR(link_error(snap, &err), "");
	}
	TEST("a child's mountpoint is at or below its parent's, at a '/' boundary")
	{
		snap = three();
		mnts_snapshot_free_str(snap, snap->nss[0].mounts[2].mountpoint);
		snap->nss[0].mounts[2].mountpoint = xstrdup("/tmpa");
		CHECK_STR(link_error(snap, &err),
			  "namespace 'ns0' mount 3: mountpoint '/tmpa': not at or below that of its "
			  "parent 2 ('/tmp')");
		/* the root anywhere (--subtree), its children below it */
		snap = mnts_snapshot_new();
		add(mnts_snapshot_add_ns(snap, "ns0"), 7, 0, "/srv");
		add(&snap->nss[0], 8, 7, "/srv/x");
		CHECK_STR(link_error(snap, &err), "");
	}
	TEST("propagate_from only on a slave, never equal to its master")
	{
		snap = three();
		snap->nss[0].mounts[2].propagate_from = 4;
		CHECK_STR(link_error(snap, &err),
			  "namespace 'ns0' mount 3: propagate_from 4: set on a mount that is not a slave "
			  "(master_id 0)");
		snap = three();
		snap->nss[0].mounts[2].propagate_from = 4;
		snap->nss[0].mounts[2].master_id = 4;
		CHECK_STR(link_error(snap, &err),
			  "namespace 'ns0' mount 3: propagate_from 4: equals master_id (recorded as 0 then)");
		snap = three();
		snap->nss[0].mounts[2].propagate_from = 4;
		snap->nss[0].mounts[2].master_id = 5;
		CHECK_STR(link_error(snap, &err), "");
	}
	TEST("pins name a namespace of the snapshot and a path")
	{
		snap = three();
		mnts_ns_add_pin(&snap->nss[0], "ns7", "/tmp/a");
		CHECK_STR(link_error(snap, &err),
			  "namespace 'ns0': nsfs_paths[0]: ns 'ns7': no such namespace in the snapshot");
		snap = three();
		mnts_ns_add_pin(&snap->nss[0], "ns0", "/tmp/../a");
		CHECK_STR(link_error(snap, &err),
			  "namespace 'ns0': nsfs_paths[0]: path '/tmp/../a': not an absolute normalised path");
		/* a well-formed pin still needs an nsfs mount of the holder there */
		snap = three();
		mnts_ns_add_pin(&snap->nss[0], "ns0", "/tmp/a");
		CHECK_STR(link_error(snap, &err), "namespace 'ns0': nsfs_paths[0]: path '/tmp/a': no nsfs "
						  "mount of this namespace there in 'ns0'");
	}
	TEST("100,000 mounts stacked on one path link without recursion")
	{
		struct mnts_ns *ns;

		snap = mnts_snapshot_new();
		ns = mnts_snapshot_add_ns(snap, "ns0");
		add(ns, 1, 0, "/");
		for (uint64_t i = 2; i <= 100000; i++)
			add(ns, i, i - 1, "/s");
		CHECK_STR(link_error(snap, &err), "");
	}
	/* a capture of many namespaces takes each one's pool blocks: the
	 * ownership check looks them up by address once there are many; a
	 * string it wrongly thinks is not the pool's is freed (an interior
	 * pointer: glibc aborts) */
	TEST("strings in any of many pool blocks stay the pool's when freed one by one")
	{
		struct mnts_snapshot *big = mnts_snapshot_new();
		char *kept[20], *huge = xcalloc(100001, 1), *late, *own = xstrdup("own");

		for (size_t i = 0; i < 20; i++) {
			struct mnts_snapshot *part = mnts_snapshot_new();

			mnts_snapshot_strndup(part, "first", 5);
			kept[i] = mnts_snapshot_strndup(part, "second", 6);
			mnts_snapshot_take_pool(big, part);
			mnts_snapshot_free(part);
		}
		for (size_t i = 0; i < 20; i++)
			mnts_snapshot_free_str(big, kept[i]);
		for (size_t i = 0; i < 20; i++)
			CHECK_STR(kept[i], "second");
		/* a block added after the lookup: the index is rebuilt */
		memset(huge, 'x', 100000);
		mnts_snapshot_strndup(big, huge, 100000);
		late = mnts_snapshot_strndup(big, "late", 4);
		mnts_snapshot_free_str(big, late);
		CHECK_STR(late, "late");
		mnts_snapshot_free_str(big, own);
		free(huge);
		mnts_snapshot_free(big);
	}
	/* a reader or a capture gives 50,000 mounts one vector of "rw",
	 * "relatime": a vector freed as the mount's own would be freed once
	 * a mount (an interior pointer of a pool block: glibc aborts) */
	TEST("option vectors with the same words are one pooled vector, freed with the pool")
	{
		const char *text = "rw,relatime,relatimf,relat";
		const struct mnts_word rw_relatime[] = {{text, 2}, {text + 3, 8}};
		const struct mnts_word rw_relatimf[] = {{text, 2}, {text + 12, 8}};
		const struct mnts_word rw_relat[] = {{text, 2}, {text + 21, 5}};
		struct mnts_snapshot *part = mnts_snapshot_new();
		struct mnts_ns *ns;
		struct mnts_mount *m[5];
		struct mnts_strv other[16] = {{0}}, again = {0}, moved = {0}, fresh = {0};

		snap = mnts_snapshot_new();
		ns = mnts_snapshot_add_ns(snap, "ns0");
		for (size_t i = 0; i < 5; i++)
			m[i] = add(ns, i + 1, i, i ? "/m" : "/");
		mnts_snapshot_strv_shared(snap, &m[0]->mount_options, rw_relatime, 2);
		mnts_snapshot_strv_shared(snap, &m[1]->mount_options, rw_relatime, 2);
		mnts_snapshot_strv_shared(snap, &m[2]->mount_options, rw_relatimf, 2);
		mnts_snapshot_strv_shared(snap, &m[3]->mount_options, rw_relat, 2);
		mnts_snapshot_strv_shared(snap, &m[4]->mount_options, rw_relatime, 1);
		CHECK(m[0]->mount_options.v == m[1]->mount_options.v);
		CHECK_INT(m[1]->mount_options.n, 2);
		CHECK_STR(m[1]->mount_options.v[1], "relatime");
		CHECK(m[2]->mount_options.v != m[0]->mount_options.v);
		CHECK_STR(m[2]->mount_options.v[1], "relatimf");
		CHECK_STR(m[3]->mount_options.v[1], "relat");
		CHECK_INT(m[4]->mount_options.n, 1);
		CHECK(m[4]->mount_options.v != m[0]->mount_options.v);
		/* sixteen other vectors later the first is made anew, the same */
		for (size_t i = 0; i < 16; i++) {
			char word[8];
			const struct mnts_word w = {word, (size_t)snprintf(word, sizeof(word), "o%zu", i)};

			mnts_snapshot_strv_shared(snap, &other[i], &w, 1);
		}
		mnts_snapshot_strv_shared(snap, &again, rw_relatime, 2);
		CHECK(again.v != m[0]->mount_options.v);
		CHECK_STR(again.v[0], "rw");
		CHECK_STR(again.v[1], "relatime");
		CHECK_STR(other[15].v[0], "o15");
		/* what a part made is the whole's after the part's pool moved
		 * there: the part makes its next vectors anew */
		mnts_snapshot_strv_shared(part, &moved, rw_relatime, 2);
		mnts_snapshot_take_pool(snap, part);
		mnts_snapshot_strv_shared(part, &fresh, rw_relatime, 2);
		CHECK(fresh.v != moved.v);
		mnts_snapshot_strv_done(snap, &moved);
		CHECK(moved.v == NULL);
		mnts_snapshot_free(snap);
		CHECK_STR(fresh.v[1], "relatime");
		mnts_snapshot_free(part);
	}
	TEST("a cycle of masters names the first group, in shared_id order, that leads into it")
	{
		/* groups 2..5, masters 2 -> 3 -> 4 -> 5 -> 0 */
		snap = master_chain(5, true);
		CHECK_STR(link_error(snap, &err), "");
		snap = master_chain(5, true);
		snap->nss[0].mounts[4].master_id = 4; /* 5 -> 4 -> 5 */
		CHECK_STR(link_error(snap, &err),
			  "peer group 2: master_id 3: cycle in the master graph");
		snap = master_chain(5, true);
		snap->nss[0].mounts[4].master_id = 2; /* the whole chain */
		CHECK_STR(link_error(snap, &err),
			  "peer group 2: master_id 3: cycle in the master graph");
		snap = master_chain(5, false); /* 5 -> 4 -> 3 -> 2 -> 0 */
		snap->nss[0].mounts[1].master_id = 3; /* 2 -> 3 -> 2, 4 and 5 lead there */
		CHECK_STR(link_error(snap, &err),
			  "peer group 2: master_id 3: cycle in the master graph");
		snap = master_chain(5, false);
		snap->nss[0].mounts[2].master_id = 5; /* 3 -> 5 -> 4 -> 3, 2 apart */
		CHECK_STR(link_error(snap, &err),
			  "peer group 3: master_id 5: cycle in the master graph");
		snap = master_chain(5, false);
		snap->nss[0].mounts[1].master_id = 99; /* a master outside the snapshot */
		CHECK_STR(link_error(snap, &err), "");
	}
	TEST("a chain of 100,000 masters links, in either order of the groups")
	{
		/* each group walked its whole chain of masters before: minutes */
		CHECK_STR(link_error(master_chain(100000, false), &err), "");
		CHECK_STR(link_error(master_chain(100000, true), &err), "");
		snap = master_chain(100000, true);
		snap->nss[0].mounts[99999].master_id = 50000;
		CHECK_STR(link_error(snap, &err),
			  "peer group 2: master_id 3: cycle in the master graph");
	}
	TEST("a cycle of parents after a tree 100,000 deep: the first mount not reached is named")
	{
		struct mnts_ns *ns;

		snap = three();
		add(&snap->nss[0], 4, 5, "/x"); /* below the cycle 5 <-> 6 */
		add(&snap->nss[0], 5, 6, "/x");
		add(&snap->nss[0], 6, 5, "/x");
		CHECK_STR(link_error(snap, &err),
			  "namespace 'ns0' mount 4: parent: cycle (not reachable from the root)");
		/* each mount walked up to the root before: minutes */
		snap = mnts_snapshot_new();
		ns = mnts_snapshot_add_ns(snap, "ns0");
		add(ns, 1, 0, "/");
		for (uint64_t i = 2; i <= 99998; i++)
			add(ns, i, i - 1, "/s");
		add(ns, 99999, 100000, "/c");
		add(ns, 100000, 99999, "/c");
		CHECK_STR(link_error(snap, &err),
			  "namespace 'ns0' mount 99999: parent: cycle (not reachable from the root)");
	}
	return tap_done();
}
