/* strmap.c - see strmap.h (open addressing, FNV-1a, linear probing) */
#include <stdlib.h>
#include <string.h>

#include "lib/core/macros.h"
#include "lib/spec/strmap.h"

static uint64_t hash_bytes(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	return h ^ (h >> 29);
}

static struct spec_strmap_slot *find(const struct spec_strmap *map, const char *key, size_t len,
				     uint64_t h)
{
	size_t mask = map->cap - 1;

	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct spec_strmap_slot *s = &map->slots[i];

		if (!s->key || (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0))
			return s;
	}
}

int spec_strmap_get(const struct spec_strmap *map, const char *key, size_t len)
{
	const struct spec_strmap_slot *s;

	if (!map->cap)
		return -1;
	s = find(map, key, len, hash_bytes(key, len));
	return s->key ? s->val : -1;
}

static void grow(struct spec_strmap *map)
{
	struct spec_strmap old = *map;

	map->cap = old.cap ? old.cap * 2 : 64;
	map->slots = xcalloc(map->cap, sizeof(*map->slots));
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].key)
			*find(map, old.slots[i].key, old.slots[i].len, old.slots[i].hash) =
			    old.slots[i];
	free(old.slots);
}

void spec_strmap_put(struct spec_strmap *map, const char *key, size_t len, int val)
{
	uint64_t h = hash_bytes(key, len);
	struct spec_strmap_slot *s;

	if ((map->n + 1) * 2 > map->cap)
		grow(map);
	s = find(map, key, len, h);
	if (s->key) {
		s->val = val; /* the key stored first stays: it may outlive this one */
		return;
	}
	map->n++;
	*s = (struct spec_strmap_slot){.key = key, .len = len, .hash = h, .val = val};
}

void spec_strmap_free(struct spec_strmap *map)
{
	free(map->slots);
	*map = (struct spec_strmap){0};
}
