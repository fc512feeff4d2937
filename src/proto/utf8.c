/* utf8.c — UTF-8 validation and repair, and the UTF8ONLY policy applied to
 * commands before they run.
 *
 * The validator follows Unicode's table of well-formed byte sequences
 * (Table 3-7), so overlong forms, UTF-16 surrogates and code points above
 * U+10FFFF are all ill-formed. Repair replaces each maximal ill-formed
 * subpart with U+FFFD, the substitution Unicode and WHATWG recommend. */
#include "havend.h"
#include "proto/utf8.h"

#include <stdio.h>
#include <string.h>

/* The length of the well-formed sequence at s (1..4), or 0 when it is
 * ill-formed; then *bad is the length of its maximal ill-formed subpart
 * (at least 1), the bytes one U+FFFD stands for. */
static size_t seq_len(const unsigned char *s, size_t len, size_t *bad)
{
    unsigned char c = s[0];
    *bad = 1;
    if (c < 0x80)
        return 1;
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF;         /* range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        if (c == 0xE0)
            lo = 0xA0;                          /* no overlongs */
        else if (c == 0xED)
            hi = 0x9F;                          /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        if (c == 0xF0)
            lo = 0x90;                          /* no overlongs */
        else if (c == 0xF4)
            hi = 0x8F;                          /* nothing above U+10FFFF */
    } else {
        return 0;                               /* 80..C1, F5..FF never start one */
    }
    for (size_t i = 1; i < need; i++) {
        unsigned char min = i == 1 ? lo : 0x80, max = i == 1 ? hi : 0xBF;
        if (i >= len || s[i] < min || s[i] > max) {
            *bad = i;
            return 0;
        }
    }
    return need;
}

/* Walk s sequence by sequence; false at the first ill-formed one. */
bool utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, bad;
    while (i < len) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = seq_len(p + i, len - i, &bad);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

/* Copy well-formed sequences, one U+FFFD per maximal ill-formed subpart. */
size_t utf8_repair(const char *in, size_t inlen, char *out, size_t outcap)
{
    static const char fffd[] = "\xEF\xBF\xBD";
    const unsigned char *p = (const unsigned char *)in;
    size_t i = 0, o = 0, bad;
    while (i < inlen) {
        size_t n = seq_len(p + i, inlen - i, &bad);
        const char *src = n ? in + i : fffd;
        size_t w = n ? n : 3;
        if (o + w + 1 > outcap)
            break;                              /* whole characters only */
        memcpy(out + o, src, w);
        o += w;
        i += n ? n : bad;
    }
    out[o] = '\0';
    return o;
}

/* Back off from max to the start of the character it falls in. */
size_t utf8_cut(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    /* A character has at most 3 continuation bytes; text that has more in
     * a row is not UTF-8, and is cut at max as it is. */
    size_t n = max;
    while (n > 0 && max - n < 3 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return ((unsigned char)s[n] & 0xC0) == 0x80 ? max : n;
}

/* Does any parameter of m hold ill-formed UTF-8? */
static bool params_invalid(const struct message *m)
{
    for (unsigned i = 0; i < m->nparams; i++)
        if (!utf8_valid(m->params[i], strlen(m->params[i])))
            return true;
    return false;
}

/* UTF8ONLY: a flagged command whose parameters are not UTF-8 is refused
 * with FAIL <cmd> INVALID_UTF8 (NOTICE silently: nothing may answer a
 * NOTICE), or, with limits.utf8only_replace and a CMDF_UTF8 command,
 * repaired with U+FFFD (and a WARN to standard-replies clients). A QUIT
 * reason is always repaired. Text that names things (channel names, masks:
 * CMDF_UTF8_STRICT) is never altered. */
bool utf8_filter_params(struct client *u, const struct command *cmd, struct message *m, char *scratch,
                        size_t scratch_len)
{
    const struct config *cf = srv.conf;
    if (!cf || !cf->utf8only || !(cmd->flags & (CMDF_UTF8 | CMDF_UTF8_STRICT)) || !params_invalid(m))
        return true;
    /* A QUIT is never refused (the client is leaving anyway): repaired. */
    bool quit = strcmp(cmd->name, "QUIT") == 0;
    bool repair = (cf->utf8only_replace || quit) && !(cmd->flags & CMDF_UTF8_STRICT);
    if (!repair) {
        if (strcmp(cmd->name, "NOTICE") != 0)
            send_standard_reply(u, "FAIL", cmd->name, "INVALID_UTF8", NULL,
                                "Message rejected, your message contained invalid UTF-8");
        return false;
    }
    size_t used = 0;
    for (unsigned i = 0; i < m->nparams; i++) {
        size_t len = strlen(m->params[i]);
        if (utf8_valid(m->params[i], len))
            continue;
        if (used >= scratch_len)
            return false;
        size_t n = utf8_repair(m->params[i], len, scratch + used, scratch_len - used);
        m->params[i] = scratch + used;
        used += n + 1;
    }
    if (u->conn && (u->conn->caps & CAP_STANDARD_REPLIES) && strcmp(cmd->name, "NOTICE") != 0 && !quit)
        send_standard_reply(u, "WARN", cmd->name, "INVALID_UTF8", NULL,
                            "Your message was not correctly encoded as UTF-8 and had to be modified");
    return true;
}
