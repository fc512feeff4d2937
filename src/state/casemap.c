/* casemap.c — rfc1459 casemapping, name validation and glob matching. */
#include "havend.h"

#include <ctype.h>
#include <string.h>

/* rfc1459: A-Z [ ] \ ~ are the upper-case forms of a-z { } | ^ */
static inline unsigned char fold(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return (unsigned char)(c + 32);
    switch (c) {
    case '[': return '{';
    case ']': return '}';
    case '\\': return '|';
    case '~': return '^';
    default: return c;
    }
}

void irc_casefold(char *dst, const char *src, size_t dstlen)
{
    size_t i = 0;
    if (!dstlen)
        return;
    for (; src[i] && i + 1 < dstlen; i++)
        dst[i] = (char)fold((unsigned char)src[i]);
    dst[i] = '\0';
}

int irc_casecmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char x = fold((unsigned char)*a), y = fold((unsigned char)*b);
        if (x != y || !x)
            return x - y;
    }
}

/* Nick: letter or special first, then letters, digits, specials or '-'. */
bool irc_valid_nick(const char *nick, size_t nicklen)
{
    static const char special[] = "[]\\`_^{|}";
    size_t n = strlen(nick);
    if (n == 0 || n > nicklen)
        return false;
    unsigned char c0 = (unsigned char)nick[0];
    if (!(isalpha(c0) || (c0 && strchr(special, c0))))
        return false;
    for (size_t i = 1; i < n; i++) {
        unsigned char c = (unsigned char)nick[i];
        if (!(isalnum(c) || c == '-' || strchr(special, c)))
            return false;
    }
    return true;
}

/* Channel: '#' then anything but space, comma, BEL, NUL, CR, LF and ':'. */
bool irc_valid_channel(const char *name, size_t chanlen)
{
    size_t n = strlen(name);
    if (n < 2 || n > chanlen || name[0] != '#')
        return false;
    for (size_t i = 1; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c <= ' ' || c == ',' || c == 7 || c == ':' || c == 127)
            return false;
    }
    return true;
}

/* Username: printable, no '@', '!' or space. */
bool irc_valid_user(const char *user)
{
    if (!*user)
        return false;
    for (const unsigned char *p = (const unsigned char *)user; *p; p++)
        if (*p <= ' ' || *p == '@' || *p == '!' || *p >= 127)
            return false;
    return true;
}

/* Glob match with '*' and '?' under casefolding; iterative with one
 * backtrack point, so it is linear-ish and never recurses. */
bool irc_match(const char *mask, const char *str)
{
    const char *star = NULL, *resume = NULL;
    while (*str) {
        if (*mask == '*') {
            star = mask++;
            resume = str;
        } else if (*mask == '?' || (*mask && fold((unsigned char)*mask) == fold((unsigned char)*str))) {
            mask++;
            str++;
        } else if (star) {
            mask = star + 1;
            str = ++resume;
        } else {
            return false;
        }
    }
    while (*mask == '*')
        mask++;
    return *mask == '\0';
}
