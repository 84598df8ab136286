/* spec_snap_test.c - a spec made into a snapshot (lib/spec/spec_snap.c):
 * the defaults of SPEC.md §6, parents per §3, superblocks shared by
 * bind=PATH, sb=NAME and peer groups, and the errors that name FILE:LINE.
 * The specs are built here as structs, as the parser would leave them. */
#include <stdlib.h>
#include <string.h>

#include "lib/spec/spec_snap.h"
#include "tests/unit/tap.h"

static struct mnts_spec_ns *section(struct mnts_spec *spec, const char *label)
{
	spec->ns = xreallocarray(spec->ns, spec->n_ns + 1, sizeof(*spec->ns));
	spec->ns[spec->n_ns] = (struct mnts_spec_ns){.label = label ? xstrdup(label) : NULL};
	return &spec->ns[spec->n_ns++];
}

/* A line: mountpoint, then the enclosing line's index (or NONE). */
#define NONE MNTS_SPEC_NO_ANCESTOR
static struct mnts_spec_mount *line(struct mnts_spec_ns *ns, const char *mp, size_t ancestor)
{
	struct mnts_spec_mount *m;

	ns->mounts = xreallocarray(ns->mounts, ns->n_mounts + 1, sizeof(*ns->mounts));
	m = &ns->mounts[ns->n_mounts];
	*m = (struct mnts_spec_mount){
	    .line = (unsigned)ns->n_mounts + 1, .col = 1, .ancestor = ancestor,
	    .mountpoint = xstrdup(mp)};
	ns->n_mounts++;
	return m;
}

static void shared(struct mnts_spec_mount *m, const char *name)
{
	m->shared = true;
	m->shared_name = xstrdup(name);
}

static void slave(struct mnts_spec_mount *m, const char *name)
{
	m->slave = true;
	m->master_name = xstrdup(name);
}

static struct mnts_mount *at(struct mnts_snapshot *snap, size_t ns, const char *mp, int nth)
{
	for (size_t i = 0; i < snap->nss[ns].n_mounts; i++)
		if (streq(snap->nss[ns].mounts[i].mountpoint, mp) && nth-- == 0)
			return &snap->nss[ns].mounts[i];
	return NULL;
}

static char *joined(const struct mnts_strv *sv)
{
	static char buf[256];
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sv->n; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? "," : "", sv->v[i]);
	return buf;
}

static const char *convert_error(struct mnts_spec *spec)
{
	static struct mnts_error err;
	struct mnts_snapshot *snap = NULL;

	memset(&err, 0, sizeof(err));
	if (mnts_spec_to_snapshot(spec, &snap, &err) == 0) {
		mnts_snapshot_free(snap);
		return "";
	}
	return err.msg;
}

int main(void)
{
	TEST("a shared volume and a slave of it: one tmpfs, defaults, a root made up")
	{
		struct mnts_spec spec = {.file = xstrdup("t.spec")};
		struct mnts_spec_ns *ns = section(&spec, NULL);
		struct mnts_snapshot *snap = NULL;
		struct mnts_error err = {0};
		struct mnts_mount *root, *data, *data2;

		shared(line(ns, "/data", NONE), "vol");
		slave(line(ns, "/data2", NONE), "vol");
		CHECK_INT(mnts_spec_to_snapshot(&spec, &snap, &err), 0);
		CHECK_STR(err.msg, "");
		if (snap) {
			CHECK_INT(snap->n_ns, 1);
			CHECK_STR(snap->nss[0].label, "ns0");
			CHECK_INT(snap->nss[0].n_mounts, 3);
			root = at(snap, 0, "/", 0);
			data = at(snap, 0, "/data", 0);
			data2 = at(snap, 0, "/data2", 0);
			CHECK(root && data && data2);
			CHECK(root == snap->nss[0].root);
			CHECK(data->parent == root && data2->parent == root);
			CHECK_STR(data->fstype, "tmpfs");
			CHECK_STR(data->source, "tmpfs");
			CHECK_STR(data->root, "/");
			CHECK_STR(joined(&data->mount_options), "rw,relatime");
			CHECK_INT(data->super_options.n, 0);
			CHECK(data->shared_id != 0);
			CHECK_INT(data->master_id, 0);
			CHECK_INT(data2->master_id, data->shared_id);
			CHECK_INT(data2->shared_id, 0);
			CHECK_INT(data2->dev_minor, data->dev_minor);
			CHECK(data2->dev_minor != root->dev_minor);
			CHECK(data->dev_minor >= MNTS_SPEC_DEV_MINOR_BASE);
			CHECK_INT(data->dev_major, 0);
		}
		mnts_snapshot_free(snap);
	}
	TEST("parents: the enclosing line, else the deepest line at a prefix (later ones too); "
	     "a second line at a path stacks")
	{
		struct mnts_spec spec = {0};
		struct mnts_spec_ns *ns = section(&spec, "a");
		struct mnts_snapshot *snap = NULL;
		struct mnts_error err = {0};

		line(ns, "/", NONE);
		line(ns, "/x/y/z", NONE);
		line(ns, "/x", NONE);
		line(ns, "/x/y", NONE);
		line(ns, "/s", NONE);
		line(ns, "/s", NONE);
		line(ns, "/s/in", 4); /* enclosed by the first /s: on top of the stack */
		CHECK_INT(mnts_spec_to_snapshot(&spec, &snap, &err), 0);
		CHECK_STR(err.msg, "");
		if (snap) {
			CHECK_STR(snap->nss[0].label, "a");
			CHECK_INT(snap->nss[0].n_mounts, 7);
			CHECK(at(snap, 0, "/x/y/z", 0)->parent == at(snap, 0, "/x/y", 0));
			CHECK(at(snap, 0, "/x/y", 0)->parent == at(snap, 0, "/x", 0));
			CHECK(at(snap, 0, "/s", 1)->parent == at(snap, 0, "/s", 0));
			CHECK(at(snap, 0, "/s/in", 0)->parent == at(snap, 0, "/s", 0));
			/* parents come first (tree order) */
			for (size_t i = 1; i < snap->nss[0].n_mounts; i++)
				CHECK(snap->nss[0].mounts[i].parent->index < i);
		}
		mnts_snapshot_free(snap);
	}
	TEST("bind=PATH: the superblock of the mount there, its root joined with the rest")
	{
		struct mnts_spec spec = {0};
		struct mnts_spec_ns *ns = section(&spec, NULL);
		struct mnts_snapshot *snap = NULL;
		struct mnts_error err = {0};
		struct mnts_spec_mount *vol, *b;

		vol = line(ns, "/vol", NONE);
		vol->fstype = xstrdup("ramfs");
		mnts_strv_push(&vol->fsopts, "mode=700");
		b = line(ns, "/b", NONE);
		b->bind = true;
		b->bind_path = xstrdup("/vol/sub/dir");
		mnts_strv_push(&b->flags_on, "ro");
		mnts_strv_push(&b->flags_on, "noatime");
		CHECK_INT(mnts_spec_to_snapshot(&spec, &snap, &err), 0);
		CHECK_STR(err.msg, "");
		if (snap) {
			struct mnts_mount *mv = at(snap, 0, "/vol", 0), *mb = at(snap, 0, "/b", 0);

			CHECK_STR(mv->source, "none");
			CHECK_STR(joined(&mv->super_options), "rw,mode=700");
			CHECK_STR(mb->fstype, "ramfs");
			CHECK_STR(mb->root, "/sub/dir");
			CHECK_INT(mb->dev_minor, mv->dev_minor);
			CHECK_STR(joined(&mb->mount_options), "ro,noatime");
			CHECK_STR(joined(&mb->super_options), "rw,mode=700");
		}
		mnts_snapshot_free(snap);
	}
	TEST("sb=NAME ties lines to one superblock; different names, different ones")
	{
		struct mnts_spec spec = {0};
		struct mnts_spec_ns *ns = section(&spec, NULL);
		struct mnts_snapshot *snap = NULL;
		struct mnts_error err = {0};
		struct mnts_spec_mount *m;

		m = line(ns, "/a", NONE);
		m->sb_name = xstrdup("one");
		m = line(ns, "/b", NONE);
		m->sb_name = xstrdup("one");
		m->root = xstrdup("/sub");
		m = line(ns, "/c", NONE);
		m->sb_name = xstrdup("two");
		CHECK_INT(mnts_spec_to_snapshot(&spec, &snap, &err), 0);
		if (snap) {
			CHECK_INT(at(snap, 0, "/a", 0)->dev_minor, at(snap, 0, "/b", 0)->dev_minor);
			CHECK(at(snap, 0, "/a", 0)->dev_minor != at(snap, 0, "/c", 0)->dev_minor);
			CHECK_STR(at(snap, 0, "/b", 0)->root, "/sub");
		}
		mnts_snapshot_free(snap);
	}
	TEST("opts=, sbopts=, flags off, strictatime, unbindable, deleted, idmap, owner")
	{
		struct mnts_spec spec = {0};
		struct mnts_spec_ns *ns = section(&spec, "box");
		struct mnts_snapshot *snap = NULL;
		struct mnts_error err = {0};
		struct mnts_spec_mount *m;

		ns->owner_initial = MNTS_SPEC_NO;
		mnts_strv_push(&ns->owner_uid_map, "0 100000 65536");
		mnts_strv_push(&ns->owner_gid_map, "0 100000 65536");
		m = line(ns, "/o", NONE);
		m->has_opts = true;
		mnts_strv_push(&m->opts, "ro");
		mnts_strv_push(&m->opts, "nosuid");
		m->has_sbopts = true;
		mnts_strv_push(&m->sbopts, "rw");
		mnts_strv_push(&m->sbopts, "size=1024k");
		m->unbindable = MNTS_SPEC_YES;
		m = line(ns, "/s", NONE);
		mnts_strv_push(&m->flags_off, "noatime");
		mnts_strv_push(&m->flags_off, "relatime");
		mnts_strv_push(&m->flags_on, "nodev");
		m->deleted = MNTS_SPEC_YES;
		m = line(ns, "/i", NONE);
		m->has_idmap = true;
		mnts_strv_push(&m->uid_map, "0 1000 1");
		mnts_strv_push(&m->gid_map, "0 1000 1");
		CHECK_INT(mnts_spec_to_snapshot(&spec, &snap, &err), 0);
		CHECK_STR(err.msg, "");
		if (snap) {
			CHECK(snap->nss[0].owner.known && !snap->nss[0].owner.initial);
			CHECK_STR(joined(&snap->nss[0].owner.uid_map), "0 100000 65536");
			CHECK_STR(joined(&at(snap, 0, "/o", 0)->mount_options), "ro,nosuid");
			CHECK_STR(joined(&at(snap, 0, "/o", 0)->super_options), "rw,size=1024k");
			CHECK(at(snap, 0, "/o", 0)->unbindable);
			CHECK_STR(joined(&at(snap, 0, "/s", 0)->mount_options), "rw,nodev");
			CHECK(at(snap, 0, "/s", 0)->deleted);
			CHECK_STR(joined(&at(snap, 0, "/i", 0)->mount_options), "rw,relatime,idmapped");
			CHECK_STR(joined(&at(snap, 0, "/i", 0)->uid_map), "0 1000 1");
			CHECK(!snap->nss[0].root->unbindable);
		}
		mnts_snapshot_free(snap);
	}
	TEST("nsfs=mnt:LABEL pins another section; groups cross sections")
	{
		struct mnts_spec spec = {0};
		struct mnts_spec_ns *a = section(&spec, "a");
		struct mnts_spec_ns *b;
		struct mnts_snapshot *snap = NULL;
		struct mnts_error err = {0};
		struct mnts_spec_mount *m;

		shared(line(a, "/p", NONE), "x");
		m = line(a, "/pin", NONE);
		m->nsfs_type = xstrdup("mnt");
		m->nsfs_ns = xstrdup("b");
		b = section(&spec, "b");
		slave(line(b, "/q", NONE), "x");
		CHECK_INT(mnts_spec_to_snapshot(&spec, &snap, &err), 0);
		CHECK_STR(err.msg, "");
		if (snap) {
			CHECK_STR(at(snap, 0, "/pin", 0)->fstype, "nsfs");
			CHECK_STR(at(snap, 0, "/pin", 0)->nsfs_ns, "b");
			CHECK_INT(snap->nss[1].n_pins, 1);
			CHECK_INT(at(snap, 1, "/q", 0)->master_id, at(snap, 0, "/p", 0)->shared_id);
			CHECK_INT(at(snap, 1, "/q", 0)->dev_minor, at(snap, 0, "/p", 0)->dev_minor);
		}
		mnts_snapshot_free(snap);
	}
	TEST("errors name FILE:LINE")
	{
		struct mnts_spec spec = {.file = xstrdup("t.spec")};
		struct mnts_spec_ns *ns = section(&spec, NULL);
		struct mnts_spec_mount *m;

		m = line(ns, "/b", NONE);
		m->bind = true;
		m->bind_path = xstrdup("/x");
		CHECK_STR(convert_error(&spec),
			  "t.spec:1: bind=/x: no line of the spec is a mount at or above '/x'");

		spec.ns[0].n_mounts = 0;
		shared(line(ns, "/a", NONE), "x");
		m = line(ns, "/b", NONE);
		m->sb_name = xstrdup("other");
		slave(m, "x");
		CHECK_STR(convert_error(&spec),
			  "t.spec:2: slave:x: on another superblock than its master on line 1 (a "
			  "slave is a copy of a member of its master group)");

		spec.ns[0].n_mounts = 0;
		shared(line(ns, "/a", NONE), "x");
		m = line(ns, "/b", NONE);
		m->fstype = xstrdup("ramfs");
		shared(m, "x");
		CHECK_STR(convert_error(&spec), "t.spec:2: type ramfs: on the tmpfs superblock of line 1");

		spec.ns[0].n_mounts = 0;
		m = line(ns, "/b", NONE);
		m->bind = true;
		CHECK_STR(convert_error(&spec), "t.spec:1: bind: bound from where? give bind=PATH, "
						"sb=NAME or root=PATH to replay it");

		spec.ns[0].n_mounts = 0;
		m = line(ns, "/a", NONE);
		m->bind = true;
		m->bind_path = xstrdup("/b/x");
		m = line(ns, "/b", NONE);
		m->bind = true;
		m->bind_path = xstrdup("/a/y");
		line(ns, "/", NONE);
		CHECK_STR(convert_error(&spec), "t.spec:1: bind=/b/x: a cycle of binds");

		/* each line binds the next: resolved depth-first, so bounded */
		spec.ns[0].n_mounts = 0;
		for (int i = 5000; i > 0; i--) {
			char mp[32], from[32];

			snprintf(mp, sizeof(mp), "/a%d", i);
			snprintf(from, sizeof(from), "/a%d/x", i - 1);
			m = line(ns, mp, NONE);
			m->bind = true;
			m->bind_path = xstrdup(from);
		}
		line(ns, "/a0", NONE);
		CHECK_STR(convert_error(&spec),
			  "t.spec:4097: more than 4096 lines, each bound from or joining the next");

		spec.ns[0].n_mounts = 0;
		m = line(ns, "/a", NONE);
		shared(m, "x");
		slave(m, "y");
		m = line(ns, "/b", NONE);
		shared(m, "y");
		slave(m, "x");
		CHECK_STR(convert_error(&spec),
			  "t.spec:1: '/a': its superblock is that of a group it is a slave of, "
			  "itself a slave of this one's: a cycle of masters");
	}
	return tap_done();
}
