/* snapjson.h - the snapshot model to and from the JSON format of spec/.
 *
 * Writing is deterministic: sorted keys, fixed indentation, mounts in model
 * order; the same model gives the same bytes.  Reading is strict: duplicate
 * keys, unknown keys, wrong types and an unknown format_version are errors
 * that name the file, line and item.  A read snapshot is linked (validated).
 */
#pragma once

#include <stddef.h>

#include "lib/core/model.h"

/* Writes snap to path ("-" or NULL: stdout).  A file is written atomically:
 * a temporary file in the same directory, fsync, rename.  compact: one line.
 * Returns: 0 or -errno. */
int mnts_snapshot_write(const struct mnts_snapshot *snap, const char *path, bool compact,
			struct mnts_error *err);

/* Builds and links a snapshot from the JSON text[0..size-1]; text[size]
 * must be '\0'.  what names the source in errors.  Returns: 0 or -errno,
 * *ret set on success. */
int mnts_snapshot_parse(const char *text, size_t size, const char *what,
			struct mnts_snapshot **ret, struct mnts_error *err);

/* Whether parsing on this thread may read a large file's mounts on a
 * second CPU too (the default; snapjson_read_split.c).  A caller that
 * reads two files at once, one per CPU, says no on both threads: a third
 * thread would only take turns with them. */
void mnts_snapshot_parse_may_split(bool may);

/* The largest snapshot read (spec/FORMAT.md §9): 1 GiB, ten times a file
 * of the most mounts a namespace can hold (fs.mount-max, 100,000) at the
 * longest paths seen in practice. */
#define MNTS_SNAPSHOT_MAX_SIZE ((size_t)1 << 30)
#define MNTS_SNAPSHOT_MAX_SIZE_TEXT "1 GiB"

/* The text of a snapshot file: text[0..size-1], then a NUL.  A large
 * regular file is mapped, not copied (snapjson_read_map.c); anything else is
 * read into a buffer. */
struct mnts_snapshot_text {
	const char *text;
	size_t size;
	/* private */
	char *buf;     /* read: the buffer */
	void *map;     /* mapped: the mapping */
	size_t map_len;
	int slot;      /* mapped: its place among the mappings in use, else -1 */
	const char *what;
};

/* Reads the text of path as mnts_snapshot_read() does (below), without
 * parsing it (it may be a spec: lib/compare/side.c tells).  Returns: 0 or
 * -errno; on success *t is set, and mnts_snapshot_text_done() releases it. */
int mnts_snapshot_read_text(const char *path, struct mnts_snapshot_text *t,
			    struct mnts_error *err);
/* The same from fd, at most max bytes (-EFBIG beyond).  Returns: 0 or
 * -errno. */
int mnts_snapshot_text_load(int fd, size_t max, struct mnts_snapshot_text *t);
/* Whether the file was truncated while it was mapped: its bytes past the
 * new end read as NUL, and whatever was made of them is to be dropped. */
bool mnts_snapshot_text_truncated(const struct mnts_snapshot_text *t);
/* After r, the result of using the text: r, or the truncation (-EIO with
 * err set) when the file was truncated meanwhile. */
int mnts_snapshot_text_check(const struct mnts_snapshot_text *t, int r, struct mnts_error *err);
void mnts_snapshot_text_done(struct mnts_snapshot_text *t);

/* Reads path ("-": stdin), a regular file or an anonymous pipe (`<(...)`)
 * of at most MNTS_SNAPSHOT_MAX_SIZE bytes; anything else (a directory, a
 * device, a named FIFO) is refused without being opened for reading.
 * Returns: 0 or -errno, *ret set on success. */
int mnts_snapshot_read(const char *path, struct mnts_snapshot **ret, struct mnts_error *err);
