/* anon_names.c — throwaway pseudonyms ("QuietHeron42") and the reserved
 * nick patterns.
 *
 * A pseudonym is an adjective, a noun and a number 1..99, each drawn
 * uniformly from the server's CSPRNG (hv_random_bytes: OpenSSL's, drawn
 * in blocks; rejection sampling, no modulo bias).
 * Nothing about a pseudonym is remembered: uniqueness is checked against
 * the nicks online right now. */
#include "anonymity.h"

#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define NUMBER_MAX 99
#define ATTEMPTS 1000

/* A uniform integer in [0, n) into *out; -1 if the CSPRNG failed. Values of
 * the 32-bit draw above the largest multiple of n are drawn again. */
static int rand_below(uint32_t n, uint32_t *out)
{
    const uint64_t range = (uint64_t)UINT32_MAX + 1;
    const uint64_t limit = range - range % n;
    for (;;) {
        uint32_t r;
        if (hv_random_bytes(&r, sizeof r) != 0)
            return -1;
        if (r < limit) {
            *out = r % n;
            return 0;
        }
    }
}

/* Does nick match a reserved pattern (case-insensitive glob)? */
bool anon_nick_reserved(const struct anon_conf *c, const char *nick)
{
    for (size_t i = 0; i < c->nreserved; i++)
        if (fnmatch(c->reserved[i], nick, FNM_CASEFOLD | FNM_NOESCAPE) == 0)
            return true;
    return false;
}

/* The NICKLEN in force, capped at ANON_PSEUDONYM_MAX. */
int anon_pseudonym_maxlen(void)
{
    int n = hv_nicklen();
    return n < ANON_PSEUDONYM_MAX ? n : ANON_PSEUDONYM_MAX;
}

/* Count the (adjective, noun, number) combinations of at most maxlen
 * characters, by word length, so config checks can say whether the name
 * space is big enough. */
double anon_pseudonym_space(const struct anon_conf *c, int maxlen)
{
    enum { L = 16 };
    double adj[L] = { 0 }, noun[L] = { 0 }, total = 0;
    for (size_t i = 0; i < c->nadjectives; i++)
        adj[strlen(c->adjectives[i]) < L ? strlen(c->adjectives[i]) : L - 1]++;
    for (size_t i = 0; i < c->nnouns; i++)
        noun[strlen(c->nouns[i]) < L ? strlen(c->nouns[i]) : L - 1]++;
    for (int a = 1; a < L; a++)
        for (int n = 1; n < L; n++) {
            double pairs = adj[a] * noun[n];
            if (a + n + 1 <= maxlen)
                total += pairs * 9;             /* 1..9 */
            if (a + n + 2 <= maxlen)
                total += pairs * (NUMBER_MAX - 9);
        }
    return total;
}

/* Draw pseudonyms until one fits NICKLEN, is not reserved and is not in
 * use (which also makes it differ from the asker's current nick). */
int anon_pseudonym(const struct anon_conf *c, char *out, size_t len)
{
    int maxlen = anon_pseudonym_maxlen();
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
        uint32_t a, n, d;
        if (rand_below((uint32_t)c->nadjectives, &a) != 0 || rand_below((uint32_t)c->nnouns, &n) != 0 ||
            rand_below(NUMBER_MAX, &d) != 0)
            return -1;
        int k = snprintf(out, len, "%s%s%u", c->adjectives[a], c->nouns[n], (unsigned)d + 1);
        if (k < 0 || (size_t)k >= len || k > maxlen)
            continue;
        if (anon_nick_reserved(c, out) || hv_user_find(out))
            continue;
        return 0;
    }
    out[0] = '\0';
    return -1;
}
