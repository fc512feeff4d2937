/* Unit tests for the message parser and tag lookup. */
#include <criterion/criterion.h>
#include <string.h>

#include "proto/parse.h"

static enum parse_result parse(const char *in, char *buf, struct message *m)
{
    strcpy(buf, in);
    return message_parse(buf, m);
}

Test(parse, simple_command_and_params)
{
    char b[600];
    struct message m;
    cr_assert_eq(parse("privmsg #chan :hello world", b, &m), PARSE_OK);
    cr_assert_str_eq(m.command, "PRIVMSG");
    cr_assert_eq(m.nparams, 2);
    cr_assert_str_eq(m.params[0], "#chan");
    cr_assert_str_eq(m.params[1], "hello world");
    cr_assert_eq(m.trailing, 1);
    cr_assert_null(m.tags);
    cr_assert_null(m.source);
}

Test(parse, source_and_tags)
{
    char b[600];
    struct message m;
    cr_assert_eq(parse("@time=2020;+x=a\\sb :nick!u@h NOTICE me :hi", b, &m), PARSE_OK);
    cr_assert_str_eq(m.source, "nick!u@h");
    cr_assert_str_eq(m.command, "NOTICE");
    char v[32];
    cr_assert_eq(tags_get(m.tags, "+x", v, sizeof v), 1);
    cr_assert_str_eq(v, "a b");
    cr_assert_eq(tags_get(m.tags, "time", v, sizeof v), 1);
    cr_assert_str_eq(v, "2020");
    cr_assert_eq(tags_get(m.tags, "missing", v, sizeof v), 0);
}

Test(parse, tag_escapes_and_last_wins)
{
    char v[32];
    cr_assert_eq(tags_get("a=1;a=x\\:y\\\\z\\", "a", v, sizeof v), 1);
    cr_assert_str_eq(v, "x;y\\z");
    cr_assert_eq(tags_get("flag", "flag", v, sizeof v), 1);
    cr_assert_str_eq(v, "");
}

Test(parse, multiple_spaces_and_empty_trailing)
{
    char b[600];
    struct message m;
    cr_assert_eq(parse("TOPIC   #c   :", b, &m), PARSE_OK);
    cr_assert_eq(m.nparams, 2);
    cr_assert_str_eq(m.params[0], "#c");
    cr_assert_str_eq(m.params[1], "");
}

Test(parse, trailing_spaces_add_no_param)
{
    char b[600];
    struct message m;
    cr_assert_eq(parse("NICK foo   ", b, &m), PARSE_OK);
    cr_assert_eq(m.nparams, 1);
    cr_assert_str_eq(m.params[0], "foo");
}

Test(parse, fifteenth_param_takes_the_rest)
{
    char b[600];
    struct message m;
    cr_assert_eq(parse("X 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16", b, &m), PARSE_OK);
    cr_assert_eq(m.nparams, 15);
    cr_assert_str_eq(m.params[14], "15 16");
}

Test(parse, empty_and_broken_lines)
{
    char b[600];
    struct message m;
    cr_assert_eq(parse("", b, &m), PARSE_EMPTY);
    cr_assert_eq(parse("   ", b, &m), PARSE_EMPTY);
    cr_assert_eq(parse(":onlysource", b, &m), PARSE_NO_COMMAND);
    cr_assert_eq(parse("@a=b", b, &m), PARSE_NO_COMMAND);
    cr_assert_eq(parse("@ PING x", b, &m), PARSE_BAD_TAGS);
    cr_assert_eq(parse("@=v PING x", b, &m), PARSE_BAD_TAGS);
    cr_assert_eq(parse("@a$b=1 PING x", b, &m), PARSE_BAD_TAGS);
    /* a raw CR in a value must arrive escaped (\r); relayed raw it ends a line early */
    cr_assert_eq(parse("@+x=a\rb PRIVMSG #c :hi", b, &m), PARSE_BAD_TAGS);
}
