/* whox.c — the pieces of WHO that IRCv3 extends: the flags field (away,
 * oper, bot, channel status with multi-prefix) and WHOX, where the asker
 * picks the fields of a 354 reply: WHO <mask> %<fields>[,<token>].
 *
 * Privacy: the IP field is always 255.255.255.255 (the spec's "refused"
 * value); every other field is a public one (nick, user, host, realname,
 * server) or a harmless counter. */
#include "havend.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define RPL_WHOSPCRPL 354

/* The order WHOX fields are sent in, whatever order they were asked in. */
static const char whox_order[] = "tcuihsnfdlaor";

/* "%<fields>[,<token>]" out of a WHO options word: the fields in reply
 * order, and the token when it is 1 to 3 digits. */
bool whox_parse(const char *opts, struct whox_req *x)
{
    const char *pct = opts ? strchr(opts, '%') : NULL;
    if (!pct)
        return false;
    const char *end = pct + 1 + strcspn(pct + 1, ",");
    size_t n = 0;
    for (const char *f = whox_order; *f; f++)
        if (memchr(pct + 1, *f, (size_t)(end - pct - 1)))
            x->fields[n++] = *f;
    x->fields[n] = '\0';
    x->token[0] = '\0';
    if (*end == ',') {
        size_t len = strlen(end + 1);
        /* A token is 1 to 3 digits; anything else is ignored. */
        if (len >= 1 && len <= 3 && strspn(end + 1, "0123456789") == len)
            memcpy(x->token, end + 1, len + 1);
    }
    return true;
}

/* H/G, then * for an oper, B for a bot, then the channel status prefix
 * (every one for multi-prefix askers). */
const char *who_flags(const struct client *to, const struct client *u, unsigned status, char *buf, size_t len)
{
    char pfx[8] = "";
    bool multi = to->conn && (to->conn->caps & CAP_MULTI_PREFIX);
    if (status)
        channel_status_prefix(status, multi, pfx);
    snprintf(buf, len, "%c%s%s%s", u->away ? 'G' : 'H', (u->umodes & UMODE_OPER) ? "*" : "",
             (u->umodes & UMODE_BOT) ? "B" : "", pfx);
    return buf;
}

/* Seconds since u last did something that counts as activity. */
static long long idle_seconds(const struct client *u)
{
    if (!u->conn)
        return 0;
    time_t now = time(NULL), last = u->conn->last_active ? u->conn->last_active : u->signon;
    return last && now > last ? (long long)(now - last) : 0;
}

/* Append " <word>" to the reply being built. */
static size_t put(char *buf, size_t len, size_t off, const char *word)
{
    if (off >= len)
        return off;
    int w = snprintf(buf + off, len - off, " %s", word);
    return w < 0 ? off : off + (size_t)w;
}

/* One 354 line with exactly the requested fields, in the spec's order. */
void whox_reply(struct client *to, const struct whox_req *x, const char *chan, struct client *u, unsigned status)
{
    char line[IRC_LINE_MAX], tmp[32];
    size_t off = 0;
    line[0] = '\0';
    for (const char *f = x->fields; *f; f++) {
        switch (*f) {
        case 't': off = put(line, sizeof line, off, x->token[0] ? x->token : "0"); break;
        case 'c': off = put(line, sizeof line, off, chan ? chan : "*"); break;
        case 'u': off = put(line, sizeof line, off, u->user); break;
        case 'i': off = put(line, sizeof line, off, "255.255.255.255"); break;
        case 'h': off = put(line, sizeof line, off, u->host); break;
        case 's': off = put(line, sizeof line, off, u->server_name ? u->server_name : srv.name); break;
        case 'n': off = put(line, sizeof line, off, u->nick); break;
        case 'f': off = put(line, sizeof line, off, who_flags(to, u, status, tmp, sizeof tmp)); break;
        case 'd': off = put(line, sizeof line, off, "0"); break;
        case 'l':
            snprintf(tmp, sizeof tmp, "%lld", idle_seconds(u));
            off = put(line, sizeof line, off, tmp);
            break;
        case 'a': off = put(line, sizeof line, off, u->account ? u->account : "0"); break;
        case 'o': off = put(line, sizeof line, off, "n/a"); break;
        case 'r':
            off = put(line, sizeof line, off, ":");
            if (off < sizeof line)
                off += (size_t)snprintf(line + off, sizeof line - off, "%s", u->realname);
            break;
        }
    }
    /* line starts with a space (or is empty) */
    send_numeric(to, RPL_WHOSPCRPL, "%s", line[0] ? line + 1 : "");
}
