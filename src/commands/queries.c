/* queries.c — commands that answer questions about users and the server:
 * WHO, WHOIS, WHOWAS, ISON, USERHOST, MOTD, LUSERS, VERSION, TIME, INFO,
 * ADMIN, plus the WHOWAS history ring. (HELP lives in help.c.)
 *
 * Privacy: every reply here is built only from a client's public fields
 * (nick, user, host, realname, server_name). Nothing reads the connection's
 * address, and nothing is logged about users.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "havend.h"
#include "modules/module.h"
#include "proto/linebuf.h"
#include "proto/numeric.h"

/* Bytes a line may carry before its CRLF. */
#define LINE_BODY_MAX (IRC_LINE_MAX - 2)

/* ---------------------------------------------------------------- helpers */

/* Copy a client-supplied word into out for echoing in a middle parameter:
 * it stops at a space, is capped at outlen-1 bytes, and becomes "*" when it
 * would be empty or start with ':' (which would turn it into a trailing
 * parameter). Keeps malformed input from breaking the reply's framing. */
static const char *safe_token(const char *in, char *out, size_t outlen)
{
    size_t n = 0;
    if (in)
        while (in[n] && in[n] != ' ' && in[n] != '\r' && in[n] != '\n' && n + 1 < outlen)
            n++;
    if (n == 0 || in[0] == ':') {
        snprintf(out, outlen, "*");
        return out;
    }
    memcpy(out, in, n);
    out[n] = '\0';
    return out;
}

/* Our server name, never NULL. */
static const char *me(void)
{
    return srv.conf && srv.conf->server_name ? srv.conf->server_name : "*";
}

/* Does a target parameter (VERSION/TIME/ADMIN/INFO/MOTD/LUSERS/WHOIS) name
 * this server? Accepts our name (case-insensitively), a glob matching it,
 * or the nick of a user on this server. Anything else is ERR_NOSUCHSERVER. */
static bool target_is_me(const char *target)
{
    if (!target || !*target || strcmp(target, "*") == 0)
        return true;
    if (irc_casecmp(target, me()) == 0 || irc_match(target, me()))
        return true;
    struct client *u = user_find_nick(target);
    return u && u->registered && (!u->server_name || irc_casecmp(u->server_name, me()) == 0);
}

/* If m->params[idx] is present and is not us, send 402 and return true. */
static bool reject_foreign_target(struct client *src, struct message *m, unsigned idx)
{
    if (m->nparams <= idx || target_is_me(m->params[idx]))
        return false;
    char tok[128];
    send_numeric(src, ERR_NOSUCHSERVER, "%s :No such server", safe_token(m->params[idx], tok, sizeof tok));
    return true;
}

/* Format t as an RFC 2822 date in UTC ("Mon, 01 Jan 2024 12:00:00 +0000"),
 * independent of the process locale and timezone. */
static const char *format_time(time_t t, char *buf, size_t len)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    if (!gmtime_r(&t, &tm) || tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 || tm.tm_mon > 11) {
        snprintf(buf, len, "unknown");
        return buf;
    }
    snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
             months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

/* Bytes available for the text after "<head>" in a numeric to `to`, given
 * that send_numeric prefixes ":<server> NNN <target> ". Never below 64 so a
 * silly configuration still yields output (the send layer is the backstop). */
static size_t numeric_budget(struct client *to, size_t head_len)
{
    size_t used = 1 + strlen(me()) + 5 + strlen(client_target(to)) + 1 + head_len;
    return used + 64 < LINE_BODY_MAX ? LINE_BODY_MAX - used : 64;
}

/* Length of a prefix of s that fits in max bytes without splitting a UTF-8
 * sequence, stopping early at CR or LF. */
static int fit_utf8(const char *s, size_t max)
{
    size_t n = strcspn(s, "\r\n");
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    return (int)n;
}

/* A numeric whose text is "<head><item> <item> ...", split over as many
 * lines as needed to stay within the line limit (319, 303, 302). */
struct listreply {
    struct client *to;
    int numeric;
    const char *head;            /* e.g. "nick :" or ":" */
    char buf[IRC_LINE_MAX];
    size_t len, max;
    bool sent;                   /* at least one line went out */
};

/* Start a split list reply. */
static void list_init(struct listreply *l, struct client *to, int numeric, const char *head)
{
    l->to = to;
    l->numeric = numeric;
    l->head = head;
    l->len = 0;
    l->buf[0] = '\0';
    l->sent = false;
    l->max = numeric_budget(to, strlen(head));
    if (l->max >= sizeof l->buf)
        l->max = sizeof l->buf - 1;
}

/* Send what has accumulated (if anything). */
static void list_flush(struct listreply *l)
{
    if (l->len == 0)
        return;
    send_numeric(l->to, l->numeric, "%s%s", l->head, l->buf);
    l->len = 0;
    l->buf[0] = '\0';
    l->sent = true;
}

/* Append one space-separated item, flushing first when it would not fit. */
static void list_add(struct listreply *l, const char *item)
{
    size_t n = strlen(item);
    if (n > l->max)
        n = l->max;
    if (l->len && l->len + 1 + n > l->max)
        list_flush(l);
    if (l->len)
        l->buf[l->len++] = ' ';
    memcpy(l->buf + l->len, item, n);
    l->len += n;
    l->buf[l->len] = '\0';
}

/* Finish: flush, or send an empty list when nothing was sent (302/303 must
 * always answer). */
static void list_end(struct listreply *l, bool send_empty)
{
    if (l->len)
        list_flush(l);
    else if (!l->sent && send_empty)
        send_numeric(l->to, l->numeric, "%s", l->head);
}

/* Do a and b have at least one channel in common? Walks the shorter list. */
static bool share_channel(const struct client *a, const struct client *b)
{
    if (a == b)
        return true;
    if (a->nchans > b->nchans) {
        const struct client *t = a;
        a = b;
        b = t;
    }
    for (size_t i = 0; i < a->nchans; i++)
        if (a->chans[i] && channel_membership(a->chans[i]->chan, b))
            return true;
    return false;
}

/* May `asker` see `u` in a WHO listing that is not aimed at a channel? */
static bool user_visible_to(const struct client *asker, const struct client *u)
{
    return !(u->umodes & UMODE_INVISIBLE) || share_channel(asker, u);
}

/* ---------------------------------------------------------------- WHO */

/* Send one 352 line, or the 354 the WHOX request x asks for. chan is "*"
 * or a channel name; status is the member's status on that channel (0 when
 * none). Flags: H/G, * oper, B bot, then the status prefix(es). */
static void who_reply(struct client *to, const char *chan, struct client *u, unsigned status,
                      const struct whox_req *x)
{
    if (x) {
        whox_reply(to, x, chan, u, status);
        return;
    }
    char flags[16];
    send_numeric(to, RPL_WHOREPLY, "%s %s %s %s %s %s :0 %s", chan, u->user, u->host,
                 u->server_name ? u->server_name : me(), u->nick, who_flags(to, u, status, flags, sizeof flags),
                 u->realname);
}

/* Does a WHO mask select u? Matched against nick, user, host, realname and
 * server — all public values. */
static bool who_mask_matches(const char *mask, const struct client *u)
{
    return irc_match(mask, u->nick) || irc_match(mask, u->user) || irc_match(mask, u->host) ||
           irc_match(mask, u->realname) || irc_match(mask, u->server_name ? u->server_name : me());
}

/* WHO <mask> [o]: list members of a channel, or users matching a mask.
 * A channel's +i members are listed only to members; a +s/+p channel lists
 * nothing to non-members. A mask query shows +i users only to those who
 * share a channel with them, except an exact nick, which WHOIS reveals
 * anyway. "o" limits the answer to IRC operators; "%<fields>[,<token>]"
 * asks for WHOX 354 replies (commands/whox.c). */
void cmd_who(struct client *src, struct message *m)
{
    const char *mask = m->nparams > 0 && m->params[0][0] ? m->params[0] : "*";
    bool opers_only = false;
    if (m->nparams > 1)
        for (const char *p = m->params[1]; *p && *p != '%'; p++)
            if (*p == 'o')
                opers_only = true;

    char echo[200];
    safe_token(mask, echo, sizeof echo);
    struct whox_req xr;
    const struct whox_req *x = m->nparams > 1 && whox_parse(m->params[1], &xr) ? &xr : NULL;

    if (mask[0] == '#' || mask[0] == '&') {
        struct channel *ch = channel_find(mask);
        if (ch) {
            bool member = channel_membership(ch, src) != NULL;
            bool hidden = (ch->modes & (CMODE_SECRET | CMODE_PRIVATE)) != 0;
            if (member || !hidden) {
                for (size_t i = 0; i < ch->nmembers; i++) {
                    struct membership *ms = ch->members[i];
                    if (!ms || !ms->client)
                        continue;
                    struct client *u = ms->client;
                    if (!member && (u->umodes & UMODE_INVISIBLE))
                        continue;
                    if (opers_only && !(u->umodes & UMODE_OPER))
                        continue;
                    who_reply(src, ch->name, u, ms->status, x);
                }
            }
        }
        send_numeric(src, RPL_ENDOFWHO, "%s :End of WHO list", echo);
        return;
    }

    if (strcmp(mask, "0") == 0)
        mask = "*";

    /* An exact nickname always answers for that user, +i or not. */
    if (!strpbrk(mask, "*?")) {
        struct client *u = user_find_nick(mask);
        if (u && u->registered) {
            if (!opers_only || (u->umodes & UMODE_OPER))
                who_reply(src, "*", u, 0, x);
            send_numeric(src, RPL_ENDOFWHO, "%s :End of WHO list", echo);
            return;
        }
    }

    size_t bucket = 0;
    struct hm_entry *e = NULL;
    struct client *u;
    while ((u = hashmap_next(&srv.uids, &bucket, &e)) != NULL) {
        if (!u->registered || !user_visible_to(src, u))
            continue;
        if (opers_only && !(u->umodes & UMODE_OPER))
            continue;
        if (!who_mask_matches(mask, u))
            continue;
        who_reply(src, "*", u, 0, x);
    }
    send_numeric(src, RPL_ENDOFWHO, "%s :End of WHO list", echo);
}

/* ---------------------------------------------------------------- WHOIS */

/* The 319 list: channels of u that asker may see, highest status first,
 * split over several lines when long. Secret and private channels appear
 * only when the asker is in them too. */
static void whois_channels(struct client *asker, struct client *u)
{
    if (u->nchans == 0)
        return;
    char head[NICK_MAX + 4];
    snprintf(head, sizeof head, "%s :", u->nick);
    struct listreply l;
    list_init(&l, asker, RPL_WHOISCHANNELS, head);
    for (size_t i = 0; i < u->nchans; i++) {
        struct membership *ms = u->chans[i];
        if (!ms || !ms->chan)
            continue;
        struct channel *ch = ms->chan;
        if ((ch->modes & (CMODE_SECRET | CMODE_PRIVATE)) && asker != u && !channel_membership(ch, asker))
            continue;
        char pfx[16] = "", item[CHAN_MAX + 20];
        if (ms->status)
            channel_status_prefix(ms->status, false, pfx);
        snprintf(item, sizeof item, "%s%s", pfx, ch->name);
        list_add(&l, item);
    }
    list_end(&l, false);
}

/* All WHOIS replies for one found user (without the final 318). */
static void whois_user(struct client *asker, struct client *u)
{
    const char *server = u->server_name ? u->server_name : me();
    const char *desc = "";
    if (irc_casecmp(server, me()) == 0 && srv.conf && srv.conf->description)
        desc = srv.conf->description;

    send_numeric(asker, RPL_WHOISUSER, "%s %s %s * :%s", u->nick, u->user, u->host, u->realname);
    whois_channels(asker, u);
    send_numeric(asker, RPL_WHOISSERVER, "%s %s :%.*s", u->nick, server,
                 fit_utf8(desc, numeric_budget(asker, strlen(u->nick) + strlen(server) + 2)), desc);
    if (u->service)
        send_numeric(asker, RPL_WHOISOPERATOR, "%s :is a Network Service", u->nick);
    else if (u->umodes & UMODE_OPER)
        send_numeric(asker, RPL_WHOISOPERATOR, "%s :is an IRC operator", u->nick);
    if (u->umodes & UMODE_BOT)
        send_numeric(asker, RPL_WHOISBOT, "%s :is a bot on %s", u->nick, srv.conf->network);
    if (u->account)
        send_numeric(asker, RPL_WHOISACCOUNT, "%s %s :is logged in as", u->nick, u->account);
    /* The ban token only to operators holding see_token (privacy). */
    if ((asker->umodes & UMODE_OPER) && (asker->oper_privs & OPRIV_SEE_TOKEN) && u->ban_token[0])
        send_numeric(asker, RPL_WHOISSPECIAL, "%s :has ban token %s", u->nick, u->ban_token);
    if (u->away)
        send_numeric(asker, RPL_AWAY, "%s :%.*s", u->nick,
                     fit_utf8(u->away, numeric_budget(asker, strlen(u->nick) + 2)), u->away);
    if (u->conn) {
        time_t now = time(NULL);
        time_t last = u->conn->last_active ? u->conn->last_active : u->signon;
        long long idle = last && now > last ? (long long)(now - last) : 0;
        send_numeric(asker, RPL_WHOISIDLE, "%s %lld %lld :seconds idle, signon time", u->nick, idle,
                     (long long)u->signon);
    }
}

/* WHOIS [server] nick[,nick]: public facts about each named user. A given
 * server must be us (or a nick on us). Each nick ends with its own 318;
 * unknown ones get 401 first. */
void cmd_whois(struct client *src, struct message *m)
{
    if (m->nparams == 0) {
        send_numeric(src, ERR_NONICKNAMEGIVEN, ":No nickname given");
        return;
    }
    if (m->nparams >= 2 && reject_foreign_target(src, m, 0))
        return;

    const char *list = m->params[m->nparams >= 2 ? 1 : 0];
    size_t max = srv.conf && srv.conf->max_targets > 0 ? (size_t)srv.conf->max_targets : 4;
    size_t done = 0;
    char nick[NICK_MAX + 1], tok[64];

    for (const char *p = list; *p && done < max;) {
        size_t n = strcspn(p, ",");
        if (n > 0) {
            size_t c = n < sizeof tok ? n : sizeof tok - 1;
            memcpy(tok, p, c);
            tok[c] = '\0';
            struct client *u = n <= NICK_MAX ? user_find_nick(tok) : NULL;
            if (u && u->registered) {
                whois_user(src, u);
                snprintf(nick, sizeof nick, "%s", u->nick);
                send_numeric(src, RPL_ENDOFWHOIS, "%s :End of /WHOIS list", nick);
            } else {
                safe_token(tok, nick, sizeof nick);
                send_numeric(src, ERR_NOSUCHNICK, "%s :No such nick/channel", nick);
                send_numeric(src, RPL_ENDOFWHOIS, "%s :End of /WHOIS list", nick);
            }
            done++;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    if (done == 0)
        send_numeric(src, ERR_NONICKNAMEGIVEN, ":No nickname given");
}

/* ---------------------------------------------------------------- WHOWAS */

/* Record a departing nick (quit or nick change) in the WHOWAS ring. The
 * ring is allocated on first use with the configured length and rebuilt
 * (history dropped) when REHASH changes that length. Only registered users
 * enter history, and only their public fields are stored. */
void whowas_add(const struct client *u)
{
    if (!u || !u->registered || !u->nick[0] || !srv.conf || !srv.conf->whowas_enabled || u->service)
        return;
    size_t want = srv.conf->whowas_len > 0 ? (size_t)srv.conf->whowas_len : 0;
    if (want > 1000000)
        want = 1000000;
    if (want != srv.whowas_len || (want && !srv.whowas)) {
        free(srv.whowas);
        srv.whowas = want ? calloc(want, sizeof *srv.whowas) : NULL;
        srv.whowas_len = srv.whowas ? want : 0;
        srv.whowas_next = 0;
    }
    if (srv.whowas_len == 0)
        return;
    if (srv.whowas_next >= srv.whowas_len)
        srv.whowas_next = 0;

    struct whowas_entry *w = &srv.whowas[srv.whowas_next];
    str_copy(w->nick, sizeof w->nick, u->nick);
    str_copy(w->user, sizeof w->user, u->user);
    str_copy(w->host, sizeof w->host, u->host);
    str_copy(w->real, sizeof w->real, u->realname);
    str_copy(w->server, sizeof w->server, u->server_name ? u->server_name : me());
    w->when = time(NULL);
    if (w->when == 0)
        w->when = 1;
    srv.whowas_next = (srv.whowas_next + 1) % srv.whowas_len;
}

/* Send the history of one nick, newest first, at most `limit` entries
 * (0 = all). Returns how many were sent. */
static size_t whowas_one(struct client *src, const char *nick, size_t limit)
{
    size_t sent = 0, len = srv.whowas ? srv.whowas_len : 0;
    size_t next = len ? srv.whowas_next % len : 0;
    for (size_t k = 1; k <= len; k++) {
        const struct whowas_entry *w = &srv.whowas[(next + len - k) % len];
        if (w->when == 0 || irc_casecmp(w->nick, nick) != 0)
            continue;
        char when[64];
        send_numeric(src, RPL_WHOWASUSER, "%s %s %s * :%s", w->nick, w->user, w->host, w->real);
        send_numeric(src, RPL_WHOISSERVER, "%s %s :%s", w->nick, w->server,
                     format_time(w->when, when, sizeof when));
        if (++sent == limit)
            break;
    }
    return sent;
}

/* WHOWAS nick[,nick] [count [server]]: recent identities under each nick,
 * from the local ring. 406 when there is none; 369 ends each nick. */
void cmd_whowas(struct client *src, struct message *m)
{
    if (m->nparams == 0 || !m->params[0][0]) {
        send_numeric(src, ERR_NONICKNAMEGIVEN, ":No nickname given");
        return;
    }
    if (reject_foreign_target(src, m, 2))
        return;
    size_t limit = 0;
    if (m->nparams > 1) {
        char *end;
        long v = strtol(m->params[1], &end, 10);
        if (end != m->params[1] && v > 0)
            limit = (size_t)v;
    }

    size_t max = srv.conf && srv.conf->max_targets > 0 ? (size_t)srv.conf->max_targets : 4;
    size_t done = 0;
    char tok[64], nick[NICK_MAX + 1];
    for (const char *p = m->params[0]; *p && done < max;) {
        size_t n = strcspn(p, ",");
        if (n > 0) {
            size_t c = n < sizeof tok ? n : sizeof tok - 1;
            memcpy(tok, p, c);
            tok[c] = '\0';
            safe_token(tok, nick, sizeof nick);
            if (whowas_one(src, tok, limit) == 0)
                send_numeric(src, ERR_WASNOSUCHNICK, "%s :There was no such nickname", nick);
            send_numeric(src, RPL_ENDOFWHOWAS, "%s :End of WHOWAS", nick);
            done++;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    if (done == 0)
        send_numeric(src, ERR_NONICKNAMEGIVEN, ":No nickname given");
}

/* ---------------------------------------------------------------- ISON / USERHOST */

/* Call fn for each space-separated word of every parameter (clients send
 * both "ISON a b" and "ISON :a b"), at most max words (0 = no limit). */
static void for_each_word(struct message *m, size_t max, void (*fn)(const char *word, void *arg), void *arg)
{
    size_t count = 0;
    for (unsigned i = 0; i < m->nparams; i++) {
        const char *p = m->params[i];
        while (*p) {
            while (*p == ' ')
                p++;
            size_t n = strcspn(p, " ");
            if (n == 0)
                break;
            char word[NICK_MAX + 2];
            if (n < sizeof word) {       /* longer words cannot be nicks */
                memcpy(word, p, n);
                word[n] = '\0';
                fn(word, arg);
            }
            if (max && ++count >= max)
                return;
            p += n;
        }
    }
}

/* ISON helper: add the current spelling of a nick that is online. */
static void ison_word(const char *word, void *arg)
{
    struct client *u = user_find_nick(word);
    if (u && u->registered)
        list_add(arg, u->nick);
}

/* ISON nick...: which of these nicks are online, as currently spelled. */
void cmd_ison(struct client *src, struct message *m)
{
    if (m->nparams == 0) {
        send_numeric(src, ERR_NEEDMOREPARAMS, "ISON :Not enough parameters");
        return;
    }
    struct listreply l;
    list_init(&l, src, RPL_ISON, ":");
    for_each_word(m, 0, ison_word, &l);
    list_end(&l, true);
}

/* USERHOST helper: add "nick[*]=(+|-)user@host" for an online nick. */
static void userhost_word(const char *word, void *arg)
{
    struct client *u = user_find_nick(word);
    if (!u || !u->registered)
        return;
    char item[NICK_MAX + USER_MAX + HOST_MAX + 8];
    snprintf(item, sizeof item, "%s%s=%c%s@%s", u->nick, (u->umodes & UMODE_OPER) ? "*" : "",
             u->away ? '-' : '+', u->user, u->host);
    list_add(arg, item);
}

/* USERHOST nick...: public user@host of up to five nicks. */
void cmd_userhost(struct client *src, struct message *m)
{
    if (m->nparams == 0) {
        send_numeric(src, ERR_NEEDMOREPARAMS, "USERHOST :Not enough parameters");
        return;
    }
    struct listreply l;
    list_init(&l, src, RPL_USERHOST, ":");
    for_each_word(m, 5, userhost_word, &l);
    list_end(&l, true);
}

/* ---------------------------------------------------------------- MOTD */

/* One 372 line: the first len bytes of s after the ":- " prefix that b
 * holds in its first pre bytes (built once per MOTD). */
static void send_motd_line(struct linebuf *b, size_t pre, struct client *to, const char *s, size_t len)
{
    lb_cut(b, pre);
    lb_mem(b, s, len);
    lb_send(b, to);
}

/* Send the message of the day (375/372.../376), or 422 when there is none:
 * the file's lines, then the lines modules add, each cut to fit a line.
 * Also sent at the end of every registration, so its lines are built with
 * linebuf. */
void send_motd(struct client *to)
{
    const struct config *c = srv.conf;
    const char *extra = modules_motd_extra();
    struct linebuf b;
    if ((!c || !c->motd || c->motd_len == 0) && !extra) {
        lb_numeric(&b, to, ERR_NOMOTD);
        lb_str(&b, ":MOTD File is missing");
        lb_send(&b, to);
        return;
    }
    lb_numeric(&b, to, RPL_MOTDSTART);
    lb_str(&b, ":- ");
    lb_str(&b, me());
    lb_str(&b, " Message of the day - ");
    lb_send(&b, to);
    size_t budget = numeric_budget(to, 3);
    lb_numeric(&b, to, RPL_MOTD);
    lb_str(&b, ":- ");
    size_t pre = b.n;
    for (size_t i = 0; c && i < c->motd_len; i++) {
        const char *line = c->motd[i] ? c->motd[i] : "";
        send_motd_line(&b, pre, to, line, (size_t)fit_utf8(line, budget));
    }
    /* Lines modules add (e.g. the list of support topics). fit_utf8 stops
     * at the '\n' that ends each one. */
    for (const char *p = extra; p && *p;) {
        send_motd_line(&b, pre, to, p, (size_t)fit_utf8(p, budget));
        p += strcspn(p, "\n");
        if (*p)
            p++;
    }
    lb_numeric(&b, to, RPL_ENDOFMOTD);
    lb_str(&b, ":End of /MOTD command.");
    lb_send(&b, to);
}

/* MOTD [target] */
void cmd_motd(struct client *src, struct message *m)
{
    if (reject_foreign_target(src, m, 0))
        return;
    send_motd(src);
}

/* ---------------------------------------------------------------- LUSERS */

/* Highest global user count seen, for 266 (there is no stored global max). */
static size_t max_global;

/* "<n> :<what>" (252, 253, 254). */
static void lusers_count(struct client *to, int numeric, size_t n, const char *what)
{
    struct linebuf b;
    lb_numeric(&b, to, numeric);
    lb_uint(&b, n);
    lb_str(&b, what);
    lb_send(&b, to);
}

/* "<n> <max> :Current <scope> users <n>, max <max>" (265, 266). */
static void lusers_current(struct client *to, int numeric, const char *scope, size_t n, size_t max)
{
    struct linebuf b;
    lb_numeric(&b, to, numeric);
    lb_uint(&b, n);
    lb_str(&b, " ");
    lb_uint(&b, max);
    lb_str(&b, " :Current ");
    lb_str(&b, scope);
    lb_str(&b, " users ");
    lb_uint(&b, n);
    lb_str(&b, ", max ");
    lb_uint(&b, max);
    lb_send(&b, to);
}

/* Send the LUSERS block (251..255, 265, 266). It runs for every
 * registration: the counts are kept up to date as users register, change
 * +i and leave, so this is constant time, and the lines are built with
 * linebuf rather than printf. */
void send_lusers(struct client *to)
{
    size_t total = srv.nusers + srv.nservices, invisible = srv.ninvisible, opers = srv.nopers;
    size_t local = srv.nusers;
    size_t max_local = srv.max_users > local ? srv.max_users : local;
    if (total > max_global)
        max_global = total;

    struct linebuf b;
    lb_numeric(&b, to, RPL_LUSERCLIENT);
    lb_str(&b, ":There are ");
    lb_uint(&b, total - invisible);
    lb_str(&b, " users and ");
    lb_uint(&b, invisible);
    lb_str(&b, " invisible on 1 servers");
    lb_send(&b, to);
    if (opers)
        lusers_count(to, RPL_LUSEROP, opers, " :operator(s) online");
    if (srv.nunreg)
        lusers_count(to, RPL_LUSERUNKNOWN, srv.nunreg, " :unknown connection(s)");
    if (srv.chans.count)
        lusers_count(to, RPL_LUSERCHANNELS, srv.chans.count, " :channels formed");
    lb_numeric(&b, to, RPL_LUSERME);
    lb_str(&b, ":I have ");
    lb_uint(&b, local);
    lb_str(&b, " clients and 0 servers");
    lb_send(&b, to);
    lusers_current(to, RPL_LOCALUSERS, "local", local, max_local);
    lusers_current(to, RPL_GLOBALUSERS, "global", total, max_global);
}

/* LUSERS [mask [target]]: with one server, a mask or target that does not
 * match us is an unknown server. */
void cmd_lusers(struct client *src, struct message *m)
{
    if (reject_foreign_target(src, m, m->nparams >= 2 ? 1 : 0))
        return;
    send_lusers(src);
}

/* ---------------------------------------------------------------- VERSION / TIME / INFO / ADMIN */

/* VERSION [target]: our version, then ISUPPORT. */
void cmd_version(struct client *src, struct message *m)
{
    if (reject_foreign_target(src, m, 0))
        return;
    send_numeric(src, RPL_VERSION, "havend-%s. %s :privacy-first IRC server", HAVEND_VERSION, me());
    send_isupport(src);
}

/* TIME [target]: the current time in UTC (never the host's timezone). */
void cmd_time(struct client *src, struct message *m)
{
    if (reject_foreign_target(src, m, 0))
        return;
    char buf[64];
    send_numeric(src, RPL_TIME, "%s :%s", me(), format_time(time(NULL), buf, sizeof buf));
}

/* INFO [target]: a few lines about the software. */
void cmd_info(struct client *src, struct message *m)
{
    if (reject_foreign_target(src, m, 0))
        return;
    static const char *const lines[] = {
        ("havend " HAVEND_VERSION),
        "An IRC server written in C17 on libevent and OpenSSL.",
        "Privacy by construction: users are shown only by cloaked public",
        "identities; addresses are never sent to anyone or logged.",
        "Protocol: RFC 1459/2812 as described by modern.ircdocs.horse.",
        "License: MIT.",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        send_numeric(src, RPL_INFO, ":%s", lines[i]);
    char buf[64];
    send_numeric(src, RPL_INFO, ":Online since %s", format_time(srv.started, buf, sizeof buf));
    send_numeric(src, RPL_ENDOFINFO, ":End of /INFO list");
}

/* ADMIN [target]: the configured administrative contact lines. */
void cmd_admin(struct client *src, struct message *m)
{
    if (reject_foreign_target(src, m, 0))
        return;
    size_t budget = numeric_budget(src, 1);
    const char *a[3];
    for (int i = 0; i < 3; i++)
        a[i] = srv.conf && srv.conf->admin[i] ? srv.conf->admin[i] : "";
    send_numeric(src, RPL_ADMINME, "%s :Administrative info", me());
    send_numeric(src, RPL_ADMINLOC1, ":%.*s", fit_utf8(a[0], budget), a[0]);
    send_numeric(src, RPL_ADMINLOC2, ":%.*s", fit_utf8(a[1], budget), a[1]);
    send_numeric(src, RPL_ADMINEMAIL, ":%.*s", fit_utf8(a[2], budget), a[2]);
}
