/* snapjson.c - see snapjson.h; the format is specified in spec/FORMAT.md */
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/snapjson.h"

static json_t *strv_to_json(const struct mnts_strv *sv)
{
	json_t *a = json_array();
	for (size_t i = 0; i < sv->n; i++)
		json_array_append_new(a, json_string(sv->v[i]));
	return a;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *u64_json(uint64_t v)
{
	return json_integer((json_int_t)v);
}

static json_t *mount_to_json(const struct mnts_mount *m)
{
	json_t *o = json_object();
	json_t *nsfs = json_null(), *idmap = json_null();

	if (m->nsfs_type) {
		nsfs = json_object();
		json_object_set_new(nsfs, "type", json_string(m->nsfs_type));
		json_object_set_new(nsfs, "ino", u64_json(m->nsfs_ino));
		json_object_set_new(nsfs, "ns", str_or_null(m->nsfs_ns));
	}
	if (m->uid_map.n || m->gid_map.n) {
		idmap = json_object();
		json_object_set_new(idmap, "uid_map", strv_to_json(&m->uid_map));
		json_object_set_new(idmap, "gid_map", strv_to_json(&m->gid_map));
	}
	json_object_set_new(o, "id", u64_json(m->id));
	json_object_set_new(o, "mnt_id", u64_json(m->mnt_id));
	json_object_set_new(o, "parent", m->parent_id ? u64_json(m->parent_id) : json_null());
	json_object_set_new(o, "dev", json_sprintf("%u:%u", m->dev_major, m->dev_minor));
	json_object_set_new(o, "root", json_string(m->root));
	json_object_set_new(o, "mountpoint", json_string(m->mountpoint));
	json_object_set_new(o, "fstype", json_string(m->fstype));
	json_object_set_new(o, "source", json_string(m->source ? m->source : "none"));
	json_object_set_new(o, "mount_options", strv_to_json(&m->mount_options));
	json_object_set_new(o, "super_options", strv_to_json(&m->super_options));
	json_object_set_new(o, "shared_id", u64_json(m->shared_id));
	json_object_set_new(o, "master_id", u64_json(m->master_id));
	json_object_set_new(o, "propagate_from", u64_json(m->propagate_from));
	json_object_set_new(o, "unbindable", json_boolean(m->unbindable));
	json_object_set_new(o, "deleted", json_boolean(m->deleted));
	json_object_set_new(o, "nsfs", nsfs);
	json_object_set_new(o, "idmap", idmap);
	return o;
}

static json_t *ns_to_json(const struct mnts_ns *ns)
{
	json_t *o = json_object(), *pids = json_array(), *pins = json_array(),
	       *mounts = json_array();

	for (size_t i = 0; i < ns->n_pids; i++)
		json_array_append_new(pids, u64_json(ns->pids[i]));
	for (size_t i = 0; i < ns->n_pins; i++)
		json_array_append_new(pins, json_pack("{s:s, s:s}", "ns", ns->pins[i].ns, "path",
						      ns->pins[i].path));
	for (size_t i = 0; i < ns->n_mounts; i++)
		json_array_append_new(mounts, mount_to_json(&ns->mounts[i]));
	json_object_set_new(o, "label", json_string(ns->label));
	json_object_set_new(o, "mnt_ns_id", ns->mnt_ns_id ? u64_json(ns->mnt_ns_id) : json_null());
	json_object_set_new(o, "ns_ino", ns->ns_ino ? u64_json(ns->ns_ino) : json_null());
	json_object_set_new(o, "owner_userns_ino",
			    ns->owner_userns_ino ? u64_json(ns->owner_userns_ino) : json_null());
	json_object_set_new(o, "pids", pids);
	json_object_set_new(o, "nsfs_paths", pins);
	json_object_set_new(o, "root_mount", u64_json(ns->root_mount));
	json_object_set_new(o, "mounts", mounts);
	return o;
}

json_t *mnts_snapshot_to_json(const struct mnts_snapshot *snap)
{
	json_t *o = json_object(), *nss = json_array();

	for (size_t i = 0; i < snap->n_ns; i++)
		json_array_append_new(nss, ns_to_json(&snap->nss[i]));
	json_object_set_new(o, "format", json_string(MNTS_FORMAT_NAME));
	json_object_set_new(o, "format_version", json_integer(snap->format_version));
	json_object_set_new(o, "tool", json_pack("{s:s, s:o}", "name", "mntsnap", "version",
						 str_or_null(snap->tool_version)));
	json_object_set_new(o, "created", str_or_null(snap->created));
	json_object_set_new(o, "host",
			    json_pack("{s:o, s:o, s:o}", "kernel", str_or_null(snap->host_kernel),
				      "arch", str_or_null(snap->host_arch), "hostname",
				      str_or_null(snap->host_name)));
	json_object_set_new(o, "capture",
			    json_pack("{s:o, s:o, s:o}", "method", str_or_null(snap->method),
				      "subtree", str_or_null(snap->subtree), "selection",
				      str_or_null(snap->selection)));
	json_object_set_new(o, "namespaces", nss);
	json_object_set_new(o, "warnings", strv_to_json(&snap->warnings));
	return o;
}

static int dump_to(json_t *doc, FILE *f, bool compact)
{
	size_t flags = JSON_SORT_KEYS | (compact ? JSON_COMPACT : JSON_INDENT(2));

	if (json_dumpf(doc, f, flags) < 0)
		return -EIO;
	if (fputc('\n', f) == EOF)
		return -errno;
	return 0;
}

int mnts_snapshot_write(const struct mnts_snapshot *snap, const char *path, bool compact,
			struct mnts_error *err)
{
	json_auto_t *doc = mnts_snapshot_to_json(snap);
	_cleanup_free_ char *tmp = NULL, *dircopy = NULL;
	_cleanup_close_ int fd = -1;
	FILE *f;
	int r;

	if (!path || streq(path, "-")) {
		r = dump_to(doc, stdout, compact);
		if (r == 0 && fflush(stdout) != 0)
			r = -errno;
		if (r < 0)
			return mnts_err(err, -r, "write failure on standard output");
		return 0;
	}

	tmp = xasprintf("%s.XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return mnts_err(err, errno, "cannot create temporary file '%s'", tmp);
	f = fdopen(fd, "w");
	if (!f) {
		r = mnts_err(err, errno, "fdopen '%s'", tmp);
		unlink(tmp);
		return r;
	}
	fd = -1; /* now owned by f */
	r = dump_to(doc, f, compact);
	if (r == 0 && fflush(f) != 0)
		r = -errno;
	if (r == 0 && fsync(fileno(f)) < 0)
		r = -errno;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	if (r == 0 && fchmodat(AT_FDCWD, tmp, 0644, 0) < 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return mnts_err(err, -r, "cannot write '%s'", path);
	}
	return 0;
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

static int read_mount(json_t *jm, struct mnts_ns *ns, size_t idx, const char *what,
		      struct mnts_error *err)
{
	json_error_t je;
	json_t *id, *mnt_id, *parent, *mopts, *sopts, *shared, *master, *pfrom, *nsfs, *idmap;
	const char *dev, *root, *mp, *fstype, *source;
	int unbindable, deleted;
	char where[256];
	struct mnts_mount *m;
	unsigned maj, min;
	char tail;
	int r;

	snprintf(where, sizeof(where), "namespace '%s' mounts[%zu]", ns->label, idx);
	if (json_unpack_ex(jm, &je, JSON_STRICT,
			   "{s:o, s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, "
			   "s:b, s:b, s:o, s:o}",
			   "id", &id, "mnt_id", &mnt_id, "parent", &parent, "dev", &dev, "root",
			   &root, "mountpoint", &mp, "fstype", &fstype, "source", &source,
			   "mount_options", &mopts, "super_options", &sopts, "shared_id", &shared,
			   "master_id", &master, "propagate_from", &pfrom, "unbindable",
			   &unbindable, "deleted", &deleted, "nsfs", &nsfs, "idmap", &idmap) < 0)
		return bad(err, what, where, &je);

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

		if (json_unpack_ex(nsfs, &je, JSON_STRICT, "{s:s, s:o, s:o}", "type", &type, "ino",
				   &ino, "ns", &label) < 0)
			return mnts_err(err, 0, "%s: %s: nsfs: %s", what, where, je.text);
		if ((r = read_u64(ino, false, &m->nsfs_ino, what, where, "nsfs.ino", err)) < 0 ||
		    (r = read_opt_str(label, &m->nsfs_ns, what, where, err)) < 0)
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
