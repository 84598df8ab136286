/* tap.h - a minimal TAP producer for the C unit tests (tests/unit/).
 *
 * Each test program is a main() that calls TEST() blocks and returns
 * tap_done().  Checks print "ok N - name" / "not ok N - name" lines, with
 * the failing expression and its place as "# " comments; tests/run counts
 * them with the bats results.  No root, no kernel state: unit tests cover
 * the pure modules (tokenizer, model linking, compare, plan from fixtures).
 */
#pragma once

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;
static bool tap_cur_ok;
static const char *tap_cur_name;

static inline void tap_begin(const char *name)
{
	tap_cur_name = name;
	tap_cur_ok = true;
}

static inline void tap_end(void)
{
	tap_n++;
	if (!tap_cur_ok)
		tap_failed++;
	printf("%sok %d - %s\n", tap_cur_ok ? "" : "not ", tap_n, tap_cur_name);
	fflush(stdout);
}

/* TEST("name") { ...checks... } runs the block once as one TAP test. */
#define TEST(name) for (int tap_once_ = (tap_begin(name), 0); !tap_once_; tap_once_ = 1, tap_end())

#define CHECK(expr)                                                                          \
	do {                                                                                 \
		if (!(expr)) {                                                               \
			tap_cur_ok = false;                                                  \
			printf("# %s:%d: failed: %s\n", __FILE__, __LINE__, #expr);          \
		}                                                                            \
	} while (0)

#define CHECK_INT(a, b)                                                                      \
	do {                                                                                 \
		long long tap_a_ = (long long)(a), tap_b_ = (long long)(b);                  \
		if (tap_a_ != tap_b_) {                                                      \
			tap_cur_ok = false;                                                  \
			printf("# %s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, \
			       #a, tap_a_, #b, tap_b_);                                      \
		}                                                                            \
	} while (0)

#define CHECK_STR(a, b)                                                                      \
	do {                                                                                 \
		const char *tap_a_ = (a), *tap_b_ = (b);                                     \
		if (!tap_a_ || !tap_b_ || strcmp(tap_a_, tap_b_) != 0) {                     \
			tap_cur_ok = false;                                                  \
			printf("# %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a, \
			       tap_a_ ? tap_a_ : "(null)", tap_b_ ? tap_b_ : "(null)");         \
		}                                                                            \
	} while (0)

/* Returns the exit status: 0 when every test passed. */
static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
