/* strmap.h - a map from byte strings to ints, for lib/spec only: names
 * already given (the writer), lines by mountpoint and prefixes of one
 * (spec → snapshot).  Keys are not copied: they must outlive the map. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct spec_strmap {
	struct spec_strmap_slot {
		const char *key; /* NULL: empty */
		size_t len;
		uint64_t hash;
		int val;
	} *slots;
	size_t cap, n;
};

/* The value stored for key[0..len-1], or -1. */
int spec_strmap_get(const struct spec_strmap *map, const char *key, size_t len);
/* Stores val (>= 0) for key[0..len-1], replacing any previous value (the
 * key first stored is kept). */
void spec_strmap_put(struct spec_strmap *map, const char *key, size_t len, int val);
void spec_strmap_free(struct spec_strmap *map);
