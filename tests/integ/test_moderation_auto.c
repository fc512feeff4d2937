/* test_moderation_auto.c — the moderation module's rooms and automation:
 * SLOW timing, LOCK/UNLOCK (+m; voiced people and staff still talk),
 * phrase filters (block, flag, per channel, private, FILTER ADD/DEL/LIST),
 * links from new connections, repeat / rate / mass-mention flood detection
 * (temporary mute and a staff alert), join-flood protection, REDACT and
 * REMOVE reaching only clients with draft/message-redaction, bans and
 * filters surviving a restart, a damaged state file or setting refusing
 * the start with file:line, and REHASH. */
#include "test_moderation.h"

#include <regex.h>
#include <sys/wait.h>

TestSuite(moderation_auto, .timeout = 120);

/* A registered client that negotiated caps first. */
static struct hv_client *user_caps(struct hv_server *s, const char *nick, const char *caps, const char *chan)
{
    struct hv_client *c = hv_connect(s);
    hv_send(c, "CAP REQ :%s", caps);
    hv_expect(c, "CAP \\* ACK");
    hv_send(c, "CAP END");
    hv_register(c, nick);
    if (chan)
        hv_join(c, chan);
    return c;
}

/* The msgid tag of a line, into buf. */
static const char *msgid_of(const char *line, char *buf, size_t len)
{
    buf[0] = '\0';
    const char *p = strstr(line, "msgid=");
    if (p && p < strchr(line, ' ')) {
        p += 6;
        snprintf(buf, len, "%.*s", (int)strcspn(p, "; "), p);
    }
    return buf;
}

/* SLOW: one message per person per N seconds; staff are not limited. */
Test(moderation_auto, slow_mode_timing)
{
    struct hv_server *s = mod_start(NULL);
    struct hv_client *a = mod_alice(s);
    struct hv_client *e = mod_user(s, "erin", "#room"), *d = mod_user(s, "dave", "#room");
    hv_join(a, "#room");
    ms(a, "SLOW #room 2");
    hv_expect(d, MS "NOTICE #room :This room is in slow mode for now: one message every 2 seconds per person\\.");
    hv_expect(a, AUDIT "alice put #room in slow mode \\(2 seconds\\)$");
    hv_send(d, "PRIVMSG #room :one");
    hv_expect(e, "PRIVMSG #room :one$");
    hv_send(d, "PRIVMSG #room :two");
    hv_expect(d, "^:" SRV " NOTICE dave :#room is in slow mode: one message every 2 seconds\\. You can send your "
              "next message in [12] seconds?\\.$");
    hv_send(a, "PRIVMSG #room :staff one");
    hv_send(a, "PRIVMSG #room :staff two");
    hv_expect(e, "PRIVMSG #room :staff two$");
    cr_assert_null(hv_find(e, "PRIVMSG #room :two$"), "a message within the slow-mode interval went out");
    hv_msleep(2100);
    hv_send(d, "PRIVMSG #room :three");
    hv_expect(e, "PRIVMSG #room :three$");
    ms(a, "SLOW #room off");
    hv_expect(d, MS "NOTICE #room :Slow mode is over");
    hv_expect(a, AUDIT "alice ended slow mode in #room$");
    hv_send(d, "PRIVMSG #room :four");
    hv_send(d, "PRIVMSG #room :five");
    hv_expect(e, "PRIVMSG #room :four$");
    hv_expect(e, "PRIVMSG #room :five$");
    ms(a, "SLOW #room lots");
    hv_expect(a, MS_NOTICE("alice") "Give the seconds between messages");
    ms(a, "SLOW #nowhere 5");
    hv_expect(a, MS_NOTICE("alice") "There is no channel called #nowhere\\.$");
    hv_stop(s);
}

/* LOCK: +m, only staff and voiced people talk; UNLOCK opens it again. With
 * staff_op off, staff joining a locked room get voice. */
Test(moderation_auto, lock_and_unlock)
{
    struct mod_opts mo = { .more = "staff_op = false;" };
    struct hv_server *s = mod_start(&mo);
    struct hv_client *d = mod_user(s, "dave", "#room"), *e = mod_user(s, "erin", "#room");
    struct hv_client *b = mod_bob(s);
    ms(b, "LOCK #room things are getting heated");
    hv_expect(d, "^:" SRV " MODE #room \\+m$");
    hv_expect(d, MS "NOTICE #room :The moderators have paused this room for a moment: only staff and voiced "
              "people can talk\\. things are getting heated$");
    hv_expect(b, MS_NOTICE("bob") "#room is locked \\(\\+m\\)\\.$");
    hv_expect(b, AUDIT "bob locked #room: things are getting heated$");
    hv_send(e, "PRIVMSG #room :but I want to talk");
    hv_expect(e, "^:" SRV " 404 erin #room :Cannot send to channel");
    hv_send(d, "MODE #room +v erin");   /* dave created #room, so he is an operator there */
    hv_expect(e, "MODE #room \\+v erin$");
    hv_send(e, "PRIVMSG #room :thanks for the voice");
    hv_expect(d, "PRIVMSG #room :thanks for the voice$");
    hv_join(b, "#room");
    hv_expect(b, "^:" SRV " MODE #room \\+v bob$");
    hv_send(b, "PRIVMSG #room :staff here");
    hv_expect(e, "PRIVMSG #room :staff here$");
    ms(b, "UNLOCK #room");
    hv_expect(d, "^:" SRV " MODE #room -m$");
    hv_expect(d, MS "NOTICE #room :This room is open again\\.");
    hv_expect(b, AUDIT "bob unlocked #room$");
    struct hv_client *f = mod_user(s, "frank", "#room");
    hv_send(f, "PRIVMSG #room :hello all");
    hv_expect(d, "PRIVMSG #room :hello all$");
    hv_stop(s);
}

#define FILTERS                                                                                      \
    "filters = ( { phrase = \"kill yourself\"; action = \"block\"; },\n"                             \
    "            { phrase = \"meet me*\"; action = \"flag\"; },\n"                                   \
    "            { phrase = \"badword\"; channels = [ \"#other\" ]; },\n"                            \
    "            { phrase = \"secretword\"; private = true; } );"

/* Phrase filters: block (gentle notice, staff told), flag (delivered, staff
 * told which filter, not the text), per channel, private messages; FILTER
 * ADD / LIST / DEL at run time. */
Test(moderation_auto, filters_block_and_flag)
{
    struct mod_opts mo = { .more = FILTERS };
    struct hv_server *s = mod_start(&mo);
    struct hv_client *a = mod_alice(s), *b = mod_bob(s);
    struct hv_client *d = mod_user(s, "dave", "#room"), *e = mod_user(s, "erin", "#room");
    hv_join(d, "#other");
    hv_join(e, "#other");
    hv_send(d, "PRIVMSG #room :You should KILL, yourself!");
    hv_expect(d, "^:" SRV " NOTICE dave :Your message was not sent: it contains wording that is not allowed here\\. "
              "Please put it another way\\.$");
    hv_expect(a, AUDIT "Filter c1 \\(\"kill yourself\"\\) blocked a message from dave in #room$");
    hv_send(d, "PRIVMSG #room :skill yourselves up");
    hv_expect(e, "PRIVMSG #room :skill yourselves up$");
    hv_send(d, "PRIVMSG #room :want to meet meeee later");
    hv_expect(e, "PRIVMSG #room :want to meet meeee later$");
    const char *fl = hv_expect(a, AUDIT "Flag: a message from dave in #room matched filter c2 \\(\"meet me\\*\"\\)$");
    cr_assert_null(strstr(fl, "later"), "the flag quoted the message");
    hv_send(d, "PRIVMSG #room :badword here is fine");
    hv_expect(e, "PRIVMSG #room :badword here is fine$");
    hv_send(d, "PRIVMSG #other :badword there is not");
    hv_expect(d, "^:" SRV " NOTICE dave :Your message was not sent");
    hv_send(d, "PRIVMSG erin :psst secretword");
    hv_expect(d, "^:" SRV " NOTICE dave :Your message was not sent");
    hv_expect(a, AUDIT "Filter c4 \\(\"secretword\"\\) blocked a message from dave in a private message to erin$");
    hv_send(d, "PRIVMSG erin :kill yourself");          /* c1 is for channels only */
    hv_expect(e, "PRIVMSG erin :kill yourself$");
    hv_sync(e);
    cr_assert_null(hv_find(e, "KILL, yourself|badword there|psst"), "a blocked message was delivered");

    ms(a, "FILTER ADD block zebra*");
    hv_expect(a, MS_NOTICE("alice") "Added filter 1: block \"zebra\\*\"\\.$");
    hv_expect(b, AUDIT "alice added filter 1: block \"zebra\\*\"$");
    ms(a, "FILTER ADD flag #other,#room giraffe");
    hv_expect(a, MS_NOTICE("alice") "Added filter 2: flag \"giraffe\" in #other,#room\\.$");
    hv_send(d, "PRIVMSG #room :Zebras!");
    hv_expect(d, "^:" SRV " NOTICE dave :Your message was not sent");
    hv_expect(a, AUDIT "Filter 1 \\(\"zebra\\*\"\\) blocked a message from dave in #room$");
    ms(b, "FILTER LIST");
    hv_expect(b, MS_NOTICE("bob") "  c1 block \"kill yourself\" everywhere \\(config file\\)$");
    hv_expect(b, MS_NOTICE("bob") "  c3 block \"badword\" in #other \\(config file\\)$");
    hv_expect(b, MS_NOTICE("bob") "  c4 block \"secretword\" everywhere and private messages \\(config file\\)$");
    hv_expect(b, MS_NOTICE("bob") "  1 block \"zebra\\*\" everywhere, added by alice$");
    hv_expect(b, MS_NOTICE("bob") "  2 flag \"giraffe\" in #other,#room, added by alice$");
    ms(b, "FILTER DEL 1");
    hv_expect(b, MS_NOTICE("bob") "Permission denied: FILTER needs the \"filter\" privilege");
    ms(a, "FILTER DEL 1");
    hv_expect(a, MS_NOTICE("alice") "Removed filter 1 \\(\"zebra\\*\"\\)\\.$");
    hv_expect(b, AUDIT "alice removed filter 1 \\(\"zebra\\*\"\\)$");
    hv_send(d, "PRIVMSG #room :zebras are fine again");
    hv_expect(e, "PRIVMSG #room :zebras are fine again$");
    ms(a, "FILTER DEL c1");
    hv_expect(a, MS_NOTICE("alice") "No filter c1 was added with FILTER ADD");
    char *st = mod_state_text(s);
    cr_assert(strstr(st, "giraffe") && !strstr(st, "zebra"), "state file filters wrong:\n%s", st);
    free(st);
    hv_stop(s);
}

/* Links from new connections are held back (channels and private), with a
 * notice; staff may always post links; after min_age they go through. */
Test(moderation_auto, links_from_new_connections)
{
    struct mod_opts mo = { .links = "min_age = 3;" };
    struct hv_server *s = mod_start(&mo);
    struct hv_client *a = mod_alice(s);
    struct hv_client *d = mod_user(s, "dave", "#room"), *e = mod_user(s, "erin", "#room");
    hv_join(a, "#room");
    static const char *const links[] = { "look https://example.com/x", "www.example.org is great",
                                         "go to bit.ly/abc now", NULL };
    for (int i = 0; links[i]; i++) {
        hv_send(d, "PRIVMSG #room :%s", links[i]);
        hv_expect(d, "^:" SRV " NOTICE dave :Links can be shared once you have been connected for a little while "
                  "\\(about [0-9s]+ more\\)\\. Your message was not sent\\.$");
    }
    hv_expect(a, AUDIT "Blocked a link from dave in #room \\(connected [0-9]+s ago\\)$");
    hv_send(d, "PRIVMSG erin :http://example.net");
    hv_expect(d, "^:" SRV " NOTICE dave :Links can be shared");
    hv_send(d, "PRIVMSG #room :I said: hello. ok.fine");
    hv_expect(e, "PRIVMSG #room :I said: hello\\. ok\\.fine$");
    hv_send(a, "PRIVMSG #room :staff link https://example.com/rules");
    hv_expect(e, "PRIVMSG #room :staff link https://example.com/rules$");
    hv_msleep(3200);
    hv_send(d, "PRIVMSG #room :now https://example.com/ok");
    hv_expect(e, "PRIVMSG #room :now https://example.com/ok$");
    hv_stop(s);
}

/* The same text `repeat` times: temporary mute, staff alert, expiry.
 * Short messages ("ok") are not counted as repeats. */
Test(moderation_auto, repeat_detection)
{
    struct mod_opts mo = { .flood = "repeat = 3; repeat_window = 60; messages = 0; mentions = 0; mute = 2;" };
    struct hv_server *s = mod_start(&mo);
    struct hv_client *a = mod_alice(s);
    struct hv_client *d = mod_user(s, "dave", "#room"), *e = mod_user(s, "erin", "#room");
    for (int i = 0; i < 4; i++)
        hv_send(d, "PRIVMSG #room :ok");
    hv_send(d, "PRIVMSG #room :Buy cheap pills now");
    hv_send(d, "PRIVMSG #room :buy cheap pills NOW!");
    hv_expect(e, "PRIVMSG #room :buy cheap pills NOW!$");
    hv_send(d, "PRIVMSG #room :buy cheap pills now");
    hv_expect(d, MS_NOTICE("dave") "You have been muted by the moderators for 2s \\(until [^)]+\\): repeating the same "
              "message in #room\\.");
    hv_expect(d, "^:" SRV " NOTICE dave :You are muted until ");
    hv_expect(a, AUDIT "Automatic moderation muted dave for 2s \\(until [^)]+\\): repeating the same message in "
              "#room$");
    hv_sync(e);
    cr_assert_eq(hv_find(e, "PRIVMSG #room :ok$") != NULL, true);
    cr_assert_null(hv_find(e, "PRIVMSG #room :buy cheap pills now$"), "the third repeat was delivered");
    hv_expect_ms(d, 4000, MS_NOTICE("dave") "Your mute has ended");
    hv_send(d, "PRIVMSG #room :sorry about that");
    hv_expect(e, "PRIVMSG #room :sorry about that$");
    hv_stop(s);
}

/* Many messages in a short time: temporary mute and alert. */
Test(moderation_auto, rate_flood_detection)
{
    struct mod_opts mo = { .flood = "repeat = 0; messages = 5; window = 10; mentions = 0; mute = 60;" };
    struct hv_server *s = mod_start(&mo);
    struct hv_client *a = mod_alice(s);
    struct hv_client *d = mod_user(s, "dave", "#room"), *e = mod_user(s, "erin", "#room");
    for (int i = 1; i <= 5; i++)
        hv_send(d, "PRIVMSG #room :message number %d", i);
    hv_expect(d, MS_NOTICE("dave") "You have been muted by the moderators for 1m .*: sending many messages very "
              "quickly in #room\\.");
    hv_expect(a, AUDIT "Automatic moderation muted dave for 1m .*: sending many messages very quickly in #room$");
    hv_expect(e, "PRIVMSG #room :message number 4$");
    hv_sync(e);
    cr_assert_null(hv_find(e, "message number 5"), "the flooding message was delivered");
    hv_stop(s);
}

/* One message naming many people in the channel: temporary mute and alert. */
Test(moderation_auto, mass_mention_detection)
{
    struct mod_opts mo = { .flood = "repeat = 0; messages = 0; mentions = 3; mute = 60;" };
    struct hv_server *s = mod_start(&mo);
    struct hv_client *a = mod_alice(s);
    struct hv_client *d = mod_user(s, "dave", "#room"), *e = mod_user(s, "erin", "#room");
    mod_user(s, "fred", "#room");
    mod_user(s, "gina", "#room");
    hv_send(d, "PRIVMSG #room :erin: fred, hello");
    hv_expect(e, "PRIVMSG #room :erin: fred, hello$");
    hv_send(d, "PRIVMSG #room :erin fred: @gina look at this");
    hv_expect(d, "^:" SRV " NOTICE dave :You are muted until .*: mentioning many people at once in #room\\.");
    hv_expect(a, AUDIT "Automatic moderation muted dave for 1m .*: mentioning many people at once in #room$");
    hv_stop(s);
}

/* Join flood: the room closes to newcomers (not staff) for a while and
 * staff are told; it opens again by itself. */
Test(moderation_auto, join_flood_protection)
{
    struct mod_opts mo = { .join_flood = "joins = 3; window = 10; lock = 2;" };
    struct hv_server *s = mod_start(&mo);
    struct hv_client *a = mod_alice(s);
    mod_user(s, "u1", "#busy");
    mod_user(s, "u2", "#busy");
    mod_user(s, "u3", "#busy");
    hv_expect(a, AUDIT "Join flood in #busy \\(3 joins within 10 seconds\\): closed to new arrivals for 2 seconds "
              "\\(staff can still join\\)$");
    struct hv_client *u4 = mod_user(s, "u4", NULL);
    hv_send(u4, "JOIN #busy");
    hv_expect(u4, "^:" SRV " 474 u4 #busy :Cannot join channel \\(#busy is closed to new arrivals for a short while "
              "after a rush of joins; please try again in about [0-9]+ seconds\\)$");
    hv_join(a, "#busy");
    hv_expect_ms(a, 4000, AUDIT "#busy is open to new arrivals again$");
    hv_join(u4, "#busy");
    hv_stop(s);
}

/* REDACT by staff reaches clients that negotiated draft/message-redaction
 * and no others; others may not redact someone else's message; REMOVE
 * does the same for staff on clients without msgids. */
Test(moderation_auto, redact_reaches_capable_clients_only)
{
    struct hv_server *s = mod_start(NULL);
    struct hv_client *a = mod_alice(s);
    hv_join(a, "#room");
    struct hv_client *cap = user_caps(s, "capable", "message-tags draft/message-redaction", "#room");
    struct hv_client *plain = mod_user(s, "plain", "#room");
    struct hv_client *t = mod_user(s, "troll", "#room");
    hv_send(t, "PRIVMSG #room :something harmful");
    char id[64], id2[64];
    msgid_of(hv_expect(cap, "PRIVMSG #room :something harmful$"), id, sizeof id);
    cr_assert(id[0], "no msgid");
    hv_expect(plain, "PRIVMSG #room :something harmful$");
    hv_send(plain, "REDACT #room %s :not yours", id);
    hv_expect(plain, "^:" SRV " FAIL REDACT REDACT_FORBIDDEN #room ");
    hv_send(a, "REDACT #room %s :harmful content", id);
    hv_expect(cap, "^(@[^ ]+ )?:alice![^ ]+ REDACT #room %s", hv_re(id));
    hv_expect(a, AUDIT "alice removed a message by troll in #room \\(REDACT\\)$");
    hv_sync(plain);
    cr_assert_null(hv_find(plain, "^(@[^ ]+ )?:[^ ]+ REDACT "), "REDACT reached a client without the capability");

    hv_send(t, "PRIVMSG #room :more harm");
    msgid_of(hv_expect(cap, "PRIVMSG #room :more harm$"), id2, sizeof id2);
    ms(a, "REMOVE #room troll");
    hv_expect(cap, "^(@[^ ]+ )?:ModServ![^ ]+ REDACT #room %s$", hv_re(id2));
    hv_expect(a, MS_NOTICE("alice") "Removed 1 message by troll in #room");
    hv_expect(a, AUDIT "alice removed 1 message by troll in #room$");
    ms(a, "REMOVE #room nobody");
    hv_expect(a, MS_NOTICE("alice") "No recent messages from nobody in #room are remembered");
    hv_sync(plain);
    cr_assert_null(hv_find(plain, "^(@[^ ]+ )?:[^ ]+ REDACT "), "REDACT reached a client without the capability");
    hv_stop(s);
}

/* Bans and FILTER ADD filters survive a restart on the same state dir. */
Test(moderation_auto, state_survives_restart)
{
    struct hv_server *s = mod_start(NULL);
    struct hv_client *a = mod_alice(s);
    struct hv_client *t = mod_user(s, "troll", NULL);
    ms(a, "BAN troll perm persistent troll");
    hv_expect_closed(t, 2000);
    ms(a, "BAN troll 1s short one");     /* replaces the first; expires while the server is down */
    hv_expect(a, MS_NOTICE("alice") "Ban #2 on troll .*replaces an earlier ban");
    ms(a, "BAN troll perm persistent troll");
    hv_expect(a, MS_NOTICE("alice") "Ban #3 on troll until never \\(permanent\\)");
    ms(a, "FILTER ADD block zebra");
    hv_expect(a, MS_NOTICE("alice") "Added filter 1");
    hv_stop_keep(s);
    hv_check_sanitizers(s);
    hv_launch(s);

    /* Staff on a banned address get in by logging in with SASL first. */
    struct hv_client *b2 = mod_bob(s);
    ms(b2, "BANS");
    hv_expect(b2, MS_NOTICE("bob") "  #3 troll - until never \\(permanent\\) - persistent troll \\(by alice, "
              "token [0-9a-f]{16}\\)$");
    struct hv_client *c = hv_connect(s);
    hv_send(c, "NICK another");
    hv_send(c, "USER u 0 * :r");
    hv_expect(c, "^ERROR :Closing Link: .*\\(Banned: persistent troll \\(until never \\(permanent\\)\\)\\)$");
    ms(b2, "FILTER LIST");
    hv_expect(b2, MS_NOTICE("bob") "  1 block \"zebra\" everywhere, added by alice$");
    ms(b2, "UNBAN 3");
    hv_expect(b2, MS_NOTICE("bob") "Removed ban #3");
    struct hv_client *a2 = mod_alice(s);
    struct hv_client *d = mod_user(s, "dave", "#room"), *e = mod_user(s, "erin", "#room");
    hv_send(d, "PRIVMSG #room :a zebra");
    hv_expect(d, "^:" SRV " NOTICE dave :Your message was not sent");
    ms(a2, "FILTER ADD block okapi");
    hv_expect(a2, MS_NOTICE("alice") "Added filter 2");
    ms(b2, "BAN dave 1h again");
    hv_expect(b2, MS_NOTICE("bob") "Ban #4 on dave");
    hv_expect_closed(e, 2000);
    hv_stop(s);
}

/* Run havend on a prepared server's config in the foreground; its output. */
static char *run_foreground(struct hv_server *s, int *status)
{
    const char *args[] = { "-c", s->conf_path, NULL };
    char *out = NULL;
    *status = hv_run(args, NULL, &out);
    return out;
}

/* A damaged state file (syntax or content) stops the start with file:line;
 * it is left in place, never dropped. */
Test(moderation_auto, damaged_state_file_refuses_to_start)
{
    struct hv_opts ho = { .extra = mod_config(NULL) };
    struct hv_server *s = hv_prepare(&ho);
    char path[400];
    snprintf(path, sizeof path, "%s/state/moderation.state", s->dir);
    hv_write_file(path, "version = 1;\nnext_ban = 2;\nbans = ( { id = 1; token = \"abc\n");
    int st;
    char *out = run_foreground(s, &st);
    cr_assert(!(WIFEXITED(st) && WEXITSTATUS(st) == 0), "started with a damaged state file:\n%s", out);
    cr_assert(strstr(out, "moderation.state:4: syntax error") && strstr(out, "cannot start"), "no file:line:\n%s",
              out);
    free(out);
    hv_write_file(path, "version = 1;\nnext_ban = 2;\nnext_filter = 0;\n"
                        "bans = ( { id = 1; token = \"nothex\"; nick = \"x\"; set_at = 1L; expires = 0L;\n"
                        "           reason = \"r\"; setter = \"alice\"; } );\nfilters = ( );\n");
    out = run_foreground(s, &st);
    cr_assert(!(WIFEXITED(st) && WEXITSTATUS(st) == 0), "started with a bad ban:\n%s", out);
    cr_assert(strstr(out, "moderation.state:4: bans[0].token"), "no file:line for the bad token:\n%s", out);
    free(out);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "the damaged state file was removed");
    fclose(f);
    hv_free(s);
}

/* A bad setting is refused with the config file's line and the setting. */
Test(moderation_auto, config_errors_name_setting_and_line)
{
    static const struct { const char *flood, *more, *re; } bad[] = {
        { "repeat = 1;", NULL, "moderation.flood.repeat: must be 0 \\(off\\) or at least 2" },
        { NULL, "colour = 3;", "moderation.colour: unknown setting" },
        { NULL, "filters = ( { phrase = \"!!\"; } );", "moderation.filters\\[0\\].phrase: must contain at least one" },
        { NULL, "filters = ( { phrase = \"x\"; action = \"delete\"; } );", "moderation.filters\\[0\\].action: \"delete\"" },
        { NULL, "roles = { helper = [ \"cuddle\" ]; };", "moderation.roles.helper: \"cuddle\" is not a privilege" },
        { NULL, "staff_channel = \"staff\";", "moderation.staff_channel: \"staff\" is not a channel name" },
        { NULL, "roles = { moderator = [ \"warn\" ]; };", "moderation.staff.alice: must name a role in double "
          "quotes \\(roles: \"moderator\"\\)" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct mod_opts mo = { .flood = bad[i].flood, .more = bad[i].more };
        struct hv_opts ho = { .extra = mod_config(&mo) };
        struct hv_server *s = hv_prepare(&ho);
        int st;
        char *out = run_foreground(s, &st);
        cr_assert(!(WIFEXITED(st) && WEXITSTATUS(st) == 0), "accepted bad setting %zu", i);
        char re[400];
        snprintf(re, sizeof re, "havend\\.conf:[0-9]+: %s", bad[i].re);
        regex_t rx;
        cr_assert(regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) == 0);
        cr_expect(regexec(&rx, out, 0, NULL, 0) == 0, "want /%s/ in:\n%s", re, out);
        regfree(&rx);
        free(out);
        hv_free(s);
    }
}

/* REHASH applies a new staff list (bob loses the ban privilege) and keeps
 * bans; a bad moderation setting is refused and the old config stays. */
Test(moderation_auto, rehash)
{
    struct hv_server *s = mod_start(NULL);
    struct hv_client *a = mod_alice(s), *b = mod_bob(s);
    struct hv_client *t = mod_user(s, "troll", NULL);
    ms(a, "BAN troll 1h stays");
    hv_expect_closed(t, 2000);
    struct mod_opts mo = { .more = "roles = { moderator = [ \"warn\" ]; admin = [ \"ban\", \"filter\" ]; };" };
    char *conf = strdup(mod_config(&mo));
    /* Rewrite only the moderation part of the config: the harness wrote it last. */
    FILE *f = fopen(s->conf_path, "r");
    char *all = calloc(1, 65536);
    cr_assert(fread(all, 1, 65535, f) > 0);
    fclose(f);
    char *at = strstr(all, "module_path = ");
    cr_assert_not_null(at);
    *at = '\0';
    char *next = NULL;
    cr_assert(asprintf(&next, "%s%s", all, conf) > 0);
    hv_write_file(s->conf_path, next);
    hv_send(a, "REHASH");
    hv_expect(a, "NOTICE alice :.*alice rehashed the server configuration");
    ms(b, "BANS");
    hv_expect(b, MS_NOTICE("bob") "Permission denied: BANS needs the \"ban\" privilege, which your role "
              "\\(moderator\\) does not have\\.$");
    ms(a, "BANS");
    hv_expect(a, MS_NOTICE("alice") "  #1 troll - until ");
    free(next);
    mo.more = "mute_default = -5;";
    cr_assert(asprintf(&next, "%s%s", all, mod_config(&mo)) > 0);
    hv_write_file(s->conf_path, next);
    hv_send(a, "REHASH");
    hv_expect(a, "moderation\\.mute_default: must be between");
    ms(b, "WARN alice hi");
    hv_expect(b, MS_NOTICE("bob") "alice is staff");
    free(next);
    free(all);
    free(conf);
    hv_stop(s);
}
