/* channel.c — channel state: the channel table, memberships, mode lists.
 *
 * A channel lives in srv.chans keyed by its casefolded name. Membership is
 * one struct membership shared by two arrays: chan->members and
 * client->chans; each side keeps the entry's index in the other so either
 * array can drop it with a swap-remove in O(1). Nothing here sends anything:
 * the command handlers announce, this file only keeps the books. */
#include "havend.h"
#include "proto/numeric.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Invites remembered per channel when there is no config (limits.max_invites). */
#define CHANNEL_DEFAULT_MAX_INVITES 64

/* Most invites remembered per channel (limits.max_invites); the oldest is
 * forgotten first. */
static size_t max_invites(void)
{
    return srv.conf && srv.conf->max_invites > 0 ? (size_t)srv.conf->max_invites : CHANNEL_DEFAULT_MAX_INVITES;
}

/* realloc that aborts: running out of memory in the middle of a join would
 * leave the two membership arrays disagreeing, which is worse than dying. */
static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        abort();
    return q;
}

/* strdup that aborts, for the same reason. */
static char *xstrdup(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d)
        abort();
    return d;
}

/* The table key for a channel name, or false when the name cannot be one
 * (too long to be stored, so it cannot exist either). */
static bool chan_key(const char *name, char *key, size_t keylen)
{
    if (!name || strlen(name) >= keylen)
        return false;
    irc_casefold(key, name, keylen);
    return true;
}

/* Look a channel up by name (any case). */
struct channel *channel_find(const char *name)
{
    char key[CHAN_MAX + 1];
    if (!chan_key(name, key, sizeof key))
        return NULL;
    return hashmap_get(&srv.chans, key);
}

/* Create an empty channel (or return the existing one of that name). The
 * caller has validated the name; an over-long one is cut to CHAN_MAX. */
struct channel *channel_create(const char *name)
{
    struct channel *ch = channel_find(name);
    if (ch)
        return ch;
    ch = calloc(1, sizeof *ch);
    if (!ch)
        abort();
    snprintf(ch->name, sizeof ch->name, "%s", name);
    ch->ts = time(NULL);
    char key[CHAN_MAX + 1];
    irc_casefold(key, ch->name, sizeof key);
    hashmap_put(&srv.chans, key, ch);
    return ch;
}

/* Free a channel when nobody is left in it (unless a module pinned it), so
 * that empty channels do not accumulate. */
void channel_maybe_destroy(struct channel *ch)
{
    if (!ch || ch->nmembers > 0 || ch->permanent)
        return;
    char key[CHAN_MAX + 1];
    irc_casefold(key, ch->name, sizeof key);
    if (hashmap_get(&srv.chans, key) == ch)
        hashmap_remove(&srv.chans, key);
    free(ch->topic);
    mask_list_free(&ch->bans);
    mask_list_free(&ch->excepts);
    mask_list_free(&ch->invex);
    for (size_t i = 0; i < ch->ninvited; i++)
        free(ch->invited[i]);
    free(ch->invited);
    free(ch->members);
    free(ch);
}

/* The membership of u in ch, or NULL. Scans whichever array is shorter. */
struct membership *channel_membership(const struct channel *ch, const struct client *u)
{
    if (!ch || !u)
        return NULL;
    if (u->nchans <= ch->nmembers) {
        for (size_t i = 0; i < u->nchans; i++)
            if (u->chans[i]->chan == ch)
                return u->chans[i];
    } else {
        for (size_t i = 0; i < ch->nmembers; i++)
            if (ch->members[i]->client == u)
                return ch->members[i];
    }
    return NULL;
}

/* Put u into ch with the given CSTATUS_* bits; returns the (possibly
 * already existing) membership. Announcing the JOIN is the caller's job. */
struct membership *channel_add_member(struct channel *ch, struct client *u, unsigned status)
{
    struct membership *m = channel_membership(ch, u);
    if (m)
        return m;
    m = calloc(1, sizeof *m);
    if (!m)
        abort();
    m->client = u;
    m->chan = ch;
    m->status = status;

    if (ch->nmembers == ch->members_cap) {
        ch->members_cap = ch->members_cap ? ch->members_cap * 2 : 8;
        ch->members = xrealloc(ch->members, ch->members_cap * sizeof *ch->members);
    }
    if (u->nchans == u->chans_cap) {
        u->chans_cap = u->chans_cap ? u->chans_cap * 2 : 2;
        u->chans = xrealloc(u->chans, u->chans_cap * sizeof *u->chans);
    }
    m->chan_index = (uint32_t)ch->nmembers;
    ch->members[ch->nmembers++] = m;
    u->chans[u->nchans++] = m;
    return m;
}

/* Take u out of ch (swap-remove on both sides). The channel itself stays
 * until the caller runs channel_maybe_destroy(), so it can still be used
 * to announce the departure. */
void channel_remove_member(struct channel *ch, struct client *u)
{
    struct membership *m = channel_membership(ch, u);
    if (!m)
        return;

    uint32_t i = m->chan_index;
    ch->members[i] = ch->members[--ch->nmembers];
    ch->members[i]->chan_index = i;

    for (uint32_t k = 0; k < u->nchans; k++) {
        if (u->chans[k] == m) {
            u->chans[k] = u->chans[--u->nchans];
            break;
        }
    }
    if (u->nchans == 0) {
        /* A user in no channel holds no array: nothing for user_free to miss. */
        free(u->chans);
        u->chans = NULL;
        u->chans_cap = 0;
    }
    free(m);
}

/* Banned means matched by a ban and not by a ban exception (+e). */
bool channel_is_banned(struct channel *ch, const struct client *u)
{
    return mask_list_match(&ch->bans, u) && !mask_list_match(&ch->excepts, u);
}

/* Matched by an invite exception (+I): may join a +i channel uninvited. */
bool channel_is_invexed(struct channel *ch, const struct client *u)
{
    return mask_list_match(&ch->invex, u);
}

/* Index of u's casefolded nick in ch->invited, or -1. */
static long invite_index(const struct channel *ch, const struct client *u)
{
    char key[NICK_MAX + 1];
    irc_casefold(key, u->nick, sizeof key);
    for (size_t i = 0; i < ch->ninvited; i++)
        if (strcmp(ch->invited[i], key) == 0)
            return (long)i;
    return -1;
}

/* Has u been INVITEd to ch (and not joined since)? */
bool channel_is_invited(struct channel *ch, const struct client *u)
{
    return invite_index(ch, u) >= 0;
}

/* Remember an INVITE of u to ch. The list is bounded: past
 * limits.max_invites the oldest invites are dropped (more than one when a
 * REHASH lowered the limit). The list stays in the order invites came. */
void channel_add_invite(struct channel *ch, const struct client *u)
{
    if (invite_index(ch, u) >= 0)
        return;
    size_t max = max_invites(), drop = ch->ninvited >= max ? ch->ninvited - max + 1 : 0;
    if (drop) {
        for (size_t i = 0; i < drop; i++)
            free(ch->invited[i]);
        memmove(ch->invited, ch->invited + drop, (ch->ninvited - drop) * sizeof *ch->invited);
        ch->ninvited -= drop;
    }
    char key[NICK_MAX + 1];
    irc_casefold(key, u->nick, sizeof key);
    ch->invited = xrealloc(ch->invited, (ch->ninvited + 1) * sizeof *ch->invited);
    ch->invited[ch->ninvited++] = xstrdup(key);
}

/* Forget u's invite to ch (used up by joining). The rest keep their order,
 * so "the oldest is forgotten first" stays true. */
void channel_clear_invite(struct channel *ch, const struct client *u)
{
    long i = invite_index(ch, u);
    if (i < 0)
        return;
    free(ch->invited[i]);
    memmove(ch->invited + i, ch->invited + i + 1, (ch->ninvited - (size_t)i - 1) * sizeof *ch->invited);
    ch->ninvited--;
    if (ch->ninvited == 0) {
        free(ch->invited);
        ch->invited = NULL;
    }
}

/* May u send to ch? +n keeps non-members out, +m everyone without voice or
 * op, and a ban (without exception) silences anyone without voice or op.
 * Returns 0 or ERR_CANNOTSENDTOCHAN. */
int channel_can_send(struct channel *ch, struct client *u)
{
    struct membership *m = channel_membership(ch, u);
    bool privileged = m && (m->status & (CSTATUS_OP | CSTATUS_VOICE));
    if (!m && (ch->modes & CMODE_NOEXTERNAL))
        return ERR_CANNOTSENDTOCHAN;
    if (privileged)
        return 0;
    if (ch->modes & CMODE_MODERATED)
        return ERR_CANNOTSENDTOCHAN;
    if (channel_is_banned(ch, u))
        return ERR_CANNOTSENDTOCHAN;
    return 0;
}

/* Status prefix characters into buf (at least 3 bytes): every prefix when
 * multi (multi-prefix), otherwise only the highest. Returns buf. */
const char *channel_status_prefix(unsigned status, bool multi, char *buf)
{
    char *p = buf;
    if (status & CSTATUS_OP)
        *p++ = '@';
    if ((status & CSTATUS_VOICE) && (multi || p == buf))
        *p++ = '+';
    *p = '\0';
    return buf;
}

/* The channel's modes as one "+klnt key 10" word list, letters in
 * alphabetical order, parameters (key, limit) in letter order and only when
 * show_params (members see them, others do not). */
void channel_mode_string(const struct channel *ch, bool show_params, char *buf, size_t len)
{
    static const struct { unsigned bit; char letter; } order[] = {
        { CMODE_OPERONLY, 'O' }, { CMODE_INVITEONLY, 'i' }, { CMODE_KEY, 'k' }, { CMODE_LIMIT, 'l' },
        { CMODE_MODERATED, 'm' }, { CMODE_NOEXTERNAL, 'n' }, { CMODE_PRIVATE, 'p' },
        { CMODE_SECRET, 's' }, { CMODE_TOPICLOCK, 't' },
    };
    if (!buf || len == 0)
        return;
    char letters[16];
    size_t n = 0;
    letters[n++] = '+';
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (ch->modes & order[i].bit)
            letters[n++] = order[i].letter;
    letters[n] = '\0';

    int w = snprintf(buf, len, "%s", letters);
    if (!show_params)
        return;
    if ((ch->modes & CMODE_KEY) && w >= 0 && (size_t)w < len)
        w += snprintf(buf + w, len - (size_t)w, " %s", ch->key);
    if ((ch->modes & CMODE_LIMIT) && w >= 0 && (size_t)w < len)
        snprintf(buf + w, len - (size_t)w, " %d", ch->limit);
}

/* Index of mask in l (casefolded comparison), or -1. */
static long mask_list_index(const struct mask_list *l, const char *mask)
{
    for (size_t i = 0; i < l->n; i++)
        if (irc_casecmp(l->v[i].mask, mask) == 0)
            return (long)i;
    return -1;
}

/* Append a mask (already normalized by the caller) set by `by`.
 * Returns 0 when added, 1 when already present, -1 when the list holds
 * `max` entries already. */
int mask_list_add(struct mask_list *l, const char *mask, const char *by, size_t max)
{
    if (mask_list_index(l, mask) >= 0)
        return 1;
    if (l->n >= max)
        return -1;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    struct mask_entry *e = &l->v[l->n++];
    e->mask = xstrdup(mask);
    e->set_by = xstrdup(by && *by ? by : "*");
    e->set_at = time(NULL);
    return 0;
}

/* Remove a mask, keeping the others in the order they were set (that is
 * the order the list is shown in). Returns 0 when removed, 1 when absent. */
int mask_list_del(struct mask_list *l, const char *mask)
{
    long i = mask_list_index(l, mask);
    if (i < 0)
        return 1;
    free(l->v[i].mask);
    free(l->v[i].set_by);
    memmove(&l->v[i], &l->v[i + 1], (l->n - (size_t)i - 1) * sizeof *l->v);
    l->n--;
    return 0;
}

/* Does any mask match u's public "nick!user@host" (or, for $z:, its ban token)? */
bool mask_list_match(const struct mask_list *l, const struct client *u)
{
    if (!l || l->n == 0)
        return false;
    char who[NICK_MAX + USER_MAX + HOST_MAX + 3];
    client_mask(u, who, sizeof who);
    for (size_t i = 0; i < l->n; i++) {
        const char *m = l->v[i].mask;
        /* $z:TOKEN: matches every connection from one network address. */
        if (m[0] == '$' && m[1] == 'z' && m[2] == ':') {
            if (u->ban_token[0] && strcmp(m + 3, u->ban_token) == 0)
                return true;
        } else if (irc_match(m, who)) {
            return true;
        }
    }
    return false;
}

/* Free every entry and the array; the list is left empty and reusable. */
void mask_list_free(struct mask_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].mask);
        free(l->v[i].set_by);
    }
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}
