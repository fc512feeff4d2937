/* hashmap.h — string-keyed chained hash table (keys are copied). Callers
 * casefold keys first; the table compares bytes. */
#ifndef HAVEND_HASHMAP_H
#define HAVEND_HASHMAP_H

#include <stddef.h>
#include <stdint.h>

struct hm_entry {
    void *value;
    struct hm_entry *next;
    char key[];                  /* stored inline: one allocation per entry; no
                                    cached hash either (16 bytes of header: a
                                    client's two entries fit 48-byte blocks) */
};

struct hashmap {
    struct hm_entry **buckets;
    size_t nbuckets, count;
};

void hashmap_init(struct hashmap *h);
void hashmap_free(struct hashmap *h);          /* frees entries, not values */
void *hashmap_get(const struct hashmap *h, const char *key);
void hashmap_put(struct hashmap *h, const char *key, void *value); /* replaces */
void *hashmap_remove(struct hashmap *h, const char *key);
/* Iterate: start with *it = 0 and *e = NULL; returns next value or NULL. */
void *hashmap_next(const struct hashmap *h, size_t *bucket, struct hm_entry **e);

#endif
