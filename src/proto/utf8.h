/* utf8.h — strict UTF-8 validation and repair (for UTF8ONLY). */
#ifndef HAVEND_UTF8_H
#define HAVEND_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Is s[0..len) well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF)? */
bool utf8_valid(const char *s, size_t len);

/* Copy in[0..inlen) to out, replacing each maximal ill-formed subsequence
 * with U+FFFD (the Unicode "best practice"). The output is NUL-terminated
 * and, when outcap is too small, cut at a character boundary. Returns its
 * length. outcap must be at least 1. */
size_t utf8_repair(const char *in, size_t inlen, char *out, size_t outcap);

/* Length of a prefix of s[0..len) at most max bytes long that does not end
 * inside a UTF-8 character. Text that is not UTF-8 there is cut at max. */
size_t utf8_cut(const char *s, size_t len, size_t max);

#endif
