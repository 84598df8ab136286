/* sort.c - see sort.h */
#include <stdlib.h>

#include "lib/core/sort.h"

void mnts_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	const char *p = base;

	for (size_t i = 1; i < n; i++, p += size)
		if (cmp(p, p + size) > 0) {
			qsort(base, n, size, cmp);
			return;
		}
}
