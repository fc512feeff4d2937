/* mod_match.c — text normalization and the phrase filters' automaton.
 *
 * Text and phrases are normalized the same way (lower-case ASCII letters
 * and digits, UTF-8 bytes kept, anything else a single space, a space at
 * both ends), so a phrase " kill yourself " found as a substring is a
 * whole-word, case-insensitive match whatever the punctuation. A phrase
 * ending in '*' matches word beginnings ("idiot*"), one starting with '*'
 * word endings.
 *
 * Every phrase goes into one Aho-Corasick automaton, compiled to a full
 * transition table over a reduced alphabet (only the bytes the phrases
 * use get their own column): scanning a message is one table lookup per
 * byte, whatever the number of filters, with no allocation. */
#include "moderation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TABLE_MAX (8u * 1024 * 1024)    /* transition entries: 32 MiB at most */

struct mod_matcher {
    unsigned char cls[256];             /* byte -> column (0: a byte no phrase uses) */
    size_t ncls, nstates;
    int32_t *next;                      /* nstates * ncls */
    int32_t *out;                       /* per state: first phrase ending here, or -1 */
    int32_t *dict;                      /* per state: next state with output on the fail chain, or 0 */
    int32_t *same;                      /* per phrase: the next phrase with the same ending state, or -1 */
    bool *block;                        /* per phrase: a blocking filter */
    size_t nphrases;
};

/* See moderation.h: one pass, lower-case words between single spaces, and
 * a hash of the result (for repeat detection). */
size_t mod_normalize(const char *in, char *out, size_t cap, uint64_t *hash)
{
    size_t n = 0;
    if (cap >= 3) {
        out[n++] = ' ';
        for (const unsigned char *p = (const unsigned char *)in; *p && n + 2 < cap; p++) {
            unsigned char c = *p;
            if (c >= 'A' && c <= 'Z')
                c = (unsigned char)(c + 32);
            else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80))
                c = ' ';
            if (c != ' ' || out[n - 1] != ' ')
                out[n++] = (char)c;
        }
        if (out[n - 1] != ' ')
            out[n++] = ' ';
    }
    if (cap)
        out[n] = '\0';
    if (hash) {
        uint64_t h = 1469598103934665603ull;
        for (size_t i = 0; i < n; i++)
            h = (h ^ (unsigned char)out[i]) * 1099511628211ull;
        *hash = h;
    }
    return n;
}

/* A filter's phrase as the automaton sees it, into buf; its length. */
static size_t pattern_of(const char *phrase, char *buf, size_t cap)
{
    size_t plen = strlen(phrase);
    bool head = phrase[0] == '*', tail = plen > 0 && phrase[plen - 1] == '*';
    size_t n = mod_normalize(phrase, buf, cap, NULL);
    if (tail && n > 1)
        buf[--n] = '\0';
    if (head && n > 1) {
        memmove(buf, buf + 1, n);
        n--;
    }
    return n;
}

/* Free an automaton (NULL is fine). */
void mod_matcher_free(struct mod_matcher *m)
{
    if (!m)
        return;
    free(m->next);
    free(m->out);
    free(m->dict);
    free(m->same);
    free(m->block);
    free(m);
}

/* Grow the per-state arrays to hold `want` states. */
static bool grow(struct mod_matcher *m, size_t *cap, size_t want)
{
    if (want <= *cap)
        return true;
    size_t n = *cap ? *cap * 2 : 64;
    while (n < want)
        n *= 2;
    if (n * m->ncls > TABLE_MAX)
        return false;
    int32_t *next = realloc(m->next, n * m->ncls * sizeof *next);
    if (next)
        m->next = next;
    int32_t *out = realloc(m->out, n * sizeof *out);
    if (out)
        m->out = out;
    int32_t *dict = realloc(m->dict, n * sizeof *dict);
    if (dict)
        m->dict = dict;
    if (!next || !out || !dict)
        abort();
    for (size_t s = *cap; s < n; s++) {
        for (size_t c = 0; c < m->ncls; c++)
            m->next[s * m->ncls + c] = -1;
        m->out[s] = -1;
        m->dict[s] = 0;
    }
    *cap = n;
    return true;
}

/* The trie of every pattern (step 1 of the build). */
static bool build_trie(struct mod_matcher *m, struct mod_filter *const *v, size_t n, char *err, size_t errlen)
{
    size_t cap = 0;
    char pat[MOD_PHRASE_MAX * 2 + 8];
    if (!grow(m, &cap, 1))
        return false;
    m->nstates = 1;
    for (size_t i = 0; i < n; i++) {
        size_t len = pattern_of(v[i]->phrase, pat, sizeof pat);
        size_t s = 0;
        for (size_t k = 0; k < len; k++) {
            size_t c = m->cls[(unsigned char)pat[k]];
            if (m->next[s * m->ncls + c] < 0) {
                if (!grow(m, &cap, m->nstates + 1)) {
                    snprintf(err, errlen, "the filters' phrases are too many or too long to match quickly");
                    return false;
                }
                m->next[s * m->ncls + c] = (int32_t)m->nstates++;
            }
            s = (size_t)m->next[s * m->ncls + c];
        }
        m->block[i] = v[i]->block;
        m->same[i] = m->out[s];
        m->out[s] = (int32_t)i;
    }
    return true;
}

/* Build the automaton: alphabet, trie, then failure links folded into a
 * complete transition table. */
struct mod_matcher *mod_matcher_build(struct mod_filter *const *v, size_t n, char *err, size_t errlen)
{
    struct mod_matcher *m = calloc(1, sizeof *m);
    if (!m)
        abort();
    m->nphrases = n;
    m->same = calloc(n + 1, sizeof *m->same);
    m->block = calloc(n + 1, sizeof *m->block);
    if (!m->same || !m->block)
        abort();
    /* The alphabet: one column per byte some phrase uses, column 0 for the rest. */
    char pat[MOD_PHRASE_MAX * 2 + 8];
    m->ncls = 1;
    for (size_t i = 0; i < n; i++) {
        size_t len = pattern_of(v[i]->phrase, pat, sizeof pat);
        for (size_t k = 0; k < len; k++)
            if (!m->cls[(unsigned char)pat[k]])
                m->cls[(unsigned char)pat[k]] = (unsigned char)m->ncls++;
    }
    if (!build_trie(m, v, n, err, errlen)) {
        mod_matcher_free(m);
        return NULL;
    }
    /* Breadth first: failure links, folded into a complete transition table. */
    int32_t *queue = malloc(m->nstates * sizeof *queue), *fail = calloc(m->nstates, sizeof *fail);
    if (!queue || !fail)
        abort();
    size_t qh = 0, qt = 0;
    for (size_t c = 0; c < m->ncls; c++) {
        int32_t t = m->next[c];
        if (t < 0) {
            m->next[c] = 0;
        } else {
            fail[t] = 0;
            queue[qt++] = t;
        }
    }
    while (qh < qt) {
        int32_t s = queue[qh++];
        m->dict[s] = m->out[fail[s]] >= 0 ? fail[s] : m->dict[fail[s]];
        for (size_t c = 0; c < m->ncls; c++) {
            int32_t t = m->next[(size_t)s * m->ncls + c];
            int32_t f = m->next[(size_t)fail[s] * m->ncls + c];
            if (t < 0) {
                m->next[(size_t)s * m->ncls + c] = f;
            } else {
                fail[t] = f;
                queue[qt++] = t;
            }
        }
    }
    free(queue);
    free(fail);
    return m;
}

/* One pass over normalized text; see moderation.h. */
int mod_matcher_scan(const struct mod_matcher *m, const char *norm, size_t len, bool (*ok)(size_t i, void *arg),
                     void *arg, int *flag)
{
    *flag = -1;
    if (!m || !m->nphrases)
        return -1;
    int32_t s = 0;
    const unsigned char *p = (const unsigned char *)norm;
    for (size_t k = 0; k < len; k++) {
        s = m->next[(size_t)s * m->ncls + m->cls[p[k]]];
        for (int32_t o = m->out[s] >= 0 ? s : m->dict[s]; o > 0; o = m->dict[o]) {
            for (int32_t i = m->out[o]; i >= 0; i = m->same[i]) {
                if (!ok((size_t)i, arg))
                    continue;
                if (m->block[i])
                    return i;
                if (*flag < 0)
                    *flag = i;
            }
        }
    }
    return -1;
}
