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
#include <stdlib.h>
#include <string.h>

#define NUMBER_MAX 99
_Static_assert(NUMBER_MAX <= 99, "anon_pseudonym writes the number as one or two digits");
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

/* A-Z to a-z, nothing else: what FNM_CASEFOLD does in the C locale (the
 * server never sets a locale, so bytes are characters). */
static inline char fold(char ch)
{
    return ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch;
}

bool anon_reserved_prepare(struct anon_conf *c)
{
    c->reserved_pat = calloc(c->nreserved ? c->nreserved : 1, sizeof *c->reserved_pat);
    if (!c->reserved_pat)
        return false;
    for (size_t i = 0; i < c->nreserved; i++) {
        struct anon_pattern *p = &c->reserved_pat[i];
        const char *body = c->reserved[i];
        p->lead = *body == '*';
        body += p->lead;
        size_t len = strcspn(body, "*?[");
        p->trail = body[len] == '*' && body[len + 1] == '\0';
        if (body[len] != '\0' && !p->trail)
            continue;                   /* not a plain literal: fnmatch */
        if (!(p->lit = malloc(len + 1)))
            return false;
        for (size_t k = 0; k < len; k++)
            p->lit[k] = fold(body[k]);
        p->lit[len] = '\0';
        p->len = len;
    }
    return true;
}

void anon_reserved_free(struct anon_conf *c)
{
    for (size_t i = 0; c->reserved_pat && i < c->nreserved; i++)
        free(c->reserved_pat[i].lit);
    free(c->reserved_pat);
    c->reserved_pat = NULL;
}

/* Does the lower-cased nick s (n bytes) match the literal pattern p? */
static bool literal_match(const struct anon_pattern *p, const char *s, size_t n)
{
    if (p->len > n)
        return false;
    if (p->lead && p->trail)
        return memmem(s, n, p->lit, p->len) != NULL;
    if (p->lead)
        return memcmp(s + n - p->len, p->lit, p->len) == 0;
    if (p->trail)
        return memcmp(s, p->lit, p->len) == 0;
    return n == p->len && memcmp(s, p->lit, n) == 0;
}

/* Does nick match a reserved pattern (case-insensitive glob, as
 * fnmatch(FNM_CASEFOLD | FNM_NOESCAPE))? Every pseudonym drawn is checked
 * against every pattern, and fnmatch costs ~450 instructions a call: the
 * usual patterns are literal searches in the lower-cased nick instead. */
bool anon_nick_reserved(const struct anon_conf *c, const char *nick)
{
    char low[64];
    size_t n = strlen(nick);
    bool folded = n < sizeof low;
    for (size_t k = 0; folded && k <= n; k++)
        low[k] = fold(nick[k]);
    for (size_t i = 0; i < c->nreserved; i++) {
        const struct anon_pattern *p = &c->reserved_pat[i];
        if (p->lit && folded ? literal_match(p, low, n)
                             : fnmatch(c->reserved[i], nick, FNM_CASEFOLD | FNM_NOESCAPE) == 0)
            return true;
    }
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
        /* "%s%s%u", copied together: this runs for every registration. */
        const char *adj = c->adjectives[a], *noun = c->nouns[n];
        size_t la = strlen(adj), ln = strlen(noun), num = d + 1, k = la + ln + (num >= 10 ? 2 : 1);
        if (k >= len || k > (size_t)maxlen)
            continue;
        memcpy(out, adj, la);
        memcpy(out + la, noun, ln);
        if (num >= 10)
            out[k - 2] = (char)('0' + num / 10);
        out[k - 1] = (char)('0' + num % 10);
        out[k] = '\0';
        if (anon_nick_reserved(c, out) || hv_user_find(out))
            continue;
        return 0;
    }
    out[0] = '\0';
    return -1;
}
