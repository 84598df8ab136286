/* snapjson_write.c - a snapshot to JSON (see snapjson.h; the format is
 * specified in spec/FORMAT.md).  Keys are emitted in sorted (strcmp) order:
 * the bytes equal jansson's JSON_SORT_KEYS output, which is what the spec's
 * examples are written in. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/core/atomicfile.h"
#include "lib/core/macros.h"
#include "lib/core/split.h"
#include "lib/json/jsonwriter.h"
#include "lib/json/snapjson.h"

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
	w_str(w, K("fs_label"), m->fs_label);
	w_str(w, K("fs_uuid"), m->fs_uuid);
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
	w_key(w, K("root_type"));
	if (m->root_type == MNTS_ROOT_UNKNOWN)
		mnts_jw_null(w);
	else
		mnts_jw_string(w, m->root_type == MNTS_ROOT_DIR ? "dir" : "file");
	w_u64(w, K("shared_id"), m->shared_id);
	w_str(w, K("source"), m->source ? m->source : "none");
	w_strv(w, K("super_options"), &m->super_options);
	w_bool(w, K("unbindable"), m->unbindable);
	mnts_jw_end_object(w);
}

/* The mounts of a namespace, formatted a chunk at a time on both CPUs
 * (split.h) and handed to the document in order as they are ready: the JSON
 * of 50,000 mounts (33 MB) took 13 ms on one CPU after everything else.
 * A worker stays at most AHEAD chunks ahead of the one due: a chunk's
 * buffer in fresh memory costs more page faults than its formatting, so
 * a few buffers go round (a worker that lost its CPU is waited for).  Each
 * formats into a writer on its own stack: two writers side by side in one
 * cache line made both workers as slow as one. */
#define MOUNTS_CHUNK 256
#define AHEAD 4

struct mounts_job {
	const struct mnts_ns *ns;
	struct mnts_jw *w;     /* the document, written to under lock */
	struct mnts_jw *parts; /* a chunk's text once formatted, until its turn */
	bool *ready;
	size_t next; /* the first chunk not handed on */
	struct pool_buf {
		char *buf;
		size_t cap;
	} pool[AHEAD + 1]; /* buffers of chunks handed on, to reuse */
	size_t n_pool;
	pthread_mutex_t lock;
	pthread_cond_t moved; /* next went up */
};

static bool format_chunk(void *data, unsigned worker _unused_, size_t begin, size_t end)
{
	struct mounts_job *job = data;
	size_t n_chunks = (job->ns->n_mounts + MOUNTS_CHUNK - 1) / MOUNTS_CHUNK;
	size_t c = begin / MOUNTS_CHUNK;
	struct mnts_jw part; /* on this thread's stack: its fields change at every token */
	struct pool_buf b = {0};

	pthread_mutex_lock(&job->lock);
	while (c >= job->next + AHEAD)
		pthread_cond_wait(&job->moved, &job->lock);
	if (job->n_pool)
		b = job->pool[--job->n_pool];
	pthread_mutex_unlock(&job->lock);
	mnts_jw_init_part(&part, job->w, c == 0, b.buf, b.cap);
	for (size_t i = begin; i < end; i++) {
		mnts_jw_elem(&part);
		write_mount(&part, &job->ns->mounts[i]);
	}
	pthread_mutex_lock(&job->lock);
	job->parts[c] = part;
	job->ready[c] = true;
	while (job->next < n_chunks && job->ready[job->next]) {
		struct mnts_jw *p = &job->parts[job->next++];

		mnts_jw_splice(job->w, p);
		if (job->n_pool < ARRAY_SIZE(job->pool))
			job->pool[job->n_pool++] = (struct pool_buf){p->buf, p->cap};
		else
			free(p->buf);
		pthread_cond_broadcast(&job->moved);
	}
	pthread_mutex_unlock(&job->lock);
	return true;
}

/* The elements of the mounts array just begun in w. */
static void write_mounts(struct mnts_jw *w, const struct mnts_ns *ns)
{
	size_t n_chunks = (ns->n_mounts + MOUNTS_CHUNK - 1) / MOUNTS_CHUNK;
	struct mounts_job job = {.ns = ns, .w = w};

	if (n_chunks < 2 || !mnts_split_worth_it()) {
		for (size_t i = 0; i < ns->n_mounts; i++) {
			mnts_jw_elem(w);
			write_mount(w, &ns->mounts[i]);
		}
		return;
	}
	job.parts = xcalloc(n_chunks, sizeof(*job.parts));
	job.ready = xcalloc(n_chunks, sizeof(*job.ready));
	pthread_mutex_init(&job.lock, NULL);
	pthread_cond_init(&job.moved, NULL);
	mnts_split_run(ns->n_mounts, MOUNTS_CHUNK, format_chunk, &job);
	pthread_cond_destroy(&job.moved);
	pthread_mutex_destroy(&job.lock);
	for (size_t i = 0; i < job.n_pool; i++)
		free(job.pool[i].buf);
	free(job.parts);
	free(job.ready);
}

static void write_ns(struct mnts_jw *w, const struct mnts_ns *ns)
{
	mnts_jw_begin_object(w);
	w_str(w, K("label"), ns->label);
	w_u64_or_null(w, K("mnt_ns_id"), ns->mnt_ns_id);
	w_key(w, K("mounts"));
	mnts_jw_begin_array(w);
	write_mounts(w, ns);
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
	w_key(w, K("owner_userns"));
	if (!ns->owner.known) {
		mnts_jw_null(w);
	} else {
		mnts_jw_begin_object(w);
		w_strv(w, K("gid_map"), &ns->owner.gid_map);
		w_bool(w, K("initial"), ns->owner.initial);
		w_key(w, K("locked"));
		if (!ns->owner.locked_known) {
			mnts_jw_null(w);
		} else {
			mnts_jw_begin_array(w);
			for (size_t i = 0; i < ns->n_mounts; i++)
				if (ns->mounts[i].locked) {
					mnts_jw_elem(w);
					mnts_jw_u64(w, ns->mounts[i].id);
				}
			mnts_jw_end_array(w);
		}
		w_strv(w, K("uid_map"), &ns->owner.uid_map);
		mnts_jw_end_object(w);
	}
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
	/* a file read in an older version is written in the newest (§11) */
	w_u64(&w, K("format_version"), MNTS_FORMAT_VERSION);
	w_key(&w, K("host"));
	mnts_jw_begin_object(&w);
	w_str(&w, K("arch"), snap->host_arch);
	w_str(&w, K("boot_id"), snap->boot_id);
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
	return mnts_jw_end_document(&w, err);
}

int mnts_snapshot_write(const struct mnts_snapshot *snap, const char *path, bool compact,
			struct mnts_error *err)
{
	struct dump_args a = {snap, compact};

	return mnts_write_atomic(path, dump_to, &a, err);
}