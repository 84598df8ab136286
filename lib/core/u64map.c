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
		if (map->vals[i] < 0)
			return -1;
		if (map->keys[i] == key)
			return map->vals[i];
	}
}

static void grow(struct mnts_u64map *map)
{
	struct mnts_u64map bigger = {.cap = map->cap ? map->cap * 2 : 64};

	bigger.keys = xcalloc(bigger.cap, sizeof(*bigger.keys));
	bigger.vals = xcalloc(bigger.cap, sizeof(*bigger.vals));
	for (size_t i = 0; i < bigger.cap; i++)
		bigger.vals[i] = -1;
	for (size_t i = 0; i < map->cap; i++)
		if (map->vals[i] >= 0)
			mnts_u64map_put(&bigger, map->keys[i], map->vals[i]);
	mnts_u64map_free(map);
	*map = bigger;
}

void mnts_u64map_put(struct mnts_u64map *map, uint64_t key, int val)
{
	size_t i;

	/* at most half full: probes stay short */
	if (2 * (map->n + 1) > map->cap)
		grow(map);
	for (i = slot_of(map, key); map->vals[i] >= 0; i = (i + 1) & (map->cap - 1))
		if (map->keys[i] == key) {
			map->vals[i] = val;
			return;
		}
	map->keys[i] = key;
	map->vals[i] = val;
	map->n++;
}

void mnts_u64map_free(struct mnts_u64map *map)
{
	free(map->keys);
	free(map->vals);
	*map = (struct mnts_u64map){0};
}
