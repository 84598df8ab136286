/* jsonpull.h - a strict JSON (RFC 8259) pull tokenizer over a buffer.
 *
 * The caller asks for one token at a time and builds what it wants from
 * them; no tree is made.  The tokenizer checks the whole grammar (commas,
 * colons, nesting, one value per document, nothing after it but
 * whitespace), strings (escapes decoded, \uXXXX surrogate pairs joined, raw
 * control characters, invalid UTF-8, lone surrogates and \u0000 rejected)
 * and the number syntax.  What a token means is the caller's business; in
 * particular duplicate member names are not detected here.
 *
 * Errors are sticky: after MNTS_JP_ERROR every call returns it again, and
 * err_text/err_off say what and where (mnts_jp_position() gives line and
 * column).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Deepest nesting of arrays and objects accepted (jansson allows 2048; the
 * snapshot format needs 6). */
#define MNTS_JP_MAX_DEPTH 512

enum mnts_jp_kind {
	MNTS_JP_ERROR = -1,
	MNTS_JP_END,	    /* the document is complete (only whitespace after it) */
	MNTS_JP_OBJECT,	    /* '{' */
	MNTS_JP_OBJECT_END, /* '}' */
	MNTS_JP_ARRAY,	    /* '[' */
	MNTS_JP_ARRAY_END,  /* ']' */
	MNTS_JP_KEY,	    /* a member name; the ':' after it is consumed */
	MNTS_JP_STRING,
	MNTS_JP_NUMBER,
	MNTS_JP_TRUE,
	MNTS_JP_FALSE,
	MNTS_JP_NULL,
};

struct mnts_jp_token {
	enum mnts_jp_kind kind;
	size_t off; /* offset of the token's first byte in the buffer */
	/* KEY, STRING: the decoded value, UTF-8 without NUL bytes, not
	 * NUL-terminated; it points into the buffer when the string has no
	 * escape, else into the tokenizer's scratch space, and is valid until
	 * the next call.  NUMBER: the number's text. */
	const char *str;
	size_t len;
	/* NUMBER only */
	bool integer;  /* no fraction, no exponent */
	bool negative; /* a leading '-' */
	bool overflow; /* integer: its magnitude does not fit in 64 bits */
	uint64_t u64;  /* integer: its magnitude (when !overflow) */
};

struct mnts_jp {
	const char *buf;
	size_t size;
	size_t pos; /* next byte to read */
	int state;
	unsigned depth;
	uint8_t in_object[MNTS_JP_MAX_DEPTH / 8]; /* bit per level: object, not array */
	char *scratch;				  /* decoded strings that had escapes */
	size_t scratch_cap;
	size_t err_off;
	char err_text[160];
};

/* buf[size] must be readable and '\0' (a sentinel that ends every scan
 * loop without a bounds check); NUL bytes before it are errors. */
void mnts_jp_init(struct mnts_jp *jp, const char *buf, size_t size);
void mnts_jp_done(struct mnts_jp *jp);

/* For reading part of a document on another thread: as mnts_jp_init(),
 * but as if depth containers were open (bit i of in_object, from the
 * outermost: the i-th is an object; the innermost must be an array) and a
 * value of the innermost came at pos, just after a ','.  The tokens end
 * with that array's MNTS_JP_ARRAY_END; the caller stops there. */
void mnts_jp_init_inside(struct mnts_jp *jp, const char *buf, size_t size, size_t pos,
			 unsigned depth, uint64_t in_object);
/* Another tokenizer (mnts_jp_init_inside()) read on up to a close that
 * ends at pos and leaves depth of jp's containers open: carry on after it,
 * as if jp had read it. */
void mnts_jp_resume_at(struct mnts_jp *jp, size_t pos, unsigned depth);
/* The open containers as mnts_jp_init_inside() takes them: *depth, and
 * the returned bits (only the first 64 levels). */
uint64_t mnts_jp_containers(const struct mnts_jp *jp, unsigned *depth);

/* Reads the next token into *t.  Returns t->kind. */
enum mnts_jp_kind mnts_jp_next(struct mnts_jp *jp, struct mnts_jp_token *t);

/* Skips the rest of the value whose first token is t (nothing more for a
 * scalar).  Returns t->kind, or MNTS_JP_ERROR. */
enum mnts_jp_kind mnts_jp_skip(struct mnts_jp *jp, const struct mnts_jp_token *t);

/* 1-based line and column (in characters) of a byte offset. */
void mnts_jp_position(const struct mnts_jp *jp, size_t off, unsigned *line, unsigned *col);

/* The first byte at or after s (in jp's buffer) that a string cannot hold
 * as itself: '"', '\\', a control character or a byte above 0x7f (the
 * sentinel stops it).  For a caller that reads a string it expects plain. */
const char *mnts_jp_plain_run(const struct mnts_jp *jp, const char *s);
