/* test_errors.c — one test per error numeric a malformed or refused command
 * must produce, with the exact line (text per modern.ircdocs.horse). */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#define SRV "irc\\.test\\.local"

TestSuite(errors, .timeout = 60);

static struct hv_server *S;
static struct hv_client *A, *B;   /* alice (op of #e) and bob (in #e) */

/* A server with alice and bob; alice creates #e, bob joins it. */
static void two(void)
{
    S = hv_start(NULL);
    A = hv_user(S, "alice");
    B = hv_user(S, "bob");
    hv_join(A, "#e");
    hv_join(B, "#e");
}

/* Stop the server of the current test. */
static void done(void)
{
    hv_stop(S);
}

Test(errors, e401_no_such_nick)
{
    two();
    hv_send(A, "PRIVMSG ghost :hi");
    hv_expect_exact(A, ":irc.test.local 401 alice ghost :No such nick/channel");
    done();
}

Test(errors, e403_no_such_channel)
{
    two();
    hv_send(A, "PART #ghost");
    hv_expect_exact(A, ":irc.test.local 403 alice #ghost :No such channel");
    done();
}

Test(errors, e404_cannot_send_to_chan)
{
    two();
    hv_send(A, "MODE #e +m");
    hv_expect(B, "MODE #e \\+m");
    hv_send(B, "PRIVMSG #e :hi");
    hv_expect_exact(B, ":irc.test.local 404 bob #e :Cannot send to channel");
    done();
}

Test(errors, e405_too_many_channels)
{
    struct hv_opts o = { .extra = "limits = { max_channels = 2; };" };
    S = hv_start(&o);
    A = hv_user(S, "alice");
    hv_join(A, "#one");
    hv_join(A, "#two");
    hv_send(A, "JOIN #three");
    hv_expect_exact(A, ":irc.test.local 405 alice #three :You have joined too many channels");
    done();
}

Test(errors, e411_no_recipient)
{
    two();
    hv_send(A, "PRIVMSG");
    hv_expect_exact(A, ":irc.test.local 411 alice :No recipient given (PRIVMSG)");
    done();
}

Test(errors, e412_no_text_to_send)
{
    two();
    hv_send(A, "PRIVMSG bob");
    hv_expect_exact(A, ":irc.test.local 412 alice :No text to send");
    done();
}

Test(errors, e421_unknown_command)
{
    two();
    hv_send(A, "FROBNICATE now");
    hv_expect_exact(A, ":irc.test.local 421 alice FROBNICATE :Unknown command");
    done();
}

Test(errors, e431_no_nickname_given)
{
    two();
    hv_send(A, "NICK");
    hv_expect_exact(A, ":irc.test.local 431 alice :No nickname given");
    done();
}

Test(errors, e432_erroneous_nickname)
{
    two();
    hv_send(A, "NICK #bad");
    hv_expect(A, "^:" SRV " 432 alice #bad :Erroneo?us [Nn]ickname$");
    done();
}

Test(errors, e433_nickname_in_use)
{
    two();
    hv_send(A, "NICK bob");
    hv_expect_exact(A, ":irc.test.local 433 alice bob :Nickname is already in use");
    done();
}

Test(errors, e441_user_not_in_channel)
{
    two();
    struct hv_client *c = hv_user(S, "carol");
    (void)c;
    hv_send(A, "KICK #e carol");
    hv_expect_exact(A, ":irc.test.local 441 alice carol #e :They aren't on that channel");
    done();
}

Test(errors, e442_not_on_channel)
{
    two();
    hv_join(B, "#other");
    hv_send(A, "PART #other");
    hv_expect_exact(A, ":irc.test.local 442 alice #other :You're not on that channel");
    done();
}

Test(errors, e443_user_on_channel)
{
    two();
    hv_send(A, "INVITE bob #e");
    hv_expect_exact(A, ":irc.test.local 443 alice bob #e :is already on channel");
    done();
}

Test(errors, e451_not_registered)
{
    S = hv_start(NULL);
    struct hv_client *c = hv_connect(S);
    hv_send(c, "WHOIS alice");
    hv_expect_exact(c, ":irc.test.local 451 * :You have not registered");
    done();
}

Test(errors, e461_need_more_params)
{
    two();
    hv_send(A, "KICK #e");
    hv_expect_exact(A, ":irc.test.local 461 alice KICK :Not enough parameters");
    hv_send(A, "TOPIC");
    hv_expect_exact(A, ":irc.test.local 461 alice TOPIC :Not enough parameters");
    done();
}

Test(errors, e462_already_registered)
{
    two();
    hv_send(A, "USER x 0 * :y");
    hv_expect_exact(A, ":irc.test.local 462 alice :You may not reregister");
    done();
}

Test(errors, e464_password_mismatch)
{
    char *hash = hv_mkpasswd("right");
    char extra[512];
    snprintf(extra, sizeof extra, "password = \"%s\";", hash);
    free(hash);
    struct hv_opts o = { .server_extra = extra };
    S = hv_start(&o);
    struct hv_client *c = hv_connect(S);
    hv_send(c, "PASS wrong");
    hv_send(c, "NICK alice");
    hv_send(c, "USER alice 0 * :A");
    hv_expect(c, "^:" SRV " 464 (\\*|alice) :Password incorrect$");
    done();
}

Test(errors, e471_channel_is_full)
{
    two();
    hv_send(A, "MODE #e +l 2");
    hv_expect(B, "MODE #e \\+l 2");
    struct hv_client *c = hv_user(S, "carol");
    hv_send(c, "JOIN #e");
    hv_expect_exact(c, ":irc.test.local 471 carol #e :Cannot join channel (+l)");
    done();
}

Test(errors, e472_unknown_mode)
{
    two();
    hv_send(A, "MODE #e +Q");
    hv_expect_exact(A, ":irc.test.local 472 alice Q :is unknown mode char to me");
    done();
}

Test(errors, e473_invite_only)
{
    two();
    hv_send(A, "MODE #e +i");
    hv_expect(B, "MODE #e \\+i");
    struct hv_client *c = hv_user(S, "carol");
    hv_send(c, "JOIN #e");
    hv_expect_exact(c, ":irc.test.local 473 carol #e :Cannot join channel (+i)");
    done();
}

Test(errors, e474_banned)
{
    two();
    hv_send(A, "MODE #e +b carol!*@*");
    hv_expect(B, "MODE #e \\+b carol");
    struct hv_client *c = hv_user(S, "carol");
    hv_send(c, "JOIN #e");
    hv_expect_exact(c, ":irc.test.local 474 carol #e :Cannot join channel (+b)");
    done();
}

Test(errors, e475_bad_key)
{
    two();
    hv_send(A, "MODE #e +k pw");
    hv_expect(B, "MODE #e \\+k pw");
    struct hv_client *c = hv_user(S, "carol");
    hv_send(c, "JOIN #e nope");
    hv_expect_exact(c, ":irc.test.local 475 carol #e :Cannot join channel (+k)");
    done();
}

Test(errors, e481_no_privileges)
{
    two();
    hv_send(A, "KILL bob :bye");
    hv_expect_exact(A, ":irc.test.local 481 alice :Permission Denied- You're not an IRC operator");
    done();
}

Test(errors, e482_chanop_needed)
{
    two();
    hv_send(B, "MODE #e +t");
    hv_expect_exact(B, ":irc.test.local 482 bob #e :You're not channel operator");
    done();
}

Test(errors, e501_umode_unknown_flag)
{
    two();
    hv_send(A, "MODE alice +Q");
    hv_expect_exact(A, ":irc.test.local 501 alice :Unknown MODE flag");
    done();
}

Test(errors, e502_users_dont_match)
{
    two();
    hv_send(A, "MODE bob -i");
    hv_expect(A, "^:" SRV " 502 alice :Can'?t (change mode for other users|view modes for other users)$");
    done();
}

/* Malformed input never kills the connection. */
Test(errors, garbage_is_survivable)
{
    two();
    static const char *const junk[] = {
        ":", "::", " ", "@", "@a=b", ":prefix", "PRIVMSG :", "MODE", "MODE #e +k",
        "MODE #e +l notanumber", "JOIN ,,,", "PRIVMSG ,,, :x", "\x01\x02\x03", "KICK # bob",
    };
    for (size_t i = 0; i < sizeof junk / sizeof *junk; i++)
        hv_send(A, "%s", junk[i]);
    hv_sync(A);
    hv_send(A, "PRIVMSG #e :still alive");
    hv_expect(B, "PRIVMSG #e :still alive$");
    done();
}
