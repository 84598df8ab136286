/* u64map.h - an open-addressing hash map from a 64-bit key to a
 * non-negative int (an index into some array).
 *
 * The planner looks up superblocks by device number and peer groups by id
 * once per mount: with a linear search that was quadratic (0.8 s to plan
 * 10,000 mounts, minutes at 50,000).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct mnts_u64map {
	/* a key and its value side by side: a probe is one cache miss */
	struct mnts_u64map_slot {
		uint64_t key;
		int64_t val; /* -1: empty */
	} *slots;
	size_t cap, n;
};

/* Room for n keys without growing: a map that gets one key per mount
 * (50,000 superblocks) rehashed eleven times on the way. */
void mnts_u64map_reserve(struct mnts_u64map *map, size_t n);

/* The value stored for key, or -1. */
int mnts_u64map_get(const struct mnts_u64map *map, uint64_t key);
/* Stores val (>= 0) for key, replacing any previous value. */
void mnts_u64map_put(struct mnts_u64map *map, uint64_t key, int val);
void mnts_u64map_free(struct mnts_u64map *map);
