/* jsonwriter.h - a streaming JSON emitter.
 *
 * Writes straight to a FILE without building a tree: a snapshot of 50,000
 * mounts spent most of its time building, dumping and freeing jansson's tree.
 * The output is byte-for-byte what json_dumpf() gives with JSON_INDENT(2)
 * (or JSON_COMPACT) when the caller emits keys in sorted order, so files stay
 * diffable and identical to those written before.  Strings must be valid
 * UTF-8 (JSON cannot carry other bytes); the first invalid one is recorded
 * and the rest of the document is still written.
 *
 * The text is formatted into the writer's own buffer and handed to the FILE
 * in large blocks (a 50,000-mount snapshot is 30 MB: per-token stdio calls
 * were a quarter of a capture).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/core/error.h"

/* Levels kept inline; deeper ones (a findmnt-like JSON tree of nested
 * "children") go to a heap array. */
#define MNTS_JW_MAX_DEPTH 16

struct mnts_jw {
	FILE *f; /* where full buffers go; NULL: a part, kept in memory */
	char *buf;
	size_t len, cap;
	bool compact;
	int depth;
	bool first[MNTS_JW_MAX_DEPTH];
	bool *deep_first; /* levels MNTS_JW_MAX_DEPTH and below, or NULL */
	size_t deep_cap;
	const char *bad_utf8; /* first string that was not valid UTF-8, or NULL */
};

void mnts_jw_init(struct mnts_jw *w, FILE *f, bool compact);
/* Hands what is buffered to the FILE and frees the buffer (write errors
 * show in ferror(f)). */
void mnts_jw_finish(struct mnts_jw *w);
/* mnts_jw_finish(), then a new line ends the document; every output does
 * the same with a string that is not valid UTF-8: its bytes are written as
 * they are (nothing is dropped or altered) and the document is an error.
 * Returns: 0, or -EINVAL naming the first such string. */
int mnts_jw_end_document(struct mnts_jw *w, struct mnts_error *err);

/* A part of a document formatted apart (on another thread), to be spliced
 * into it: the items that follow what w wrote so far, at its current level
 * (the first ones there when first).  Its text grows in memory (buf and cap:
 * an empty buffer to reuse, or NULL and 0). */
void mnts_jw_init_part(struct mnts_jw *part, const struct mnts_jw *w, bool first, char *buf,
		       size_t cap);
/* Hands part's text to w's FILE as if w had written it (after what w holds),
 * and the first string of it that was not UTF-8 when w had none.  part's
 * buffer stays its own (part->buf, part->cap: free or reuse it). */
void mnts_jw_splice(struct mnts_jw *w, struct mnts_jw *part);

void mnts_jw_begin_object(struct mnts_jw *w);
void mnts_jw_end_object(struct mnts_jw *w);
void mnts_jw_begin_array(struct mnts_jw *w);
void mnts_jw_end_array(struct mnts_jw *w);
/* Starts a member of the current object: the key and its separator. */
void mnts_jw_key(struct mnts_jw *w, const char *key);
/* The same with the key already written out as JSON, with its separator:
 * quoted is `"key": ` (len bytes), for keys quoted at compile time. */
void mnts_jw_key_quoted(struct mnts_jw *w, const char *quoted, size_t len);
/* Starts an element of the current array.  Values that follow mnts_jw_key()
 * need no call. */
void mnts_jw_elem(struct mnts_jw *w);

void mnts_jw_string(struct mnts_jw *w, const char *s);
void mnts_jw_u64(struct mnts_jw *w, uint64_t v);
void mnts_jw_bool(struct mnts_jw *w, bool v);
void mnts_jw_null(struct mnts_jw *w);
