/* spec_fuzz.c - libFuzzer harness for the mount-tree spec parser
 * (lib/spec/parse.c, spec/SPEC.md).
 *
 *   make fuzz-spec [FUZZ_SECONDS=60]   libFuzzer with ASan and UBSan, seeded
 *                                      from tests/fuzz/spec_corpus/
 *   make check                         replays that corpus
 *                                      (tests/fuzz/spec_replay)
 *
 * Every input is parsed or refused without a crash, a leak or undefined
 * behaviour.  A refusal is "fuzz:LINE:COL: RULE: ..." with LINE within
 * the input.  What parses keeps the parser's promises: mountpoints
 * absolute and normalised, each at or below its enclosing line's, which
 * comes earlier in the same section; the default section (if any) first;
 * labels valid.  And checking it against a fixed snapshot (two namespaces:
 * tests/fuzz/spec_fuzz_target.h), whole and with --subtree, gives items
 * that name lines of the spec, printable as text and JSON.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/check/check.h"
#include "lib/core/path.h"
#include "lib/json/snapjson.h"
#include "lib/spec/spec.h"
#include "tests/fuzz/spec_fuzz_target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int fuzz_verdict(const char *text, size_t len, const char *path);

_noreturn_ static void broken(const char *what, const char *detail)
{
	fprintf(stderr, "spec_fuzz: %s: %s\n", what, detail ? detail : "");
	abort();
}

static void check_spec(const struct mnts_spec *spec)
{
	for (size_t i = 0; i < spec->n_ns; i++) {
		const struct mnts_spec_ns *ns = &spec->ns[i];

		if (!ns->label && i != 0)
			broken("the default section is not first", NULL);
		if (ns->label && !mnts_label_is_valid(ns->label))
			broken("an invalid label", ns->label);
		for (size_t j = 0; j < ns->n_mounts; j++) {
			const struct mnts_spec_mount *m = &ns->mounts[j];

			if (!mnts_path_is_normal(m->mountpoint))
				broken("a mountpoint not normalised", m->mountpoint);
			if (m->ancestor == MNTS_SPEC_NO_ANCESTOR)
				continue;
			if (m->ancestor >= j)
				broken("an enclosing line after its line", m->mountpoint);
			if (!mnts_path_at_or_below(m->mountpoint, ns->mounts[m->ancestor].mountpoint))
				broken("a mountpoint outside its enclosing line's", m->mountpoint);
			if (m->bind_path && !mnts_path_is_normal(m->bind_path))
				broken("bind= not normalised", m->bind_path);
			if (m->root && !mnts_path_is_normal(m->root))
				broken("root= not normalised", m->root);
		}
	}
}

static void check_error(const struct mnts_error *err, size_t size, const char *text)
{
	unsigned long line;
	char *end;
	size_t lines = 1;

	/* a decoded value in it may hold a new line: mnts_err_print()
	 * escapes the message, so it is one line on stderr */
	if (strncmp(err->msg, "fuzz:", 5) != 0)
		broken("an error that is not 'fuzz:LINE:COL: ...'", err->msg);
	line = strtoul(err->msg + 5, &end, 10);
	if (*end != ':' || line == 0)
		broken("an error without its line", err->msg);
	for (size_t i = 0; i + 1 < size; i++)
		lines += text[i] == '\n';
	if (line > lines)
		broken("an error past the last line", err->msg);
}

/* The target, read once. */
static struct mnts_snapshot *target(void)
{
	static struct mnts_snapshot *snap;
	struct mnts_error err;

	if (!snap && mnts_snapshot_parse(spec_fuzz_target, sizeof(spec_fuzz_target) - 1, "target",
					 &snap, &err) < 0)
		broken("the target snapshot does not read", err.msg);
	return snap;
}

static void check_against(const struct mnts_spec *spec, const char *subtree, unsigned n_lines)
{
	struct mnts_check_opts opts = {.subtree = subtree, .ns_label = "ns0"};
	struct mnts_check_result res;
	struct mnts_error err;
	FILE *null;

	if (mnts_check(spec, target(), &opts, &res, &err) < 0)
		broken("check fails on a spec that parsed", err.msg);
	for (size_t i = 0; i < res.n; i++) {
		const struct mnts_check_item *it = &res.items[i];

		if (!it->mountpoint || !it->property || !it->expected || !it->found)
			broken("an item with a NULL string", it->property);
		if (it->line == 0 || it->line > n_lines)
			broken("an item that names no line of the spec", it->mountpoint);
		if (i && it->line < res.items[i - 1].line)
			broken("items out of line order", it->mountpoint);
	}
	null = fopen("/dev/null", "we");
	if (null) {
		mnts_check_report(&res, null, false, &err);
		mnts_check_report(&res, null, true, &err);
		fclose(null);
	}
	mnts_check_result_free(&res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* not NUL-terminated: the parser must read only size bytes */
	char *text = malloc(size ? size : 1);
	struct mnts_spec spec;
	struct mnts_error err;

	if (!text)
		return 0;
	memcpy(text, data, size);
	if (mnts_spec_parse(&spec, "fuzz", text, size, &err) == 0) {
		unsigned n_lines = 1;

		for (size_t i = 0; i + 1 < size; i++)
			n_lines += text[i] == '\n';
		check_spec(&spec);
		check_against(&spec, NULL, n_lines);
		check_against(&spec, "/mnt", n_lines);
		mnts_spec_free(&spec);
	} else {
		check_error(&err, size, text);
		if (spec.n_ns || spec.ns)
			broken("a refused spec left sections", NULL);
	}
	free(text);
	return 0;
}

/* For tests/fuzz/replay.c's report: 0 read, 1 refused. */
int fuzz_verdict(const char *text, size_t len, const char *path)
{
	struct mnts_spec spec;
	struct mnts_error err;

	if (mnts_spec_parse(&spec, path, text, len, &err) < 0)
		return 1;
	mnts_spec_free(&spec);
	return 0;
}
