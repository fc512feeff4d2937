/* intern.c — one shared copy of strings that many objects point to (class
 * names, the network's constant public realname), kept until shutdown. A
 * pointer costs a client 8 bytes where a copy cost 65, and it stays valid
 * across REHASH, when the config holding the original is freed. Only
 * strings from the configuration and code are interned, never client
 * text, so the table stays small. */
#include "havend.h"

#include <stdlib.h>
#include <string.h>

static struct hashmap strings;   /* string -> its interned copy */

const char *str_intern(const char *s)
{
    if (!strings.buckets)
        hashmap_init(&strings);
    char *copy = hashmap_get(&strings, s);
    if (!copy) {
        if (!(copy = strdup(s)))
            abort();
        hashmap_put(&strings, s, copy);
    }
    return copy;
}

void str_intern_free(void)
{
    if (!strings.buckets)
        return;
    size_t bucket = 0;
    struct hm_entry *e = NULL;
    char *copy;
    while ((copy = hashmap_next(&strings, &bucket, &e)))
        free(copy);
    hashmap_free(&strings);
}
