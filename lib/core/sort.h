/* sort.h - qsort() for arrays that are usually sorted already.
 *
 * Mounts come in id order, and peer group ids grow with the mount ids in
 * most namespaces: a capture of 50,000 mounts sorted several arrays that
 * were in order, each at the full cost of glibc's merge sort. */
#pragma once

#include <stddef.h>

/* qsort(base, n, size, cmp), after one pass that returns when base is in
 * order already. */
void mnts_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
