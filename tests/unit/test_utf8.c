/* Unit tests for the UTF-8 validator, repair and boundary cut (UTF8ONLY). */
#include <criterion/criterion.h>
#include <string.h>

#include "proto/utf8.h"

/* utf8_valid on a NUL-terminated literal. */
static bool valid(const char *s)
{
    return utf8_valid(s, strlen(s));
}

/* utf8_repair into a static buffer. */
static const char *repair(const char *s)
{
    static char out[256];
    utf8_repair(s, strlen(s), out, sizeof out);
    return out;
}

#define FFFD "\xEF\xBF\xBD"

Test(utf8, valid_text)
{
    cr_assert(valid(""));
    cr_assert(valid("plain ASCII, \x01 controls \x7f too"));
    cr_assert(valid("caf\xC3\xA9"));                        /* é */
    cr_assert(valid("\xE2\x82\xAC"));                       /* € */
    cr_assert(valid("\xF0\x9F\x98\x80"));                   /* U+1F600 */
    cr_assert(valid("\xEF\xBF\xBF"));                       /* U+FFFF: a noncharacter, still well-formed */
    cr_assert(valid("\xF4\x8F\xBF\xBF"));                   /* U+10FFFF, the last one */
    cr_assert(valid("\xED\x9F\xBF"));                       /* U+D7FF, just below the surrogates */
}

Test(utf8, invalid_bytes)
{
    cr_assert_not(valid("caf\xE9"));                        /* Latin-1 é */
    cr_assert_not(valid("\x80"));                           /* lone continuation */
    cr_assert_not(valid("\xBF"));
    cr_assert_not(valid("\xFE\xFF"));                       /* never in UTF-8 */
    cr_assert_not(valid("\xF5\x80\x80\x80"));               /* beyond U+10FFFF by lead */
    cr_assert_not(valid("\xF4\x90\x80\x80"));               /* U+110000 */
}

Test(utf8, overlongs_and_surrogates)
{
    cr_assert_not(valid("\xC0\xAF"));                       /* overlong '/' */
    cr_assert_not(valid("\xC1\xBF"));
    cr_assert_not(valid("\xE0\x80\xAF"));                   /* overlong, 3 bytes */
    cr_assert_not(valid("\xE0\x9F\xBF"));
    cr_assert_not(valid("\xF0\x80\x80\xAF"));               /* overlong, 4 bytes */
    cr_assert_not(valid("\xF0\x8F\xBF\xBF"));
    cr_assert_not(valid("\xED\xA0\x80"));                   /* U+D800 */
    cr_assert_not(valid("\xED\xBF\xBF"));                   /* U+DFFF */
}

Test(utf8, truncated_sequences)
{
    cr_assert_not(valid("\xC3"));
    cr_assert_not(valid("\xE2\x82"));
    cr_assert_not(valid("\xF0\x9F\x98"));
    cr_assert_not(valid("a\xE2\x82" "b"));
    /* the length is honoured, not the NUL */
    cr_assert(utf8_valid("ab\xC3\xA9", 2));
    cr_assert_not(utf8_valid("\xC3\xA9", 1));
}

Test(utf8, repair_maximal_subparts)
{
    cr_assert_str_eq(repair("ok"), "ok");
    cr_assert_str_eq(repair("caf\xE9"), "caf" FFFD);
    cr_assert_str_eq(repair("caf\xC3\xA9"), "caf\xC3\xA9");
    /* a truncated 3-byte sequence is one subpart: one U+FFFD */
    cr_assert_str_eq(repair("a\xE2\x82" "b"), "a" FFFD "b");
    /* each stray byte is its own subpart */
    cr_assert_str_eq(repair("\x80\x80"), FFFD FFFD);
    /* an overlong lead is ill-formed on its own; its continuation too */
    cr_assert_str_eq(repair("\xC0\xAF"), FFFD FFFD);
    /* a surrogate: ED is cut off at A0, which then stands alone */
    cr_assert_str_eq(repair("\xED\xA0\x80"), FFFD FFFD FFFD);
    /* Unicode 3.9's example: 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64 */
    cr_assert_str_eq(repair("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64"),
                     "a" FFFD FFFD FFFD "b" FFFD "c" FFFD FFFD "d");
    /* the result is always valid */
    const char *r = repair("\xFF\xF4\x90\x80\x80 x \xE0\x80");
    cr_assert(valid(r));
}

Test(utf8, repair_respects_the_buffer)
{
    char out[6];
    size_t n = utf8_repair("ab\xFF\xFF", 4, out, sizeof out);
    /* "ab" + one U+FFFD fits in 5 bytes + NUL; the second does not */
    cr_assert_eq(n, 5);
    cr_assert_str_eq(out, "ab" FFFD);
    n = utf8_repair("\xFF", 1, out, 3);
    cr_assert_eq(n, 0);
    cr_assert_str_eq(out, "");
}

Test(utf8, cut_at_boundaries)
{
    const char *s = "a\xC3\xA9\xE2\x82\xAC";                /* a é € : 1+2+3 bytes */
    size_t len = strlen(s);
    cr_assert_eq(utf8_cut(s, len, 10), len);
    cr_assert_eq(utf8_cut(s, len, 6), 6);
    cr_assert_eq(utf8_cut(s, len, 5), 3);                   /* not inside € */
    cr_assert_eq(utf8_cut(s, len, 4), 3);
    cr_assert_eq(utf8_cut(s, len, 2), 1);                   /* not inside é */
    cr_assert_eq(utf8_cut(s, len, 1), 1);
    cr_assert_eq(utf8_cut(s, len, 0), 0);
    /* Latin-1 (not UTF-8): no long walk back, cut where asked */
    const char *latin = "\xA9\xA9\xA9\xA9\xA9\xA9\xA9\xA9";
    cr_assert_eq(utf8_cut(latin, 8, 6), 6);
}
