/* u64map.c - see u64map.h */
#include <stdlib.h>

#include "lib/core/macros.h"
#include "lib/core/u64map.h"

/* splitmix64's finalizer: device numbers and group ids are dense small
 * integers, which a plain modulo would cluster */
static size_t slot_of(const struct mnts_u64map *map, uint64_t key)
{
	key ^= key >> 30;
	key *= 0xbf58476d1ce4e5b9ULL;
	key ^= key >> 27;
	key *= 0x94d049bb133111ebULL;
	key ^= key >> 31;
	return (size_t)key & (map->cap - 1);
}

int mnts_u64map_get(const struct mnts_u64map *map, uint64_t key)
{
	if (!map->cap)
		return -1;
	for (size_t i = slot_of(map, key);; i = (i + 1) & (map->cap - 1)) {
		if (map->slots[i].val < 0)
			return -1;
		if (map->slots[i].key == key)
			return (int)map->slots[i].val;
	}
}

/* Rehashed into cap slots (a power of two, more than twice n). */
static void rehash(struct mnts_u64map *map, size_t cap)
{
	struct mnts_u64map bigger = {.cap = cap};

	bigger.slots = xreallocarray(NULL, cap, sizeof(*bigger.slots));
	for (size_t i = 0; i < cap; i++)
		bigger.slots[i] = (struct mnts_u64map_slot){0, -1};
	for (size_t i = 0; i < map->cap; i++)
		if (map->slots[i].val >= 0)
			mnts_u64map_put(&bigger, map->slots[i].key, (int)map->slots[i].val);
	mnts_u64map_free(map);
	*map = bigger;
}

void mnts_u64map_reserve(struct mnts_u64map *map, size_t n)
{
	size_t cap = map->cap ? map->cap : 64;

	while (2 * n > cap)
		cap *= 2;
	if (cap > map->cap)
		rehash(map, cap);
}

void mnts_u64map_put(struct mnts_u64map *map, uint64_t key, int val)
{
	size_t i;

	/* at most half full: probes stay short */
	if (2 * (map->n + 1) > map->cap)
		rehash(map, map->cap ? map->cap * 2 : 64);
	for (i = slot_of(map, key); map->slots[i].val >= 0; i = (i + 1) & (map->cap - 1))
		if (map->slots[i].key == key) {
			map->slots[i].val = val;
			return;
		}
	map->slots[i] = (struct mnts_u64map_slot){key, val};
	map->n++;
}

void mnts_u64map_free(struct mnts_u64map *map)
{
	free(map->slots);
	*map = (struct mnts_u64map){0};
}
