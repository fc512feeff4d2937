/* topics_find.c — which topics fit what a person typed ("FIND can't sleep,
 * worried all the time").
 *
 * Deliberately simple and predictable: the text is cut into words, words
 * that say nothing about a topic ("I", "feel", "really") are dropped, and
 * every other word is crudely stemmed and compared with each topic's
 * keywords (strong), its name (strong) and the words of its description
 * (weak). Nothing is logged or kept. */
#include "topics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORD_MAX 48
#define QUERY_WORDS_MAX 32

/* Words that say nothing about which room fits. Sorted, for bsearch. */
static const char *const stopwords[] = {
    "about", "after", "again", "all", "also", "always", "and", "any", "are", "been", "being", "but",
    "can", "cannot", "cant", "could", "did", "does", "doing", "dont", "else", "even", "feel", "feeling",
    "feelings", "feels", "felt", "for", "from", "get", "getting", "going", "got", "had", "has", "have",
    "having", "help", "her", "him", "his", "how", "just", "keep", "know", "like", "lot", "lots", "many",
    "more", "much", "need", "not", "now", "off", "one", "our", "out", "over", "please", "really", "she",
    "since", "some", "someone", "something", "still", "talk", "talking", "that", "the", "their", "them",
    "then", "there", "they", "thing", "things", "think", "this", "through", "too", "very", "want", "was",
    "way", "were", "what", "when", "where", "which", "who", "why", "will", "with", "without", "would",
    "you", "your",
};

/* bsearch comparator over the stopword table. */
static int cmp_word(const void *a, const void *b)
{
    return strcmp(a, *(const char *const *)b);
}

/* Too short or too common to tell topics apart. */
static bool is_stopword(const char *w)
{
    return strlen(w) < 3 ||
           bsearch(w, stopwords, sizeof stopwords / sizeof stopwords[0], sizeof stopwords[0], cmp_word) != NULL;
}

/* Copy the next word of *pp into w (ASCII lower-cased; other bytes kept so
 * UTF-8 words stay whole; apostrophes dropped so "can't" is "cant"). Returns
 * false when the text is used up. Over-long words are cut. */
static bool next_word(const char **pp, char *w, size_t len)
{
    const unsigned char *p = (const unsigned char *)*pp;
    size_t n = 0;
    /* A word character: ASCII letter or digit, or any non-ASCII byte except
     * the UTF-8 right single quote (E2 80 99), treated like an apostrophe. */
#define WORDCH(q) (((q)[0] >= 'a' && (q)[0] <= 'z') || ((q)[0] >= 'A' && (q)[0] <= 'Z') || \
                   ((q)[0] >= '0' && (q)[0] <= '9') || ((q)[0] >= 0x80 && !IS_RSQUO(q)))
#define IS_RSQUO(q) ((q)[0] == 0xE2 && (q)[1] == 0x80 && (q)[2] == 0x99)
    while (*p && !WORDCH(p))
        p++;
    if (!*p) {
        *pp = (const char *)p;
        return false;
    }
    while (*p) {
        if (*p == '\'' || IS_RSQUO(p)) {
            p += *p == '\'' ? 1 : 3;
            continue;
        }
        if (!WORDCH(p))
            break;
        if (n + 1 < len)
            w[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        p++;
    }
#undef WORDCH
#undef IS_RSQUO
    w[n] = '\0';
    *pp = (const char *)p;
    return true;
}

/* Does w end in suffix, leaving at least keep bytes before it? */
static bool ends(const char *w, size_t n, const char *suffix, size_t keep)
{
    size_t s = strlen(suffix);
    return n >= s + keep && strcmp(w + n - s, suffix) == 0;
}

/* Crude English stemming, in place: enough that "worried", "worries",
 * "worrying" and "worry" meet, and "panics" meets "panic". */
static void stem(char *w)
{
    static const struct { const char *suffix, *with; } rules[] = {
        { "iness", "y" }, { "ness", "" }, { "ies", "y" }, { "ied", "y" }, { "ing", "" },
        { "ed", "" }, { "es", "" }, { "ly", "" },
    };
    size_t n = strlen(w);
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        if (ends(w, n, rules[i].suffix, 3)) {
            n -= strlen(rules[i].suffix);
            strcpy(w + n, rules[i].with);
            n = strlen(w);
            goto tail;
        }
    }
    /* A plural s, but not the s of "stress", "anxious" or "crisis". */
    if (n > 3 && w[n - 1] == 's' && w[n - 2] != 's' && w[n - 2] != 'u' && w[n - 2] != 'i')
        w[--n] = '\0';
tail:
    /* "grieve" and "grieving" both become "griev". */
    if (n >= 5 && w[n - 1] == 'e')
        w[n - 1] = '\0';
}

/* How well two stems match: 3 equal, 2 when the shorter (of at least four
 * letters) begins the longer ("lone" / "lonely"), else 0. */
static int stem_match(const char *a, const char *b)
{
    if (strcmp(a, b) == 0)
        return 3;
    size_t la = strlen(a), lb = strlen(b);
    const char *s = la < lb ? a : b, *l = la < lb ? b : a;
    size_t ls = la < lb ? la : lb;
    return ls >= 4 && strncmp(s, l, ls) == 0 ? 2 : 0;
}

/* Best match of stemmed word q against any word of text; `weak` caps the
 * result at 1 (description words) and skips stopwords there. */
static int best_in(const char *q, const char *text, bool weak)
{
    char w[WORD_MAX];
    int best = 0;
    for (const char *p = text; next_word(&p, w, sizeof w);) {
        if (weak && is_stopword(w))
            continue;
        stem(w);
        int m = stem_match(q, w);
        if (m > best)
            best = m;
    }
    return weak && best > 1 ? 1 : best;
}

/* Score one topic against the query's stemmed words. */
static int score_topic(const struct topic *t, char q[][WORD_MAX], size_t nq)
{
    char name[TOPIC_NAME_MAX + 1];
    snprintf(name, sizeof name, "%s", t->name);
    for (char *p = name; *p; p++)
        if (*p == '-' || *p == '_')
            *p = ' ';
    int score = 0;
    for (size_t i = 0; i < nq; i++) {
        int best = best_in(q[i], name, false);
        for (size_t k = 0; k < t->nkeywords && best < 3; k++) {
            int m = best_in(q[i], t->keywords[k], false);
            if (m > best)
                best = m;
        }
        if (best == 0)
            best = best_in(q[i], t->description, true);
        score += best;
    }
    return score;
}

size_t topics_find(const struct topics_conf *c, const char *text, size_t *out, size_t max)
{
    char q[QUERY_WORDS_MAX][WORD_MAX];
    size_t nq = 0;
    char w[WORD_MAX];
    for (const char *p = text; nq < QUERY_WORDS_MAX && next_word(&p, w, sizeof w);) {
        if (is_stopword(w))
            continue;
        stem(w);
        bool dup = false;
        for (size_t i = 0; i < nq && !dup; i++)
            dup = strcmp(q[i], w) == 0;
        if (!dup)
            memcpy(q[nq++], w, sizeof w);
    }
    if (nq == 0 || max == 0)
        return 0;

    int *score = calloc(c->n ? c->n : 1, sizeof *score);
    if (!score)
        abort();
    int top = 0;
    for (size_t i = 0; i < c->n; i++) {
        score[i] = score_topic(&c->v[i], q, nq);
        if (score[i] > top)
            top = score[i];
    }
    /* Best first, ties in config order; leave out weak also-rans (less than
     * a third of the best), so "anxious" does not drag in every room that
     * mentions worry in passing. */
    size_t n = 0;
    while (n < max && top > 0) {
        size_t pick = c->n;
        for (size_t i = 0; i < c->n; i++)
            if (score[i] > 0 && score[i] * 3 >= top && (pick == c->n || score[i] > score[pick]))
                pick = i;
        if (pick == c->n)
            break;
        out[n++] = pick;
        score[pick] = 0;
    }
    free(score);
    return n;
}

bool topics_name_matches(const struct topic *t, const char *word)
{
    const char *a = t->name, *b = word;
    for (;;) {
        while (*a && !((*a >= 'a' && *a <= 'z') || (*a >= '0' && *a <= '9')))
            a++;
        while (*b && !((*b >= 'a' && *b <= 'z') || (*b >= 'A' && *b <= 'Z') || (*b >= '0' && *b <= '9')))
            b++;
        if (!*a || !*b)
            return !*a && !*b;
        char cb = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
        if (*a != cb)
            return false;
        a++;
        b++;
    }
}
