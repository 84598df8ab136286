/* reader_fuzz.c - libFuzzer harness for the snapshot reader (lib/json/jsonpull.c,
 * lib/json/snapjson_read*.c) and the comparison it feeds.
 *
 *   make fuzz [FUZZ_SECONDS=60]   libFuzzer with ASan and UBSan, seeded from
 *                                 tests/fuzz/corpus/, spec/examples/, spec/invalid/
 *   make check                    replays those seeds (tests/fuzz/replay.c)
 *
 * Every input must be read or refused with an error, without a crash, a
 * leak or undefined behaviour.  One that is read must compare equal to
 * itself (diff X X finds nothing): the reader refuses what the comparison
 * cannot pair (two siblings on one mountpoint, FORMAT.md §9), so a
 * difference is a bug in one of them.  And every input is read a second
 * time split between two threads however small it is
 * (lib/json/snapjson_read_split.c): the same verdict, the same error, the
 * same snapshot (ids included).  And a third time with every mount read
 * through the tokenizer (lib/json/snapjson_read_fast.c reads the mounts as
 * capture writes them without it): the same verdict, the same error, the
 * same model, field by field.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/compare/compare.h"
#include "lib/json/snapjson.h"
#include "lib/json/snapjson_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int fuzz_verdict(const char *text, size_t len, const char *path);

/* diff X X: nothing, or abort() with what was found. */
static void check_equal_to_itself(const struct mnts_snapshot *snap)
{
	struct mnts_diff d = {0};
	struct mnts_error err;

	if (mnts_compare(snap, snap, NULL, &d, &err) < 0) {
		fprintf(stderr, "reader_fuzz: a snapshot that reads fails to compare: %s\n",
			err.msg);
		abort();
	}
	if (d.n) {
		fprintf(stderr, "reader_fuzz: a snapshot differs from itself (%zu items):\n", d.n);
		for (size_t i = 0; i < d.n && i < 10; i++)
			fprintf(stderr, "%s\n", d.items[i].text ? d.items[i].text : "?");
		abort();
	}
	mnts_diff_done(&d);
}

/* The same text read split (as large files are): the same outcome. */
static void check_split_same(const char *text, size_t size, int r, const struct mnts_snapshot *snap,
			     const struct mnts_error *err)
{
	const struct mnts_compare_opts strict = {.strict_ids = true};
	size_t saved = rd_split_min;
	struct mnts_snapshot *split = NULL;
	struct mnts_error serr;
	struct mnts_diff d = {0};
	int sr;

	rd_split_min = 0;
	sr = mnts_snapshot_parse(text, size, "fuzz", &split, &serr);
	rd_split_min = saved;
	if (sr != r || (r < 0 && strcmp(serr.msg, err->msg))) {
		fprintf(stderr, "reader_fuzz: read split: %d '%s', whole: %d '%s'\n", sr,
			sr < 0 ? serr.msg : "", r, r < 0 ? err->msg : "");
		abort();
	}
	if (r < 0)
		return;
	for (size_t i = 0; i < snap->n_ns; i++)
		if (split->n_ns != snap->n_ns || split->nss[i].n_mounts != snap->nss[i].n_mounts) {
			fprintf(stderr, "reader_fuzz: read split: other mounts\n");
			abort();
		}
	if (mnts_compare(snap, split, &strict, &d, &serr) < 0 || d.n) {
		fprintf(stderr, "reader_fuzz: read split: a different snapshot\n");
		abort();
	}
	mnts_diff_done(&d);
	mnts_snapshot_free(split);
}

static bool same_str(const char *x, const char *y)
{
	return x == y || (x && y && strcmp(x, y) == 0);
}

static bool same_mount(const struct mnts_mount *x, const struct mnts_mount *y)
{
	return x->id == y->id && x->mnt_id == y->mnt_id && x->parent_id == y->parent_id &&
	       x->dev_major == y->dev_major && x->dev_minor == y->dev_minor &&
	       same_str(x->root, y->root) && same_str(x->mountpoint, y->mountpoint) &&
	       same_str(x->fstype, y->fstype) && same_str(x->source, y->source) &&
	       mnts_strv_equal(&x->mount_options, &y->mount_options) &&
	       mnts_strv_equal(&x->super_options, &y->super_options) &&
	       same_str(x->fs_uuid, y->fs_uuid) && same_str(x->fs_label, y->fs_label) &&
	       x->shared_id == y->shared_id && x->master_id == y->master_id &&
	       x->propagate_from == y->propagate_from && x->unbindable == y->unbindable &&
	       x->deleted == y->deleted && x->root_type == y->root_type &&
	       x->locked == y->locked && same_str(x->nsfs_type, y->nsfs_type) &&
	       x->nsfs_ino == y->nsfs_ino && same_str(x->nsfs_ns, y->nsfs_ns) &&
	       mnts_strv_equal(&x->uid_map, &y->uid_map) &&
	       mnts_strv_equal(&x->gid_map, &y->gid_map);
}

/* The same text with every mount read through the tokenizer: the same
 * outcome, the same model. */
static void check_fast_same(const char *text, size_t size, int r, const struct mnts_snapshot *snap,
			    const struct mnts_error *err)
{
	struct mnts_snapshot *slow = NULL;
	struct mnts_error serr;
	int sr;

	rd_fast_off = true;
	sr = mnts_snapshot_parse(text, size, "fuzz", &slow, &serr);
	rd_fast_off = false;
	if (sr != r || (r < 0 && strcmp(serr.msg, err->msg))) {
		fprintf(stderr, "reader_fuzz: read by the tokenizer: %d '%s', fast: %d '%s'\n", sr,
			sr < 0 ? serr.msg : "", r, r < 0 ? err->msg : "");
		abort();
	}
	if (r < 0)
		return;
	if (slow->n_ns != snap->n_ns) {
		fprintf(stderr, "reader_fuzz: read by the tokenizer: other namespaces\n");
		abort();
	}
	for (size_t i = 0; i < snap->n_ns; i++) {
		if (slow->nss[i].n_mounts != snap->nss[i].n_mounts) {
			fprintf(stderr, "reader_fuzz: read by the tokenizer: other mounts\n");
			abort();
		}
		for (size_t k = 0; k < snap->nss[i].n_mounts; k++)
			if (!same_mount(&slow->nss[i].mounts[k], &snap->nss[i].mounts[k])) {
				fprintf(stderr,
					"reader_fuzz: read by the tokenizer: namespace %zu mount "
					"%zu differs\n",
					i, k);
				abort();
			}
	}
	mnts_snapshot_free(slow);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct mnts_snapshot *snap = NULL;
	struct mnts_error err;
	int r;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	r = mnts_snapshot_parse(text, size, "fuzz", &snap, &err);
	check_split_same(text, size, r, snap, &err);
	check_fast_same(text, size, r, snap, &err);
	if (r == 0) {
		check_equal_to_itself(snap);
		mnts_snapshot_free(snap);
	}
	free(text);
	return 0;
}

/* For tests/fuzz/replay.c's report: 0 read, 1 refused. */
int fuzz_verdict(const char *text, size_t len, const char *path)
{
	struct mnts_snapshot *snap;
	struct mnts_error err;

	if (mnts_snapshot_parse(text, len, path, &snap, &err) < 0)
		return 1;
	mnts_snapshot_free(snap);
	return 0;
}
