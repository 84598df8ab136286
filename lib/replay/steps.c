/* steps.c - the table of step kinds and how each step reads (see steps.h) */
#include <inttypes.h>
#include <stdio.h>

#include "lib/core/error.h"
#include "lib/core/macros.h"
#include "lib/replay/exec_steps.h"
#include "lib/replay/sbsource.h"
#include "lib/replay/steps.h"

const char *mnts_plan_mount_name(const struct mnts_mount *m, char *buf, size_t size)
{
	snprintf(buf, size, "%s:%s", m->ns->label, m->mountpoint);
	return buf;
}

static void join_strv(const struct mnts_strv *sv, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sv->n && off < size; i++)
		off += (size_t)snprintf(buf + off, size - off, "%s%s", i ? "," : "", sv->v[i]);
}

static void describe_ns_create(const struct mnts_step_ref *r, char *buf, size_t size)
{
	snprintf(buf, size, "create mount namespace for '%s'", r->ns->label);
}

static void describe_sb_fresh(const struct mnts_step_ref *r, char *buf, size_t size)
{
	const struct mnts_plan_sb *sb = r->sb;
	char o[512];

	if (sb->options)
		join_strv(&sb->first->super_options, o, sizeof(o));
	snprintf(buf, size, "create %s superblock (was %u:%u) source '%s' options '%s'%s",
		 sb->fstype, sb->dev_major, sb->dev_minor, sb->first->source, sb->options ? o : "",
		 sb->options ? "" : " (never options: shared type)");
}

static void describe_sb_live(const struct mnts_step_ref *r, char *buf, size_t size)
{
	const struct mnts_plan_sb *sb = r->sb;
	char o[512];

	if (sb->ns_id)
		snprintf(o, sizeof(o), " in mount namespace %" PRIu64, sb->ns_id);
	snprintf(buf, size, "clone %s superblock %u:%u from live mount '%s'%s (root '%s')",
		 sb->fstype, sb->dev_major, sb->dev_minor, sb->path, sb->ns_id ? o : "", sb->root);
}

static void describe_sb_external(const struct mnts_step_ref *r, char *buf, size_t size)
{
	snprintf(buf, size, "clone %s superblock (was %u:%u) from external '%s'", r->sb->fstype,
		 r->sb->dev_major, r->sb->dev_minor, r->sb->path);
}

static void describe_clone(const struct mnts_step_ref *r, char *buf, size_t size)
{
	snprintf(buf, size, "clone mount '%s' from superblock %u:%u path '/%s'%s", r->name,
		 r->m->dev_major, r->m->dev_minor, r->s->rel ? r->s->rel : "",
		 r->s->create ? " (create if missing)" : "");
}

static void describe_unlink_root(const struct mnts_step_ref *r, char *buf, size_t size)
{
	snprintf(buf, size, "remove the root '/%s' of '%s' again (deleted on the host)",
		 r->s->rel ? r->s->rel : "", r->name);
}

static void describe_nsfs(const struct mnts_step_ref *r, char *buf, size_t size)
{
	if (r->pm->ext_path)
		snprintf(buf, size, "bind namespace file '%s' as '%s'", r->pm->ext_path, r->name);
	else
		snprintf(buf, size, "bind namespace file of '%s' as '%s'", r->m->nsfs_ns, r->name);
}

static void describe_idmap(const struct mnts_step_ref *r, char *buf, size_t size)
{
	char o[512], b[512];

	join_strv(&r->m->uid_map, o, sizeof(o));
	join_strv(&r->m->gid_map, b, sizeof(b));
	snprintf(buf, size, "idmap '%s' uid_map '%s' gid_map '%s'", r->name, o, b);
}

static void describe_mountpoint(const struct mnts_step_ref *r, char *buf, size_t size)
{
	char b[512];

	snprintf(buf, size, "open mountpoint of '%s' in '%s' path '/%s'%s", r->name,
		 mnts_plan_mount_name(r->m->parent, b, sizeof(b)), r->s->rel,
		 r->s->create ? " (create if missing)" : "");
}

static void describe_attach(const struct mnts_step_ref *r, char *buf, size_t size)
{
	char b[512];

	snprintf(buf, size, "attach '%s' onto '%s'", r->name,
		 mnts_plan_mount_name(r->m->parent, b, sizeof(b)));
}

static void describe_flags(const struct mnts_step_ref *r, char *buf, size_t size)
{
	struct mnts_strv words = {0};
	char o[512];

	mnts_options_from_mount_attr(&words, r->s->attr_set);
	join_strv(&words, o, sizeof(o));
	mnts_strv_clear(&words);
	snprintf(buf, size, "set flags of '%s' to '%s'", r->name, o);
}

static void describe_sb_ro(const struct mnts_step_ref *r, char *buf, size_t size)
{
	snprintf(buf, size, "make %s superblock (was %u:%u) read-only", r->sb->fstype,
		 r->sb->dev_major, r->sb->dev_minor);
}

static void describe_anchor(const struct mnts_step_ref *r, char *buf, size_t size)
{
	const struct mnts_plan_group *g = r->g;

	if (g->master >= 0)
		snprintf(buf, size, "anchor peer group %" PRIu64 " as a slave of group %" PRIu64,
			 g->shared_id, r->plan->groups[g->master].shared_id);
	else
		snprintf(buf, size, "anchor peer group %" PRIu64, g->shared_id);
}

static void describe_slave_anchor(const struct mnts_step_ref *r, char *buf, size_t size)
{
	snprintf(buf, size, "anchor slaves of peer group %" PRIu64, r->g->shared_id);
}

static void describe_join(const struct mnts_step_ref *r, char *buf, size_t size)
{
	snprintf(buf, size, "join '%s' to peer group %" PRIu64, r->name, r->m->shared_id);
}

static void describe_share(const struct mnts_step_ref *r, char *buf, size_t size)
{
	const struct mnts_mount *m = r->m;

	if (m->master_id)
		snprintf(buf, size,
			 "make '%s' shared (peer group %" PRIu64 ") and a slave of group %" PRIu64,
			 r->name, m->shared_id, m->master_id);
	else
		snprintf(buf, size, "make '%s' shared (peer group %" PRIu64 ")", r->name,
			 m->shared_id);
}

static void describe_slave(const struct mnts_step_ref *r, char *buf, size_t size)
{
	snprintf(buf, size, "make '%s' a slave of peer group %" PRIu64, r->name, r->m->master_id);
}

static void describe_unbindable(const struct mnts_step_ref *r, char *buf, size_t size)
{
	snprintf(buf, size, "make '%s' unbindable", r->name);
}

static void describe_drop(const struct mnts_step_ref *r, char *buf, size_t size)
{
	(void)r;
	snprintf(buf, size, "drop group anchors and superblock sources");
}

static void describe_ns_populate(const struct mnts_step_ref *r, char *buf, size_t size)
{
	const char *root_dir = r->plan->opts->root_dir;

	if (root_dir)
		snprintf(buf, size, "graft '%s' at '%s' in its new namespace", r->ns->label,
			 root_dir);
	else
		snprintf(buf, size, "make '%s' the root of its new namespace (pivot_root)",
			 r->ns->label);
}

static void describe_graft(const struct mnts_step_ref *r, char *buf, size_t size)
{
	const char *root_dir = r->plan->opts->root_dir;

	snprintf(buf, size, "attach '%s' at '%s' in the target namespace", r->ns->label,
		 root_dir ? root_dir : "/");
}

static void describe_pin(const struct mnts_step_ref *r, char *buf, size_t size)
{
	snprintf(buf, size, "pin '%s' at '%s/%s'", r->ns->label, r->plan->opts->new_dir,
		 r->ns->label);
}

static void describe_ns_own(const struct mnts_step_ref *r, char *buf, size_t size)
{
	const struct mnts_ns *ns = r->ns;

	if (r->plan->opts->userns_given)
		snprintf(buf, size, "own '%s' by the --userns user namespace (a copy: mounts locked)",
			 ns->label);
	else
		snprintf(buf, size,
			 "own '%s' by a user namespace with uid map '%s' (the live one, else a new "
			 "one; a copy: mounts locked)",
			 ns->label, ns->owner.uid_map.n ? ns->owner.uid_map.v[0] : "");
}

static void describe_attach_inside(const struct mnts_step_ref *r, char *buf, size_t size)
{
	snprintf(buf, size, "attach '%s' from inside the owned copy (made by the container: not locked)",
		 r->name);
}

static void describe_attach_carried(const struct mnts_step_ref *r, char *buf, size_t size)
{
	snprintf(buf, size,
		 "attach '%s' from inside the owned copy (made by the container: not locked), "
		 "its tree through a copy into the owner (the inherited mounts below it: locked)",
		 r->name);
}

static void describe_unbindable_inside(const struct mnts_step_ref *r, char *buf, size_t size)
{
	snprintf(buf, size, "make '%s' unbindable inside the owned copy (the copy made it private)",
		 r->name);
}

static void describe_rejoin(const struct mnts_step_ref *r, char *buf, size_t size)
{
	snprintf(buf, size,
		 "put '%s' back in peer group %" PRIu64 " inside the owned copy (the copy made it a slave)",
		 r->name, r->m->shared_id);
}

static void describe_live_member(const struct mnts_step_ref *r, char *buf, size_t size)
{
	const struct mnts_plan_group *g = r->g;
	char o[512];

	if (g->ns_id)
		snprintf(o, sizeof(o), " in mount namespace %" PRIu64, g->ns_id);
	snprintf(buf, size, "open live member '%s'%s of peer group %" PRIu64, g->path,
		 g->ns_id ? o : "", g->shared_id);
}

/* In plan order, roughly.  "Source" is a superblock's detached clone (or
 * fresh mount), "anchor" a group's detached member; everything is detached
 * and private until ATTACH, and dies with its fd until NS_POPULATE. */
const struct mnts_step_kind_def mnts_step_kinds[] = {
    /* unshare(CLONE_NEWNS), retried on each CPU until the id (ioctl
     * NS_GET_MNTNS_ID) is above its pinners'; emptied (fsopen/fsmount of a
     * tmpfs, move_mount, pivot_root) unless --root; setns back */
    [MNTS_STEP_NS_CREATE] = {"ns_create", MNTS_STEP_OBJ_NS, mnts_run_ns_create, describe_ns_create},
    /* fsopen, fsconfig (source, the fs options, CMD_CREATE), fsmount */
    [MNTS_STEP_SB_FRESH] = {"sb_fresh", MNTS_STEP_OBJ_SB, mnts_run_sb_fresh, describe_sb_fresh},
    /* open_tree_attr (or open_tree + mount_setattr) OPEN_TREE_CLONE of the
     * live mount, checked by statx to be of the superblock; setns to its
     * namespace and back when it is another's; openat O_PATH to keep */
    [MNTS_STEP_SB_LIVE] = {"sb_live", MNTS_STEP_OBJ_SB, mnts_run_sb_clone, describe_sb_live},
    /* the same clone of a --external path, unchecked */
    [MNTS_STEP_SB_EXTERNAL] = {"sb_external", MNTS_STEP_OBJ_SB, mnts_run_sb_clone,
			       describe_sb_external},
    /* open_tree OPEN_TREE_CLONE below the source (openat2 RESOLVE_BENEATH
     * past one component, mkdirat/openat O_CREAT when creating), in the
     * source's namespace (setns) */
    [MNTS_STEP_CLONE] = {"clone", MNTS_STEP_OBJ_MOUNT, mnts_run_clone, describe_clone},
    /* open_tree OPEN_TREE_CLONE of a namespace file (an NS_CREATE fd, or
     * the --external path) */
    [MNTS_STEP_NSFS] = {"nsfs", MNTS_STEP_OBJ_MOUNT, mnts_run_nsfs, describe_nsfs},
    /* a user namespace with the maps (fork, unshare(CLONE_NEWUSER),
     * uid_map/gid_map), mount_setattr MOUNT_ATTR_IDMAP */
    [MNTS_STEP_IDMAP] = {"idmap", MNTS_STEP_OBJ_MOUNT, mnts_run_idmap, describe_idmap},
    /* openat2 RESOLVE_BENEATH O_PATH of the mountpoint in the parent;
     * when creating, mkdirat/openat O_CREAT through the view (the parent
     * superblock's writable source: the parent may be read-only), undone
     * if the superblock is reused */
    [MNTS_STEP_MOUNTPOINT] = {"mountpoint", MNTS_STEP_OBJ_MOUNT, mnts_run_mountpoint,
			      describe_mountpoint},
    /* move_mount onto the parent at rel, or onto the MOUNTPOINT fd; on
     * ENOENT, the MOUNTPOINT syscalls first */
    [MNTS_STEP_ATTACH] = {"attach", MNTS_STEP_OBJ_MOUNT, mnts_run_attach, describe_attach},
    /* mount_setattr attr_set/attr_clr */
    [MNTS_STEP_FLAGS] = {"flags", MNTS_STEP_OBJ_MOUNT, mnts_run_flags, describe_flags},
    /* fspick, fsconfig SET_FLAG "ro", fsconfig CMD_RECONFIGURE */
    [MNTS_STEP_SB_RO] = {"sb_ro", MNTS_STEP_OBJ_SB, mnts_run_sb_ro, describe_sb_ro},
    /* open_tree OPEN_TREE_CLONE of the source (in its namespace); with a
     * master, move_mount MOVE_MOUNT_SET_GROUP from its anchor and
     * mount_setattr MS_SLAVE; then mount_setattr MS_SHARED */
    [MNTS_STEP_ANCHOR] = {"anchor", MNTS_STEP_OBJ_GROUP, mnts_run_anchor, describe_anchor},
    /* the same without MS_SHARED: a pure slave of the group */
    [MNTS_STEP_SLAVE_ANCHOR] = {"slave_anchor", MNTS_STEP_OBJ_GROUP, mnts_run_anchor,
				describe_slave_anchor},
    /* move_mount MOVE_MOUNT_SET_GROUP from the group's anchor (setns into
     * the mount's namespace once it is populated) */
    [MNTS_STEP_JOIN] = {"join", MNTS_STEP_OBJ_MOUNT, mnts_run_set_group, describe_join},
    /* the ANCHOR syscalls on the mount itself (a detached root) */
    [MNTS_STEP_SHARE] = {"share", MNTS_STEP_OBJ_MOUNT, mnts_run_share, describe_share},
    /* move_mount MOVE_MOUNT_SET_GROUP from the master's slave anchor (setns
     * as for JOIN) */
    [MNTS_STEP_SLAVE] = {"slave", MNTS_STEP_OBJ_MOUNT, mnts_run_set_group, describe_slave},
    /* mount_setattr MS_UNBINDABLE (setns as for JOIN) */
    [MNTS_STEP_UNBINDABLE] = {"unbindable", MNTS_STEP_OBJ_MOUNT, mnts_run_unbindable,
			      describe_unbindable},
    /* setns back to the caller's namespace, close every anchor and source */
    [MNTS_STEP_DROP] = {"drop", MNTS_STEP_OBJ_NONE, mnts_run_drop, describe_drop},
    /* setns into the new namespace, move_mount the tree onto its root and
     * pivot_root, umount2 MNT_DETACH the old root (or move_mount at
     * --root, openat2 RESOLVE_IN_ROOT); setns back */
    [MNTS_STEP_NS_POPULATE] = {"ns_populate", MNTS_STEP_OBJ_NS, mnts_run_ns_populate,
			       describe_ns_populate},
    /* setns into the target, openat2 RESOLVE_IN_ROOT of --root, statmount
     * (it must not be shared), move_mount the tree there; setns back */
    [MNTS_STEP_GRAFT] = {"graft", MNTS_STEP_OBJ_NS, mnts_run_graft, describe_graft},
    /* openat O_CREAT|O_EXCL of DIR/label, open_tree OPEN_TREE_CLONE of the
     * namespace file, move_mount onto the file */
    [MNTS_STEP_PIN] = {"pin", MNTS_STEP_OBJ_NS, mnts_run_pin, describe_pin},
    /* open O_PATH|O_NOFOLLOW of a live member of a group outside the
     * snapshot (setns to its namespace and back), checked by statx's mount
     * id */
    [MNTS_STEP_LIVE_MEMBER] = {"live_member", MNTS_STEP_OBJ_GROUP, mnts_run_live_member,
			       describe_live_member},
    /* openat2 RESOLVE_BENEATH O_PATH of the root's directory in the
     * source, unlinkat (AT_REMOVEDIR for a directory) */
    [MNTS_STEP_UNLINK_ROOT] = {"unlink_root", MNTS_STEP_OBJ_MOUNT, mnts_run_unlink_root,
			       describe_unlink_root},
    /* the owner: setns CLONE_NEWUSER to the live one found by inode, else a
     * child's unshare CLONE_NEWUSER with the maps written; then a child
     * setns to the namespace, setns to the owner, unshare CLONE_NEWNS */
    [MNTS_STEP_NS_OWN] = {"ns_own", MNTS_STEP_OBJ_NS, mnts_run_ns_own, describe_ns_own},
    /* setns into the owned copy, openat2 RESOLVE_BENEATH O_PATH of the
     * mountpoint from its root (fstat: the parent's superblock), move_mount */
    [MNTS_STEP_ATTACH_INSIDE] = {"attach_inside", MNTS_STEP_OBJ_MOUNT, mnts_run_attach_inside,
				 describe_attach_inside},
    /* setns into the owned copy, openat2 as for ATTACH_INSIDE, mount_setattr
     * MS_PRIVATE, move_mount MOVE_MOUNT_SET_GROUP from the group's anchor */
    [MNTS_STEP_REJOIN] = {"rejoin", MNTS_STEP_OBJ_MOUNT, mnts_run_rejoin, describe_rejoin},
    /* ioctl NS_GET_USERNS of the owned copy; unshare CLONE_NEWNS from the
     * seed, move_mount the tree onto its root, the NS_OWN copy of that,
     * setns into it, open_tree OPEN_TREE_CLONE|AT_RECURSIVE of "/"; then
     * as ATTACH_INSIDE */
    [MNTS_STEP_ATTACH_CARRIED] = {"attach_carried", MNTS_STEP_OBJ_MOUNT,
				  mnts_run_attach_carried, describe_attach_carried},
    /* setns into the owned copy, openat2 as for ATTACH_INSIDE, mount_setattr
     * MS_UNBINDABLE */
    [MNTS_STEP_UNBINDABLE_INSIDE] = {"unbindable_inside", MNTS_STEP_OBJ_MOUNT,
				     mnts_run_unbindable_inside, describe_unbindable_inside},
};
_Static_assert(ARRAY_SIZE(mnts_step_kinds) == MNTS_STEP__COUNT,
	       "mnts_step_kinds: one entry per enum mnts_step_kind");

static void step_ref(const struct mnts_plan *plan, const struct mnts_step *s,
		     struct mnts_step_ref *r)
{
	r->plan = plan;
	r->s = s;
	switch (mnts_step_kinds[s->kind].obj) {
	case MNTS_STEP_OBJ_NONE:
		break;
	case MNTS_STEP_OBJ_SB:
		r->sb = &plan->sbs[s->obj];
		break;
	case MNTS_STEP_OBJ_MOUNT:
		r->pm = &plan->mounts[s->obj];
		r->m = r->pm->m;
		mnts_plan_mount_name(r->m, r->name, sizeof(r->name));
		break;
	case MNTS_STEP_OBJ_GROUP:
		r->g = &plan->groups[s->obj];
		break;
	case MNTS_STEP_OBJ_NS:
		r->ns = plan->nss[s->obj].ns;
		break;
	}
}

void mnts_plan_step_text(const struct mnts_plan *plan, size_t i, char *buf, size_t size)
{
	const struct mnts_step *s = &plan->steps[i];
	struct mnts_step_ref r = {0};

	if ((unsigned)s->kind >= MNTS_STEP__COUNT) {
		snprintf(buf, size, "step of unknown kind %d", (int)s->kind);
		return;
	}
	step_ref(plan, s, &r);
	mnts_step_kinds[s->kind].describe(&r, buf, size);
}

void mnts_plan_print(const struct mnts_plan *plan, FILE *f)
{
	char line[2048];

	for (size_t i = 0; i < plan->n_steps; i++) {
		mnts_plan_step_text(plan, i, line, sizeof(line));
		/* the describe functions quote mountpoints, sources and
		 * options: escaped (error.h), each step is one line */
		fprintf(f, "%zu ", i + 1);
		mnts_fputs_escaped(line, f);
		fputc('\n', f);
	}
}
