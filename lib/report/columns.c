/* columns.c - see columns.h */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/core/macros.h"
#include "lib/core/strbuf.h"
#include "lib/report/columns.h"
#include "lib/report/tree.h"

static const struct mnts_col_info infos[MNTS_COL__COUNT] = {
    [MNTS_COL_TARGET] = {"TARGET", "target", "mountpoint", false},
    [MNTS_COL_SOURCE] = {"SOURCE", "source", "source device, SOURCE[FSROOT] for a bind mount",
			 false},
    [MNTS_COL_FSTYPE] = {"FSTYPE", "fstype", "filesystem type", false},
    [MNTS_COL_OPTIONS] = {"OPTIONS", "options", "all mount options (VFS-OPTIONS and FS-OPTIONS)",
			  false},
    [MNTS_COL_VFS_OPTIONS] = {"VFS-OPTIONS", "vfs-options", "per-mount options", false},
    [MNTS_COL_FS_OPTIONS] = {"FS-OPTIONS", "fs-options", "superblock options", false},
    [MNTS_COL_PROPAGATION] = {"PROPAGATION", "propagation",
			      "shared or private, then slave, unbindable", false},
    [MNTS_COL_OPT_FIELDS] = {"OPT-FIELDS", "opt-fields",
			     "mountinfo's optional fields (shared:N master:N ...)", false},
    [MNTS_COL_PEERS] = {"PEERS", "peers", "peer group number (shared:N)", true},
    [MNTS_COL_MASTER] = {"MASTER", "master", "peer group this mount is a slave of (master:N)",
			 true},
    [MNTS_COL_PROPAGATE_FROM] = {"PROPAGATE-FROM", "propagate-from",
				 "nearest dominant peer group in this namespace", true},
    [MNTS_COL_ID] = {"ID", "id", "mount id (mountinfo's)", true},
    [MNTS_COL_UNIQ_ID] = {"UNIQ-ID", "uniq-id", "unique 64-bit mount id (the snapshot's key)",
			  true},
    [MNTS_COL_PARENT] = {"PARENT", "parent", "parent mount id", true},
    [MNTS_COL_MAJMIN] = {"MAJ:MIN", "maj:min", "superblock device number", false},
    [MNTS_COL_FSROOT] = {"FSROOT", "fsroot", "the directory of the filesystem mounted", false},
    [MNTS_COL_NS] = {"NS", "ns", "namespace label", false},
    [MNTS_COL_NS_ID] = {"NS-ID", "ns-id", "mount namespace id (mnt_ns_id)", true},
    [MNTS_COL_OWNER] = {"OWNER", "owner", "owning user namespace: initial, or its inode number",
			false},
};

const struct mnts_col_info *mnts_col_info(enum mnts_col c)
{
	return &infos[c];
}

int mnts_cols_parse(const char *list, enum mnts_col *cols, size_t *n, struct mnts_error *err)
{
	_cleanup_free_ char *copy = NULL;
	char *save = NULL;

	if (list[0] == '+')
		list++;
	else
		*n = 0;
	copy = xstrdup(list);
	for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		size_t c = 0;

		while (c < MNTS_COL__COUNT && strcasecmp(infos[c].name, w) != 0)
			c++;
		if (c == MNTS_COL__COUNT)
			return mnts_err(err, EINVAL, "unknown column '%s'", w);
		if (*n == MNTS_COL__COUNT)
			return mnts_err(err, EINVAL, "too many columns in '%s'", list);
		cols[(*n)++] = (enum mnts_col)c;
	}
	if (*n == 0)
		return mnts_err(err, EINVAL, "no column in '%s'", list);
	return 0;
}

const char *mnts_col_propagation(const struct mnts_mount *m)
{
	static const char *const words[2][2][2] = {
	    {{"private", "private,unbindable"}, {"private,slave", "private,slave,unbindable"}},
	    {{"shared", "shared,unbindable"}, {"shared,slave", "shared,slave,unbindable"}},
	};

	return words[m->shared_id != 0][m->master_id != 0][m->unbindable];
}

static void join(struct mnts_strbuf *sb, const struct mnts_strv *sv, size_t from, const char *skip1,
		 const char *skip2)
{
	for (size_t i = from; i < sv->n; i++) {
		if ((skip1 && streq(sv->v[i], skip1)) || (skip2 && streq(sv->v[i], skip2)))
			continue;
		mnts_strbuf_addf(sb, "%s%s", sb->len ? "," : "", sv->v[i]);
	}
}

/* libmount's merge of the per-mount and superblock options: "ro" when
 * either is read-only, else "rw", then both lists without rw/ro. */
static char *options_merged(const struct mnts_mount *m)
{
	struct mnts_strbuf sb = {0};
	bool ro = mnts_strv_contains(&m->mount_options, "ro") ||
		  mnts_strv_contains(&m->super_options, "ro");

	mnts_strbuf_addf(&sb, "%s", ro ? "ro" : "rw");
	join(&sb, &m->mount_options, 0, "rw", "ro");
	join(&sb, &m->super_options, 0, "rw", "ro");
	return mnts_strbuf_take(&sb);
}

static char *options_of(const struct mnts_strv *sv)
{
	struct mnts_strbuf sb = {0};

	join(&sb, sv, 0, NULL, NULL);
	return mnts_strbuf_take(&sb);
}

static char *fsroot(const struct mnts_mount *m)
{
	if (m->nsfs_type)
		return xasprintf("%s:[%" PRIu64 "]", m->nsfs_type, m->nsfs_ino);
	return xasprintf("%s%s", m->root ? m->root : "/", m->deleted ? "//deleted" : "");
}

/* findmnt prints a bind mount's source as SOURCE[FSROOT] */
static char *source(const struct mnts_mount *m)
{
	const char *src = m->source ? m->source : "none";
	_cleanup_free_ char *root = NULL;

	if (!m->nsfs_type && (!m->root || streq(m->root, "/")) && !m->deleted)
		return xstrdup(src);
	root = fsroot(m);
	return xasprintf("%s[%s]", src, root);
}

static char *num(uint64_t v)
{
	return v ? xasprintf("%" PRIu64, v) : xstrdup("");
}

char *mnts_col_value(enum mnts_col c, const struct mnts_mount *m)
{
	const struct mnts_ns *ns = m->ns;

	switch (c) {
	case MNTS_COL_TARGET:
		return xstrdup(m->mountpoint);
	case MNTS_COL_SOURCE:
		return source(m);
	case MNTS_COL_FSTYPE:
		return xstrdup(m->fstype ? m->fstype : "");
	case MNTS_COL_OPTIONS:
		return options_merged(m);
	case MNTS_COL_VFS_OPTIONS:
		return options_of(&m->mount_options);
	case MNTS_COL_FS_OPTIONS:
		return options_of(&m->super_options);
	case MNTS_COL_PROPAGATION:
		return xstrdup(mnts_col_propagation(m));
	case MNTS_COL_OPT_FIELDS: {
		/* mnts_tree_propagation() says "private" for none; mountinfo
		 * has nothing */
		char *s = mnts_tree_propagation(m);

		if (streq(s, "private"))
			s[0] = '\0';
		return s;
	}
	case MNTS_COL_PEERS:
		return num(m->shared_id);
	case MNTS_COL_MASTER:
		return num(m->master_id);
	case MNTS_COL_PROPAGATE_FROM:
		return num(m->propagate_from);
	case MNTS_COL_ID:
		return num(m->mnt_id ? m->mnt_id : m->id);
	case MNTS_COL_UNIQ_ID:
		return num(m->id);
	case MNTS_COL_PARENT:
		return m->parent ? num(m->parent->mnt_id ? m->parent->mnt_id : m->parent->id)
				 : xstrdup("");
	case MNTS_COL_MAJMIN:
		return xasprintf("%" PRIu32 ":%" PRIu32, m->dev_major, m->dev_minor);
	case MNTS_COL_FSROOT:
		return fsroot(m);
	case MNTS_COL_NS:
		return xstrdup(ns->label);
	case MNTS_COL_NS_ID:
		return num(ns->mnt_ns_id);
	case MNTS_COL_OWNER:
		if (ns->owner.known && ns->owner.initial)
			return xstrdup("initial");
		return num(ns->owner_userns_ino);
	default:
		return xstrdup("");
	}
}
