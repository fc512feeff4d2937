/* umode.c — user modes: the core's letters and those modules register.
 *
 * One table maps a letter to its bit and to who may change it, so MODE,
 * RPL_MYINFO and the welcome burst all read the same source. */
#include "havend.h"

#include <string.h>

struct umode_def {
    char letter;
    unsigned bit;
    bool user_set;          /* a user may +letter themselves */
    bool user_unset;        /* a user may -letter themselves */
    bool default_on;        /* set at registration */
    const void *owner;      /* NULL for core modes, else the module */
};

#define UMODE_MAX 24

static struct umode_def umodes[UMODE_MAX] = {
    { 'B', UMODE_BOT, true, true, false, NULL },
    { 'i', UMODE_INVISIBLE, true, true, true, NULL },
    { 'o', UMODE_OPER, false, true, false, NULL },
    { 'w', UMODE_WALLOPS, true, true, false, NULL },
};
static size_t numodes = 4;

static const struct umode_def *umode_find(char letter)
{
    for (size_t i = 0; i < numodes; i++)
        if (umodes[i].letter == letter)
            return &umodes[i];
    return NULL;
}

unsigned umode_bit(char letter)
{
    const struct umode_def *d = umode_find(letter);
    return d ? d->bit : 0;
}

unsigned umode_defaults(void)
{
    unsigned bits = 0;
    for (size_t i = 0; i < numodes; i++)
        if (umodes[i].default_on)
            bits |= umodes[i].bit;
    return bits;
}

/* Letters in table order (kept sorted), e.g. "Bgiow", for RPL_MYINFO. */
const char *umode_letters(char *buf, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < numodes && n + 1 < len; i++)
        buf[n++] = umodes[i].letter;
    buf[n] = '\0';
    return buf;
}

char *umode_append(char *p, const char *end, char sign, unsigned bits)
{
    if (!bits || p >= end)
        return p;
    *p++ = sign;
    for (size_t i = 0; i < numodes && p < end; i++)
        if (bits & umodes[i].bit)
            *p++ = umodes[i].letter;
    return p;
}

const char *umode_string(unsigned modes, char *buf, size_t len)
{
    char *p = umode_append(buf, buf + len - 1, '+', modes);
    if (p == buf)
        *p++ = '+';
    *p = '\0';
    return buf;
}

bool umode_may_change(char letter, bool set)
{
    const struct umode_def *d = umode_find(letter);
    return d && (set ? d->user_set : d->user_unset);
}

unsigned umode_register(char letter, bool default_on, const void *owner)
{
    if (!((letter >= 'a' && letter <= 'z') || (letter >= 'A' && letter <= 'Z')) || umode_find(letter) ||
        numodes == UMODE_MAX)
        return 0;
    unsigned used = 0;
    for (size_t i = 0; i < numodes; i++)
        used |= umodes[i].bit;
    unsigned bit = 1u << 8;
    while (bit && (used & bit))
        bit <<= 1;
    if (!bit)
        return 0;
    size_t i = numodes++;
    /* Keep the table sorted by letter (ASCII: upper case first). */
    while (i > 0 && umodes[i - 1].letter > letter) {
        umodes[i] = umodes[i - 1];
        i--;
    }
    umodes[i] = (struct umode_def){ letter, bit, true, true, default_on, owner };
    return bit;
}

void umode_unregister_owner(const void *owner)
{
    size_t o = 0;
    for (size_t i = 0; i < numodes; i++) {
        if (umodes[i].owner && umodes[i].owner == owner) {
            /* Clear the bit from everyone, so a later module reusing it starts clean. */
            size_t bucket = 0;
            struct hm_entry *e = NULL;
            struct client *u;
            while ((u = hashmap_next(&srv.uids, &bucket, &e)))
                u->umodes &= ~umodes[i].bit;
            continue;
        }
        umodes[o++] = umodes[i];
    }
    numodes = o;
}
