/* snapjson.c - see snapjson.h; the format is specified in spec/FORMAT.md */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/atomicfile.h"
#include "lib/jsonwriter.h"
#include "lib/snapjson.h"

/* ---- writing ------------------------------------------------------------
 * Keys are emitted in sorted (strcmp) order: the bytes equal jansson's
 * JSON_SORT_KEYS output, which is what the spec's examples are written in. */

/* A member key: a literal, quoted at compile time. */
struct jkey {
	const char *quoted; /* `"key": ` */
	size_t len;
};
#define K(key) ((struct jkey){"\"" key "\": ", sizeof(key) + 3})

static void w_key(struct mnts_jw *w, struct jkey key)
{
	mnts_jw_key_quoted(w, key.quoted, key.len);
}

static void w_strv(struct mnts_jw *w, struct jkey key, const struct mnts_strv *sv)
{
	w_key(w, key);
	mnts_jw_begin_array(w);
	for (size_t i = 0; i < sv->n; i++) {
		mnts_jw_elem(w);
		mnts_jw_string(w, sv->v[i]);
	}
	mnts_jw_end_array(w);
}

static void w_str(struct mnts_jw *w, struct jkey key, const char *s)
{
	w_key(w, key);
	if (s)
		mnts_jw_string(w, s);
	else
		mnts_jw_null(w);
}

static void w_u64(struct mnts_jw *w, struct jkey key, uint64_t v)
{
	w_key(w, key);
	mnts_jw_u64(w, v);
}

/* 0 is written as null: "unknown" for ids, "none" for the root's parent */
static void w_u64_or_null(struct mnts_jw *w, struct jkey key, uint64_t v)
{
	w_key(w, key);
	if (v)
		mnts_jw_u64(w, v);
	else
		mnts_jw_null(w);
}

static void w_bool(struct mnts_jw *w, struct jkey key, bool v)
{
	w_key(w, key);
	mnts_jw_bool(w, v);
}

/* "major:minor" into buf (24 bytes) */
static const char *format_dev(char *buf, uint32_t major, uint32_t minor)
{
	char *p = buf + 23;

	*p = '\0';
	do
		*--p = (char)('0' + minor % 10);
	while (minor /= 10);
	*--p = ':';
	do
		*--p = (char)('0' + major % 10);
	while (major /= 10);
	return p;
}

static void write_mount(struct mnts_jw *w, const struct mnts_mount *m)
{
	char dev[24];

	mnts_jw_begin_object(w);
	w_bool(w, K("deleted"), m->deleted);
	w_str(w, K("dev"), format_dev(dev, m->dev_major, m->dev_minor));
	w_str(w, K("fstype"), m->fstype);
	w_u64(w, K("id"), m->id);
	w_key(w, K("idmap"));
	if (m->uid_map.n || m->gid_map.n) {
		mnts_jw_begin_object(w);
		w_strv(w, K("gid_map"), &m->gid_map);
		w_strv(w, K("uid_map"), &m->uid_map);
		mnts_jw_end_object(w);
	} else {
		mnts_jw_null(w);
	}
	w_u64(w, K("master_id"), m->master_id);
	w_u64(w, K("mnt_id"), m->mnt_id);
	w_strv(w, K("mount_options"), &m->mount_options);
	w_str(w, K("mountpoint"), m->mountpoint);
	w_key(w, K("nsfs"));
	if (m->nsfs_type) {
		mnts_jw_begin_object(w);
		w_u64(w, K("ino"), m->nsfs_ino);
		w_str(w, K("ns"), m->nsfs_ns);
		w_str(w, K("type"), m->nsfs_type);
		mnts_jw_end_object(w);
	} else {
		mnts_jw_null(w);
	}
	w_u64_or_null(w, K("parent"), m->parent_id);
	w_u64(w, K("propagate_from"), m->propagate_from);
	w_str(w, K("root"), m->root);
	w_u64(w, K("shared_id"), m->shared_id);
	w_str(w, K("source"), m->source ? m->source : "none");
	w_strv(w, K("super_options"), &m->super_options);
	w_bool(w, K("unbindable"), m->unbindable);
	mnts_jw_end_object(w);
}

static void write_ns(struct mnts_jw *w, const struct mnts_ns *ns)
{
	mnts_jw_begin_object(w);
	w_str(w, K("label"), ns->label);
	w_u64_or_null(w, K("mnt_ns_id"), ns->mnt_ns_id);
	w_key(w, K("mounts"));
	mnts_jw_begin_array(w);
	for (size_t i = 0; i < ns->n_mounts; i++) {
		mnts_jw_elem(w);
		write_mount(w, &ns->mounts[i]);
	}
	mnts_jw_end_array(w);
	w_u64_or_null(w, K("ns_ino"), ns->ns_ino);
	w_key(w, K("nsfs_paths"));
	mnts_jw_begin_array(w);
	for (size_t i = 0; i < ns->n_pins; i++) {
		mnts_jw_elem(w);
		mnts_jw_begin_object(w);
		w_str(w, K("ns"), ns->pins[i].ns);
		w_str(w, K("path"), ns->pins[i].path);
		mnts_jw_end_object(w);
	}
	mnts_jw_end_array(w);
	w_u64_or_null(w, K("owner_userns_ino"), ns->owner_userns_ino);
	w_key(w, K("pids"));
	mnts_jw_begin_array(w);
	for (size_t i = 0; i < ns->n_pids; i++) {
		mnts_jw_elem(w);
		mnts_jw_u64(w, ns->pids[i]);
	}
	mnts_jw_end_array(w);
	w_u64(w, K("root_mount"), ns->root_mount);
	mnts_jw_end_object(w);
}

struct dump_args {
	const struct mnts_snapshot *snap;
	bool compact;
};

static int dump_to(FILE *f, void *data, struct mnts_error *err)
{
	const struct dump_args *a = data;
	const struct mnts_snapshot *snap = a->snap;
	struct mnts_jw w;

	mnts_jw_init(&w, f, a->compact);
	mnts_jw_begin_object(&w);
	w_key(&w, K("capture"));
	mnts_jw_begin_object(&w);
	w_str(&w, K("method"), snap->method);
	w_str(&w, K("selection"), snap->selection);
	w_str(&w, K("subtree"), snap->subtree);
	mnts_jw_end_object(&w);
	w_str(&w, K("created"), snap->created);
	w_str(&w, K("format"), MNTS_FORMAT_NAME);
	w_u64(&w, K("format_version"), (uint64_t)snap->format_version);
	w_key(&w, K("host"));
	mnts_jw_begin_object(&w);
	w_str(&w, K("arch"), snap->host_arch);
	w_str(&w, K("hostname"), snap->host_name);
	w_str(&w, K("kernel"), snap->host_kernel);
	mnts_jw_end_object(&w);
	w_key(&w, K("namespaces"));
	mnts_jw_begin_array(&w);
	for (size_t i = 0; i < snap->n_ns; i++) {
		mnts_jw_elem(&w);
		write_ns(&w, &snap->nss[i]);
	}
	mnts_jw_end_array(&w);
	w_key(&w, K("tool"));
	mnts_jw_begin_object(&w);
	w_str(&w, K("name"), "mntsnap");
	w_str(&w, K("version"), snap->tool_version);
	mnts_jw_end_object(&w);
	w_strv(&w, K("warnings"), &snap->warnings);
	mnts_jw_end_object(&w);
	mnts_jw_finish(&w);
	fputc_unlocked('\n', f);
	if (w.bad_utf8)
		return mnts_err(err, 0, "string '%s': not valid UTF-8, which JSON cannot carry",
				w.bad_utf8);
	return 0;
}

int mnts_snapshot_write(const struct mnts_snapshot *snap, const char *path, bool compact,
			struct mnts_error *err)
{
	struct dump_args a = {snap, compact};

	return mnts_write_atomic(path, dump_to, &a, err);
}

/* ---- reading ------------------------------------------------------------ */

static int bad(struct mnts_error *err, const char *what, const char *where, const json_error_t *je)
{
	return mnts_err(err, 0, "%s: %s: %s", what, where, je->text);
}

static int read_strv(json_t *a, struct mnts_strv *sv, const char *what, const char *where,
		     const char *key, struct mnts_error *err)
{
	size_t i;
	json_t *v;

	if (!json_is_array(a))
		return mnts_err(err, 0, "%s: %s: %s: expected an array of strings", what, where,
				key);
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v))
			return mnts_err(err, 0, "%s: %s: %s[%zu]: expected a string", what, where,
					key, i);
		mnts_strv_push(sv, json_string_value(v));
	}
	return 0;
}

/* A string or null (-> NULL). */
static int read_opt_str(json_t *v, char **out, const char *what, const char *key,
			struct mnts_error *err)
{
	if (json_is_null(v)) {
		*out = NULL;
		return 0;
	}
	if (!json_is_string(v))
		return mnts_err(err, 0, "%s: %s: expected a string or null", what, key);
	*out = xstrdup(json_string_value(v));
	return 0;
}

static int read_u64(json_t *v, bool nullable, uint64_t *out, const char *what, const char *where,
		    const char *key, struct mnts_error *err)
{
	if (nullable && json_is_null(v)) {
		*out = 0;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return mnts_err(err, 0, "%s: %s: %s: expected a non-negative integer%s", what,
				where, key, nullable ? " or null" : "");
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

/* The keys of a mount object, all required.  Looked up directly: strict
 * json_unpack_ex() re-parses its format for each of 50,000 mounts. */
enum {
	K_ID, K_MNT_ID, K_PARENT, K_DEV, K_ROOT, K_MOUNTPOINT, K_FSTYPE, K_SOURCE,
	K_MOUNT_OPTIONS, K_SUPER_OPTIONS, K_SHARED_ID, K_MASTER_ID, K_PROPAGATE_FROM,
	K_UNBINDABLE, K_DELETED, K_NSFS, K_IDMAP, K_COUNT
};

static const char *const mount_keys[K_COUNT] = {
	[K_ID] = "id", [K_MNT_ID] = "mnt_id", [K_PARENT] = "parent", [K_DEV] = "dev",
	[K_ROOT] = "root", [K_MOUNTPOINT] = "mountpoint", [K_FSTYPE] = "fstype",
	[K_SOURCE] = "source", [K_MOUNT_OPTIONS] = "mount_options",
	[K_SUPER_OPTIONS] = "super_options", [K_SHARED_ID] = "shared_id",
	[K_MASTER_ID] = "master_id", [K_PROPAGATE_FROM] = "propagate_from",
	[K_UNBINDABLE] = "unbindable", [K_DELETED] = "deleted", [K_NSFS] = "nsfs",
	[K_IDMAP] = "idmap",
};

/* Fills v[] with the members of a mount object; every key present, no other
 * key, strings and booleans of the right type. */
static int get_mount_members(json_t *jm, json_t **v, const char *what, const char *where,
			     struct mnts_error *err)
{
	static const int string_keys[] = {K_DEV, K_ROOT, K_MOUNTPOINT, K_FSTYPE, K_SOURCE};

	if (!json_is_object(jm))
		return mnts_err(err, 0, "%s: %s: expected an object", what, where);
	for (int k = 0; k < K_COUNT; k++) {
		v[k] = json_object_get(jm, mount_keys[k]);
		if (!v[k])
			return mnts_err(err, 0, "%s: %s: %s: missing", what, where, mount_keys[k]);
	}
	if (json_object_size(jm) != K_COUNT) {
		const char *key;
		json_t *val;

		json_object_foreach(jm, key, val)
		{
			bool known = false;

			for (int k = 0; k < K_COUNT && !known; k++)
				known = streq(key, mount_keys[k]);
			if (!known)
				return mnts_err(err, 0, "%s: %s: unknown key '%s'", what, where,
						key);
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(string_keys); i++)
		if (!json_is_string(v[string_keys[i]]))
			return mnts_err(err, 0, "%s: %s: %s: expected a string", what, where,
					mount_keys[string_keys[i]]);
	if (!json_is_boolean(v[K_UNBINDABLE]) || !json_is_boolean(v[K_DELETED]))
		return mnts_err(err, 0, "%s: %s: unbindable and deleted: expected booleans", what,
				where);
	return 0;
}

static int read_mount(json_t *jm, struct mnts_ns *ns, size_t idx, const char *what,
		      struct mnts_error *err)
{
	json_error_t je;
	json_t *v[K_COUNT];
	json_t *id, *mnt_id, *parent, *mopts, *sopts, *shared, *master, *pfrom, *nsfs, *idmap;
	const char *dev, *root, *mp, *fstype, *source;
	int unbindable, deleted;
	char where[256];
	struct mnts_mount *m;
	unsigned maj, min;
	char tail;
	int r;

	snprintf(where, sizeof(where), "namespace '%s' mounts[%zu]", ns->label, idx);
	r = get_mount_members(jm, v, what, where, err);
	if (r < 0)
		return r;
	id = v[K_ID];
	mnt_id = v[K_MNT_ID];
	parent = v[K_PARENT];
	dev = json_string_value(v[K_DEV]);
	root = json_string_value(v[K_ROOT]);
	mp = json_string_value(v[K_MOUNTPOINT]);
	fstype = json_string_value(v[K_FSTYPE]);
	source = json_string_value(v[K_SOURCE]);
	mopts = v[K_MOUNT_OPTIONS];
	sopts = v[K_SUPER_OPTIONS];
	shared = v[K_SHARED_ID];
	master = v[K_MASTER_ID];
	pfrom = v[K_PROPAGATE_FROM];
	unbindable = json_is_true(v[K_UNBINDABLE]);
	deleted = json_is_true(v[K_DELETED]);
	nsfs = v[K_NSFS];
	idmap = v[K_IDMAP];

	m = mnts_ns_add_mount(ns);
	if ((r = read_u64(id, false, &m->id, what, where, "id", err)) < 0 ||
	    (r = read_u64(mnt_id, false, &m->mnt_id, what, where, "mnt_id", err)) < 0 ||
	    (r = read_u64(parent, true, &m->parent_id, what, where, "parent", err)) < 0 ||
	    (r = read_u64(shared, false, &m->shared_id, what, where, "shared_id", err)) < 0 ||
	    (r = read_u64(master, false, &m->master_id, what, where, "master_id", err)) < 0 ||
	    (r = read_u64(pfrom, false, &m->propagate_from, what, where, "propagate_from", err)) <
		    0)
		return r;
	snprintf(where, sizeof(where), "namespace '%s' mount %" PRIu64, ns->label, m->id);
	if (sscanf(dev, "%u:%u%c", &maj, &min, &tail) != 2)
		return mnts_err(err, 0, "%s: %s: dev '%s': expected MAJOR:MINOR", what, where, dev);
	m->dev_major = maj;
	m->dev_minor = min;
	m->root = xstrdup(root);
	m->mountpoint = xstrdup(mp);
	m->fstype = xstrdup(fstype);
	m->source = xstrdup(source);
	m->unbindable = unbindable;
	m->deleted = deleted;
	if ((r = read_strv(mopts, &m->mount_options, what, where, "mount_options", err)) < 0 ||
	    (r = read_strv(sopts, &m->super_options, what, where, "super_options", err)) < 0)
		return r;
	if (!json_is_null(nsfs)) {
		const char *type;
		json_t *ino, *label;
		char nsfs_where[300];

		snprintf(nsfs_where, sizeof(nsfs_where), "%s: nsfs.ns", where);
		if (json_unpack_ex(nsfs, &je, JSON_STRICT, "{s:s, s:o, s:o}", "type", &type, "ino",
				   &ino, "ns", &label) < 0)
			return mnts_err(err, 0, "%s: %s: nsfs: %s", what, where, je.text);
		if ((r = read_u64(ino, false, &m->nsfs_ino, what, where, "nsfs.ino", err)) < 0 ||
		    (r = read_opt_str(label, &m->nsfs_ns, what, nsfs_where, err)) < 0)
			return r;
		m->nsfs_type = xstrdup(type);
	}
	if (!json_is_null(idmap)) {
		json_t *u, *g;

		if (json_unpack_ex(idmap, &je, JSON_STRICT, "{s:o, s:o}", "uid_map", &u, "gid_map",
				   &g) < 0)
			return mnts_err(err, 0, "%s: %s: idmap: %s", what, where, je.text);
		if ((r = read_strv(u, &m->uid_map, what, where, "idmap.uid_map", err)) < 0 ||
		    (r = read_strv(g, &m->gid_map, what, where, "idmap.gid_map", err)) < 0)
			return r;
	}
	return 0;
}

static int read_ns(json_t *jns, struct mnts_snapshot *snap, size_t idx, const char *what,
		   struct mnts_error *err)
{
	json_error_t je;
	json_t *nsid, *ino, *owner, *pids, *pins, *rootm, *mounts, *v;
	const char *label;
	struct mnts_ns *ns;
	char where[128];
	size_t i;
	int r;

	snprintf(where, sizeof(where), "namespaces[%zu]", idx);
	if (json_unpack_ex(jns, &je, JSON_STRICT, "{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
			   "label", &label, "mnt_ns_id", &nsid, "ns_ino", &ino, "owner_userns_ino",
			   &owner, "pids", &pids, "nsfs_paths", &pins, "root_mount", &rootm,
			   "mounts", &mounts) < 0)
		return bad(err, what, where, &je);
	ns = mnts_snapshot_add_ns(snap, label);
	snprintf(where, sizeof(where), "namespace '%s'", label);
	if ((r = read_u64(nsid, true, &ns->mnt_ns_id, what, where, "mnt_ns_id", err)) < 0 ||
	    (r = read_u64(ino, true, &ns->ns_ino, what, where, "ns_ino", err)) < 0 ||
	    (r = read_u64(owner, true, &ns->owner_userns_ino, what, where, "owner_userns_ino",
			  err)) < 0 ||
	    (r = read_u64(rootm, false, &ns->root_mount, what, where, "root_mount", err)) < 0)
		return r;
	if (!json_is_array(pids) || !json_is_array(pins) || !json_is_array(mounts))
		return mnts_err(err, 0, "%s: %s: pids, nsfs_paths and mounts must be arrays", what,
				where);
	json_array_foreach(pids, i, v)
	{
		uint64_t pid;
		if ((r = read_u64(v, false, &pid, what, where, "pids[]", err)) < 0)
			return r;
		mnts_ns_add_pid(ns, pid);
	}
	json_array_foreach(pins, i, v)
	{
		const char *holder, *path;
		if (json_unpack_ex(v, &je, JSON_STRICT, "{s:s, s:s}", "ns", &holder, "path",
				   &path) < 0)
			return mnts_err(err, 0, "%s: %s: nsfs_paths[%zu]: %s", what, where, i,
					je.text);
		mnts_ns_add_pin(ns, holder, path);
	}
	json_array_foreach(mounts, i, v)
	{
		r = read_mount(v, ns, i, what, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int mnts_snapshot_from_json(json_t *root, const char *what, struct mnts_snapshot **ret,
			    struct mnts_error *err)
{
	_cleanup_snapshot_ struct mnts_snapshot *snap = mnts_snapshot_new();
	json_error_t je;
	json_t *tool, *created, *host, *capture, *nss, *warnings, *v;
	const char *format;
	int version;
	size_t i;
	int r;

	if (json_unpack_ex(root, &je, 0, "{s:s, s:i}", "format", &format, "format_version",
			   &version) < 0)
		return mnts_err(err, 0, "%s: not a mntsnap snapshot: %s", what, je.text);
	if (!streq(format, MNTS_FORMAT_NAME))
		return mnts_err(err, 0, "%s: format '%s': not a mntsnap snapshot", what, format);
	if (version != MNTS_FORMAT_VERSION)
		return mnts_err(err, 0, "%s: format_version %d: unsupported (this mntsnap reads %d)",
				what, version, MNTS_FORMAT_VERSION);
	if (json_unpack_ex(root, &je, JSON_STRICT,
			   "{s:s, s:i, s:o, s:o, s:o, s:o, s:o, s:o}", "format", &format,
			   "format_version", &version, "tool", &tool, "created", &created, "host",
			   &host, "capture", &capture, "namespaces", &nss, "warnings",
			   &warnings) < 0)
		return bad(err, what, "top level", &je);
	snap->format_version = version;
	{
		json_t *tv, *k, *a, *h, *m, *st, *sel;
		const char *name;

		if (json_unpack_ex(tool, &je, JSON_STRICT, "{s:s, s:o}", "name", &name, "version",
				   &tv) < 0)
			return bad(err, what, "tool", &je);
		if (json_unpack_ex(host, &je, JSON_STRICT, "{s:o, s:o, s:o}", "kernel", &k, "arch",
				   &a, "hostname", &h) < 0)
			return bad(err, what, "host", &je);
		if (json_unpack_ex(capture, &je, JSON_STRICT, "{s:o, s:o, s:o}", "method", &m,
				   "subtree", &st, "selection", &sel) < 0)
			return bad(err, what, "capture", &je);
		if ((r = read_opt_str(tv, &snap->tool_version, what, "tool.version", err)) < 0 ||
		    (r = read_opt_str(created, &snap->created, what, "created", err)) < 0 ||
		    (r = read_opt_str(k, &snap->host_kernel, what, "host.kernel", err)) < 0 ||
		    (r = read_opt_str(a, &snap->host_arch, what, "host.arch", err)) < 0 ||
		    (r = read_opt_str(h, &snap->host_name, what, "host.hostname", err)) < 0 ||
		    (r = read_opt_str(m, &snap->method, what, "capture.method", err)) < 0 ||
		    (r = read_opt_str(st, &snap->subtree, what, "capture.subtree", err)) < 0 ||
		    (r = read_opt_str(sel, &snap->selection, what, "capture.selection", err)) < 0)
			return r;
		if (snap->subtree && !mnts_path_is_normal(snap->subtree))
			return mnts_err(err, 0, "%s: capture.subtree '%s': %s", what, snap->subtree,
					"not an absolute normalised path");
	}
	if (!json_is_array(nss))
		return mnts_err(err, 0, "%s: namespaces: expected an array", what);
	json_array_foreach(nss, i, v)
	{
		r = read_ns(v, snap, i, what, err);
		if (r < 0)
			return r;
	}
	if ((r = read_strv(warnings, &snap->warnings, what, "top level", "warnings", err)) < 0)
		return r;
	r = mnts_snapshot_link(snap, err);
	if (r < 0)
		return mnts_err_prefix(err, "%s", what);
	*ret = TAKE_PTR(snap);
	return 0;
}

int mnts_snapshot_read(const char *path, struct mnts_snapshot **ret, struct mnts_error *err)
{
	json_auto_t *doc = NULL;
	json_error_t je;
	bool is_stdin = streq(path, "-");
	const char *what = is_stdin ? "<stdin>" : path;

	if (is_stdin) {
		doc = json_loadf(stdin, JSON_REJECT_DUPLICATES, &je);
	} else {
		_cleanup_fclose_ FILE *f = fopen(path, "re");
		if (!f)
			return mnts_err(err, errno, "cannot open '%s'", path);
		doc = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
	}
	if (!doc)
		return mnts_err(err, 0, "%s:%d:%d: malformed JSON: %s", what, je.line, je.column,
				je.text);
	return mnts_snapshot_from_json(doc, what, ret, err);
}
