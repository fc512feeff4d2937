/* Unit tests for rfc1459 casemapping, name validation and glob matching. */
#include <criterion/criterion.h>

#include "havend.h"

Test(casemap, rfc1459_folding)
{
    char out[32];
    irc_casefold(out, "Nick[A]\\~", sizeof out);
    cr_assert_str_eq(out, "nick{a}|^");
    cr_assert_eq(irc_casecmp("FOO[]", "foo{}"), 0);
    cr_assert_neq(irc_casecmp("foo", "foob"), 0);
}

Test(casemap, casefold_truncates_safely)
{
    char out[4];
    irc_casefold(out, "ABCDEFG", sizeof out);
    cr_assert_str_eq(out, "abc");
}

Test(casemap, nick_validation)
{
    cr_assert(irc_valid_nick("Quiet_Heron42", 30));
    cr_assert(irc_valid_nick("[away]", 30));
    cr_assert_not(irc_valid_nick("1abc", 30));
    cr_assert_not(irc_valid_nick("-abc", 30));
    cr_assert_not(irc_valid_nick("a b", 30));
    cr_assert_not(irc_valid_nick("a!b", 30));
    cr_assert_not(irc_valid_nick("", 30));
    cr_assert_not(irc_valid_nick("abcdef", 5));
    cr_assert(irc_valid_nick("abcde", 5));
}

Test(casemap, channel_validation)
{
    cr_assert(irc_valid_channel("#anxiety", 50));
    cr_assert_not(irc_valid_channel("#", 50));
    cr_assert_not(irc_valid_channel("anxiety", 50));
    cr_assert_not(irc_valid_channel("#a,b", 50));
    cr_assert_not(irc_valid_channel("#a b", 50));
    cr_assert_not(irc_valid_channel("#a\x07", 50));
    cr_assert_not(irc_valid_channel("#abcdef", 5));
}

Test(casemap, glob_match)
{
    cr_assert(irc_match("*!*@*.users.havend", "Nick!user@abc.users.havend"));
    cr_assert(irc_match("NICK!*@*", "nick!u@h"));
    cr_assert(irc_match("n?ck*", "nick!u@h"));
    cr_assert(irc_match("[a]*", "{A}bc"));
    cr_assert_not(irc_match("nick!*@*", "nickname!u@h"));
    cr_assert(irc_match("*", ""));
    cr_assert_not(irc_match("?", ""));
    cr_assert(irc_match("a*b*c", "aXXbYYbc"));
}
