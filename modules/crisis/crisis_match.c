/* crisis_match.c — every phrase matched at once by one automaton.
 *
 * All patterns (urgent and concern phrases, ignore phrases, resource names
 * as guards) are normalized like the text and compiled at (re)load into one
 * Aho-Corasick automaton, flattened into a full DFA over byte classes: a
 * message costs one table step per normalized byte, with no allocation.
 * States that complete a pattern are numbered last, so the scan loop only
 * leaves its tight path when something matched.
 *
 * A phrase match is then dropped when it overlaps an ignore phrase
 * ("dying to see") or a resource name ("Suicide & Crisis Lifeline"), or
 * sits inside quotes that name a resource ('"988" is the number'). */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L     /* strnlen, under plain -std=c17 too */
#endif
#include "crisis.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATES_MAX 65535            /* delta entries are 16-bit */
#define HITS_MAX 32                 /* phrase hits (and ignore spans) kept per text */

/* One compiled pattern. */
struct pat {
    uint32_t len;                   /* normalized length, with its boundary spaces */
    int8_t kind;                    /* enum crisis_kind */
    int8_t topic;
    bool open_end;                  /* "suicid*": no trailing space */
    int index;                      /* in the build list */
};

struct crisis_matcher {
    uint8_t cls[256];               /* byte -> class; 0 for bytes in no pattern */
    uint32_t ncls, nstates;
    uint32_t shift;                 /* a state's row is delta[state << shift] */
    uint32_t first_out;             /* states >= this complete some pattern */
    uint16_t *delta;                /* nstates rows of (1 << shift) next states */
    uint32_t *out_off;              /* outputs of state s: outs[out_off[s - first_out] ...] */
    uint16_t *outs;                 /* pattern numbers */
    struct pat *pat;
    size_t npat;
    size_t min_len;                 /* shortest phrase (urgent/concern); 0 when none */
};

/* A span of the normalized text: first and last byte of its words. */
struct span {
    uint16_t s, e;
    int16_t p;                      /* pattern number */
};

/* malloc that aborts: building happens at (re)load only. */
static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        abort();
    return p;
}

/* Normalize one pattern into out (CRISIS_NORM_MAX bytes). Returns its
 * length, or 0 when nothing matchable is left; *open_end for "word*". */
static size_t norm_pattern(const char *text, char *out, bool *open_end)
{
    char tmp[CRISIS_TEXT_MAX];
    size_t n = strnlen(text, sizeof tmp - 1);
    memcpy(tmp, text, n);
    while (n > 0 && (tmp[n - 1] == ' ' || tmp[n - 1] == '\t'))
        n--;
    *open_end = n > 0 && tmp[n - 1] == '*';
    if (*open_end)
        n--;
    size_t len = crisis_normalize(tmp, n, out, CRISIS_NORM_MAX, 0, NULL);
    size_t words = 0;
    for (size_t i = 0; i < len; i++)
        words += out[i] != ' ';
    if (words < 2)
        return 0;
    if (*open_end)
        out[--len] = '\0';
    return len;
}

/* The build: trie, failure links folded into a full DFA, output lists,
 * then states renumbered so output states come last. */
struct crisis_matcher *crisis_matcher_build(const struct crisis_phrase *v, size_t n, char *err, size_t errlen)
{
    if (n > 30000) {
        snprintf(err, errlen, "too many phrases (%zu; at most 30000)", n);
        return NULL;
    }
    struct crisis_matcher *m = xcalloc(1, sizeof *m);
    char **norm = xcalloc(n, sizeof *norm);
    m->pat = xcalloc(n, sizeof *m->pat);
    m->npat = n;
    size_t total = 1;
    bool used[256] = { false };
    for (size_t i = 0; i < n; i++) {
        char buf[CRISIS_NORM_MAX];
        bool open_end;
        size_t len = norm_pattern(v[i].text, buf, &open_end);
        if (len == 0) {
            snprintf(err, errlen, "\"%.60s\" has no words left to match once punctuation is removed", v[i].text);
            goto fail;
        }
        norm[i] = xcalloc(len + 1, 1);
        memcpy(norm[i], buf, len);
        m->pat[i] = (struct pat){ (uint32_t)len, (int8_t)v[i].kind, (int8_t)v[i].topic, open_end, (int)i };
        total += len;
        for (size_t k = 0; k < len; k++)
            used[(unsigned char)buf[k]] = true;
        if (v[i].kind > CK_NONE && (m->min_len == 0 || len < m->min_len))
            m->min_len = len;
    }
    if (total > STATES_MAX) {
        snprintf(err, errlen, "the phrases and resource names are too long together (%zu bytes; at most %d)",
                 total, STATES_MAX);
        goto fail;
    }
    m->ncls = 1;
    for (int b = 0; b < 256; b++)
        m->cls[b] = used[b] ? (uint8_t)m->ncls++ : 0;

    /* The trie, in a temporary int table (-1: no edge yet). */
    const uint32_t nc = m->ncls;
    int32_t *go = xcalloc(total * nc, sizeof *go);
    memset(go, 0xFF, total * nc * sizeof *go);
    uint32_t *end = xcalloc(n, sizeof *end);
    uint32_t ns = 1;
    for (size_t i = 0; i < n; i++) {
        uint32_t s = 0;
        for (const char *c = norm[i]; *c; c++) {
            int32_t *t = &go[s * nc + m->cls[(unsigned char)*c]];
            if (*t < 0)
                *t = (int32_t)ns++;
            s = (uint32_t)*t;
        }
        end[i] = s;
    }
    m->nstates = ns;

    /* Breadth-first: failure links, and missing edges filled from them. */
    uint32_t *fail = xcalloc(ns, sizeof *fail), *order = xcalloc(ns, sizeof *order);
    size_t qh = 0, qt = 0;
    order[qt++] = 0;
    while (qh < qt) {
        uint32_t s = order[qh++];
        for (uint32_t c = 0; c < nc; c++) {
            int32_t t = go[s * nc + c];
            if (t < 0) {
                go[s * nc + c] = s == 0 ? 0 : go[fail[s] * nc + c];
                continue;
            }
            fail[t] = s == 0 ? 0 : (uint32_t)go[fail[s] * nc + c];
            order[qt++] = (uint32_t)t;
        }
    }

    /* Outputs: a state's own patterns, then those of its failure state. */
    uint32_t *own_n = xcalloc(ns + 1, sizeof *own_n), *cnt = xcalloc(ns, sizeof *cnt);
    for (size_t i = 0; i < n; i++)
        own_n[end[i]]++;
    for (size_t q = 0; q < ns; q++) {
        uint32_t s = order[q];
        cnt[s] = own_n[s] + (s ? cnt[fail[s]] : 0);
    }
    /* own_n becomes offsets into own_pat: state s owns own_pat[own_n[s] ..
     * own_n[s + 1]), in list order. */
    for (uint32_t s = 0, sum = 0; s <= ns; s++) {
        uint32_t c = s < ns ? own_n[s] : 0;
        own_n[s] = sum;
        sum += c;
    }
    uint32_t *own_pat = xcalloc(n, sizeof *own_pat), *own_fill = xcalloc(ns, sizeof *own_fill);
    for (size_t i = 0; i < n; i++)
        own_pat[own_n[end[i]] + own_fill[end[i]]++] = (uint32_t)i;
    free(own_fill);
    /* Renumber: states without outputs first, then those with, each in
     * breadth-first order, so the shallow states ordinary text keeps
     * visiting share a few cache lines (the root stays 0). Rows are a
     * power of two wide, so a step is a shift, not a multiply. */
    uint32_t *newid = xcalloc(ns, sizeof *newid), next = 0;
    for (size_t q = 0; q < ns; q++)
        if (cnt[order[q]] == 0)
            newid[order[q]] = next++;
    m->first_out = next;
    for (size_t q = 0; q < ns; q++)
        if (cnt[order[q]] != 0)
            newid[order[q]] = next++;
    while ((1u << m->shift) < nc)
        m->shift++;
    m->delta = xcalloc((size_t)ns << m->shift, sizeof *m->delta);
    for (uint32_t s = 0; s < ns; s++)
        for (uint32_t c = 0; c < nc; c++)
            m->delta[((size_t)newid[s] << m->shift) + c] = (uint16_t)newid[go[s * nc + c]];

    /* Flattened output lists, indexed by new id - first_out. */
    uint32_t nout = ns - m->first_out;
    m->out_off = xcalloc(nout + 1, sizeof *m->out_off);
    size_t nouts = 0;
    for (uint32_t s = 0; s < ns; s++)
        if (cnt[s])
            m->out_off[newid[s] - m->first_out + 1] = cnt[s];
    for (uint32_t k = 0; k < nout; k++)
        m->out_off[k + 1] += m->out_off[k];
    nouts = m->out_off[nout];
    m->outs = xcalloc(nouts, sizeof *m->outs);
    uint32_t *fill = xcalloc(nout + 1, sizeof *fill);
    for (size_t q = 0; q < ns; q++) {           /* BFS order: a failure state is done first */
        uint32_t s = order[q];
        if (!cnt[s])
            continue;
        uint32_t k = newid[s] - m->first_out, at = m->out_off[k];
        for (uint32_t j = own_n[s]; j < own_n[s + 1]; j++)
            m->outs[at + fill[k]++] = (uint16_t)own_pat[j];
        if (s && cnt[fail[s]]) {
            uint32_t f = newid[fail[s]] - m->first_out;
            memcpy(&m->outs[at + fill[k]], &m->outs[m->out_off[f]], cnt[fail[s]] * sizeof *m->outs);
            fill[k] += cnt[fail[s]];
        }
    }
    free(fill);
    free(own_pat);
    free(newid);
    free(own_n);
    free(cnt);
    free(fail);
    free(order);
    free(end);
    free(go);
    for (size_t i = 0; i < n; i++)
        free(norm[i]);
    free(norm);
    return m;
fail:
    for (size_t i = 0; i < n; i++)
        free(norm[i]);
    free(norm);
    crisis_matcher_free(m);
    return NULL;
}

void crisis_matcher_free(struct crisis_matcher *m)
{
    if (!m)
        return;
    free(m->delta);
    free(m->out_off);
    free(m->outs);
    free(m->pat);
    free(m);
}

size_t crisis_matcher_states(const struct crisis_matcher *m)
{
    return m ? m->nstates : 0;
}

/* Do two spans share a byte? */
static inline bool overlap(const struct span *a, const struct span *b)
{
    return a->s <= b->e && b->s <= a->e;
}

/* Is span a inside quoted span q ([start, end) of the quote)? */
static inline bool inside(const struct span *a, const uint16_t q[2])
{
    return a->s > q[0] && a->e < q[1];
}

/* Run the automaton over one normalized text and decide. Returns the level. */
static int scan(const struct crisis_matcher *m, const char *buf, size_t len, const struct crisis_norm *info,
                struct crisis_hit *hit)
{
    struct span ph[HITS_MAX], sup[HITS_MAX];
    unsigned nph = 0, nsup = 0;
    const uint16_t *d = m->delta;
    const uint8_t *cls = m->cls;
    const uint32_t shift = m->shift, first_out = m->first_out;
    uint32_t s = 0;
    for (size_t i = 0; i < len; i++) {
        s = d[(s << shift) + cls[(unsigned char)buf[i]]];
        if (s < first_out)
            continue;
        uint32_t k = s - first_out;
        for (uint32_t o = m->out_off[k]; o < m->out_off[k + 1]; o++) {
            const struct pat *p = &m->pat[m->outs[o]];
            struct span sp = { (uint16_t)(i + 2 - p->len), (uint16_t)(p->open_end ? i : i - 1), (int16_t)m->outs[o] };
            if (p->kind > CK_NONE) {
                if (nph < HITS_MAX)
                    ph[nph++] = sp;
            } else if (nsup < HITS_MAX) {
                sup[nsup++] = sp;
            }
        }
    }
    for (unsigned i = 0; i < nph; i++) {
        bool drop = false;
        for (unsigned k = 0; k < nsup && !drop; k++)
            drop = overlap(&ph[i], &sup[k]);
        /* Quoted text that names a resource is talk about help, not a cry for it. */
        for (unsigned q = 0; q < info->nquotes && !drop; q++) {
            if (!inside(&ph[i], info->quote[q]))
                continue;
            for (unsigned k = 0; k < nsup && !drop; k++)
                drop = m->pat[sup[k].p].kind == CK_GUARD && inside(&sup[k], info->quote[q]);
        }
        if (drop)
            continue;
        const struct pat *p = &m->pat[ph[i].p];
        if (p->kind > hit->level || (p->kind == hit->level && hit->topic < 0 && p->topic >= 0)) {
            hit->level = p->kind;
            hit->topic = p->topic;
            hit->phrase = p->index;
        }
    }
    return hit->level;
}

int crisis_match(const struct crisis_matcher *m, const char *text, struct crisis_hit *hit)
{
    *hit = (struct crisis_hit){ CK_NONE, CRISIS_NO_TOPIC, -1 };
    if (!m || m->min_len == 0 || !text)
        return CK_NONE;
    size_t raw = strnlen(text, CRISIS_TEXT_MAX);
    if (raw + 2 < m->min_len)               /* normalizing never makes text longer */
        return CK_NONE;
    char buf[CRISIS_NORM_MAX];
    struct crisis_norm info;
    /* An ambiguous '1' (k1ll, 1ife) is read as 'i' first, then as 'l'. */
    for (unsigned pass = 0; pass < 2; pass++) {
        size_t len = crisis_normalize(text, raw, buf, sizeof buf, pass ? CN_ONE_AS_L : 0, &info);
        if (len < m->min_len)
            return CK_NONE;
        if (scan(m, buf, len, &info, hit) != CK_NONE || info.ambiguous == 0)
            break;
    }
    return hit->level;
}
