/* mode.c — MODE for channels and users.
 *
 * The pure part (mode_parse_channel, mode_normalize_mask,
 * mode_format_changes) only looks at strings, so tests drive it without
 * sockets. cmd_mode then applies the parsed changes one by one against the
 * channel, collects those that really changed something, and announces them
 * to the channel once, compacted ("+ov-k a b *"). */
#include "havend.h"
#include "commands/mode.h"
#include "modules/module.h"
#include "proto/numeric.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Most mode letters looked at in one MODE command; the rest are ignored. */
#define MODE_MAX_CHANGES 100
/* Bytes of "+modes params" per announced MODE line, leaving room for the
 * ":nick!user@host MODE #channel " prefix within 512 bytes. */
#define MODE_LINE_BUDGET 300

/* ---------------------------------------------------------------- parsing */

/* Known channel modes: lists b e I, parameter modes k l o v, flags. */
bool mode_chan_known(char letter)
{
    return letter != '\0' && strchr("beIklovimntspO", letter) != NULL;
}

/* Which letters consume a parameter in which direction (see mode.h). */
bool mode_chan_takes_param(char letter, char dir)
{
    switch (letter) {
    case 'b': case 'e': case 'I': case 'o': case 'v': case 'k':
        return true;
    case 'l':
        return dir == '+';
    default:
        return false;
    }
}

/* Walk the mode string against its parameters (see mode.h). */
size_t mode_parse_channel(const char *modestr, char *const *params, size_t nparams,
                          size_t max_param_modes, struct mode_change *out, size_t outmax)
{
    char dir = '+';
    size_t n = 0, pi = 0, used = 0;
    for (const char *p = modestr; p && *p && n < outmax; p++) {
        if (*p == '+' || *p == '-') {
            dir = *p;
            continue;
        }
        struct mode_change c = { .dir = dir, .letter = *p, .kind = MODE_SET, .param = NULL };
        bool is_list = (*p == 'b' || *p == 'e' || *p == 'I');
        if (!mode_chan_known(*p)) {
            c.kind = MODE_UNKNOWN;
        } else if (is_list && pi >= nparams) {
            c.kind = MODE_LIST;
        } else if (mode_chan_takes_param(*p, dir)) {
            if (used >= max_param_modes)
                c.kind = MODE_OVER_LIMIT;
            else if (pi < nparams) {
                c.param = params[pi++];
                used++;
            } else if (!(*p == 'k' && dir == '-'))
                c.kind = MODE_NO_PARAM;
        }
        out[n++] = c;
    }
    return n;
}

/* Copy at most `max` bytes of [s, end) into out as one mask part, "*" when
 * empty. Returns the new write position. */
static size_t put_part(char *out, size_t pos, size_t outlen, const char *s, size_t len, size_t max)
{
    if (len == 0) {
        s = "*";
        len = 1;
    }
    if (len > max)
        len = max;
    if (pos + len >= outlen)
        len = pos < outlen - 1 ? outlen - 1 - pos : 0;
    memcpy(out + pos, s, len);
    return pos + len;
}

/* Normalize a ban-style mask to nick!user@host (see mode.h). */
bool mode_normalize_mask(const char *in, char *out, size_t outlen)
{
    if (!out || outlen == 0)
        return false;
    out[0] = '\0';
    if (!in || *in == ':' || outlen < 6)
        return false;
    size_t len = strcspn(in, " ");
    if (len == 0)
        return false;

    const char *end = in + len;
    const char *bang = memchr(in, '!', len);
    const char *at = memchr(bang ? bang + 1 : in, '@', (size_t)(end - (bang ? bang + 1 : in)));
    const char *nick = "", *user = "", *host = "";
    size_t nl = 0, ul = 0, hl = 0;
    if (bang) {
        nick = in;
        nl = (size_t)(bang - in);
        user = bang + 1;
        ul = (size_t)((at ? at : end) - user);
        if (at) {
            host = at + 1;
            hl = (size_t)(end - host);
        }
    } else if (at) {
        user = in;
        ul = (size_t)(at - in);
        host = at + 1;
        hl = (size_t)(end - host);
    } else {
        nick = in;
        nl = len;
    }

    size_t pos = put_part(out, 0, outlen, nick, nl, NICK_MAX);
    if (pos < outlen - 1)
        out[pos++] = '!';
    pos = put_part(out, pos, outlen, user, ul, USER_MAX);
    if (pos < outlen - 1)
        out[pos++] = '@';
    pos = put_part(out, pos, outlen, host, hl, HOST_MAX);
    out[pos] = '\0';
    return true;
}

/* Write applied changes as "+ov-k a b *" within budget (see mode.h). */
size_t mode_format_changes(const struct mode_change *c, size_t n, size_t budget,
                           char *buf, size_t len)
{
    char letters[MODE_MAX_CHANGES * 2 + 2], args[IRC_LINE_MAX];
    size_t nl = 0, na = 0, written = 0, i;
    char dir = 0;
    for (i = 0; i < n; i++) {
        if (c[i].kind != MODE_SET)
            continue;
        size_t plen = c[i].param ? strlen(c[i].param) + 1 : 0;
        size_t need = (c[i].dir != dir ? 1 : 0) + 1 + plen;
        bool fits = nl + need + 1 <= sizeof letters && na + plen < sizeof args;
        if (!fits && written == 0)
            continue; /* cannot be written at all: drop it */
        if (!fits || (written > 0 && nl + na + need > budget))
            break;
        if (c[i].dir != dir) {
            dir = c[i].dir;
            letters[nl++] = dir;
        }
        letters[nl++] = c[i].letter;
        if (c[i].param)
            na += (size_t)snprintf(args + na, sizeof args - na, " %s", c[i].param);
        written++;
    }
    letters[nl] = '\0';
    args[na] = '\0';
    if (buf && len)
        snprintf(buf, len, "%s%s", letters, args);
    /* i >= 1 whenever n >= 1, so a caller's loop always advances. */
    return i;
}

/* ---------------------------------------------------------------- helpers */

/* Was u's connection closed while we were sending to it? Its channels may
 * be gone then, so callers stop touching them. */
static bool gone(const struct client *u)
{
    return u->conn && u->conn->dead;
}

/* A client-supplied word made safe to echo: cut at the first space and
 * to len-1 bytes; "*" when empty. */
static const char *echo_word(const char *s, char *buf, size_t len)
{
    size_t n = s ? strcspn(s, " ") : 0;
    if (n >= len)
        n = len - 1;
    if (n == 0)
        return "*";
    memcpy(buf, s, n);
    buf[n] = '\0';
    return buf;
}

/* A channel key as stored: no spaces, control characters, ',' or ':' (they
 * would break JOIN key lists or the echoed MODE line), at most 31 bytes. */
static void fix_key(const char *in, char *out, size_t outlen)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p && n + 1 < outlen; p++)
        if (*p > ' ' && *p != ',' && *p != ':' && *p != 0x7f)
            out[n++] = (char)*p;
    out[n] = '\0';
}

/* The b/e/I list a letter names. */
static struct mask_list *list_for(struct channel *ch, char letter)
{
    switch (letter) {
    case 'b': return &ch->bans;
    case 'e': return &ch->excepts;
    default:  return &ch->invex;
    }
}

/* Show one of the b/e/I lists: 367/368, 348/349 or 346/347. */
static void send_mode_list(struct client *u, struct channel *ch, char letter)
{
    int num, end;
    const char *text;
    switch (letter) {
    case 'b': num = RPL_BANLIST; end = RPL_ENDOFBANLIST; text = "End of channel ban list"; break;
    case 'e': num = RPL_EXCEPTLIST; end = RPL_ENDOFEXCEPTLIST; text = "End of channel exception list"; break;
    default:  num = RPL_INVITELIST; end = RPL_ENDOFINVITELIST; text = "End of channel invite exception list"; break;
    }
    const struct mask_list *l = list_for(ch, letter);
    for (size_t i = 0; i < l->n; i++) {
        send_numeric(u, num, "%s %s %s %lld", ch->name, l->v[i].mask, l->v[i].set_by,
                     (long long)l->v[i].set_at);
        if (gone(u))
            return;
    }
    send_numeric(u, end, "%s :%s", ch->name, text);
}

/* The CMODE_ bit of a flag letter, 0 for others. */
static unsigned flag_bit(char letter)
{
    switch (letter) {
    case 'i': return CMODE_INVITEONLY;
    case 'm': return CMODE_MODERATED;
    case 'n': return CMODE_NOEXTERNAL;
    case 't': return CMODE_TOPICLOCK;
    case 's': return CMODE_SECRET;
    case 'p': return CMODE_PRIVATE;
    case 'O': return CMODE_OPERONLY;
    default:  return 0;
    }
}

/* ---------------------------------------------------------------- channel modes */

/* "$z:<nick or token>": a ban on a ban token. A nick online is resolved to
 * its token by the server, so nobody needs to see one to ban it. */
static bool token_extban(struct client *u, struct channel *ch, const char *arg, char *pbuf, size_t pbuflen)
{
    struct client *t = *arg ? user_find_nick(arg) : NULL;
    if (t && t->ban_token[0]) {
        snprintf(pbuf, pbuflen, "$z:%s", t->ban_token);
        return true;
    }
    size_t n = strspn(arg, "0123456789abcdef");
    if (n == BAN_TOKEN_LEN && arg[n] == '\0') {
        snprintf(pbuf, pbuflen, "$z:%s", arg);
        return true;
    }
    if (u)
        send_numeric(u, ERR_INVALIDMODEPARAM, "%s b $z:%.32s :No such nick online and not a ban token",
                     ch->name, arg);
    return false;
}

/* Apply one parsed change by an op. Returns true when it changed the
 * channel; *param is then set to what to echo (pointing into pbuf, the
 * target's nick, or a constant), NULL for flag modes. */
static bool apply_chan_change(struct client *u, struct channel *ch, const struct mode_change *c,
                              const char **param, char *pbuf, size_t pbuflen)
{
    bool add = c->dir == '+';
    unsigned bit = flag_bit(c->letter);
    *param = NULL;

    if (bit) {
        if (bit == CMODE_OPERONLY && u && !(u->umodes & UMODE_OPER)) {
            send_numeric(u, ERR_NOPRIVILEGES, ":Permission Denied- only IRC operators may set +O");
            return false;
        }
        if (add == !!(ch->modes & bit))
            return false;
        ch->modes = add ? ch->modes | bit : ch->modes & ~bit;
        return true;
    }

    switch (c->letter) {
    case 'k':
        if (!add) {
            if (!(ch->modes & CMODE_KEY))
                return false;
            ch->modes &= ~CMODE_KEY;
            ch->key[0] = '\0';
            *param = "*";
            return true;
        }
        fix_key(c->param, pbuf, pbuflen < sizeof ch->key ? pbuflen : sizeof ch->key);
        if (!pbuf[0] || ((ch->modes & CMODE_KEY) && strcmp(ch->key, pbuf) == 0))
            return false;
        snprintf(ch->key, sizeof ch->key, "%s", pbuf);
        ch->modes |= CMODE_KEY;
        *param = pbuf;
        return true;

    case 'l': {
        if (!add) {
            if (!(ch->modes & CMODE_LIMIT))
                return false;
            ch->modes &= ~CMODE_LIMIT;
            ch->limit = 0;
            return true;
        }
        char *end;
        long v = strtol(c->param, &end, 10);
        if (end == c->param || v <= 0)
            return false;
        if (v > INT_MAX)
            v = INT_MAX;
        if ((ch->modes & CMODE_LIMIT) && ch->limit == (int)v)
            return false;
        ch->limit = (int)v;
        ch->modes |= CMODE_LIMIT;
        snprintf(pbuf, pbuflen, "%d", ch->limit);
        *param = pbuf;
        return true;
    }

    case 'o':
    case 'v': {
        char w[NICK_MAX + 1];
        if (!c->param[0])
            return false;
        struct client *t = user_find_nick(c->param);
        if (!t) {
            if (u)
                send_numeric(u, ERR_NOSUCHNICK, "%s :No such nick/channel", echo_word(c->param, w, sizeof w));
            return false;
        }
        struct membership *tm = channel_membership(ch, t);
        if (!tm) {
            if (u)
                send_numeric(u, ERR_USERNOTINCHANNEL, "%s %s :They aren't on that channel", t->nick, ch->name);
            return false;
        }
        unsigned sbit = c->letter == 'o' ? CSTATUS_OP : CSTATUS_VOICE;
        if (add == !!(tm->status & sbit))
            return false;
        tm->status = add ? tm->status | sbit : tm->status & ~sbit;
        *param = t->nick;
        return true;
    }

    case 'b':
    case 'e':
    case 'I': {
        if (!strncmp(c->param, "$z:", 3)) {
            if (!token_extban(u, ch, c->param + 3, pbuf, pbuflen))
                return false;
        } else if (!mode_normalize_mask(c->param, pbuf, pbuflen)) {
            return false;
        }
        struct mask_list *l = list_for(ch, c->letter);
        if (!add) {
            if (mask_list_del(l, pbuf) != 0)
                return false;
            *param = pbuf;
            return true;
        }
        char by[NICK_MAX + USER_MAX + HOST_MAX + 3];
        size_t max = srv.conf && srv.conf->max_list > 0 ? (size_t)srv.conf->max_list : 0;
        int r = mask_list_add(l, pbuf, u ? client_mask(u, by, sizeof by) : srv.name, max);
        if (r < 0 && u)
            send_numeric(u, ERR_BANLISTFULL, "%s %s :Channel ban list is full", ch->name, pbuf);
        if (r != 0)
            return false;
        *param = pbuf;
        return true;
    }
    }
    return false;
}

/* Announce applied changes to the channel, as few lines as fit; u NULL
 * means the server made them. */
static void announce_changes(struct client *u, struct channel *ch, const struct mode_change *c, size_t n)
{
    char who[NICK_MAX + USER_MAX + HOST_MAX + 3], text[IRC_LINE_MAX];
    if (u)
        client_mask(u, who, sizeof who);
    else
        snprintf(who, sizeof who, "%s", srv.name);
    for (size_t done = 0; done < n;) {
        size_t k = mode_format_changes(c + done, n - done, MODE_LINE_BUDGET, text, sizeof text);
        if (k == 0)
            break;
        if (text[0]) {
            send_to_channel(ch, NULL, ":%s MODE %s %s", who, ch->name, text);
            hooks_notify(HV_HOOK_MODE_CHANGED, u, NULL, ch, text, NULL);
        }
        done += k;
    }
}

/* MODE #chan [modes [params...]]: query (324+329), list b/e/I, or change. */
static void channel_mode(struct client *u, struct message *m)
{
    char w[CHAN_MAX + 1];
    struct channel *ch = channel_find(m->params[0]);
    if (!ch) {
        send_numeric(u, ERR_NOSUCHCHANNEL, "%s :No such channel", echo_word(m->params[0], w, sizeof w));
        return;
    }
    struct membership *me = channel_membership(ch, u);

    if (m->nparams < 2) {
        char modes[IRC_LINE_MAX];
        channel_mode_string(ch, me != NULL, modes, sizeof modes);
        send_numeric(u, RPL_CHANNELMODEIS, "%s %s", ch->name, modes);
        send_numeric(u, RPL_CREATIONTIME, "%s %lld", ch->name, (long long)ch->ts);
        return;
    }

    channel_mode_change(u, ch, m->params[1], m->params + 2, m->nparams - 2);
}

/* Parse and apply a channel mode change by u (NULL: the server, which may
 * change anything and is told nothing), announcing what changed. */
int channel_mode_change(struct client *u, struct channel *ch, const char *modestr, char *const *params,
                        size_t nparams)
{
    static struct mode_change parsed[MODE_MAX_CHANGES], applied[MODE_MAX_CHANGES];
    static char pbufs[MODE_MAX_CHANGES][MODE_MASK_MAX + 1];
    size_t maxp = srv.conf && srv.conf->max_modes > 0 ? (size_t)srv.conf->max_modes : 0;
    size_t n = mode_parse_channel(modestr, params, nparams, u ? maxp : MODE_MAX_CHANGES,
                                  parsed, MODE_MAX_CHANGES);
    struct membership *me = u ? channel_membership(ch, u) : NULL;
    bool is_op = !u || (me && (me->status & CSTATUS_OP));
    int bad = 0;
    bool denied = false, listed_b = false, listed_e = false, listed_I = false;
    size_t na = 0;
    for (size_t i = 0; i < n; i++) {
        if (u && gone(u))
            return 0;
        const struct mode_change *c = &parsed[i];
        if (!u && c->kind != MODE_SET) {
            bad = -1;
            continue;
        }
        switch (c->kind) {
        case MODE_UNKNOWN:
            /* Bytes that cannot be echoed as a parameter are dropped quietly. */
            if (isgraph((unsigned char)c->letter) && c->letter != ':')
                send_numeric(u, ERR_UNKNOWNMODE, "%c :is unknown mode char to me", c->letter);
            continue;
        case MODE_LIST: {
            bool *done = c->letter == 'b' ? &listed_b : c->letter == 'e' ? &listed_e : &listed_I;
            if (!*done)
                send_mode_list(u, ch, c->letter);
            *done = true;
            continue;
        }
        case MODE_NO_PARAM:
        case MODE_OVER_LIMIT:
            continue;
        case MODE_SET:
            break;
        }
        if (!is_op) {
            if (!denied)
                send_numeric(u, ERR_CHANOPRIVSNEEDED, "%s :You're not channel operator", ch->name);
            denied = true;
            continue;
        }
        const char *param;
        if (apply_chan_change(u, ch, c, &param, pbufs[na], sizeof pbufs[na])) {
            applied[na] = *c;
            applied[na].param = param;
            na++;
        }
    }
    if (na > 0)
        announce_changes(u, ch, applied, na);
    return bad;
}

/* ---------------------------------------------------------------- user modes */

/* MODE nick [modes]: only for yourself. Which letters a user may set or
 * unset comes from the user mode table (state/umode.c): +o only comes from
 * OPER and is silently ignored here; -o drops operator status. */
static void user_mode(struct client *u, struct message *m)
{
    char w[NICK_MAX + 1], buf[64];
    struct client *t = user_find_nick(m->params[0]);
    if (!t) {
        send_numeric(u, ERR_NOSUCHNICK, "%s :No such nick/channel", echo_word(m->params[0], w, sizeof w));
        return;
    }
    if (t != u) {
        send_numeric(u, ERR_USERSDONTMATCH, ":Cant change mode for other users");
        return;
    }
    if (m->nparams < 2) {
        send_numeric(u, RPL_UMODEIS, "%s", umode_string(u->umodes, buf, sizeof buf));
        return;
    }

    unsigned before = u->umodes;
    bool unknown = false;
    char dir = '+';
    for (const char *p = m->params[1]; *p; p++) {
        if (*p == '+' || *p == '-') {
            dir = *p;
            continue;
        }
        unsigned bit = umode_bit(*p);
        if (!bit) {
            unknown = true;
            continue;
        }
        if (!umode_may_change(*p, dir == '+'))
            continue;
        if (dir == '+') {
            u->umodes |= bit;
        } else if (u->umodes & bit) {
            u->umodes &= ~bit;
            if (bit == UMODE_OPER) {
                u->oper_privs = 0;
                free(u->oper_name);
                u->oper_name = NULL;
                if (srv.nopers > 0)
                    srv.nopers--;
            }
        }
    }
    if (unknown)
        send_numeric(u, ERR_UMODEUNKNOWNFLAG, ":Unknown MODE flag");

    if ((before ^ u->umodes) & UMODE_INVISIBLE) {
        if (u->umodes & UMODE_INVISIBLE)
            srv.ninvisible++;
        else
            srv.ninvisible--;
    }
    char *p = umode_append(buf, buf + sizeof buf - 1, '+', u->umodes & ~before);
    p = umode_append(p, buf + sizeof buf - 1, '-', before & ~u->umodes);
    *p = '\0';
    if (buf[0])
        send_line(u, ":%s MODE %s :%s", u->nick, u->nick, buf);
}

/* MODE <target> ...: channels start with '#', anything else is a nick. */
void cmd_mode(struct client *u, struct message *m)
{
    if (m->nparams < 1 || !m->params[0][0]) {
        send_numeric(u, ERR_NEEDMOREPARAMS, "MODE :Not enough parameters");
        return;
    }
    if (m->params[0][0] == '#')
        channel_mode(u, m);
    else
        user_mode(u, m);
}
