/* radixsort.c - see radixsort.h */
#include <string.h>

#include "lib/core/macros.h"
#include "lib/core/radixsort.h"

void mnts_radix_sort(struct mnts_keyed *a, size_t n)
{
	enum { BITS = 11, BUCKETS = 1 << BITS, PASSES = (64 + BITS - 1) / BITS };
	_cleanup_free_ size_t(*count)[BUCKETS] = xcalloc(PASSES, sizeof(*count));
	_cleanup_free_ struct mnts_keyed *tmp = xcalloc(n + 1, sizeof(*tmp));
	struct mnts_keyed *from = a, *to = tmp, *swap;

	for (size_t i = 0; i < n; i++)
		for (int pass = 0; pass < PASSES; pass++)
			count[pass][(a[i].key >> (pass * BITS)) & (BUCKETS - 1)]++;
	for (int pass = 0; pass < PASSES; pass++) {
		size_t *c = count[pass], sum = 0;

		if (n == 0 || c[(a[0].key >> (pass * BITS)) & (BUCKETS - 1)] == n)
			continue;
		for (size_t d = 0; d < BUCKETS; d++) {
			size_t here = c[d];

			c[d] = sum;
			sum += here;
		}
		for (size_t i = 0; i < n; i++)
			to[c[(from[i].key >> (pass * BITS)) & (BUCKETS - 1)]++] = from[i];
		swap = from;
		from = to;
		to = swap;
	}
	if (from != a)
		memcpy(a, from, n * sizeof(*a));
}
