/* path.c - the paths of the format and paths below others (see path.h) */
#include <stdio.h>
#include <string.h>

#include "lib/core/macros.h"
#include "lib/core/path.h"

bool mnts_path_is_normal(const char *p)
{
	size_t len;

	if (!p || p[0] != '/')
		return false;
	len = strlen(p);
	if (len == 1)
		return true;
	/* with libc's vectorised scans: deep trees have paths of hundreds of
	 * one-letter components, and one pass per component was a fifth of
	 * reading them */
	if (p[len - 1] == '/' || strstr(p, "//"))
		return false;
	for (const char *dot = strchr(p, '.'); dot; dot = strchr(dot + 1, '.'))
		if (dot[-1] == '/' && (dot[1] == '/' || dot[1] == '\0' ||
				       (dot[1] == '.' && (dot[2] == '/' || dot[2] == '\0'))))
			return false; /* a "." or ".." component */
	return true;
}

const char *mnts_path_below(const char *path, const char *base)
{
	size_t n = strlen(base);

	if (streq(base, "/"))
		return path + 1;
	if (strncmp(path, base, n) != 0)
		return NULL;
	if (path[n] == '\0')
		return path + n;
	if (path[n] != '/')
		return NULL;
	return path + n + 1;
}

/* The start of a component of p[0..len-1] (p[0] is '/') longer than
 * MNTS_NAME_MAX, or NULL.  Every i the loop reaches follows a '/'.  Deep
 * trees have paths of hundreds of short components: rather than measure
 * each, probe the byte MNTS_NAME_MAX past the start of the window, which
 * every run that long starting in the window covers: a '/' there clears
 * the whole window at once. */
static const char *long_component(const char *p, size_t len)
{
	size_t i = 0;

	while (len - i > MNTS_NAME_MAX) {
		size_t probe = i + MNTS_NAME_MAX, j = probe;

		if (p[probe] == '/') {
			i = probe + 1;
			continue;
		}
		while (j > i && p[j - 1] != '/')
			j--;
		if (j == i)
			return p + i; /* MNTS_NAME_MAX + 1 bytes without a '/' */
		i = j;		      /* a run from before j would hold the '/' at j - 1 */
	}
	return NULL;
}

const char *mnts_path_fault(const char *p, char buf[80])
{
	const char *comp;
	size_t len;

	if (!p || !mnts_path_is_normal(p))
		return "not an absolute normalised path";
	len = strlen(p);
	if (len >= MNTS_PATH_MAX) {
		snprintf(buf, 80, "%zu bytes, longer than PATH_MAX (%d with the NUL)", len,
			 MNTS_PATH_MAX);
		return buf;
	}
	comp = long_component(p, len);
	if (comp) {
		size_t n = 1;

		for (const char *c = p + 1; c < comp; c++)
			n += *c == '/';
		snprintf(buf, 80, "component %zu is %zu bytes, longer than NAME_MAX (%d)", n,
			 (size_t)(strchrnul(comp, '/') - comp), MNTS_NAME_MAX);
		return buf;
	}
	return NULL;
}
