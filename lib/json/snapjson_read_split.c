/* snapjson_read_split.c - a large snapshot's mounts read on two CPUs (see
 * snapjson_reader.h).
 *
 * Reading a snapshot of 50,000 mounts (34 MB) takes 40 ms on one CPU, the
 * better part of what replay does before its first mount.  Nearly all of
 * it is one namespace's mounts array, whose elements do not depend on each
 * other: a helper reads from a mount halfway through while the reader reads
 * from the start.  Where a mount starts can only be guessed without reading
 * from the start ("},{" may be inside a string); the reader, which has read
 * everything before, confirms the guess when it meets a mount starting at
 * that offset, and only then takes what the helper read.  The helper
 * tokenizes as the reader would there (the same containers open), so what
 * is taken is what the reader would have read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/core/split.h"
#include "lib/json/snapjson.h"
#include "lib/json/snapjson_reader.h"

size_t rd_split_min = 1U << 20;

/* mnts_snapshot_parse_may_split(false) on this thread */
static __thread bool no_split;

void mnts_snapshot_parse_may_split(bool may)
{
	no_split = !may;
}

/* The containers open around a namespace's mount: the top-level object,
 * the namespaces array, the namespace object, its mounts array (bit i
 * set: the i-th is an object). */
#define MOUNT_DEPTH 4
#define MOUNT_OBJECTS 0x5U

struct rd_split {
	struct mnts_helper thread;
	size_t at;  /* the guessed mount's '{'; SIZE_MAX: given up */
	bool stop;  /* (atomic) not wanted any more */
	bool taken; /* its mounts went to the reader's namespace */
	struct reader rd;
	struct mnts_error err;
	struct mnts_ns *ns; /* in rd.snap, the helper's own model */
	int r;		    /* 0, or the error met */
	size_t end;	    /* just after the array's ']' */
};

static bool is_ws(char c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

/* The offset of a '{' that follows "}," (whitespace allowed) at or after
 * from, within a megabyte; SIZE_MAX when there is none. */
static size_t guess(const char *text, size_t size, size_t from)
{
	size_t limit = size - from > (1U << 20) ? from + (1U << 20) : size;

	for (const char *p = text + from; p < text + limit; p++) {
		const char *q;

		p = memchr(p, '}', (size_t)(text + limit - p));
		if (!p)
			break;
		for (q = p + 1; q < text + size && is_ws(*q); q++)
			;
		if (q >= text + size || *q != ',')
			continue;
		for (q++; q < text + size && is_ws(*q); q++)
			;
		if (q < text + size && *q == '{')
			return (size_t)(q - text);
	}
	return SIZE_MAX;
}

static void helper_main(void *data)
{
	struct rd_split *s = data;

	for (ssize_t i = 0;; i++) {
		int kind;

		if (__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
			s->r = -ECANCELED;
			return;
		}
		kind = rd_next(&s->rd);
		if (kind < 0) {
			s->r = kind;
			return;
		}
		if (kind == MNTS_JP_ARRAY_END) {
			s->end = s->rd.jp.pos;
			return;
		}
		s->r = rd_mount(&s->rd, s->ns, i);
		if (s->r < 0)
			return;
	}
}

struct rd_split *rd_split_start(const char *text, size_t size, const struct reader *rd)
{
	struct rd_split *s;
	size_t at;

	if (size < rd_split_min || no_split || !mnts_split_worth_it())
		return NULL;
	at = guess(text, size, size / 2);
	if (at == SIZE_MAX)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->at = at;
	s->rd = (struct reader){
	    .what = rd->what, .err = &s->err, .snap = mnts_snapshot_new(), .ns = -1, .mount = -1};
	s->rd.section = "namespaces";
	/* the keys a mount may have depend on it */
	s->rd.snap->format_version = rd->snap->format_version;
	s->ns = mnts_snapshot_add_ns(s->rd.snap, "");
	mnts_jp_init_inside(&s->rd.jp, text, size, at, MOUNT_DEPTH, MOUNT_OBJECTS);
	mnts_helper_start(&s->thread, helper_main, s);
	return s;
}

size_t rd_split_offset(const struct rd_split *s)
{
	return s->at;
}

bool rd_split_take(struct rd_split *s, struct reader *rd, struct mnts_ns *ns)
{
	unsigned depth;
	uint64_t objects = mnts_jp_containers(&rd->jp, &depth);
	struct mnts_ns *got = s->ns;

	/* the guess was not a mount of this array: inside a string, or in
	 * some other array */
	if (rd->tok.off != s->at || rd->tok.kind != MNTS_JP_OBJECT || depth != MOUNT_DEPTH + 1 ||
	    (objects & ((1U << MOUNT_DEPTH) - 1)) != MOUNT_OBJECTS) {
		__atomic_store_n(&s->stop, true, __ATOMIC_RELAXED);
		s->at = SIZE_MAX;
		return false;
	}
	s->at = SIZE_MAX;
	mnts_helper_join(&s->thread);
	if (s->r < 0)
		return false;
	/* its mounts, then the reader past the array the helper finished */
	if (ns->cap_mounts < ns->n_mounts + got->n_mounts) {
		ns->cap_mounts = ns->n_mounts + got->n_mounts;
		ns->mounts = xreallocarray(ns->mounts, ns->cap_mounts, sizeof(*ns->mounts));
	}
	memcpy(ns->mounts + ns->n_mounts, got->mounts, got->n_mounts * sizeof(*got->mounts));
	ns->n_mounts += got->n_mounts;
	got->n_mounts = 0; /* what they hold is the reader's now */
	mnts_snapshot_take_pool(rd->snap, s->rd.snap);
	rd->n_mounts += s->rd.n_mounts;
	rd->n_fast += s->rd.n_fast;
	mnts_jp_resume_at(&rd->jp, s->end, MOUNT_DEPTH - 1);
	rd->tok.kind = MNTS_JP_ARRAY_END;
	s->taken = true;
	return true;
}

void rd_split_free(struct rd_split *s)
{
	if (!s)
		return;
	__atomic_store_n(&s->stop, true, __ATOMIC_RELAXED);
	mnts_helper_join(&s->thread);
	rd_done(&s->rd);
	mnts_snapshot_free(s->rd.snap);
	free(s);
}
