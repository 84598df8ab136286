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

/* The elements of an array (a namespace's mounts, or the namespaces of a
 * capture of many small ones), formatted a chunk at a time on both CPUs
 * (split.h) and handed to the document in order as they are ready: the JSON
 * of 50,000 mounts (33 MB) took 13 ms on one CPU after everything else.
 * A worker stays at most AHEAD chunks ahead of the one due: a chunk's
 * buffer in fresh memory costs more page faults than its formatting, so a
 * few buffers go round.  A worker that would wait for the chunk due (the
 * other lost its CPU to another process) formats it too, and whichever
 * copy is done first goes.  Each formats into a writer on its own stack:
 * two writers side by side in one cache line made both as slow as one. */
#define MOUNTS_CHUNK 256
#define AHEAD 4

struct elems_job {
	/* writes element i of the array (its value: the comma is written) */
	void (*write_one)(struct mnts_jw *w, const void *items, size_t i);
	const void *items;
	size_t n_items, chunk;
	struct mnts_jw *w; /* the document, written to under lock */
	size_t n_chunks;
	struct mnts_jw *parts; /* a chunk's text once formatted, until its turn */
	bool *ready;
	bool *twice;	  /* the chunk due was taken by the second worker too */
	size_t next;	  /* the first chunk not handed on */
	size_t next_free; /* the first chunk no worker took */
	struct pool_buf {
		char *buf;
		size_t cap;
	} pool[AHEAD + 2]; /* buffers of chunks handed on, to reuse */
	size_t n_pool;
	pthread_mutex_t lock;
};

static void pool_put(struct elems_job *job, char *buf, size_t cap)
{
	if (job->n_pool < ARRAY_SIZE(job->pool))
		job->pool[job->n_pool++] = (struct pool_buf){buf, cap};
	else
		free(buf);
}

/* Under the lock: the chunk this worker formats next, or SIZE_MAX when
 * none is left; its buffer in *b. */
static size_t take_chunk(struct elems_job *job, struct pool_buf *b)
{
	size_t c;

	if (job->next_free < job->n_chunks && job->next_free < job->next + AHEAD) {
		c = job->next_free++;
	} else if (job->next < job->next_free && !job->twice[job->next]) {
		c = job->next; /* the other holds it: format it too */
		job->twice[c] = true;
	} else {
		return SIZE_MAX;
	}
	*b = job->n_pool ? job->pool[--job->n_pool] : (struct pool_buf){0};
	return c;
}

static void format_chunks(struct elems_job *job)
{
	pthread_mutex_lock(&job->lock);
	for (;;) {
		struct pool_buf b;
		size_t c = take_chunk(job, &b), end;
		struct mnts_jw part;

		if (c == SIZE_MAX)
			break;
		pthread_mutex_unlock(&job->lock);
		end = (c + 1) * job->chunk < job->n_items ? (c + 1) * job->chunk : job->n_items;
		mnts_jw_init_part(&part, job->w, c == 0, b.buf, b.cap);
		for (size_t i = c * job->chunk; i < end; i++) {
			mnts_jw_elem(&part);
			job->write_one(&part, job->items, i);
		}
		pthread_mutex_lock(&job->lock);
		if (c < job->next || job->ready[c]) {
			/* the other copy went first */
			free(part.deep_first);
			pool_put(job, part.buf, part.cap);
			continue;
		}
		job->parts[c] = part;
		job->ready[c] = true;
		while (job->next < job->n_chunks && job->ready[job->next]) {
			struct mnts_jw *p = &job->parts[job->next++];

			mnts_jw_splice(job->w, p);
			pool_put(job, p->buf, p->cap);
		}
	}
	pthread_mutex_unlock(&job->lock);
}

static void format_helper(void *data)
{
	format_chunks(data);
}

/* The n elements of the array just begun in w, chunk at a time on both
 * CPUs when there are two chunks or more. */
static void write_elems(struct mnts_jw *w, const void *items, size_t n, size_t chunk,
			void (*write_one)(struct mnts_jw *w, const void *items, size_t i))
{
	struct elems_job job = {
	    .write_one = write_one, .items = items, .n_items = n, .chunk = chunk, .w = w};
	struct mnts_helper h;

	job.n_chunks = (n + chunk - 1) / chunk;
	if (job.n_chunks < 2 || !mnts_split_worth_it()) {
		for (size_t i = 0; i < n; i++) {
			mnts_jw_elem(w);
			write_one(w, items, i);
		}
		return;
	}
	job.parts = xcalloc(job.n_chunks, sizeof(*job.parts));
	job.ready = xcalloc(job.n_chunks, sizeof(*job.ready));
	job.twice = xcalloc(job.n_chunks, sizeof(*job.twice));
	pthread_mutex_init(&job.lock, NULL);
	mnts_helper_start(&h, format_helper, &job);
	format_chunks(&job);
	mnts_helper_join(&h);
	pthread_mutex_destroy(&job.lock);
	for (size_t i = 0; i < job.n_pool; i++)
		free(job.pool[i].buf);
	free(job.parts);
	free(job.ready);
	free(job.twice);
}

static void write_mount_at(struct mnts_jw *w, const void *mounts, size_t i)
{
	write_mount(w, &((const struct mnts_mount *)mounts)[i]);
}

static void write_ns(struct mnts_jw *w, const struct mnts_ns *ns)
{
	mnts_jw_begin_object(w);
	w_str(w, K("label"), ns->label);
	w_u64_or_null(w, K("mnt_ns_id"), ns->mnt_ns_id);
	w_key(w, K("mounts"));
	mnts_jw_begin_array(w);
	write_elems(w, ns->mounts, ns->n_mounts, MOUNTS_CHUNK, write_mount_at);
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

static void write_ns_at(struct mnts_jw *w, const void *nss, size_t i)
{
	write_ns(w, &((const struct mnts_ns *)nss)[i]);
}

/* The namespaces, chunk at a time on both CPUs when none is big enough to
 * have its mounts formatted so (a host of containers: a thousand of fifty
 * mounts), a chunk about as many mounts as a chunk of one namespace. */
static void write_namespaces(struct mnts_jw *w, const struct mnts_snapshot *snap)
{
	size_t most = 1; /* the most mounts of one namespace (1: no division by 0) */

	for (size_t i = 0; i < snap->n_ns; i++)
		if (snap->nss[i].n_mounts > most)
			most = snap->nss[i].n_mounts;
	/* past a chunk, a namespace's own mounts go on both CPUs: the
	 * namespaces one chunk, in turn */
	write_elems(w, snap->nss, snap->n_ns,
		    most > MOUNTS_CHUNK ? snap->n_ns : (MOUNTS_CHUNK + most - 1) / most,
		    write_ns_at);
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
	write_namespaces(&w, snap);
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