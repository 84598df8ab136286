/* lookup.c - see lookup.h */
#include <stdlib.h>
#include <string.h>

#include "lib/core/lookup.h"
#include "lib/core/macros.h"
#include "lib/core/path.h"
#include "lib/core/sort.h"

static int cmp_mount_ptr(const void *a, const void *b)
{
	const struct mnts_mount *x = *(struct mnts_mount *const *)a;
	const struct mnts_mount *y = *(struct mnts_mount *const *)b;

	return x->id < y->id ? -1 : x->id > y->id;
}

void mnts_mounts_sort_by_id(struct mnts_mount **v, size_t n)
{
	mnts_sort(v, n, sizeof(*v), cmp_mount_ptr);
}

struct mnts_mount *mnts_mounts_find_id(struct mnts_mount *const *by_id, size_t n, uint64_t id)
{
	struct mnts_mount key = {.id = id}, *kp = &key, *const * hit;

	hit = n ? bsearch(&kp, by_id, n, sizeof(*by_id), cmp_mount_ptr) : NULL;
	return hit ? *hit : NULL;
}

/* A mount on the way to the path. */
struct on_path {
	uint64_t parent_id;
	size_t len; /* of the mountpoint */
	size_t idx;
};

/* by parent, then nearest the root first, then made last first */
static int cmp_on_path(const void *a, const void *b)
{
	const struct on_path *x = a, *y = b;

	if (x->parent_id != y->parent_id)
		return x->parent_id < y->parent_id ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->idx < y->idx ? 1 : x->idx > y->idx ? -1 : 0;
}

ssize_t mnts_ns_mount_in_sight(const struct mnts_ns *ns, struct mnts_mount *const *by_id,
			       const char *path)
{
	_cleanup_free_ struct on_path *v = NULL;
	size_t n = 0, cur = SIZE_MAX;

	if (!by_id)
		by_id = ns->by_id;
	v = xcalloc(ns->n_mounts + 1, sizeof(*v));
	/* only the mounts on the way to path: one pass, then a sorted walk
	 * down (no recursion, however deep the stacks) */
	for (size_t i = 0; i < ns->n_mounts; i++) {
		const struct mnts_mount *m = &ns->mounts[i];

		if (!mnts_path_at_or_below(path, m->mountpoint))
			continue;
		if (!m->parent_id || !mnts_mounts_find_id(by_id, ns->n_mounts, m->parent_id)) {
			cur = i; /* the root: the one made last, should there be two */
			continue;
		}
		v[n++] = (struct on_path){m->parent_id, strlen(m->mountpoint), i};
	}
	if (cur == SIZE_MAX)
		return -1;
	mnts_sort(v, n, sizeof(*v), cmp_on_path);
	for (size_t steps = 0; steps < ns->n_mounts; steps++) {
		struct on_path key = {ns->mounts[cur].id, 0, SIZE_MAX};
		/* the first child of cur: the lowest insertion point for key */
		size_t lo = 0, hi = n;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (cmp_on_path(&v[mid], &key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		/* not into the stack on the root */
		while (lo < n && v[lo].parent_id == key.parent_id && steps == 0 &&
		       v[lo].len == strlen(ns->mounts[cur].mountpoint))
			lo++;
		if (lo == n || v[lo].parent_id != key.parent_id)
			break;
		cur = v[lo].idx;
	}
	return streq(ns->mounts[cur].mountpoint, path) ? (ssize_t)cur : -1;
}
