/* parse.c — the one IRC line parser: tags, source, command, parameters.
 *
 * Works in place on the connection's line buffer: spaces become NULs and the
 * message struct points at the pieces, so parsing never allocates. */
#include "proto/parse.h"

#include <ctype.h>
#include <string.h>

/* A tag key is an optional '+', an optional vendor ("example.com/"), and a
 * name of letters, digits and '-'. */
static int tag_key_valid(const char *k, size_t len)
{
    size_t i = 0;
    if (i < len && k[i] == '+')
        i++;
    if (i == len)
        return 0;
    for (; i < len; i++) {
        unsigned char ch = (unsigned char)k[i];
        if (!(isalnum(ch) || ch == '-' || ch == '/' || ch == '.'))
            return 0;
    }
    return 1;
}

/* Check the tag section "k=v;k2;..." for syntax the spec forbids. A raw
 * CR in a value (it must arrive escaped, as \r) would have been relayed
 * as a bare CR in the client-only tags of a PRIVMSG (found by fuzzing). */
static int tags_valid(const char *tags)
{
    if (!*tags || strchr(tags, '\r'))
        return 0;
    const char *p = tags;
    while (*p) {
        const char *end = strchr(p, ';');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        size_t klen = eq ? (size_t)(eq - p) : n;
        if (klen == 0 && n == 0 && end) {
            /* empty element ";;": tolerated per spec (ignored) */
        } else if (!tag_key_valid(p, klen)) {
            return 0;
        }
        if (!end)
            break;
        p = end + 1;
    }
    return 1;
}

enum parse_result message_parse(char *line, struct message *m)
{
    char *p = line;
    m->tags = NULL;
    m->source = NULL;
    m->command = NULL;
    m->nparams = 0;
    m->trailing = -1;

    if (*p == '@') {
        char *sp = strchr(p, ' ');
        if (!sp)
            return PARSE_NO_COMMAND;
        *sp = '\0';
        m->tags = p + 1;
        if (!tags_valid(m->tags))
            return PARSE_BAD_TAGS;
        p = sp + 1;
        while (*p == ' ')
            p++;
    }
    if (*p == ':') {
        char *sp = strchr(p, ' ');
        if (!sp)
            return PARSE_NO_COMMAND;
        *sp = '\0';
        m->source = p + 1;
        p = sp + 1;
        while (*p == ' ')
            p++;
    }
    while (*p == ' ')
        p++;
    if (!*p)
        return (m->tags || m->source) ? PARSE_NO_COMMAND : PARSE_EMPTY;

    m->command = p;
    while (*p && *p != ' ') {
        *p = (char)toupper((unsigned char)*p);
        p++;
    }
    while (*p) {
        while (*p == ' ')
            *p++ = '\0';
        if (!*p)
            break;
        if (*p == ':' || m->nparams == MSG_MAX_PARAMS - 1) {
            if (*p == ':')
                p++;
            m->trailing = (int)m->nparams;
            m->params[m->nparams++] = p;
            break;
        }
        m->params[m->nparams++] = p;
        while (*p && *p != ' ')
            p++;
    }
    return PARSE_OK;
}

/* Unescape a tag value (\: ; \s space, \\ \, \r, \n; lone trailing '\' dropped). */
static void tag_unescape(const char *v, size_t n, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < outlen; i++) {
        char ch = v[i];
        if (ch == '\\') {
            if (++i >= n)
                break;
            switch (v[i]) {
            case ':': ch = ';'; break;
            case 's': ch = ' '; break;
            case 'r': ch = '\r'; break;
            case 'n': ch = '\n'; break;
            default: ch = v[i]; break;
            }
        }
        out[o++] = ch;
    }
    out[o] = '\0';
}

int tags_get(const char *tags, const char *key, char *out, size_t outlen)
{
    if (!tags)
        return 0;
    size_t klen = strlen(key);
    int found = 0;
    const char *p = tags;
    while (*p) {
        const char *end = strchr(p, ';');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        size_t kl = eq ? (size_t)(eq - p) : n;
        if (kl == klen && memcmp(p, key, klen) == 0) {
            /* the last occurrence wins, as the spec says */
            found = 1;
            if (outlen) {
                if (eq)
                    tag_unescape(eq + 1, n - kl - 1, out, outlen);
                else
                    out[0] = '\0';
            }
        }
        if (!end)
            break;
        p = end + 1;
    }
    return found;
}
