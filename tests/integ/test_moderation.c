/* test_moderation.c — the moderation module's people side: the staff
 * channel's door, every staff command refused (clearly) for others, WARN,
 * KICK, the report flow end to end (REPORT, REPORTS, CLAIM, CLOSE, rate
 * limit, messages held only for a while), MUTE (blocks with a notice,
 * expires, follows a reconnect, UNMUTE) and BAN (disconnects at once,
 * refuses reconnects, BANS, UNBAN, by token, expiry), and the audit log
 * file staying free of addresses and tokens. */
#include "test_moderation.h"

TestSuite(moderation, .timeout = 120);

/* Every staff command, as a non-staff user sends it. */
static const char *const staff_cmds[] = { "WARN x hello", "MUTE x", "UNMUTE x", "KICK #room x", "BAN x 1h r",
                                          "UNBAN 1", "BANS", "SLOW #room 5", "LOCK #room", "UNLOCK #room",
                                          "REMOVE #room x", "FILTER ADD block foo", "FILTER LIST", NULL };

/* Non-staff (a user, an operator who is not staff) are refused every staff
 * command with a clear notice; a moderator lacks FILTER ADD; HELP works. */
Test(moderation, staff_commands_refused_for_others)
{
    struct hv_server *s = mod_start(NULL);
    struct hv_client *d = mod_user(s, "dave", "#room");
    for (int i = 0; staff_cmds[i]; i++) {
        ms(d, "%s", staff_cmds[i]);
        hv_expect(d, MS_NOTICE("dave") "[A-Z]+ is a staff command\\. If someone is making this place feel unsafe, "
                  "type /msg ModServ REPORT <nick> <what happened> and staff will look at it\\.$");
    }
    static const char *const queue[] = { "REPORTS", "CLAIM 1", "CLOSE 1", NULL };
    for (int i = 0; queue[i]; i++) {
        ms(d, "%s", queue[i]);
        hv_expect(d, MS_NOTICE("dave") "[A-Z]+ is a staff command; to report someone, type /msg ModServ REPORT");
    }
    struct hv_client *o = hv_user(s, "olga");
    hv_send(o, "OPER olga olgapw");
    hv_expect_numeric(o, "381");
    ms(o, "MUTE dave");
    hv_expect(o, MS_NOTICE("olga") "MUTE is a staff command\\.");
    struct hv_client *b = mod_bob(s);
    ms(b, "FILTER ADD block foo");
    hv_expect(b, MS_NOTICE("bob") "Permission denied: FILTER needs the \"filter\" privilege, which your role "
              "\\(moderator\\) does not have\\.$");
    hv_sync(d);
    cr_assert_null(hv_find(d, "Muted|Ban #|Added filter|Warned"), "a non-staff command took effect");
    ms(d, "HELP");
    hv_expect(d, MS_NOTICE("dave") "  MUTE <nick> \\[duration\\] \\[reason\\]  \\(staff\\)$");
    hv_expect(d, MS_NOTICE("dave") "  REPORT <nick> \\[what happened\\]$");
    ms(d, "HELP BAN");
    hv_expect(d, MS_NOTICE("dave") "BAN <nick\\|token> <duration> <reason>  \\(staff\\)$");
    hv_stop(s);
}

/* The staff channel: staff (SASL, not operators) and operators get in,
 * others are refused with a reason; staff get +o; +O is taken off again. */
Test(moderation, staff_channel_door)
{
    struct hv_server *s = mod_start(NULL);
    struct hv_client *d = mod_user(s, "dave", NULL);
    hv_send(d, "JOIN #staff");
    hv_expect(d, "^:" SRV " 474 dave #staff :Cannot join channel \\(only staff can join #staff; to reach staff, "
              "type /msg ModServ REPORT <nick> <what happened>\\)$");
    struct hv_client *b = mod_bob(s);
    cr_assert_not_null(hv_find(b, " 353 bob [=@*] #staff :.*ModServ"), "the service is not in #staff");
    hv_expect(b, "^:" SRV " MODE #staff \\+o bob$");
    struct hv_client *o = hv_user(s, "olga");
    hv_send(o, "OPER olga olgapw");
    hv_expect_numeric(o, "381");
    hv_join(o, "#staff");
    hv_send(b, "MODE #staff");
    hv_expect(b, "^:" SRV " 324 bob #staff \\+[nst]{3}$");
    struct hv_client *a = mod_alice(s);
    hv_send(a, "MODE #staff +O");
    hv_expect(b, "^:alice![^ ]+ MODE #staff \\+O$");
    hv_expect(b, "^:" SRV " MODE #staff -O$");
    hv_stop(s);
}

/* WARN sends a private notice; KICK removes from a channel; both audited. */
Test(moderation, warn_and_kick)
{
    struct hv_server *s = mod_start(NULL);
    struct hv_client *a = mod_alice(s), *b = mod_bob(s);
    struct hv_client *t = mod_user(s, "troll", "#room");
    hv_join(a, "#room");
    ms(a, "WARN troll please be kind to people here");
    hv_expect(t, MS_NOTICE("troll") "A message from the moderators: please be kind to people here$");
    hv_expect(a, MS_NOTICE("alice") "Warned troll\\.$");
    hv_expect(b, AUDIT "alice warned troll: please be kind to people here$");
    ms(b, "WARN troll last chance");
    hv_expect(t, MS_NOTICE("troll") "A message from the moderators: last chance$");
    hv_expect(a, AUDIT "bob warned troll: last chance$");
    ms(b, "KICK #room alice");
    hv_expect(b, MS_NOTICE("bob") "alice is staff; staff cannot act on each other");
    ms(b, "KICK #room troll cool off for a bit");
    hv_expect(t, MS "KICK #room troll :cool off for a bit$");
    hv_expect(a, MS "KICK #room troll :cool off for a bit$");
    hv_expect(b, MS_NOTICE("bob") "Kicked troll from #room\\.$");
    hv_expect(a, AUDIT "bob kicked troll from #room: cool off for a bit$");
    ms(b, "KICK #room troll again");
    hv_expect(b, MS_NOTICE("bob") "troll is not in #room\\.$");
    ms(b, "WARN nobody hi");
    hv_expect(b, MS_NOTICE("bob") "Nobody called nobody is online\\.$");
    hv_stop(s);
}

/* REPORT end to end: staff see the id, shared channels, the reporter and
 * the reported person's last messages; the reporter is thanked; the queue
 * works; reports are rate-limited. */
Test(moderation, report_flow)
{
    struct mod_opts mo = { .more = "report_rate = { count = 2; period = 600; }; report_lines = 3;" };
    struct hv_server *s = mod_start(&mo);
    struct hv_client *a = mod_alice(s), *b = mod_bob(s);
    struct hv_client *t = mod_user(s, "troll", "#anxiety"), *v = mod_user(s, "vic", "#anxiety");
    hv_join(t, "#lobby");
    hv_join(v, "#lobby");
    struct hv_client *e = mod_user(s, "eve", "#grief");
    hv_join(t, "#grief");
    hv_send(t, "PRIVMSG #anxiety :an old message");
    hv_send(t, "PRIVMSG #anxiety :you are pathetic");
    hv_send(t, "PRIVMSG #grief :not shown to vic's report");
    hv_send(t, "PRIVMSG #lobby :nobody wants you here");
    hv_send(t, "PRIVMSG #anxiety :just leave");
    hv_expect(v, "PRIVMSG #anxiety :just leave$");
    hv_expect(e, "PRIVMSG #grief :not shown");
    ms(v, "REPORT troll keeps saying hurtful things to me");
    hv_expect(v, MS_NOTICE("vic") "Thank you for telling us\\. Your report \\(#1\\) has gone to the moderators, who "
              "will look at it as soon as they can");
    hv_expect(b, MS "PRIVMSG #staff :\\[report #1\\] vic reported troll, shared channels: #anxiety, #lobby\\. "
              "Reason: keeps saying hurtful things to me$");
    hv_expect(b, MS "PRIVMSG #staff :\\[report #1\\] troll's last messages there:$");
    hv_expect(b, "\\[report #1\\]   [0-9:]{8} UTC #anxiety <troll> you are pathetic$");
    hv_expect(b, "\\[report #1\\]   [0-9:]{8} UTC #lobby <troll> nobody wants you here$");
    hv_expect(b, "\\[report #1\\]   [0-9:]{8} UTC #anxiety <troll> just leave$");
    hv_expect(b, "\\[report #1\\] To take it: /msg ModServ CLAIM 1$");
    cr_assert_null(hv_find(b, "an old message|not shown"), "a message outside report_lines or the shared channels");
    cr_assert_null(hv_find(b, "127\\.0\\.0\\.1"), "an address reached staff");
    cr_assert_null(hv_find(t, "report"), "the reported person learned of the report");

    ms(b, "REPORTS");
    hv_expect(b, MS_NOTICE("bob") "  #1 open, [0-9a-z]+ ago: vic reported troll \\(#anxiety, #lobby\\): keeps saying "
              "hurtful things to me$");
    ms(b, "CLAIM 1");
    hv_expect(b, MS_NOTICE("bob") "You have claimed report #1 \\(vic about troll\\)\\.$");
    hv_expect(a, AUDIT "bob claimed report #1$");
    ms(a, "CLOSE 1 spoke with them, warned");
    hv_expect(a, MS_NOTICE("alice") "Closed report #1\\.$");
    hv_expect(b, AUDIT "alice closed report #1: spoke with them, warned$");
    hv_expect(v, MS_NOTICE("vic") "The moderators have looked into your report #1\\. Thank you");
    ms(b, "REPORTS");
    hv_expect(b, MS_NOTICE("bob") "No open reports\\.$");
    ms(b, "REPORTS all");
    hv_expect(b, MS_NOTICE("bob") "  #1 closed by, .* - handler: alice$");
    ms(b, "CLOSE 1");
    hv_expect(b, MS_NOTICE("bob") "Report #1 is already closed \\(by alice\\)\\.$");

    ms(v, "REPORT vic");
    hv_expect(v, MS_NOTICE("vic") "You can't report yourself\\.");
    ms(v, "REPORT troll again");
    hv_expect(v, MS_NOTICE("vic") "Thank you for telling us\\. Your report \\(#2\\)");
    ms(v, "REPORT troll and again");
    hv_expect(v, MS_NOTICE("vic") "You have sent several reports in a short time\\.");
    hv_sync(b);
    cr_assert_null(hv_find(b, "\\[report #3\\]"), "the rate limit let a third report through");
    hv_stop(s);
}

/* A person who left can still be reported (their recent messages show);
 * messages older than report_history are gone. */
Test(moderation, report_after_leaving_and_history_expiry)
{
    struct mod_opts mo = { .more = "report_history = 2;" };
    struct hv_server *s = mod_start(&mo);
    struct hv_client *b = mod_bob(s);
    struct hv_client *t = mod_user(s, "troll", "#room"), *v = mod_user(s, "vic", "#room");
    hv_send(t, "PRIVMSG #room :hit and run");
    hv_expect(v, "PRIVMSG #room :hit and run$");
    hv_close(t);
    hv_expect(v, "^:troll![^ ]+ QUIT ");
    ms(v, "REPORT troll said something awful and left");
    hv_expect(b, "\\[report #1\\] vic reported troll \\(no longer online\\), shared channels: #room\\. Reason: said "
              "something awful and left$");
    hv_expect(b, "\\[report #1\\]   [0-9:]{8} UTC #room <troll> hit and run$");
    hv_msleep(3100);                     /* whole seconds: kept 2 to 3 s */
    ms(v, "REPORT troll one more thing");
    hv_expect(b, "\\[report #2\\] No recent messages from troll in shared channels are remembered\\.$");
    hv_stop(s);
}

/* MUTE: the person is told until when, their messages are blocked with a
 * notice (services and staff stay reachable), and the mute expires. */
Test(moderation, mute_blocks_and_expires)
{
    struct hv_server *s = mod_start(NULL);
    struct hv_client *a = mod_alice(s), *b = mod_bob(s);
    struct hv_client *t = mod_user(s, "troll", "#room"), *d = mod_user(s, "dave", "#room");
    ms(a, "MUTE troll 2s being unkind");
    hv_expect(t, MS_NOTICE("troll") "You have been muted by the moderators for 2s \\(until [0-9-]{10} [0-9:]{8} UTC\\): "
              "being unkind\\. You can still read the rooms, and you can message staff privately\\.$");
    hv_expect(a, MS_NOTICE("alice") "Muted troll until [0-9-]{10} [0-9:]{8} UTC\\.$");
    hv_expect(b, AUDIT "alice muted troll for 2s \\(until [0-9-]{10} [0-9:]{8} UTC\\): being unkind$");
    hv_send(t, "PRIVMSG #room :can anyone hear me");
    hv_expect(t, "^:" SRV " NOTICE troll :You are muted until [0-9-]{10} [0-9:]{8} UTC \\([0-9s]+ left\\): being "
              "unkind\\. Your message was not sent\\.");
    hv_send(t, "PRIVMSG dave :psst");
    hv_expect(t, "^:" SRV " NOTICE troll :You are muted until ");
    hv_send(t, "PRIVMSG alice :please unmute me");
    hv_expect(a, "^:troll![^ ]+ PRIVMSG alice :please unmute me$");
    ms(t, "HELP REPORT");
    hv_expect(t, MS_NOTICE("troll") "REPORT <nick> \\[what happened\\]$");
    hv_sync(d);
    cr_assert_null(hv_find(d, "can anyone hear me|psst"), "a muted message was delivered");
    hv_expect_ms(t, 4000, MS_NOTICE("troll") "Your mute has ended, and you can talk again\\. Welcome back\\.$");
    hv_expect(b, AUDIT "The mute on troll has ended$");
    hv_send(t, "PRIVMSG #room :sorry everyone");
    hv_expect(d, "^:troll![^ ]+ PRIVMSG #room :sorry everyone$");
    hv_stop(s);
}

/* A mute follows the person's next connection (same token) but spares
 * others already online at that address; UNMUTE lifts it; a person who
 * left can be muted for when they come back. */
Test(moderation, mute_follows_reconnect_and_unmute)
{
    struct hv_server *s = mod_start(NULL);
    struct hv_client *a = mod_alice(s);
    struct hv_client *d = mod_user(s, "dave", "#room"), *t = mod_user(s, "troll", "#room");
    hv_join(a, "#room");
    ms(a, "MUTE troll 10m spam");
    hv_expect(a, MS_NOTICE("alice") "Muted troll until ");
    hv_close(t);
    struct hv_client *t2 = mod_user(s, "troll2", "#room");
    hv_send(t2, "PRIVMSG #room :you can't stop me");
    hv_expect(t2, "^:" SRV " NOTICE troll2 :You are muted until [^(]+\\([0-9ms]+ left\\): spam\\.");
    hv_send(d, "PRIVMSG #room :I can still talk");
    hv_expect(a, "^:dave![^ ]+ PRIVMSG #room :I can still talk$");
    ms(a, "UNMUTE troll2");
    hv_expect(t2, MS_NOTICE("troll2") "The moderators have lifted your mute; you can talk again\\.$");
    hv_expect(a, MS_NOTICE("alice") "Unmuted troll2\\.$");
    hv_expect(a, AUDIT "alice unmuted troll2$");
    hv_send(t2, "PRIVMSG #room :ok ok");
    hv_expect(d, "^:troll2![^ ]+ PRIVMSG #room :ok ok$");
    ms(a, "UNMUTE troll2");
    hv_expect(a, MS_NOTICE("alice") "troll2 is not muted\\.$");

    hv_close(t2);
    hv_expect(d, "^:troll2![^ ]+ QUIT ");
    ms(a, "MUTE troll2 5m came back angry");
    hv_expect(a, MS_NOTICE("alice") "troll2 has left; they will be muted if they come back before ");
    hv_expect(a, AUDIT "alice muted troll2 \\(not online\\) for 5m: came back angry$");
    struct hv_client *t3 = mod_user(s, "troll3", "#room");
    hv_send(t3, "PRIVMSG #room :hi again");
    hv_expect(t3, "^:" SRV " NOTICE troll3 :You are muted until .*: came back angry\\.");
    hv_stop(s);
}

/* BAN: disconnects at once (everyone on the token but staff), refuses every
 * reconnection, shows in BANS with its token (for ban staff only; never in
 * the audit trail), is kept in the state file, and expires. */
Test(moderation, ban_disconnects_refuses_and_expires)
{
    struct hv_server *s = mod_start(NULL);
    struct hv_client *a = mod_alice(s), *b = mod_bob(s);
    struct hv_client *t = mod_user(s, "troll", "#room");
    ms(a, "BAN troll 3s spamming links");
    hv_expect(t, "^ERROR :Closing Link: [^ ]+ \\(Banned: spamming links \\(until [0-9-]{10} [0-9:]{8} UTC\\)\\)$");
    hv_expect_closed(t, 2000);
    hv_expect(a, MS_NOTICE("alice") "Ban #1 on troll until [0-9-]{10} [0-9:]{8} UTC; 1 connection closed\\.$");
    hv_expect(b, AUDIT "alice banned troll \\(ban #1\\) until [0-9-]{10} [0-9:]{8} UTC: spamming links$");

    struct hv_client *c = hv_connect(s);
    hv_send(c, "NICK newface");
    hv_send(c, "USER u 0 * :r");
    hv_expect(c, "^ERROR :Closing Link: .*\\(Banned: spamming links \\(until ");
    hv_expect_closed(c, 2000);
    cr_assert_null(hv_find(c, " 001 "), "a banned connection was welcomed");
    hv_expect(b, AUDIT "Turned away a connection under ban #1 \\(troll\\)$");

    ms(b, "BANS");
    hv_expect(b, MS_NOTICE("bob") "1 ban in force:$");
    const char *l = hv_expect(b, MS_NOTICE("bob") "  #1 troll - until [0-9-]{10} [0-9:]{8} UTC - spamming links "
                              "\\(by alice, token [0-9a-f]{16}\\)$");
    char token[17];
    snprintf(token, sizeof token, "%s", strstr(l, "token ") + 6);
    char *st = mod_state_text(s);
    cr_assert(strstr(st, token) && strstr(st, "spamming links"), "the ban is not in the state file:\n%s", st);
    free(st);
    for (size_t i = 0; i < b->nlines; i++)
        if (strstr(b->lines[i], "PRIVMSG #staff"))
            cr_assert_null(strstr(b->lines[i], token), "a token reached the staff channel: %s", b->lines[i]);

    hv_expect_ms(b, 5000, AUDIT "Ban #1 \\(troll\\) has expired$");
    struct hv_client *back = hv_user(s, "troll");
    hv_send(back, "PRIVMSG #room :I'm back");
    ms(a, "BANS");
    hv_expect(a, MS_NOTICE("alice") "No bans are in force\\.$");
    hv_stop(s);
}

/* BAN someone who just left, UNBAN, BAN by token; bans hit everyone on the
 * address except staff. */
Test(moderation, ban_departed_unban_and_token)
{
    struct hv_server *s = mod_start(NULL);
    struct hv_client *a = mod_alice(s), *b = mod_bob(s);
    struct hv_client *t = mod_user(s, "troll", "#room");
    hv_close(t);
    hv_sync(a);
    hv_msleep(100);
    ms(a, "BAN troll 1h gone but not forgotten");
    hv_expect(a, MS_NOTICE("alice") "Ban #1 on troll until [^;]+; 0 connections closed\\.$");
    struct hv_client *c = hv_connect(s);
    hv_send(c, "NICK troll");
    hv_send(c, "USER u 0 * :r");
    hv_expect(c, "^ERROR :Closing Link: .*Banned: gone but not forgotten");
    ms(b, "UNBAN troll");
    hv_expect(b, MS_NOTICE("bob") "Removed ban #1 \\(troll\\)\\.$");
    hv_expect(a, AUDIT "bob removed ban #1 \\(troll\\)$");
    struct hv_client *d = mod_user(s, "dave", "#room");
    struct hv_client *e = mod_user(s, "erin", "#room");

    hv_send(a, "PRIVMSG ModServ :BAN dave 1h testing tokens");
    hv_expect(a, MS_NOTICE("alice") "Ban #2 on dave until [^;]+; 2 connections closed\\.$");
    hv_expect(a, AUDIT "alice banned dave \\(ban #2\\) until [^:]+:[^:]+:[^:]+: testing tokens \\(several "
              "connections shared the address\\)$");
    hv_expect_closed(d, 2000);
    hv_expect_closed(e, 2000);
    ms(a, "BANS");
    const char *l = hv_expect(a, "  #2 dave - .*token [0-9a-f]{16}\\)$");
    char token[17];
    snprintf(token, sizeof token, "%s", strstr(l, "token ") + 6);
    ms(a, "UNBAN %s", token);
    hv_expect(a, MS_NOTICE("alice") "Removed ban #2 \\(dave\\)\\.$");
    ms(a, "BAN %s 1h by token", token);
    hv_expect(a, MS_NOTICE("alice") "Ban #3 on %s until [^;]+; 0 connections closed\\.$", token);
    hv_expect(b, AUDIT "alice banned a ban token \\(ban #3\\) until ");
    ms(a, "UNBAN #3");
    hv_expect(a, MS_NOTICE("alice") "Removed ban #3 \\(a ban token\\)\\.$");
    ms(a, "UNBAN 42");
    hv_expect(a, MS_NOTICE("alice") "No ban matches \"42\"");
    ms(a, "BAN nobody 1h x");
    hv_expect(a, MS_NOTICE("alice") "Nobody called nobody is online or left recently");
    ms(a, "BAN bob 1h x");
    hv_expect(a, MS_NOTICE("alice") "bob is staff; staff cannot act on each other");
    ms(a, "BAN ModServ 1h x");
    hv_expect(a, MS_NOTICE("alice") "ModServ is a network service\\.$");
    ms(a, "BAN troll forever x");
    hv_expect(a, MS_NOTICE("alice") "\"forever\" is not a duration");
    struct hv_client *f = mod_user(s, "frank", NULL);
    hv_send(f, "PRIVMSG ModServ :HELP");
    hv_expect(f, MS_NOTICE("frank") "  HELP \\[command\\]$");
    char *st = mod_state_text(s);
    cr_assert(strstr(st, "bans = ( )") || strstr(st, "bans = ()"), "removed bans are still in the state file:\n%s",
              st);
    free(st);
    hv_stop(s);
}

/* The audit log file gets every action with a UTC time and never an
 * address, a token or message text. */
Test(moderation, audit_log_file)
{
    struct mod_opts mo = { .more = "audit_log = \"audit.log\";" };
    struct hv_server *s = mod_start(&mo);
    struct hv_client *a = mod_alice(s);
    struct hv_client *t = mod_user(s, "troll", "#room"), *v = mod_user(s, "vic", "#room");
    hv_send(t, "PRIVMSG #room :very secret words");
    hv_expect(v, "very secret words$");
    ms(v, "REPORT troll rude");
    hv_expect(a, "\\[report #1\\] To take it");
    ms(a, "MUTE troll 1m rude");
    hv_expect(a, AUDIT "alice muted troll");
    ms(a, "BAN troll 1h rude");
    hv_expect(a, AUDIT "alice banned troll");
    ms(a, "BANS");
    const char *l = hv_expect(a, "token [0-9a-f]{16}\\)$");
    char token[17], path[400];
    snprintf(token, sizeof token, "%s", strstr(l, "token ") + 6);
    snprintf(path, sizeof path, "%s/audit.log", s->dir);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "no audit log file");
    char text[8192] = "";
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    cr_assert(strstr(text, "Report #1 filed by vic about troll"), "%s", text);
    cr_assert(strstr(text, "Z alice muted troll for 1m"), "%s", text);
    cr_assert(strstr(text, "Z alice banned troll (ban #1)"), "%s", text);
    cr_assert_null(strstr(text, "127.0.0.1"), "an address in the audit log:\n%s", text);
    cr_assert_null(strstr(text, token), "a token in the audit log:\n%s", text);
    cr_assert_null(strstr(text, "secret words"), "message text in the audit log:\n%s", text);
    hv_stop(s);
}
