/* snapjson_reader.h - the snapshot reader's primitives (snapjson_reader.c),
 * shared by the parts of lib/json/ that read the format (snapjson_read.c).
 * Not for use outside lib/json/.
 *
 * Reading goes straight from tokens to the model, with no tree in between
 * (jsonpull.c says why).  Every object of the format has a fixed set of
 * keys, each read through a key table in the sorted order capture writes
 * them, so the next key is found at the first comparison.
 *
 * Errors: a syntax error anywhere in the file wins over any other, as when
 * the whole file was parsed first: after another error the rest of the file
 * is still tokenized (rd_drain()), and a syntax error found there is
 * reported instead.  Each primitive returns 0 (or a token kind) or -errno
 * with rd->err set to "FILE:LINE:COL: WHERE: MESSAGE".
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/core/macros.h"
#include "lib/core/model.h"
#include "lib/json/jsonpull.h"

struct key {
	const char *name;
	size_t len;
	int since; /* the first format_version with this key; 0: every one */
};

#define KEY(s) {s, sizeof(s) - 1, 0}
/* A key added in format_version v: in an older file it is unknown, and
 * not missing. */
#define KEY_SINCE(s, v) {s, sizeof(s) - 1, v}

struct reader {
	struct mnts_jp jp;
	struct mnts_jp_token tok;
	const char *what; /* the file, for messages */
	struct mnts_error *err;
	bool syntax; /* err holds a syntax error */
	struct mnts_snapshot *snap;
	/* where the reader is, for messages: a top-level section, or a
	 * namespace (by label once read) and maybe one of its mounts (by id
	 * once read) */
	const char *section;
	ssize_t ns, mount;
	bool ns_labelled;
	/* an array's strings until it ends: in the file's text, or copied to
	 * the pool when the tokenizer decoded them (its scratch space is
	 * reused) */
	struct mnts_word *tokens;
	size_t cap_tokens;
	struct rd_split *split; /* or NULL: snapjson_read_split.c */
	/* mounts read, and how many of them as capture writes them
	 * (rd_mount_fast()), for -vvv: a key of the format missing from the
	 * fast path's table would slow every read down, not break it */
	size_t n_mounts, n_fast;
};

/* s[0..len-1] fit for a one-line message: control characters replaced,
 * long strings cut (buf: 80 bytes).  Returns buf. */
const char *rd_shown(const char *s, size_t len, char buf[80]);
/* key, or key[idx] when idx >= 0, for messages (buf: 96 bytes). */
const char *rd_key_name(const char *key, ssize_t idx, char buf[96]);

/* An error at byte off: "FILE:LINE:COL: WHERE: MESSAGE".  Returns -EINVAL. */
_printf_(3, 4) int rd_fail(struct reader *rd, size_t off, const char *fmt, ...);
/* The tokenizer's error.  Returns -EINVAL. */
int rd_syntax(struct reader *rd);
/* After an error r: the rest of the file, for a syntax error to report
 * instead.  Returns r or the syntax error. */
int rd_drain(struct reader *rd, int r);

/* The next token into rd->tok.  Returns its kind, or -EINVAL. */
int rd_next(struct reader *rd);
/* The current string token as a string of the model, in its pool. */
char *rd_tok_cstr(struct reader *rd);
/* The current token as an integer of the format: 0 <= v < 2^63; null is 0
 * when nullable.  key[idx] names it in messages. */
int rd_tok_u64(struct reader *rd, const char *key, ssize_t idx, bool nullable, uint64_t *out);

/* The next member of the object being read (its '{' consumed).  obj names
 * a nested object in messages ("nsfs"), NULL for the current place.
 * Returns: 1 with *k the key's index in keys (*k: the previous one on
 * entry, -1 at first), 0 at the closing '}' once every key was seen,
 * -errno on an unknown, duplicate or missing key. */
int rd_member(struct reader *rd, const struct key *keys, int n, const char *obj, uint32_t *seen,
	      int *k);
/* '{' of the object named key (NULL: the current place), or with nullable
 * also null.  Returns: 1 at '{', 0 at null, or -errno. */
int rd_open(struct reader *rd, const char *key, bool nullable);
/* A string, or with nullable also null (-> NULL).  *out must be NULL. */
int rd_str(struct reader *rd, const char *key, bool nullable, char **out);
int rd_u64(struct reader *rd, const char *key, bool nullable, uint64_t *out);
int rd_bool(struct reader *rd, const char *key, bool *out);
/* An array of strings into sv (empty), its vector allocated once. */
int rd_strv(struct reader *rd, const char *key, struct mnts_strv *sv);
/* rd->tokens[n], the array grown when n is its size. */
struct mnts_word *rd_word_slot(struct reader *rd, size_t n);
/* rd_strv(), for a mount's option vector: pooled, and shared with the
 * mounts before that have the same words (mnts_snapshot_strv_shared()). */
int rd_strv_shared(struct reader *rd, const char *key, struct mnts_strv *sv);
/* Frees what the reader allocated for itself (not the model). */
void rd_done(struct reader *rd);
/* An array whose elements are read by one_elem(rd, data, index) after
 * their first token; it returns 0, -errno, or 1 when it read the rest of
 * the array, its ']' included. */
int rd_array(struct reader *rd, const char *key,
	     int (*one_elem)(struct reader *rd, void *data, ssize_t idx), void *data);
/* The same, or null.  Returns: 1 after an array, 0 at null, or -errno. */
int rd_array_or_null(struct reader *rd, const char *key,
		     int (*one_elem)(struct reader *rd, void *data, ssize_t idx), void *data);

/* A mount's keys (snapjson_read.c), in the order capture writes them. */
enum {
	M_DELETED, M_DEV, M_FS_LABEL, M_FS_UUID, M_FSTYPE, M_ID, M_IDMAP, M_MASTER_ID, M_MNT_ID,
	M_MOUNT_OPTIONS, M_MOUNTPOINT, M_NSFS, M_PARENT, M_PROPAGATE_FROM, M_ROOT, M_ROOT_TYPE,
	M_SHARED_ID, M_SOURCE, M_SUPER_OPTIONS, M_UNBINDABLE, M_COUNT
};
extern const struct key rd_mount_keys[M_COUNT];

/* One element of a namespace's mounts (snapjson_read.c), after its first
 * token; data is the namespace. */
int rd_mount(struct reader *rd, void *data, ssize_t idx);

/* "MAJOR:MINOR" into *maj, *min; false when s[0..len-1] is not that. */
bool rd_parse_dev(const char *s, size_t len, uint32_t *maj, uint32_t *min);

/* snapjson_read_fast.c: the members of mount m as capture writes them,
 * after its '{' (rd->tok), through its '}'; false, with the tokenizer
 * where it was, for anything else (the mount is then read through the
 * tokenizer, which tells what is wrong). */
bool rd_mount_fast(struct reader *rd, struct mnts_mount *m);
/* For tests: every mount through the tokenizer. */
extern bool rd_fast_off;

/* snapjson_read_split.c: a large file's mounts read on two CPUs.  Started
 * once the format is known (rd: the reader that will read the file), it
 * guesses where a mount object starts halfway through text and reads the
 * mounts from there to the end of their array on a helper thread.  The
 * reader, reading from the start, hands over when it meets a mount at
 * that very offset (rd_split_take()), which proves the guess right; a
 * helper that met any error is not taken, and the reader reads on itself,
 * so errors and their messages are the same as without.  NULL when the
 * file is small, one CPU is all there is, or no guess was found. */
struct rd_split *rd_split_start(const char *text, size_t size, const struct reader *rd);
/* Where the helper started (SIZE_MAX once given up). */
size_t rd_split_offset(const struct rd_split *s);
/* rd is at the first token of a mount of ns at or after that offset.  At
 * it, and when the helper read the rest of the array without error: its
 * mounts are appended to ns, rd carries on after the array, and true is
 * returned.  Otherwise false, and the split is given up. */
bool rd_split_take(struct rd_split *s, struct reader *rd, struct mnts_ns *ns);
/* Stops the helper, waits for it and frees what it read and was not taken. */
void rd_split_free(struct rd_split *s);
/* Files smaller than this are read on one CPU (tests set it to 0). */
extern size_t rd_split_min;
