/* value.c - see value.h */
#include <stdlib.h>

#include "lib/compare/value.h"
#include "lib/core/macros.h"

struct mnts_value mnts_value_bool(bool b)
{
	return (struct mnts_value){.kind = MNTS_VALUE_BOOL, .b = b};
}

struct mnts_value mnts_value_number(uint64_t num)
{
	return (struct mnts_value){.kind = MNTS_VALUE_NUMBER, .num = num};
}

struct mnts_value mnts_value_string(const char *s)
{
	if (!s)
		return (struct mnts_value){0};
	return (struct mnts_value){.kind = MNTS_VALUE_STRING, .s = xstrdup(s)};
}

struct mnts_value mnts_value_array(void)
{
	return (struct mnts_value){.kind = MNTS_VALUE_ARRAY};
}

struct mnts_value mnts_value_object(void)
{
	return (struct mnts_value){.kind = MNTS_VALUE_OBJECT};
}

struct mnts_value mnts_value_strv(const struct mnts_strv *sv)
{
	struct mnts_value a = mnts_value_array();

	for (size_t i = 0; i < sv->n; i++)
		mnts_value_push(&a, mnts_value_string(sv->v[i]));
	return a;
}

/* Room for one more member: the capacity is n rounded up to a power of
 * two, so it doubles when n reaches one (0 included). */
static void grow(struct mnts_value *v)
{
	size_t cap = v->n ? v->n * 2 : 1;

	if (v->n & (v->n - 1))
		return;
	v->items = xreallocarray(v->items, cap, sizeof(*v->items));
	if (v->kind == MNTS_VALUE_OBJECT)
		v->keys = xreallocarray(v->keys, cap, sizeof(*v->keys));
}

void mnts_value_push(struct mnts_value *a, struct mnts_value v)
{
	grow(a);
	a->items[a->n++] = v;
}

void mnts_value_set(struct mnts_value *o, const char *key, struct mnts_value v)
{
	grow(o);
	o->keys[o->n] = key;
	o->items[o->n++] = v;
}

/* Values nest at most four deep (a group: an array of arrays of objects of
 * strings), so the recursion is bounded. */
void mnts_value_done(struct mnts_value *v)
{
	for (size_t i = 0; i < v->n; i++)
		mnts_value_done(&v->items[i]);
	free(v->items);
	free(v->keys);
	free(v->s);
	*v = (struct mnts_value){0};
}
