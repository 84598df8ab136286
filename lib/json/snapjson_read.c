/* snapjson_read.c - a snapshot from JSON (see snapjson.h; the format is
 * specified in spec/FORMAT.md), over the primitives of snapjson_reader.c.
 * format and format_version are checked before anything else (FORMAT.md
 * §11), by a first pass over the top-level object that stops as soon as it
 * has both (they come third and fourth in a file capture wrote). */
#include <fcntl.h>
#include <inttypes.h>
#include <errno.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <stdlib.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/core/log.h"
#include "lib/core/path.h"
#include "lib/core/readfile.h"
#include "lib/json/snapjson.h"
#include "lib/json/snapjson_reader.h"

/* "MAJOR:MINOR", each a decimal below 2^32. */
bool rd_parse_dev(const char *s, size_t len, uint32_t *maj, uint32_t *min)
{
	uint64_t v[2] = {0, 0};
	size_t i = 0;

	for (int part = 0; part < 2; part++) {
		size_t start = i;

		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			v[part] = v[part] * 10 + (uint64_t)(s[i] - '0');
			if (v[part] > UINT32_MAX)
				return false;
		}
		if (i == start || (part == 0 && (i == len || s[i++] != ':')))
			return false;
	}
	if (i != len)
		return false;
	*maj = (uint32_t)v[0];
	*min = (uint32_t)v[1];
	return true;
}

static const struct key nsfs_keys[] = {KEY("ino"), KEY("ns"), KEY("type")};

/* nsfs: null, or {"ino", "ns", "type"} */
static int read_nsfs(struct reader *rd, struct mnts_mount *m)
{
	uint32_t seen = 0;
	int k = -1, r = rd_open(rd, "nsfs", true);

	if (r <= 0)
		return r;
	while ((r = rd_member(rd, nsfs_keys, ARRAY_SIZE(nsfs_keys), "nsfs", &seen, &k)) > 0) {
		if (k == 0)
			r = rd_u64(rd, "nsfs.ino", false, &m->nsfs_ino);
		else if (k == 1)
			r = rd_str(rd, "nsfs.ns", true, &m->nsfs_ns);
		else
			r = rd_str(rd, "nsfs.type", false, &m->nsfs_type);
		if (r < 0)
			return r;
	}
	return r;
}

static const struct key idmap_keys[] = {KEY("gid_map"), KEY("uid_map")};

/* idmap: null, or {"gid_map": [...], "uid_map": [...]} */
static int read_idmap(struct reader *rd, struct mnts_mount *m)
{
	uint32_t seen = 0;
	int k = -1, r = rd_open(rd, "idmap", true);

	if (r <= 0)
		return r;
	while ((r = rd_member(rd, idmap_keys, ARRAY_SIZE(idmap_keys), "idmap", &seen, &k)) > 0) {
		r = rd_strv(rd, k == 0 ? "idmap.gid_map" : "idmap.uid_map",
			    k == 0 ? &m->gid_map : &m->uid_map);
		if (r < 0)
			return r;
	}
	return r;
}

const struct key rd_mount_keys[M_COUNT] = {
	KEY("deleted"), KEY("dev"), KEY_SINCE("fs_label", 3), KEY_SINCE("fs_uuid", 3),
	KEY("fstype"), KEY("id"), KEY("idmap"), KEY("master_id"),
	KEY("mnt_id"), KEY("mount_options"), KEY("mountpoint"), KEY("nsfs"), KEY("parent"),
	KEY("propagate_from"), KEY("root"), KEY_SINCE("root_type", 3), KEY("shared_id"),
	KEY("source"), KEY("super_options"), KEY("unbindable"),
};

/* root_type: "dir", "file" or null */
static int read_root_type(struct reader *rd, struct mnts_mount *m)
{
	int kind = rd_next(rd);

	if (kind < 0)
		return kind;
	if (kind == MNTS_JP_NULL)
		return 0;
	if (kind == MNTS_JP_STRING && rd->tok.len == 3 && !memcmp(rd->tok.str, "dir", 3))
		m->root_type = MNTS_ROOT_DIR;
	else if (kind == MNTS_JP_STRING && rd->tok.len == 4 && !memcmp(rd->tok.str, "file", 4))
		m->root_type = MNTS_ROOT_FILE;
	else
		return rd_fail(rd, rd->tok.off, "root_type: expected \"dir\", \"file\" or null");
	return 0;
}

/* One element of "mounts", its first token read.  A bad dev is reported
 * once the object is read, to name the mount by its id. */
int rd_mount(struct reader *rd, void *data, ssize_t idx)
{
	struct mnts_ns *ns = data;
	struct mnts_mount *m = mnts_ns_add_mount(ns);
	size_t bad_dev = 0;
	char dev[80];
	uint32_t seen = 0;
	int k = -1, r;

	rd->mount = idx;
	if (rd->tok.kind != MNTS_JP_OBJECT)
		return rd_fail(rd, rd->tok.off, "expected an object");
	rd->n_mounts++;
	if (rd_mount_fast(rd, m)) {
		rd->n_fast++;
		rd->mount = -1;
		return 0;
	}
	/* what it made of the mount before it gave up: left in the pool */
	*m = (struct mnts_mount){0};
	while ((r = rd_member(rd, rd_mount_keys, M_COUNT, NULL, &seen, &k)) > 0) {
		const char *key = rd_mount_keys[k].name;

		switch (k) {
		case M_ROOT_TYPE:
			r = read_root_type(rd, m);
			break;
		case M_DEV:
			r = rd_next(rd);
			if (r < 0)
				break;
			if (r != MNTS_JP_STRING) {
				r = rd_fail(rd, rd->tok.off, "dev: expected a string");
				break;
			}
			if (!rd_parse_dev(rd->tok.str, rd->tok.len, &m->dev_major, &m->dev_minor)) {
				bad_dev = rd->tok.off;
				rd_shown(rd->tok.str, rd->tok.len, dev);
			}
			break;
		case M_DELETED:
			r = rd_bool(rd, key, &m->deleted);
			break;
		case M_UNBINDABLE:
			r = rd_bool(rd, key, &m->unbindable);
			break;
		case M_FSTYPE:
			r = rd_str(rd, key, false, &m->fstype);
			break;
		case M_MOUNTPOINT:
			r = rd_str(rd, key, false, &m->mountpoint);
			break;
		case M_ROOT:
			r = rd_str(rd, key, false, &m->root);
			break;
		case M_SOURCE:
			r = rd_str(rd, key, false, &m->source);
			break;
		case M_FS_LABEL:
			r = rd_str(rd, key, true, &m->fs_label);
			break;
		case M_FS_UUID:
			r = rd_str(rd, key, true, &m->fs_uuid);
			break;
		case M_ID:
			r = rd_u64(rd, key, false, &m->id);
			break;
		case M_MNT_ID:
			r = rd_u64(rd, key, false, &m->mnt_id);
			break;
		case M_PARENT:
			r = rd_u64(rd, key, true, &m->parent_id);
			break;
		case M_SHARED_ID:
			r = rd_u64(rd, key, false, &m->shared_id);
			break;
		case M_MASTER_ID:
			r = rd_u64(rd, key, false, &m->master_id);
			break;
		case M_PROPAGATE_FROM:
			r = rd_u64(rd, key, false, &m->propagate_from);
			break;
		case M_MOUNT_OPTIONS:
			r = rd_strv_shared(rd, key, &m->mount_options);
			break;
		case M_SUPER_OPTIONS:
			r = rd_strv_shared(rd, key, &m->super_options);
			break;
		case M_NSFS:
			r = read_nsfs(rd, m);
			break;
		case M_IDMAP:
			r = read_idmap(rd, m);
			break;
		}
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	if (bad_dev)
		return rd_fail(rd, bad_dev, "dev '%s': expected MAJOR:MINOR", dev);
	rd->mount = -1;
	return 0;
}

/* A mount of namespace data; from the offset where a split of the file
 * started (snapjson_read_split.c) on, the helper's mounts when it read
 * them, and then the rest of the array is read (returns 1). */
static int read_mount_or_rest(struct reader *rd, void *data, ssize_t idx)
{
	if (rd->split && rd->tok.off >= rd_split_offset(rd->split) &&
	    rd_split_take(rd->split, rd, data))
		return 1;
	return rd_mount(rd, data, idx);
}

static const struct key pin_keys[] = {KEY("ns"), KEY("path")};

/* One element of "nsfs_paths": {"ns": holder label, "path": mountpoint} */
static int read_pin(struct reader *rd, void *data, ssize_t idx)
{
	char *holder = NULL, *path = NULL;
	char obj[96], key[112];
	uint32_t seen = 0;
	int k = -1, r;

	rd_key_name("nsfs_paths", idx, obj);
	if (rd->tok.kind != MNTS_JP_OBJECT)
		return rd_fail(rd, rd->tok.off, "%s: expected an object", obj);
	while ((r = rd_member(rd, pin_keys, ARRAY_SIZE(pin_keys), obj, &seen, &k)) > 0) {
		snprintf(key, sizeof(key), "%s.%s", obj, pin_keys[k].name);
		r = rd_str(rd, key, false, k == 0 ? &holder : &path);
		if (r < 0)
			break;
	}
	if (r >= 0)
		mnts_ns_add_pin(data, holder, path);
	mnts_snapshot_free_str(rd->snap, holder);
	mnts_snapshot_free_str(rd->snap, path);
	return r;
}

static int read_pid(struct reader *rd, void *data, ssize_t idx)
{
	uint64_t pid;
	int r = rd_tok_u64(rd, "pids", idx, false, &pid);

	if (r < 0)
		return r;
	mnts_ns_add_pid(data, pid);
	return 0;
}

static const struct key owner_keys[] = {KEY("gid_map"), KEY("initial"), KEY_SINCE("locked", 3),
					KEY("uid_map")};

static int read_locked_id(struct reader *rd, void *data, ssize_t idx)
{
	struct mnts_ns *ns = data;
	uint64_t id;
	int r = rd_tok_u64(rd, "owner_userns.locked", idx, false, &id);

	if (r < 0)
		return r;
	if (!(ns->owner.n_locked_ids & (ns->owner.n_locked_ids + 1)))
		ns->owner.locked_ids = xrealloc(ns->owner.locked_ids,
						(ns->owner.n_locked_ids + 1) * 2 * sizeof(uint64_t));
	ns->owner.locked_ids[ns->owner.n_locked_ids++] = id;
	return 0;
}

/* owner_userns: null, or {"gid_map": [...], "initial": bool, "locked":
 * [id...] or null, "uid_map": [...]} */
static int read_owner(struct reader *rd, struct mnts_ns *ns)
{
	uint32_t seen = 0;
	int k = -1, r = rd_open(rd, "owner_userns", true);

	if (r <= 0)
		return r;
	ns->owner.known = true;
	while ((r = rd_member(rd, owner_keys, ARRAY_SIZE(owner_keys), "owner_userns", &seen, &k)) >
	       0) {
		if (k == 1) {
			r = rd_bool(rd, "owner_userns.initial", &ns->owner.initial);
		} else if (k == 2) {
			r = rd_array_or_null(rd, "owner_userns.locked", read_locked_id, ns);
			ns->owner.locked_known = r == 1;
		} else {
			r = rd_strv(rd, k == 0 ? "owner_userns.gid_map" : "owner_userns.uid_map",
				    k == 0 ? &ns->owner.gid_map : &ns->owner.uid_map);
		}
		if (r < 0)
			return r;
	}
	return r;
}

enum {
	N_LABEL,
	N_MNT_NS_ID,
	N_MOUNTS,
	N_NS_INO,
	N_NSFS_PATHS,
	N_OWNER_USERNS,
	N_OWNER_USERNS_INO,
	N_PIDS,
	N_ROOT_MOUNT,
	N_COUNT
};

static const struct key ns_keys[N_COUNT] = {
    KEY("label"),      KEY("mnt_ns_id"),    KEY("mounts"),	     KEY("ns_ino"),
    KEY("nsfs_paths"), KEY("owner_userns"), KEY("owner_userns_ino"), KEY("pids"),
    KEY("root_mount"),
};
/* format 1 had no owner_userns: the same keys without it, and their
 * indexes in ns_keys */
static const struct key ns_keys_v1[N_COUNT - 1] = {
    KEY("label"),      KEY("mnt_ns_id"),	KEY("mounts"), KEY("ns_ino"),
    KEY("nsfs_paths"), KEY("owner_userns_ino"), KEY("pids"),   KEY("root_mount"),
};
static const int ns_keys_v1_index[N_COUNT - 1] = {
    N_LABEL,	  N_MNT_NS_ID,	      N_MOUNTS, N_NS_INO,
    N_NSFS_PATHS, N_OWNER_USERNS_INO, N_PIDS,	N_ROOT_MOUNT,
};

/* One element of "namespaces".  Until its label is read, messages name it
 * by its index. */
static int read_ns(struct reader *rd, void *data, ssize_t idx)
{
	struct mnts_ns *ns = mnts_snapshot_add_ns(rd->snap, "");
	bool v1 = rd->snap->format_version == 1;
	uint32_t seen = 0;
	int k = -1, r;

	(void)data;
	rd->ns = idx;
	rd->ns_labelled = false;
	if (rd->tok.kind != MNTS_JP_OBJECT)
		return rd_fail(rd, rd->tok.off, "expected an object");
	while ((r = v1 ? rd_member(rd, ns_keys_v1, N_COUNT - 1, NULL, &seen, &k)
		       : rd_member(rd, ns_keys, N_COUNT, NULL, &seen, &k)) > 0) {
		int field = v1 ? ns_keys_v1_index[k] : k;
		const char *key = ns_keys[field].name;

		switch (field) {
		case N_LABEL:
			mnts_snapshot_free_str(rd->snap, ns->label);
			ns->label = NULL;
			r = rd_str(rd, key, false, &ns->label);
			rd->ns_labelled = r >= 0;
			break;
		case N_MNT_NS_ID:
			r = rd_u64(rd, key, true, &ns->mnt_ns_id);
			break;
		case N_NS_INO:
			r = rd_u64(rd, key, true, &ns->ns_ino);
			break;
		case N_OWNER_USERNS:
			r = read_owner(rd, ns);
			break;
		case N_OWNER_USERNS_INO:
			r = rd_u64(rd, key, true, &ns->owner_userns_ino);
			break;
		case N_ROOT_MOUNT:
			r = rd_u64(rd, key, false, &ns->root_mount);
			break;
		case N_MOUNTS:
			r = rd_array(rd, key, read_mount_or_rest, ns);
			break;
		case N_NSFS_PATHS:
			r = rd_array(rd, key, read_pin, ns);
			break;
		case N_PIDS:
			r = rd_array(rd, key, read_pid, ns);
			break;
		}
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	if (!ns->label) /* a failed label read leaves none */
		ns->label = xstrdup("");
	rd->ns = -1;
	return 0;
}

/* An object of string-or-null members (capture, host, tool): key i goes to
 * *out[i]; a NULL out[i] is read and dropped; bit i of nonnull: not null. */
static int read_strings(struct reader *rd, const char *section, const struct key *keys, int n,
			char **const out[], uint32_t nonnull)
{
	uint32_t seen = 0;
	int k = -1, r;

	rd->section = section;
	r = rd_open(rd, NULL, false);
	if (r < 0)
		return r;
	while ((r = rd_member(rd, keys, n, NULL, &seen, &k)) > 0) {
		char *dropped = NULL;

		r = rd_str(rd, keys[k].name, !(nonnull & 1u << k), out[k] ? out[k] : &dropped);
		mnts_snapshot_free_str(rd->snap, dropped);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	rd->section = "top level";
	return 0;
}

enum {
	T_CAPTURE, T_CREATED, T_FORMAT, T_FORMAT_VERSION, T_HOST, T_NAMESPACES, T_TOOL,
	T_WARNINGS, T_COUNT
};

static const struct key top_keys[T_COUNT] = {
	KEY("capture"), KEY("created"), KEY("format"), KEY("format_version"), KEY("host"),
	KEY("namespaces"), KEY("tool"), KEY("warnings"),
};
static const struct key capture_keys[] = {KEY("method"), KEY("selection"), KEY("subtree")};
static const struct key host_keys[] = {KEY("arch"), KEY_SINCE("boot_id", 3), KEY("hostname"),
				       KEY("kernel")};
static const struct key tool_keys[] = {KEY("name"), KEY("version")};

static int check_subtree(struct reader *rd)
{
	const char *p = rd->snap->subtree;
	char buf[80], shown[80];
	const char *why = p ? mnts_path_fault(p, buf) : NULL;

	if (!why)
		return 0;
	return mnts_err(rd->err, 0, "%s: capture.subtree '%s': %s", rd->what,
			rd_shown(p, strlen(p), shown), why);
}

/* capture.method and capture.selection: null or one of their words
 * (FORMAT.md §2). */
static int check_capture_word(struct reader *rd, const char *key, const char *v,
			      const char *const *words, size_t n)
{
	char shown[80];

	if (!v)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (streq(v, words[i]))
			return 0;
	return mnts_err(rd->err, 0, "%s: capture.%s '%s': not one of its values", rd->what, key,
			rd_shown(v, strlen(v), shown));
}

static int check_capture(struct reader *rd)
{
	static const char *const methods[] = {"listmount", "mountinfo"};
	static const char *const selections[] = {"all", "pid", "mount", "mountinfo", "mixed"};
	int r = check_subtree(rd);

	if (r >= 0)
		r = check_capture_word(rd, "method", rd->snap->method, methods,
				       ARRAY_SIZE(methods));
	if (r >= 0)
		r = check_capture_word(rd, "selection", rd->snap->selection, selections,
				       ARRAY_SIZE(selections));
	return r;
}

/* The document, format and format_version already checked. */
static int read_top(struct reader *rd)
{
	struct mnts_snapshot *snap = rd->snap;
	char **const capture_out[] = {&snap->method, &snap->selection, &snap->subtree};
	char **const host_out[] = {&snap->host_arch, &snap->boot_id, &snap->host_name,
				   &snap->host_kernel};
	char **const tool_out[] = {NULL, &snap->tool_version};
	uint32_t seen = 0;
	int k = -1, r;

	r = rd_open(rd, NULL, false);
	if (r < 0)
		return r;
	while ((r = rd_member(rd, top_keys, T_COUNT, NULL, &seen, &k)) > 0) {
		switch (k) {
		case T_CAPTURE:
			r = read_strings(rd, "capture", capture_keys, ARRAY_SIZE(capture_keys),
					 capture_out, 0);
			if (r >= 0)
				r = check_capture(rd);
			break;
		case T_CREATED:
			r = rd_str(rd, "created", true, &snap->created);
			break;
		case T_FORMAT:
		case T_FORMAT_VERSION:
			r = rd_next(rd); /* checked by check_format() */
			break;
		case T_HOST:
			r = read_strings(rd, "host", host_keys, ARRAY_SIZE(host_keys), host_out, 0);
			break;
		case T_NAMESPACES:
			r = rd_array(rd, "namespaces", read_ns, NULL);
			break;
		case T_TOOL:
			r = read_strings(rd, "tool", tool_keys, ARRAY_SIZE(tool_keys), tool_out, 1);
			break;
		case T_WARNINGS:
			r = rd_strv(rd, "warnings", &snap->warnings);
			break;
		}
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	r = rd_next(rd);
	return r < 0 ? r : 0; /* MNTS_JP_END: nothing after the document */
}

/* First pass: format and format_version, before anything else is looked
 * at (a newer version may change the rest).  Leaves rd->jp wherever it
 * stopped. */
static int check_format(struct reader *rd)
{
	enum { ABSENT, BAD_TYPE, SEEN } format = ABSENT, version = ABSENT;
	char format_val[80], version_val[80];
	bool format_ok = false, version_ok = false;
	int kind;

	kind = rd_next(rd);
	if (kind < 0)
		return kind;
	if (kind != MNTS_JP_OBJECT)
		return mnts_err(rd->err, 0, "%s: not a mntsnap snapshot: expected a JSON object",
				rd->what);
	while ((format == ABSENT || version == ABSENT) &&
	       (kind = rd_next(rd)) == MNTS_JP_KEY) {
		const struct mnts_jp_token *t = &rd->tok;
		bool is_format = t->len == 6 && memcmp(t->str, "format", 6) == 0;
		bool is_version = t->len == 14 && memcmp(t->str, "format_version", 14) == 0;

		kind = rd_next(rd);
		if (kind < 0)
			return kind;
		if (is_format && format == ABSENT) {
			format = kind == MNTS_JP_STRING ? SEEN : BAD_TYPE;
			if (format == SEEN) {
				format_ok = t->len == strlen(MNTS_FORMAT_NAME) &&
					    memcmp(t->str, MNTS_FORMAT_NAME, t->len) == 0;
				rd_shown(t->str, t->len, format_val);
			}
		} else if (is_version && version == ABSENT) {
			version = kind == MNTS_JP_NUMBER && t->integer ? SEEN : BAD_TYPE;
			if (version == SEEN) {
				version_ok = !t->negative && !t->overflow &&
					     t->u64 >= MNTS_FORMAT_VERSION_MIN &&
					     t->u64 <= MNTS_FORMAT_VERSION;
				if (version_ok)
					rd->snap->format_version = (int)t->u64;
				rd_shown(t->str, t->len, version_val);
			}
		}
		if (mnts_jp_skip(&rd->jp, t) == MNTS_JP_ERROR)
			return rd_syntax(rd);
	}
	if (kind < 0)
		return kind;
	if (format != SEEN)
		return mnts_err(rd->err, 0, "%s: not a mntsnap snapshot: format: %s", rd->what,
				format == ABSENT ? "missing" : "expected a string");
	if (version != SEEN)
		return mnts_err(rd->err, 0, "%s: not a mntsnap snapshot: format_version: %s",
				rd->what, version == ABSENT ? "missing" : "expected an integer");
	if (!format_ok)
		return mnts_err(rd->err, 0, "%s: format '%s': not a mntsnap snapshot", rd->what,
				format_val);
	if (!version_ok)
		return mnts_err(
		    rd->err, 0, "%s: format_version %s: unsupported (this mntsnap reads %d to %d)",
		    rd->what, version_val, MNTS_FORMAT_VERSION_MIN, MNTS_FORMAT_VERSION);
	return 0;
}

int mnts_snapshot_parse(const char *text, size_t size, const char *what,
			struct mnts_snapshot **ret, struct mnts_error *err)
{
	_cleanup_snapshot_ struct mnts_snapshot *snap = mnts_snapshot_new();
	struct reader rd = {
		.what = what, .err = err, .snap = snap, .section = "top level", .ns = -1,
		.mount = -1,
	};
	int r;

	mnts_jp_init(&rd.jp, text, size);
	r = check_format(&rd);
	if (r >= 0) {
		mnts_jp_done(&rd.jp);
		mnts_jp_init(&rd.jp, text, size);
		rd.split = rd_split_start(text, size, &rd);
		r = read_top(&rd);
	}
	rd_split_free(rd.split); /* before rd_drain(): it takes a while */
	if (r < 0)
		r = rd_drain(&rd, r);
	rd_done(&rd);
	if (r < 0)
		return r;
	mnts_debug(3, "%s: %zu of %zu mounts read as capture writes them, without the tokenizer",
		   what, rd.n_fast, rd.n_mounts);
	r = mnts_snapshot_link(snap, err);
	if (r < 0)
		return mnts_err_prefix(err, "%s", what);
	*ret = TAKE_PTR(snap);
	return 0;
}

/* What a file that is not regular is, for messages. */
static const char *file_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR:
		return "a directory";
	case S_IFIFO:
		return "a FIFO";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	case S_IFSOCK:
		return "a socket";
	default:
		return "not a regular file";
	}
}

/* A pipe without a name (`<(...)`, /dev/fd/N): like standard input, its
 * writer is there already.  A named FIFO is refused: with no writer,
 * reading it would wait forever. */
static bool is_anonymous_pipe(int fd, const struct stat *st)
{
	struct statfs sfs;

	return S_ISFIFO(st->st_mode) && fstatfs(fd, &sfs) == 0 && sfs.f_type == PIPEFS_MAGIC;
}

/* Opens path to read a snapshot: a regular file or an anonymous pipe.
 * Looked at through an O_PATH descriptor first, so that opening a device
 * has no effect and a FIFO is not waited on; then opened with O_NONBLOCK
 * (should the path have been replaced in between, the open does not wait
 * either) and checked to be the same file.  Returns: an fd or -errno. */
static int open_input(const char *path, struct mnts_error *err)
{
	_cleanup_close_ int pfd = -1, fd = -1;
	struct stat st, again;
	int flags;

	pfd = open(path, O_PATH | O_CLOEXEC);
	if (pfd < 0 || fstat(pfd, &st) < 0)
		return mnts_err(err, errno, "cannot open '%s'", path);
	if (!S_ISREG(st.st_mode) && !is_anonymous_pipe(pfd, &st))
		return mnts_err(err, 0, "cannot read '%s': not a regular file (%s)", path,
				file_kind(st.st_mode));
	closep(&pfd); /* one fd at a time: a caller may have few left */
	pfd = -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &again) < 0)
		return mnts_err(err, errno, "cannot open '%s'", path);
	if (again.st_dev != st.st_dev || again.st_ino != st.st_ino)
		return mnts_err(err, 0, "cannot read '%s': replaced while it was opened", path);
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
		return mnts_err(err, errno, "cannot read '%s'", path);
	return TAKE_FD(fd);
}

int mnts_snapshot_read_text(const char *path, struct mnts_snapshot_text *t,
			    struct mnts_error *err)
{
	_cleanup_close_ int fd = -1;
	bool is_stdin = streq(path, "-");
	const char *what = is_stdin ? "<stdin>" : path;
	int r;

	if (!is_stdin) {
		fd = open_input(path, err);
		if (fd < 0)
			return fd;
	}
	r = mnts_snapshot_text_load(is_stdin ? STDIN_FILENO : fd, MNTS_SNAPSHOT_MAX_SIZE, t);
	if (r == -EFBIG)
		return mnts_err(err, 0, "cannot read '%s': larger than %s, the most a snapshot may be",
				what, MNTS_SNAPSHOT_MAX_SIZE_TEXT);
	if (r < 0)
		return mnts_err(err, -r, "cannot read '%s'", what);
	t->what = what;
	return 0;
}

int mnts_snapshot_text_check(const struct mnts_snapshot_text *t, int r, struct mnts_error *err)
{
	if (!mnts_snapshot_text_truncated(t))
		return r;
	return mnts_err(err, 0, "cannot read '%s': truncated while it was read", t->what);
}

int mnts_snapshot_read(const char *path, struct mnts_snapshot **ret, struct mnts_error *err)
{
	struct mnts_snapshot_text t;
	_cleanup_snapshot_ struct mnts_snapshot *snap = NULL;
	int r;

	r = mnts_snapshot_read_text(path, &t, err);
	if (r < 0)
		return r;
	r = mnts_snapshot_parse(t.text, t.size, t.what, &snap, err);
	r = mnts_snapshot_text_check(&t, r, err);
	mnts_snapshot_text_done(&t);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(snap);
	return 0;
}
