/* utf8.h - UTF-8 validation shared by the JSON writer and reader. */
#pragma once

#include <stddef.h>

/* Length of the UTF-8 sequence starting at s, or 0 when it is not a valid
 * one (overlong forms, surrogates and code points past U+10FFFF included).
 * Reads at most up to the first byte that is not a continuation byte, so a
 * NUL-terminated string (or a buffer with a NUL after its end) is never read
 * past its terminator. */
static inline size_t mnts_utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0))
			return 0;
		return 3;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		if ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
			return 0;
		return 4;
	}
	return 0;
}
