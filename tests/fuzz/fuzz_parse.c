/* fuzz_parse.c — libFuzzer target for the message parser (message_parse)
 * and tag lookup (tags_get).
 *
 * The input is one line as conn.c hands it over (CR/LF already cut, at most
 * IRC_INPUT_MAX bytes; a NUL ends it early, as conn.c drops such lines).
 * Besides memory errors it checks what every handler relies on: the command
 * is a non-empty word, every parameter lies inside the line, only the last
 * one may hold spaces or be empty, and tag values come back NUL-terminated
 * inside the caller's buffer whatever its size. */
#include "fuzz_common.h"

#include <stdbool.h>
#include <string.h>

#include "havend.h"
#include "proto/parse.h"

/* Is p a pointer into [buf, buf + len] whose string ends inside it too? */
static bool fp_inside(const char *p, const char *buf, size_t len)
{
    return p >= buf && p <= buf + len && p + strlen(p) <= buf + len;
}

/* Look a key up with an exactly sized heap buffer (so ASan sees a one-byte
 * overflow) and check the result is a string that fits. */
static void fp_tag_lookup(const char *tags, const char *key, size_t outlen)
{
    char *out = outlen ? malloc(outlen) : NULL;
    if (outlen && !out)
        abort();
    int found = tags_get(tags, key, out, outlen);
    if (found && outlen && strnlen(out, outlen) >= outlen)
        fuzz_fail("tags_get(%s) left no NUL in a %zu-byte buffer", key, outlen);
    free(out);
}

/* Check the structure message_parse promises for a PARSE_OK line. */
static void fp_check_message(const struct message *m, const char *buf, size_t len)
{
    if (!m->command || !*m->command || !fp_inside(m->command, buf, len) || strchr(m->command, ' '))
        fuzz_fail("bad command");
    for (const char *p = m->command; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            fuzz_fail("command not upper-cased: %s", m->command);
    if (m->nparams > MSG_MAX_PARAMS)
        fuzz_fail("%u params", m->nparams);
    if (m->trailing != -1 && m->trailing != (int)m->nparams - 1)
        fuzz_fail("trailing index %d of %u params", m->trailing, m->nparams);
    for (unsigned i = 0; i < m->nparams; i++) {
        const char *p = m->params[i];
        if (!p || !fp_inside(p, buf, len))
            fuzz_fail("param %u outside the line", i);
        if ((int)i == m->trailing)
            continue;
        if (!*p || strchr(p, ' ') || *p == ':')
            fuzz_fail("middle param %u is empty, has a space or starts with ':'", i);
    }
    if (m->source && !fp_inside(m->source, buf, len))
        fuzz_fail("source outside the line");
    if (m->tags && !fp_inside(m->tags, buf, len))
        fuzz_fail("tags outside the line");
}

/* One input: parse a copy, check it, look up tags in it and in the raw text. */
int FUZZ_ENTRY(const uint8_t *data, size_t size);
int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
    if (size > IRC_INPUT_MAX)
        return 0;           /* conn.c refuses longer lines before parsing */
    char *line = malloc(size + 1);
    if (!line)
        abort();
    memcpy(line, data, size);
    line[size] = '\0';
    size_t len = strlen(line);

    struct message m;
    enum parse_result r = message_parse(line, &m);
    if (r == PARSE_OK)
        fp_check_message(&m, line, len);
    else if (r != PARSE_EMPTY && r != PARSE_NO_COMMAND && r != PARSE_BAD_TAGS)
        fuzz_fail("unknown parse result %d", (int)r);
    if (r == PARSE_OK && m.tags) {
        static const char *const keys[] = { "label", "+draft/reply", "msgid", "batch", "", "+", "a" };
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            fp_tag_lookup(m.tags, keys[i], 65);
            fp_tag_lookup(m.tags, keys[i], 1);
            fp_tag_lookup(m.tags, keys[i], 0);
        }
    }

    /* tags_get on arbitrary text (it only ever sees validated tags today,
     * but it must not depend on that), with a key taken from the input. */
    memcpy(line, data, size);
    line[size] = '\0';
    char key[16];
    size_t kl = size < sizeof key - 1 ? size : sizeof key - 1;
    memcpy(key, line, kl);
    key[kl] = '\0';
    key[strcspn(key, "=;")] = '\0';
    fp_tag_lookup(line, key, 7);
    fp_tag_lookup(line, "label", 3);
    free(line);
    return 0;
}
