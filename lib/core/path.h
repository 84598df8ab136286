/* path.h - the paths of the format (spec/FORMAT.md §1): absolute,
 * normalised, within the kernel's limits; and where one path stands
 * relative to another (a mountpoint below its parent's, a root inside a
 * source's, a mount inside --subtree). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The kernel's limits on a path (with its NUL) and on one component. */
#define MNTS_PATH_MAX 4096
#define MNTS_NAME_MAX 255

/* True when p is absolute and normalised: no empty, "." or ".." component
 * and no trailing slash (except "/" itself). */
bool mnts_path_is_normal(const char *p);

/* Why p is not a path of the format (spec/FORMAT.md §1), or NULL when it
 * is one: absolute, normalised, shorter than MNTS_PATH_MAX, no component
 * longer than MNTS_NAME_MAX.  The reason may be written into buf. */
const char *mnts_path_fault(const char *p, char buf[80]);

/* The part of path below base, without a leading '/' ("" when equal), or
 * NULL when path is not at or below base ("/a" is not below "/ab", nor
 * "/ab" below "/a").  Both absolute and normalised. */
const char *mnts_path_below(const char *path, const char *base);

/* True when path is base or below it; a NULL base is "everywhere". */
static inline bool mnts_path_at_or_below(const char *path, const char *base)
{
	return !base || mnts_path_below(path, base) != NULL;
}
