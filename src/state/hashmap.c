/* hashmap.c — chained hash table keyed by C strings (FNV-1a), grown at load 1. */
#include "state/hashmap.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hm_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

void hashmap_init(struct hashmap *h)
{
    h->nbuckets = 64;
    h->count = 0;
    h->buckets = calloc(h->nbuckets, sizeof *h->buckets);
    if (!h->buckets)
        abort();
}

void hashmap_free(struct hashmap *h)
{
    for (size_t i = 0; i < h->nbuckets; i++) {
        struct hm_entry *e = h->buckets[i];
        while (e) {
            struct hm_entry *n = e->next;
            free(e);
            e = n;
        }
    }
    free(h->buckets);
    h->buckets = NULL;
    h->nbuckets = h->count = 0;
}

/* Double the bucket array (rare: hashing every key again is cheap). */
static void hm_grow(struct hashmap *h)
{
    size_t nb = h->nbuckets * 2;
    struct hm_entry **b = calloc(nb, sizeof *b);
    if (!b)
        return; /* stay at the old size; lookups still work */
    for (size_t i = 0; i < h->nbuckets; i++) {
        struct hm_entry *e = h->buckets[i];
        while (e) {
            struct hm_entry *n = e->next;
            size_t j = hm_hash(e->key) & (nb - 1);
            e->next = b[j];
            b[j] = e;
            e = n;
        }
    }
    free(h->buckets);
    h->buckets = b;
    h->nbuckets = nb;
}

void *hashmap_get(const struct hashmap *h, const char *key)
{
    uint64_t hv = hm_hash(key);
    for (struct hm_entry *e = h->buckets[hv & (h->nbuckets - 1)]; e; e = e->next)
        if (strcmp(e->key, key) == 0)
            return e->value;
    return NULL;
}

void hashmap_put(struct hashmap *h, const char *key, void *value)
{
    uint64_t hv = hm_hash(key);
    size_t i = hv & (h->nbuckets - 1);
    for (struct hm_entry *e = h->buckets[i]; e; e = e->next) {
        if (strcmp(e->key, key) == 0) {
            e->value = value;
            return;
        }
    }
    size_t klen = strlen(key) + 1;
    struct hm_entry *e = malloc(sizeof *e + klen);
    if (!e)
        abort();
    memcpy(e->key, key, klen);
    e->value = value;
    e->next = h->buckets[i];
    h->buckets[i] = e;
    if (++h->count > h->nbuckets)
        hm_grow(h);
}

void *hashmap_remove(struct hashmap *h, const char *key)
{
    uint64_t hv = hm_hash(key);
    struct hm_entry **pp = &h->buckets[hv & (h->nbuckets - 1)];
    for (; *pp; pp = &(*pp)->next) {
        struct hm_entry *e = *pp;
        if (strcmp(e->key, key) == 0) {
            void *v = e->value;
            *pp = e->next;
            free(e);
            h->count--;
            return v;
        }
    }
    return NULL;
}

void *hashmap_next(const struct hashmap *h, size_t *bucket, struct hm_entry **e)
{
    if (*e)
        *e = (*e)->next;
    while (!*e) {
        if (*bucket >= h->nbuckets)
            return NULL;
        *e = h->buckets[(*bucket)++];
    }
    return (*e)->value;
}
