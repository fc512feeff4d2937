/* test_modes.c — mode parsing and channel state, without sockets.
 *
 * Clients are built by hand with conn = NULL: the send helpers skip them,
 * so the command handlers can be driven directly and their effect read
 * back from the channel state. */
#include <criterion/criterion.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "havend.h"
#include "commands/mode.h"
#include "proto/numeric.h"

static struct config test_conf;

/* A registered client with no connection, findable by nick. */
static struct client *mk_client(const char *nick, const char *user, const char *host)
{
    struct client *u = calloc(1, sizeof *u);
    cr_assert_not_null(u);
    snprintf(u->nick, sizeof u->nick, "%s", nick);
    u->user = user;   /* string literals: nothing to free */
    snprintf(u->host, sizeof u->host, "%s", host);
    u->registered = true;
    char key[NICK_MAX + 1];
    irc_casefold(key, nick, sizeof key);
    hashmap_put(&srv.nicks, key, u);
    return u;
}

/* Take a client out of every channel (destroying empty ones) and free it. */
static void rm_client(struct client *u)
{
    while (u->nchans) {
        struct channel *ch = u->chans[u->nchans - 1]->chan;
        channel_remove_member(ch, u);
        channel_maybe_destroy(ch);
    }
    char key[NICK_MAX + 1];
    irc_casefold(key, u->nick, sizeof key);
    hashmap_remove(&srv.nicks, key);
    free(u->chans);
    free(u->oper_name);
    free(u);
}

/* Parameter storage for fake messages: handlers cut params in place. */
static char msgbuf[MSG_MAX_PARAMS][512];

/* Fill m as if "cmd p0 p1 ..." had been parsed; the list ends with NULL. */
static struct message *mk_msg(struct message *m, const char *cmd, ...)
{
    memset(m, 0, sizeof *m);
    m->command = (char *)cmd;
    m->trailing = -1;
    va_list ap;
    va_start(ap, cmd);
    const char *p;
    while ((p = va_arg(ap, const char *)) != NULL && m->nparams < MSG_MAX_PARAMS) {
        snprintf(msgbuf[m->nparams], sizeof msgbuf[0], "%s", p);
        m->params[m->nparams] = msgbuf[m->nparams];
        m->nparams++;
    }
    va_end(ap);
    return m;
}

static void setup(void)
{
    memset(&test_conf, 0, sizeof test_conf);
    test_conf.server_name = "irc.test";
    test_conf.channellen = 50;
    test_conf.topiclen = 20;
    test_conf.kicklen = 20;
    test_conf.max_channels = 3;
    test_conf.max_list = 3;
    test_conf.max_modes = 4;
    test_conf.max_targets = 4;
    srv.conf = &test_conf;
    hashmap_init(&srv.chans);
    hashmap_init(&srv.nicks);
    srv.nopers = 0;
}

static void teardown(void)
{
    cr_expect_eq(srv.chans.count, 0, "channels leaked: %zu", srv.chans.count);
    hashmap_free(&srv.chans);
    hashmap_free(&srv.nicks);
    srv.conf = NULL;
}

TestSuite(modes, .init = setup, .fini = teardown);

/* ---------------------------------------------------------------- parsing */

Test(modes, parse_basic)
{
    char *params[] = { "alice", "bob" };
    struct mode_change c[8];
    size_t n = mode_parse_channel("+ov-k", params, 2, 4, c, 8);
    cr_assert_eq(n, 3);
    cr_expect(c[0].dir == '+' && c[0].letter == 'o' && c[0].kind == MODE_SET);
    cr_expect_str_eq(c[0].param, "alice");
    cr_expect(c[1].dir == '+' && c[1].letter == 'v');
    cr_expect_str_eq(c[1].param, "bob");
    cr_expect(c[2].dir == '-' && c[2].letter == 'k' && c[2].kind == MODE_SET);
    cr_expect_null(c[2].param);
}

Test(modes, parse_default_sign_and_flags)
{
    struct mode_change c[8];
    size_t n = mode_parse_channel("nt-m+s", NULL, 0, 4, c, 8);
    cr_assert_eq(n, 4);
    cr_expect(c[0].dir == '+' && c[0].letter == 'n' && !c[0].param);
    cr_expect(c[1].dir == '+' && c[1].letter == 't');
    cr_expect(c[2].dir == '-' && c[2].letter == 'm');
    cr_expect(c[3].dir == '+' && c[3].letter == 's');
}

Test(modes, parse_param_rules)
{
    char *params[] = { "secret", "9" };
    struct mode_change c[8];
    /* -l takes nothing, so "secret" goes to -k and "9" to +l */
    size_t n = mode_parse_channel("-lk+l", params, 2, 4, c, 8);
    cr_assert_eq(n, 3);
    cr_expect(c[0].letter == 'l' && c[0].kind == MODE_SET && !c[0].param);
    cr_expect_str_eq(c[1].param, "secret");
    cr_expect_str_eq(c[2].param, "9");

    n = mode_parse_channel("+kl", NULL, 0, 4, c, 8);
    cr_assert_eq(n, 2);
    cr_expect_eq(c[0].kind, MODE_NO_PARAM);
    cr_expect_eq(c[1].kind, MODE_NO_PARAM);

    n = mode_parse_channel("+o", NULL, 0, 4, c, 8);
    cr_expect_eq(c[0].kind, MODE_NO_PARAM);
}

Test(modes, parse_lists_unknown_limit)
{
    char *params[] = { "*!*@x" };
    struct mode_change c[8];
    size_t n = mode_parse_channel("+bxe", params, 1, 4, c, 8);
    cr_assert_eq(n, 3);
    cr_expect(c[0].kind == MODE_SET && strcmp(c[0].param, "*!*@x") == 0);
    cr_expect_eq(c[1].kind, MODE_UNKNOWN);
    cr_expect_eq(c[1].letter, 'x');
    cr_expect_eq(c[2].kind, MODE_LIST);

    char *four[] = { "a", "b", "c", "d" };
    n = mode_parse_channel("+oooo", four, 4, 2, c, 8);
    cr_assert_eq(n, 4);
    cr_expect_str_eq(c[1].param, "b");
    cr_expect_eq(c[2].kind, MODE_OVER_LIMIT);
    cr_expect_eq(c[3].kind, MODE_OVER_LIMIT);

    n = mode_parse_channel("+ntimsp", NULL, 0, 4, c, 3);
    cr_expect_eq(n, 3, "outmax respected");
    cr_expect_eq(mode_parse_channel("", NULL, 0, 4, c, 8), 0);
    cr_expect_eq(mode_parse_channel("+-+", NULL, 0, 4, c, 8), 0);
}

Test(modes, takes_param_table)
{
    for (const char *p = "beIovk"; *p; p++) {
        cr_expect(mode_chan_takes_param(*p, '+'), "%c +", *p);
        cr_expect(mode_chan_takes_param(*p, '-'), "%c -", *p);
    }
    cr_expect(mode_chan_takes_param('l', '+'));
    cr_expect(!mode_chan_takes_param('l', '-'));
    for (const char *p = "imntspxZ"; *p; p++)
        cr_expect(!mode_chan_takes_param(*p, '+'), "%c", *p);
    cr_expect(mode_chan_known('I'));
    cr_expect(!mode_chan_known('x'));
    cr_expect(!mode_chan_known('\0'));
}

Test(modes, normalize_mask)
{
    char out[MODE_MASK_MAX + 1];
    struct { const char *in, *want; } cases[] = {
        { "nick", "nick!*@*" },
        { "u@h", "*!u@h" },
        { "n!u", "n!u@*" },
        { "n!u@h.example", "n!u@h.example" },
        { "*!*@*", "*!*@*" },
        { "!@", "*!*@*" },
        { "@host", "*!*@host" },
        { "a b", "a!*@*" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_expect(mode_normalize_mask(cases[i].in, out, sizeof out), "%s", cases[i].in);
        cr_expect_str_eq(out, cases[i].want, "%s", cases[i].in);
    }
    cr_expect(!mode_normalize_mask("", out, sizeof out));
    cr_expect(!mode_normalize_mask(":x", out, sizeof out));
    cr_expect(!mode_normalize_mask(" x", out, sizeof out));

    char longnick[100];
    memset(longnick, 'a', sizeof longnick - 1);
    longnick[sizeof longnick - 1] = '\0';
    cr_expect(mode_normalize_mask(longnick, out, sizeof out));
    cr_expect_eq(strlen(out), NICK_MAX + 4);

    char small[8];
    cr_expect(mode_normalize_mask("nickname@host", small, sizeof small));
    cr_expect_lt(strlen(small), sizeof small);
}

Test(modes, format_changes)
{
    struct mode_change c[] = {
        { '+', 'o', MODE_SET, "a" },
        { '+', 'x', MODE_UNKNOWN, NULL },
        { '+', 'v', MODE_SET, "b" },
        { '-', 'k', MODE_SET, "*" },
        { '-', 'n', MODE_SET, NULL },
        { '+', 't', MODE_SET, NULL },
    };
    char buf[512];
    size_t n = mode_format_changes(c, 6, 300, buf, sizeof buf);
    cr_expect_eq(n, 6);
    cr_expect_str_eq(buf, "+ov-kn+t a b *");

    /* A small budget splits into several lines, each complete. */
    size_t done = 0, lines = 0;
    while (done < 6) {
        size_t k = mode_format_changes(c + done, 6 - done, 6, buf, sizeof buf);
        cr_assert_gt(k, 0);
        done += k;
        lines++;
    }
    cr_expect_gt(lines, 1);
    cr_expect_eq(done, 6);
}

/* ---------------------------------------------------------------- channel state */

Test(modes, members_add_remove)
{
    struct channel *ch = channel_create("#Test[x]");
    cr_assert_not_null(ch);
    cr_expect_eq(channel_find("#tEST{X}"), ch, "rfc1459 casefolding");
    cr_expect_eq(channel_create("#test{x}"), ch, "create returns the existing one");
    cr_expect_str_eq(ch->name, "#Test[x]");

    struct client *u[5];
    const char *nicks[] = { "a", "b", "c", "d", "e" };
    for (int i = 0; i < 5; i++) {
        u[i] = mk_client(nicks[i], "user", "h.test");
        cr_assert_not_null(channel_add_member(ch, u[i], i == 0 ? CSTATUS_OP : 0));
    }
    cr_expect_eq(channel_add_member(ch, u[1], 0), channel_membership(ch, u[1]), "no duplicates");
    cr_expect_eq(ch->nmembers, 5);

    struct channel *ch2 = channel_create("#two");
    channel_add_member(ch2, u[0], 0);
    cr_expect_eq(u[0]->nchans, 2);

    channel_remove_member(ch, u[1]);
    channel_remove_member(ch, u[1]); /* no-op */
    channel_remove_member(ch, u[0]);
    cr_expect_eq(ch->nmembers, 3);
    cr_expect_null(channel_membership(ch, u[1]));
    cr_expect_null(channel_membership(ch, u[0]));
    cr_expect_eq(u[0]->nchans, 1);
    cr_expect_eq(u[0]->chans[0]->chan, ch2);
    for (size_t i = 0; i < ch->nmembers; i++) {
        cr_expect_eq(ch->members[i]->chan_index, i);
        struct client *c = ch->members[i]->client;
        bool listed = false;   /* and the member lists the channel */
        for (size_t k = 0; k < c->nchans; k++)
            listed = listed || c->chans[k] == ch->members[i];
        cr_expect(listed);
        cr_expect_eq(channel_membership(ch, c), ch->members[i]);
    }

    channel_maybe_destroy(ch);
    cr_expect_eq(channel_find("#test[x]"), ch, "kept while it has members");
    for (int i = 2; i < 5; i++)
        channel_remove_member(ch, u[i]);
    ch->permanent = true;
    channel_maybe_destroy(ch);
    cr_expect_eq(channel_find("#test[x]"), ch, "permanent channels stay");
    ch->permanent = false;
    channel_maybe_destroy(ch);
    cr_expect_null(channel_find("#test[x]"));

    for (int i = 0; i < 5; i++)
        rm_client(u[i]);
    cr_expect_null(channel_find("#two"));
}

Test(modes, bans_and_excepts)
{
    struct channel *ch = channel_create("#b");
    struct client *bad = mk_client("Bad", "user", "evil.example");
    struct client *good = mk_client("Good", "user", "nice.example");

    cr_expect_eq(mask_list_add(&ch->bans, "*!*@EVIL.example", "op!o@h", 3), 0);
    cr_expect(channel_is_banned(ch, bad));
    cr_expect(!channel_is_banned(ch, good));
    cr_expect_str_eq(ch->bans.v[0].set_by, "op!o@h");

    cr_expect_eq(mask_list_add(&ch->excepts, "bad!*@*", NULL, 3), 0);
    cr_expect(!channel_is_banned(ch, bad), "exception wins");
    cr_expect_str_eq(ch->excepts.v[0].set_by, "*");

    cr_expect_eq(mask_list_add(&ch->invex, "good!*@*", "x", 3), 0);
    cr_expect(channel_is_invexed(ch, good));
    cr_expect(!channel_is_invexed(ch, bad));

    /* Sending: +n, +m, bans. */
    ch->modes = CMODE_NOEXTERNAL;
    cr_expect_eq(channel_can_send(ch, good), ERR_CANNOTSENDTOCHAN);
    struct membership *mg = channel_add_member(ch, good, 0);
    cr_expect_eq(channel_can_send(ch, good), 0);
    ch->modes |= CMODE_MODERATED;
    cr_expect_eq(channel_can_send(ch, good), ERR_CANNOTSENDTOCHAN);
    mg->status = CSTATUS_VOICE;
    cr_expect_eq(channel_can_send(ch, good), 0);
    ch->modes = 0;
    mask_list_del(&ch->excepts, "BAD!*@*");
    struct membership *mb = channel_add_member(ch, bad, 0);
    cr_expect_eq(channel_can_send(ch, bad), ERR_CANNOTSENDTOCHAN, "banned member");
    mb->status = CSTATUS_OP;
    cr_expect_eq(channel_can_send(ch, bad), 0, "ops speak through bans");

    rm_client(bad);
    rm_client(good);
}

Test(modes, mask_list_limits)
{
    struct mask_list l = { 0 };
    cr_expect_eq(mask_list_add(&l, "a!*@*", "x", 3), 0);
    cr_expect_eq(mask_list_add(&l, "b!*@*", "x", 3), 0);
    cr_expect_eq(mask_list_add(&l, "A!*@*", "x", 3), 1, "already present (casefolded)");
    cr_expect_eq(mask_list_add(&l, "c!*@*", "x", 3), 0);
    cr_expect_eq(mask_list_add(&l, "d!*@*", "x", 3), -1, "full");
    cr_expect_eq(l.n, 3);
    cr_expect_eq(mask_list_del(&l, "B!*@*"), 0);
    cr_expect_eq(mask_list_del(&l, "b!*@*"), 1);
    cr_expect_eq(l.n, 2);
    cr_expect_str_eq(l.v[0].mask, "a!*@*");
    cr_expect_str_eq(l.v[1].mask, "c!*@*", "order kept");
    cr_expect_eq(mask_list_add(&l, "d!*@*", "x", 3), 0);
    mask_list_free(&l);
    cr_expect_eq(l.n, 0);
    cr_expect_null(l.v);
    mask_list_free(&l);
}

Test(modes, mode_string_and_prefix)
{
    struct channel *ch = channel_create("#m");
    char buf[64];
    channel_mode_string(ch, true, buf, sizeof buf);
    cr_expect_str_eq(buf, "+");
    ch->modes = CMODE_NOEXTERNAL | CMODE_TOPICLOCK | CMODE_KEY | CMODE_LIMIT;
    snprintf(ch->key, sizeof ch->key, "key");
    ch->limit = 10;
    channel_mode_string(ch, true, buf, sizeof buf);
    cr_expect_str_eq(buf, "+klnt key 10");
    channel_mode_string(ch, false, buf, sizeof buf);
    cr_expect_str_eq(buf, "+klnt");
    ch->modes = CMODE_INVITEONLY | CMODE_MODERATED | CMODE_SECRET | CMODE_PRIVATE;
    channel_mode_string(ch, true, buf, sizeof buf);
    cr_expect_str_eq(buf, "+imps");
    char tiny[4];
    channel_mode_string(ch, true, tiny, sizeof tiny);
    cr_expect_str_eq(tiny, "+im");
    channel_maybe_destroy(ch);

    char p[4];
    cr_expect_str_eq(channel_status_prefix(CSTATUS_OP | CSTATUS_VOICE, true, p), "@+");
    cr_expect_str_eq(channel_status_prefix(CSTATUS_OP | CSTATUS_VOICE, false, p), "@");
    cr_expect_str_eq(channel_status_prefix(CSTATUS_VOICE, false, p), "+");
    cr_expect_str_eq(channel_status_prefix(0, true, p), "");
}

Test(modes, invites)
{
    struct channel *ch = channel_create("#i");
    struct client *u = mk_client("Invitee", "u", "h");
    cr_expect(!channel_is_invited(ch, u));
    channel_add_invite(ch, u);
    channel_add_invite(ch, u);
    cr_expect_eq(ch->ninvited, 1);
    cr_expect(channel_is_invited(ch, u));
    channel_clear_invite(ch, u);
    cr_expect(!channel_is_invited(ch, u));
    /* The list is bounded. */
    for (int i = 0; i < 200; i++) {
        snprintf(u->nick, sizeof u->nick, "n%d", i);
        channel_add_invite(ch, u);
    }
    cr_expect_leq(ch->ninvited, 64);
    cr_expect(channel_is_invited(ch, u), "newest kept");
    snprintf(u->nick, sizeof u->nick, "Invitee");
    channel_maybe_destroy(ch);
    rm_client(u);
}

/* ---------------------------------------------------------------- handlers */

Test(modes, join_and_channel_modes)
{
    struct message m;
    struct client *op = mk_client("op", "u", "op.host");
    struct client *bob = mk_client("bob", "u", "bob.host");

    cmd_join(op, mk_msg(&m, "JOIN", "#room", NULL));
    struct channel *ch = channel_find("#ROOM");
    cr_assert_not_null(ch);
    cr_expect(channel_membership(ch, op)->status & CSTATUS_OP, "creator is op");

    cmd_join(bob, mk_msg(&m, "JOIN", "#room", NULL));
    cr_assert_not_null(channel_membership(ch, bob));
    cr_expect_eq(channel_membership(ch, bob)->status, 0);

    /* A non-op changes nothing. */
    cmd_mode(bob, mk_msg(&m, "MODE", "#room", "+o", "bob", NULL));
    cr_expect_eq(channel_membership(ch, bob)->status, 0);

    ch->modes = 0;
    cmd_mode(op, mk_msg(&m, "MODE", "#room", "+ovnk-x", "bob", "bob", "sec:r et", NULL));
    cr_expect_eq(channel_membership(ch, bob)->status, CSTATUS_OP | CSTATUS_VOICE);
    cr_expect(ch->modes & CMODE_NOEXTERNAL);
    cr_expect_str_eq(ch->key, "secret", "key cleaned of ':' and spaces");
    cmd_mode(op, mk_msg(&m, "MODE", "#room", "-k+l-v", "zzz", "5", "bob", NULL));
    cr_expect(!(ch->modes & CMODE_KEY));
    cr_expect_eq(ch->limit, 5);
    cr_expect_eq(channel_membership(ch, bob)->status, CSTATUS_OP);
    cmd_mode(op, mk_msg(&m, "MODE", "#room", "+l", "-3", NULL));
    cr_expect_eq(ch->limit, 5, "bad limits ignored");

    /* Lists: normalized, full at max_list, at most max_modes params. */
    cmd_mode(op, mk_msg(&m, "MODE", "#room", "+bbbbb", "a", "b@c", "d!e", "f", "g", NULL));
    cr_expect_eq(ch->bans.n, 3);
    cr_expect_str_eq(ch->bans.v[0].mask, "a!*@*");
    cr_expect_str_eq(ch->bans.v[1].mask, "*!b@c");
    cr_expect_str_eq(ch->bans.v[2].mask, "d!e@*");
    cr_expect_str_eq(ch->bans.v[0].set_by, "op!u@op.host");
    cmd_mode(op, mk_msg(&m, "MODE", "#room", "-b+e+I", "A", "x", "y@z", NULL));
    cr_expect_eq(ch->bans.n, 2);
    cr_expect_str_eq(ch->excepts.v[0].mask, "x!*@*");
    cr_expect_str_eq(ch->invex.v[0].mask, "*!y@z");
    /* Queries by a non-op are harmless. */
    cmd_mode(bob, mk_msg(&m, "MODE", "#room", NULL));
    cmd_mode(bob, mk_msg(&m, "MODE", "#room", "beI", NULL));
    cmd_mode(bob, mk_msg(&m, "MODE", "#nowhere", "+n", NULL));
    cmd_mode(op, mk_msg(&m, "MODE", "#room", "+o", "nobody", NULL));

    rm_client(op);
    rm_client(bob);
}

Test(modes, join_checks)
{
    struct message m;
    struct client *op = mk_client("op", "u", "op.host");
    struct client *x = mk_client("x", "u", "x.host");
    cmd_join(op, mk_msg(&m, "JOIN", "#c", NULL));
    struct channel *ch = channel_find("#c");
    cr_assert_not_null(ch);

    ch->modes |= CMODE_INVITEONLY;
    cmd_join(x, mk_msg(&m, "JOIN", "#c", NULL));
    cr_expect_null(channel_membership(ch, x), "+i");
    cmd_invite(op, mk_msg(&m, "INVITE", "x", "#c", NULL));
    cr_expect(channel_is_invited(ch, x));
    cmd_join(x, mk_msg(&m, "JOIN", "#c", NULL));
    cr_expect_not_null(channel_membership(ch, x), "invited");
    cr_expect(!channel_is_invited(ch, x), "invite used up");
    cmd_part(x, mk_msg(&m, "PART", "#c", "bye", NULL));
    cr_expect_null(channel_membership(ch, x));
    ch->modes &= ~CMODE_INVITEONLY;

    mask_list_add(&ch->bans, "*!*@x.host", "op", 3);
    cmd_join(x, mk_msg(&m, "JOIN", "#c", NULL));
    cr_expect_null(channel_membership(ch, x), "+b");
    mask_list_del(&ch->bans, "*!*@x.host");

    cmd_mode(op, mk_msg(&m, "MODE", "#c", "+k", "pw", NULL));
    cmd_join(x, mk_msg(&m, "JOIN", "#c", NULL));
    cr_expect_null(channel_membership(ch, x), "+k without key");
    cmd_join(x, mk_msg(&m, "JOIN", "#zz,#c", "nothing,pw", NULL));
    cr_expect_not_null(channel_membership(ch, x), "key paired by position");
    cr_expect_not_null(channel_find("#zz"));
    cmd_join(x, mk_msg(&m, "JOIN", "#c", NULL));
    cr_expect_eq(ch->nmembers, 2, "joining twice is ignored");

    /* Channel limit per user is 3. */
    cmd_join(x, mk_msg(&m, "JOIN", "#d,#e,bad,#a b", NULL));
    cr_expect_eq(x->nchans, 3);
    cr_expect_null(channel_find("#e"));

    /* KICK needs ops; the reason is cut to kicklen. */
    cmd_kick(x, mk_msg(&m, "KICK", "#c", "op", NULL));
    cr_expect_not_null(channel_membership(ch, op));
    cmd_kick(op, mk_msg(&m, "KICK", "#c", "x,nobody,x", "a very long reason that will be cut", NULL));
    cr_expect_null(channel_membership(ch, x));

    /* +l */
    cmd_mode(op, mk_msg(&m, "MODE", "#c", "-k+l", "*", "1", NULL));
    cmd_join(x, mk_msg(&m, "JOIN", "#c", NULL));
    cr_expect_null(channel_membership(ch, x), "+l");

    /* TOPIC: truncated, cleared by "". */
    cmd_topic(op, mk_msg(&m, "TOPIC", "#c", "0123456789012345678901234567890", NULL));
    cr_assert_not_null(ch->topic);
    cr_expect_eq(strlen(ch->topic), 20);
    cr_expect_str_eq(ch->topic_setter, "op!u@op.host");
    cmd_topic(op, mk_msg(&m, "TOPIC", "#c", "", NULL));
    cr_expect_null(ch->topic);
    cmd_topic(x, mk_msg(&m, "TOPIC", "#c", "hi", NULL));
    cr_expect_null(ch->topic, "non-member");

    /* Queries exercise the reply paths (nothing is sent without a conn). */
    cmd_names(op, mk_msg(&m, "NAMES", "#c,#nope", NULL));
    cmd_names(op, mk_msg(&m, "NAMES", NULL));
    cmd_list(op, mk_msg(&m, "LIST", NULL));
    cmd_list(op, mk_msg(&m, "LIST", ">0,#c,<5", NULL));
    cmd_topic(x, mk_msg(&m, "TOPIC", "#c", NULL));

    /* JOIN 0 parts everything; empty channels go away. */
    cmd_join(x, mk_msg(&m, "JOIN", "0", NULL));
    cr_expect_eq(x->nchans, 0);
    cr_expect_null(channel_find("#zz"));

    rm_client(op);
    rm_client(x);
}

Test(modes, user_modes)
{
    struct message m;
    struct client *u = mk_client("me", "u", "h");
    struct client *other = mk_client("other", "u", "h");

    cmd_mode(u, mk_msg(&m, "MODE", "me", "+iwx", NULL));
    cr_expect_eq(u->umodes, UMODE_INVISIBLE | UMODE_WALLOPS);
    cmd_mode(u, mk_msg(&m, "MODE", "ME", "-w+o", NULL));
    cr_expect_eq(u->umodes, UMODE_INVISIBLE, "+o cannot be self-set");
    cmd_mode(u, mk_msg(&m, "MODE", "other", "+i", NULL));
    cr_expect_eq(other->umodes, 0);

    u->umodes |= UMODE_OPER;
    u->oper_name = strdup("admin");
    u->oper_privs = OPRIV_KILL;
    srv.nopers = 1;
    cmd_mode(u, mk_msg(&m, "MODE", "me", "-o", NULL));
    cr_expect(!(u->umodes & UMODE_OPER));
    cr_expect_eq(srv.nopers, 0);
    cr_expect_null(u->oper_name);
    cr_expect_eq(u->oper_privs, 0);
    cmd_mode(u, mk_msg(&m, "MODE", "me", NULL));
    cmd_mode(u, mk_msg(&m, "MODE", "ghost", NULL));

    rm_client(u);
    rm_client(other);
}
