/* reader_fuzz.c - libFuzzer harness for the snapshot reader (lib/json/jsonpull.c,
 * lib/json/snapjson_read*.c).  Not built by `make`; from the top of the tree:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *	-std=gnu11 -D_GNU_SOURCE -I. \
 *	$(pkg-config --cflags jansson mount) -o reader_fuzz tests/fuzz/reader_fuzz.c \
 *	lib/*/[a-z]*.c -ljansson -lmount
 *   mkdir -p /tmp/corpus && cp spec/examples/[a-z]*.json spec/invalid/[a-z]*.json /tmp/corpus
 *   ./reader_fuzz -max_total_time=60 /tmp/corpus
 *
 * Every input must be read or refused with an error, without a crash, a
 * leak or undefined behaviour; one that is read is also compared with
 * itself.  (Not required to come out equal: link does not reject two
 * siblings on one mountpoint, which the kernel never makes and the
 * comparison cannot pair.)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/compare/compare.h"
#include "lib/json/snapjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct mnts_snapshot *snap = NULL;
	struct mnts_error err;
	struct mnts_diff d = {0};

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (mnts_snapshot_parse(text, size, "fuzz", &snap, &err) == 0) {
		if (mnts_compare(snap, snap, NULL, &d, &err) == 0)
			mnts_diff_done(&d);
		mnts_snapshot_free(snap);
	}
	free(text);
	return 0;
}
