/* value.h - a difference's sides as typed data, for scripts (diff --json):
 * booleans, numbers, strings, option arrays, and peer groups as the mounts
 * they stand for.  A small tree built only for the differences found (none
 * for identical layouts); spec/DIFF-JSON.md says what each field holds. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/core/model.h"

enum mnts_value_kind {
	MNTS_VALUE_NULL = 0, /* a zeroed value is null */
	MNTS_VALUE_BOOL,
	MNTS_VALUE_NUMBER,
	MNTS_VALUE_STRING,
	MNTS_VALUE_ARRAY,
	MNTS_VALUE_OBJECT,
};

struct mnts_value {
	enum mnts_value_kind kind;
	bool b;
	uint64_t num;
	char *s;
	size_t n;		  /* ARRAY, OBJECT: members */
	struct mnts_value *items; /* ARRAY, OBJECT: n of them */
	const char **keys;	  /* OBJECT: n static keys, in the order written */
};

struct mnts_value mnts_value_bool(bool b);
struct mnts_value mnts_value_number(uint64_t num);
/* s copied; NULL gives null. */
struct mnts_value mnts_value_string(const char *s);
struct mnts_value mnts_value_array(void);
struct mnts_value mnts_value_object(void);
/* An array of the strings of sv (copied). */
struct mnts_value mnts_value_strv(const struct mnts_strv *sv);

/* Appends v (taken) to array a. */
void mnts_value_push(struct mnts_value *a, struct mnts_value v);
/* Appends member key (a string constant) = v (taken) to object o. */
void mnts_value_set(struct mnts_value *o, const char *key, struct mnts_value v);

void mnts_value_done(struct mnts_value *v);
