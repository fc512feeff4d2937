/* user.c — users: identity (UID, nick, public mask), lookup tables, quit.
 *
 * A user's public user/host/realname are set once here, from config; the
 * values a client sent are dropped unless the config says to show them. */
#include "havend.h"
#include "modules/module.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

struct client *user_find_nick(const char *nick)
{
    char key[NICK_MAX + 1];
    irc_casefold(key, nick, sizeof key);
    return hashmap_get(&srv.nicks, key);
}

struct client *user_find_uid(const char *uid)
{
    return hashmap_get(&srv.uids, uid);
}

/* TS6 UID: our SID, then a letter and five base-36 digits from a counter. */
static void uid_next(char *out)
{
    static const char b36[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    uint64_t n = srv.uid_counter++ % (26ull * 36 * 36 * 36 * 36 * 36);
    memcpy(out, srv.conf->sid, SID_LEN);
    for (int i = 8; i >= 4; i--) {
        out[i] = b36[n % 36];
        n /= 36;
    }
    out[3] = b36[n % 26];
    out[UID_LEN] = '\0';
}

/* A random DNS-safe label, so a user's public host says nothing about them
 * and two sessions of one person cannot be linked. */
static void random_label(char *out, size_t n)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
    unsigned char r[32];
    if (n > sizeof r)
        n = sizeof r;
    if (random_bytes(r, n) != 0)
        abort(); /* no CSPRNG: refusing to hand out predictable cloaks */
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[r[i] & 31];
    out[n] = '\0';
}

/* privacy.cloak_hosts = false (a conventional server): the host is the
 * textual address. The only place an address is ever formatted for others. */
static void user_host_from_address(struct client *u, const struct sockaddr_storage *ss)
{
    char ip[INET6_ADDRSTRLEN] = "unknown";
    if (ss->ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, ip, sizeof ip);
    else if (ss->ss_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, ip, sizeof ip);
    /* "::1" would read as a trailing parameter in "user@::1 ..." lists. */
    snprintf(u->host, sizeof u->host, "%s%s", ip[0] == ':' ? "0" : "", ip);
}

/* A fresh public host, "<random label>.<cloak_suffix>". */
static void user_cloak_host(struct client *u)
{
    char label[16];
    random_label(label, 10);
    size_t n = strlen(label);
    memcpy(u->host, label, n);
    u->host[n] = '.';
    str_copy(u->host + n + 1, sizeof u->host - n - 1, srv.conf->cloak_suffix);
}

struct client *client_new_local(struct conn *c, const struct sockaddr_storage *addr)
{
    struct client *u = calloc(1, sizeof *u);
    if (!u)
        abort();
    u->conn = c;
    u->realname = u->user = "";
    u->server_name = srv.name;
    u->signon = time(NULL);
    do
        uid_next(u->uid);
    while (hashmap_get(&srv.uids, u->uid));
    hashmap_put(&srv.uids, u->uid, u);

    if (srv.conf->cloak_hosts)
        user_cloak_host(u);
    else
        user_host_from_address(u, addr);
    return u;
}

/* Give a local user a fresh UID and public host, as if newly connected
 * (panic-hide): nothing public links the new identity to the old one. The
 * caller has taken the user out of the nick table and channels first. */
void user_new_identity(struct client *u)
{
    if (hashmap_get(&srv.uids, u->uid) == u)
        hashmap_remove(&srv.uids, u->uid);
    do
        uid_next(u->uid);
    while (hashmap_get(&srv.uids, u->uid));
    hashmap_put(&srv.uids, u->uid, u);
    if (srv.conf->cloak_hosts)
        user_cloak_host(u);
    u->signon = time(NULL);
}

void user_set_nick(struct client *u, const char *newnick)
{
    char key[NICK_MAX + 1], nick[NICK_MAX + 1];
    str_copy(nick, sizeof nick, newnick); /* newnick may be u->nick */
    if (u->nick[0] && u->registered) {
        irc_casefold(key, u->nick, sizeof key);
        if (hashmap_get(&srv.nicks, key) == u)
            hashmap_remove(&srv.nicks, key);
    }
    str_copy(u->nick, sizeof u->nick, nick);
    u->nick_ts = time(NULL);
    if (u->registered) {
        irc_casefold(key, u->nick, sizeof key);
        hashmap_put(&srv.nicks, key, u);
    }
}

void user_set_public_identity(struct client *u, const char *sent_user, const char *sent_real)
{
    const struct config *cf = srv.conf;
    if (cf->show_sent_username && sent_user && irc_valid_user(sent_user)) {
        char user[USER_MAX + 1];
        snprintf(user, sizeof user, "~%.*s", cf->userlen, sent_user);
        user_set_username(u, user, true);
    } else {
        user_set_username(u, cf->public_username, false);
    }
    if (cf->show_sent_realname && sent_real)
        user_set_realname(u, sent_real, true);
    else
        user_set_realname(u, cf->public_realname, false);
}

/* Point *field at (at most max bytes of) s: the interned copy shared by
 * everyone, or, with own, a copy of its own (*owned says which to free). */
static void set_public_str(const char **field, bool *owned, const char *s, size_t max, bool own)
{
    const char *next;
    if (!own && strnlen(s, max + 1) <= max) {
        next = str_intern(s);        /* the common case: no copy at all */
    } else {
        char *copy = strndup(s, max);
        if (!copy)
            abort();
        next = own ? copy : str_intern(copy);
        if (!own)
            free(copy);
    }
    if (*owned)
        free((char *)*field);
    *field = next;
    *owned = own;
}

void user_set_realname(struct client *u, const char *real, bool own)
{
    set_public_str(&u->realname, &u->realname_owned, real, REAL_MAX, own);
}

void user_set_username(struct client *u, const char *user, bool own)
{
    set_public_str(&u->user, &u->user_owned, user, USER_MAX, own);
}

int user_change_nick(struct client *u, const char *newnick)
{
    char nick[NICK_MAX + 1];
    str_copy(nick, sizeof nick, newnick);
    if (strlen(newnick) > (size_t)srv.conf->nicklen || !irc_valid_nick(nick, (size_t)srv.conf->nicklen))
        return -1;
    struct client *other = user_find_nick(nick);
    if (other && other != u)
        return -1;
    if (!u->registered) {
        str_copy(u->nick, sizeof u->nick, nick);
        return 0;
    }
    if (strcmp(u->nick, nick) == 0)
        return 0;
    char mask[NICK_MAX + USER_MAX + HOST_MAX + 3], old[NICK_MAX + 1];
    client_mask(u, mask, sizeof mask);
    str_copy(old, sizeof old, u->nick);
    send_to_common_channels(u, true, ":%s NICK :%s", mask, nick);
    whowas_add(u);
    user_set_nick(u, nick);
    if (irc_casecmp(old, nick) != 0) {
        monitor_signoff(old);
        monitor_signon(u);
    }
    hooks_notify(HV_HOOK_NICK_CHANGED, u, NULL, NULL, NULL, old);
    return 0;
}

bool user_is_oper(const struct client *u)
{
    return (u->umodes & UMODE_OPER) != 0;
}

/* Remove u from every channel and table, QUIT to those sharing a channel
 * (nothing to format for someone in no channel). */
void user_quit(struct client *u, const char *reason)
{
    char mask[NICK_MAX + USER_MAX + HOST_MAX + 3];
    if (u->registered)
        hooks_notify(HV_HOOK_QUIT, u, NULL, NULL, reason, NULL);
    if (u->nchans) {
        client_mask(u, mask, sizeof mask);
        send_to_common_channels(u, false, ":%s QUIT :%s", mask, reason);
    }
    while (u->nchans) {
        struct channel *ch = u->chans[u->nchans - 1]->chan;
        channel_remove_member(ch, u);
        channel_maybe_destroy(ch);
    }
    if (u->registered) {
        whowas_add(u);
        char key[NICK_MAX + 1];
        irc_casefold(key, u->nick, sizeof key);
        if (hashmap_get(&srv.nicks, key) == u)
            hashmap_remove(&srv.nicks, key);
        if (u->umodes & UMODE_OPER)
            srv.nopers--;
        if (u->umodes & UMODE_INVISIBLE)
            srv.ninvisible--;
        monitor_clear(u);
        monitor_signoff(u->nick);
    }
}

void user_free(struct client *u)
{
    if (hashmap_get(&srv.uids, u->uid) == u)
        hashmap_remove(&srv.uids, u->uid);
    monitor_clear(u);
    free(u->chans);
    if (u->realname_owned)
        free((char *)u->realname);
    if (u->user_owned)
        free((char *)u->user);
    free(u->away);
    free(u->oper_name);
    free(u->account);
    free(u);
}

/* A public host a client may be shown under: 1..HOST_MAX bytes of letters,
 * digits and . - : _ / (no ':' first, which would read as a trailing
 * parameter). */
static bool valid_public_host(const char *h)
{
    size_t n = strlen(h);
    if (n == 0 || n > HOST_MAX || h[0] == ':')
        return false;
    return strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:_/") == n;
}

/* The chghost fallback for one channel, to members without the cap: the
 * user JOINs again under the new mask (extended-join form for those who
 * asked for it), gets their status back, and their away state. */
static void rejoin_fallback(struct client *u, struct membership *ms, const char *mask)
{
    struct channel *ch = ms->chan;
    const struct msg_tags jt = { .account = u->account };
    const struct send_opts plain = { 0, CAP_CHGHOST | CAP_EXTENDED_JOIN, 0, &jt };
    const struct send_opts ext = { CAP_EXTENDED_JOIN, CAP_CHGHOST, 0, &jt };
    const struct send_opts rest = { 0, CAP_CHGHOST, 0, NULL };
    const struct send_opts away = { CAP_AWAY_NOTIFY, CAP_CHGHOST, 0, NULL };
    send_to_channel_opts(ch, u, &plain, ":%s JOIN %s", mask, ch->name);
    send_to_channel_opts(ch, u, &ext, ":%s JOIN %s %s :%s", mask, ch->name, u->account ? u->account : "*",
                         u->realname);
    if (ms->status) {
        char letters[4] = "", params[2 * NICK_MAX + 3] = "";
        if (ms->status & CSTATUS_OP) {
            strcat(letters, "o");
            snprintf(params, sizeof params, "%s", u->nick);
        }
        if (ms->status & CSTATUS_VOICE) {
            size_t l = strlen(params);
            strcat(letters, "v");
            snprintf(params + l, sizeof params - l, "%s%s", l ? " " : "", u->nick);
        }
        send_to_channel_opts(ch, u, &rest, ":%s MODE %s +%s %s", srv.name, ch->name, letters, params);
    }
    if (u->away)
        send_to_channel_opts(ch, u, &away, ":%s AWAY :%s", mask, u->away);
}

/* Change u's public user@host (IRCv3 chghost): CHGHOST to members with the
 * cap (and u), QUIT then the rejoin fallback to the others, 396 to u when
 * it lacks the cap. For features that give users new hosts (vhosts). */
int user_change_host(struct client *u, const char *user, const char *host)
{
    if (!user || !host || strlen(user) > USER_MAX || !user[0] || user[0] == ':' || !irc_valid_user(user) ||
        !valid_public_host(host))
        return -1;
    if (strcmp(user, u->user) == 0 && strcmp(host, u->host) == 0)
        return 0;
    char old[NICK_MAX + USER_MAX + HOST_MAX + 3], mask[NICK_MAX + USER_MAX + HOST_MAX + 3];
    client_mask(u, old, sizeof old);
    if (u->registered) {
        const struct send_opts with = { CAP_CHGHOST, 0, 0, NULL }, without = { 0, CAP_CHGHOST, 0, NULL };
        send_to_common_channels_opts(u, true, &with, ":%s CHGHOST %s %s", old, user, host);
        send_to_common_channels_opts(u, false, &without, ":%s QUIT :Changing hostname", old);
    }
    user_set_username(u, user, true);
    snprintf(u->host, sizeof u->host, "%s", host);
    if (!u->registered)
        return 0;
    client_mask(u, mask, sizeof mask);
    for (size_t i = 0; i < u->nchans; i++)
        rejoin_fallback(u, u->chans[i], mask);
    /* The user's own client learns its new host even without chghost. */
    if (u->conn && !(u->conn->caps & CAP_CHGHOST))
        send_numeric(u, 396, "%s :is now your displayed host", u->host);
    return 0;
}
