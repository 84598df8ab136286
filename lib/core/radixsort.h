/* radixsort.h - a stable sort of (key, index) pairs by a 64-bit key. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct mnts_keyed {
	uint64_t key;
	size_t idx;
};

/* Sorts a[0..n-1] by key, stably: an LSD radix sort, 11 bits a pass, that
 * skips the passes where every key has the same digit (keys are small
 * numbers: most passes are skipped).  A comparison sort of 50,000 keys
 * cost more than all the rest of a comparison. */
void mnts_radix_sort(struct mnts_keyed *a, size_t n);
