/* test_crisis_match.c — the crisis module's normalization and phrase
 * matching (modules/crisis/crisis_norm.c, crisis_match.c), linked directly:
 * obfuscations, word boundaries, both levels, topics, and the guards that
 * keep everyday phrases and talk about helplines from raising alarms. */
#include "crisis.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The normalized form of s (a static buffer). */
static const char *norm(const char *s)
{
    static char out[CRISIS_NORM_MAX];
    crisis_normalize(s, strlen(s), out, sizeof out, 0, NULL);
    return out;
}

/* ------------------------------------------------------------ normalization */

Test(crisis_norm, case_punctuation_and_spaces)
{
    cr_assert_str_eq(norm("I want to DIE!!!"), " i want to die ");
    cr_assert_str_eq(norm("  hello,   world... "), " helo world ");
    cr_assert_str_eq(norm(""), " ");
    cr_assert_str_eq(norm("?!?"), " ");
    cr_assert_str_eq(norm("self-harm/cutting"), " self harm cuting ");
}

Test(crisis_norm, apostrophes_vanish)
{
    cr_assert_str_eq(norm("can't"), " cant ");
    cr_assert_str_eq(norm("I\xE2\x80\x99m a burden"), " im a burden ");       /* ’ */
    cr_assert_str_eq(norm("don`t"), " dont ");
}

Test(crisis_norm, repeated_letters_collapse)
{
    cr_assert_str_eq(norm("kill"), " kil ");
    cr_assert_str_eq(norm("kiiiilllll"), " kil ");
    cr_assert_str_eq(norm("KIIILLL"), " kil ");
    cr_assert_str_eq(norm("sooooo"), " so ");
    /* numbers are never collapsed: "988" stays "988" */
    cr_assert_str_eq(norm("call 988 or 116 123"), " cal 988 or 116 123 ");
}

Test(crisis_norm, leetspeak_inside_words_only)
{
    cr_assert_str_eq(norm("k1ll mys3lf"), " kil myself ");
    cr_assert_str_eq(norm("$uicide"), " suicide ");
    cr_assert_str_eq(norm("su1c1d3"), " suicide ");
    cr_assert_str_eq(norm("d34d"), " dead ");
    cr_assert_str_eq(norm("@lone"), " alone ");
    cr_assert_str_eq(norm("h0pel3ss"), " hopeles ");
    /* plain numbers and prices stay what they are */
    cr_assert_str_eq(norm("1 2 3 10 2024"), " 1 2 3 10 2024 ");
    cr_assert_str_eq(norm("$5 @ 10"), " 5 10 ");
    cr_assert_str_eq(norm("3pm"), " epm ");          /* a leading digit before letters reads as a letter */
    /* '!' and '|' only between letters */
    cr_assert_str_eq(norm("k!ll help!"), " kil help ");
}

Test(crisis_norm, ambiguous_one_is_reported)
{
    char out[CRISIS_NORM_MAX];
    struct crisis_norm info;
    crisis_normalize("1ife", 4, out, sizeof out, 0, &info);
    cr_assert_str_eq(out, " ife ");
    cr_assert_eq(info.ambiguous, 1);
    crisis_normalize("1ife", 4, out, sizeof out, CN_ONE_AS_L, &info);
    cr_assert_str_eq(out, " life ");
    crisis_normalize("life", 4, out, sizeof out, 0, &info);
    cr_assert_eq(info.ambiguous, 0);
}

Test(crisis_norm, spelled_out_words_join)
{
    cr_assert_str_eq(norm("k i l l myself"), " kil myself ");
    cr_assert_str_eq(norm("k.i.l.l m.y.s.e.l.f"), " kil myself ");
    cr_assert_str_eq(norm("k-i-l-l   m-y-s-e-l-f"), " kil myself ");
    cr_assert_str_eq(norm("k i l l m e"), " kilme ");   /* same separators throughout: one word */
    /* one or two single letters are ordinary words */
    cr_assert_str_eq(norm("i am a mess"), " i am a mes ");
    cr_assert_str_eq(norm("plan a or b"), " plan a or b ");
}

Test(crisis_norm, invisible_and_formatting_characters)
{
    cr_assert_str_eq(norm("ki\xE2\x80\x8Bll my\xE2\x80\x8Dself"), " kil myself ");      /* ZWSP, ZWJ */
    cr_assert_str_eq(norm("ki\xC2\xADll"), " kil ");                                    /* soft hyphen */
    cr_assert_str_eq(norm("\x02kill\x02 \x1Fmyself\x0F"), " kil myself ");              /* bold, underline */
    cr_assert_str_eq(norm("\x03" "04,12kill\x03 myself"), " kil myself ");              /* colours */
    cr_assert_str_eq(norm("\x03" "4kill \x04" "ff0000myself"), " kil myself ");
    cr_assert_str_eq(norm("\x01" "ACTION wants to die\x01"), " action wants to die ");
}

Test(crisis_norm, unicode_lookalikes)
{
    cr_assert_str_eq(norm("\xD0\xBA\xD1\x96ll"), " kil ");                              /* Cyrillic к і */
    cr_assert_str_eq(norm("\xD0\x9A\xD0\x86LL"), " kil ");                              /* Cyrillic К І */
    cr_assert_str_eq(norm("\xF0\x9D\x90\xA4\xF0\x9D\x90\xA2\xF0\x9D\x90\xA5\xF0\x9D\x90\xA5"), " kil ");  /* 𝐤𝐢𝐥𝐥 */
    cr_assert_str_eq(norm("\xF0\x9D\x97\xB8\xF0\x9D\x97\xB6\xF0\x9D\x97\xB9\xF0\x9D\x97\xB9"), " kil ");  /* sans bold */
    cr_assert_str_eq(norm("\xEF\xBD\x8B\xEF\xBD\x89\xEF\xBD\x8C\xEF\xBD\x8C"), " kil ");                  /* fullwidth */
    cr_assert_str_eq(norm("\xE2\x93\x9A\xE2\x93\x98\xE2\x93\x9B\xE2\x93\x9B"), " kil ");                  /* ⓚⓘⓛⓛ */
    cr_assert_str_eq(norm("\xE1\xB4\x8B\xC9\xAA\xCA\x9F\xCA\x9F"), " kil ");                              /* ᴋɪʟʟ */
    cr_assert_str_eq(norm("d\xC3\xA9sesp\xC3\xA9r\xC3\xA9 na\xC3\xAFve \xC5\x82\xC3\xB3" "d\xC5\xBA"),
                     " desespere naive lodz ");
    cr_assert_str_eq(norm("e\xCC\x81" "t\xCC\x81" "e"), " ete ");                              /* combining accents */
}

Test(crisis_norm, symbols_and_emoji_separate_words)
{
    cr_assert_str_eq(norm("want\xF0\x9F\x98\xA2" "to\xE2\x80\xA6" "die"), " want to die ");   /* 😢 … */
    cr_assert_str_eq(norm("end\xC2\xA0it\xE3\x80\x80" "all"), " end it al ");                 /* NBSP, ideographic space */
}

Test(crisis_norm, other_scripts_pass_through)
{
    /* Devanagari is kept byte for byte, as its own word */
    cr_assert_str_eq(norm("\xE0\xA4\xAE\xE0\xA4\xB0\xE0\xA4\xA8\xE0\xA4\xBE hi"),
                     " \xE0\xA4\xAE\xE0\xA4\xB0\xE0\xA4\xA8\xE0\xA4\xBE hi ");
    /* invalid UTF-8 separates words, never breaks anything */
    cr_assert_str_eq(norm("ab\xFF\xC0" "cd\xE2\x82"), " ab cd ");
}

Test(crisis_norm, quotes_are_recorded)
{
    char out[CRISIS_NORM_MAX];
    struct crisis_norm info;
    const char *s = "call \"Samaritans\" or \xE2\x80\x9C" "988\xE2\x80\x9D now";
    size_t len = crisis_normalize(s, strlen(s), out, sizeof out, 0, &info);
    cr_assert_str_eq(out, " cal samaritans or 988 now ");
    cr_assert_eq(info.nquotes, 2);
    cr_assert_eq(len, strlen(out));
    /* the spans cover the quoted words with their spaces */
    cr_assert_eq(strncmp(out + info.quote[0][0], " samaritans ", info.quote[0][1] - info.quote[0][0]), 0);
    cr_assert_eq(strncmp(out + info.quote[1][0], " 988 ", info.quote[1][1] - info.quote[1][0]), 0);
    /* an unclosed quote records nothing */
    crisis_normalize("say \"hi", 7, out, sizeof out, 0, &info);
    cr_assert_eq(info.nquotes, 0);
}

Test(crisis_norm, never_overflows)
{
    char big[3000];
    memset(big, 'a', sizeof big);
    for (size_t i = 0; i < sizeof big; i += 2)
        big[i] = ' ';
    big[sizeof big - 1] = '\0';
    char out[64];
    size_t len = crisis_normalize(big, strlen(big), out, sizeof out, 0, NULL);
    cr_assert_lt(len, sizeof out);
    cr_assert_eq(out[len], '\0');
    cr_assert_eq(out[0], ' ');
    cr_assert_eq(out[len - 1], ' ');
    char tiny[4];
    len = crisis_normalize("hello world", 11, tiny, sizeof tiny, 0, NULL);
    cr_assert_lt(len, sizeof tiny);
    /* the length bounds input, not NUL */
    char full[CRISIS_NORM_MAX];
    crisis_normalize("kill me", 4, full, sizeof full, 0, NULL);
    cr_assert_str_eq(full, " kil ");
}

/* ------------------------------------------------------------ matching */

static struct crisis_matcher *m;

/* A small phrase set: both levels, topics, a wildcard, ignore phrases and
 * resource names as guards. */
static const struct crisis_phrase test_phrases[] = {
    { "kill myself", CK_URGENT, CRISIS_NO_TOPIC },          /* 0 */
    { "want to die", CK_URGENT, CRISIS_NO_TOPIC },          /* 1 */
    { "i am dying", CK_URGENT, CRISIS_NO_TOPIC },           /* 2 */
    { "suicid*", CK_CONCERN, CRISIS_NO_TOPIC },             /* 3 */
    { "hopeless", CK_CONCERN, CRISIS_NO_TOPIC },            /* 4 */
    { "cut myself", CK_CONCERN, CT_SELF_HARM },             /* 5 */
    { "he hits me", CK_CONCERN, CT_DOMESTIC_ABUSE },        /* 6 */
    { "i can't go on", CK_CONCERN, CRISIS_NO_TOPIC },       /* 7 */
    { "kms", CK_CONCERN, CRISIS_NO_TOPIC },                 /* 8 */
    { "killing it", CK_IGNORE, CRISIS_NO_TOPIC },
    { "dying to see", CK_IGNORE, CRISIS_NO_TOPIC },
    { "kill myself laughing", CK_IGNORE, CRISIS_NO_TOPIC },
    { "kms away", CK_IGNORE, CRISIS_NO_TOPIC },
    { "988 Suicide & Crisis Lifeline", CK_GUARD, CRISIS_NO_TOPIC },
    { "Samaritans", CK_GUARD, CRISIS_NO_TOPIC },
    { "988", CK_GUARD, CRISIS_NO_TOPIC },
};

static void setup(void)
{
    char err[256];
    m = crisis_matcher_build(test_phrases, sizeof test_phrases / sizeof test_phrases[0], err, sizeof err);
    cr_assert(m, "build failed: %s", err);
}

static void teardown(void)
{
    crisis_matcher_free(m);
    m = NULL;
}

/* The level text matches at, with the deciding phrase in *phrase. */
static int level(const char *text, int *phrase, int *topic)
{
    struct crisis_hit h;
    int l = crisis_match(m, text, &h);
    cr_assert_eq(l, h.level);
    if (phrase)
        *phrase = h.phrase;
    if (topic)
        *topic = h.topic;
    return l;
}

Test(crisis_match, positives, .init = setup, .fini = teardown)
{
    int p;
    cr_assert_eq(level("I want to kill myself", &p, NULL), CK_URGENT);
    cr_assert_eq(p, 0);
    cr_assert_eq(level("honestly i just want to die tonight", &p, NULL), CK_URGENT);
    cr_assert_eq(p, 1);
    cr_assert_eq(level("KILL MYSELF", NULL, NULL), CK_URGENT);
    cr_assert_eq(level("feeling so hopeless", &p, NULL), CK_CONCERN);
    cr_assert_eq(p, 4);
    cr_assert_eq(level("I can't go on", NULL, NULL), CK_CONCERN);
    cr_assert_eq(level("i cant go on", NULL, NULL), CK_CONCERN);
    cr_assert_eq(level("kms", NULL, NULL), CK_CONCERN);
}

Test(crisis_match, obfuscations, .init = setup, .fini = teardown)
{
    const char *v[] = {
        "k1ll mys3lf", "kiiiilll myseeeelf", "k i l l myself", "k.i.l.l m.y.s.e.l.f", "KiLL MySeLF!!!",
        "ki\xE2\x80\x8Bll myself", "\xD0\xBA\xD1\x96ll myself", "\x02kill\x02 myself", "kill... myself",
        "\xF0\x9D\x90\xA4\xF0\x9D\x90\xA2\xF0\x9D\x90\xA5\xF0\x9D\x90\xA5 myself", "want-to-die", "w@nt t0 d1e",
        "wanttt to dieee", "\xEF\xBD\x97\xEF\xBD\x81\xEF\xBD\x8E\xEF\xBD\x94 to die",
        "k|ll myself", "ki1l myself",
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        cr_expect_eq(level(v[i], NULL, NULL), CK_URGENT, "not matched: %s (normalized \"%s\")", v[i], norm(v[i]));
    /* '1' read as 'l' when 'i' finds nothing */
    cr_assert_eq(level("i want to ki1l myse1f", NULL, NULL), CK_URGENT);
    cr_assert_eq(level("hope1ess", NULL, NULL), CK_CONCERN);
}

Test(crisis_match, whole_words_only, .init = setup, .fini = teardown)
{
    const char *v[] = {
        "skill myselfie", "I want to dial", "hopelessly devoted", "he hits meatballs", "i wanttodie",
        "mkms", "kmsx", "she hits me",
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        cr_expect_eq(level(v[i], NULL, NULL), CK_NONE, "matched: %s", v[i]);
    /* a trailing '*' matches word beginnings */
    cr_assert_eq(level("feeling suicidal", NULL, NULL), CK_CONCERN);
    cr_assert_eq(level("suicide", NULL, NULL), CK_CONCERN);
    cr_assert_eq(level("presuicidal", NULL, NULL), CK_NONE);
}

Test(crisis_match, negatives, .init = setup, .fini = teardown)
{
    const char *v[] = {
        "", "hi", "good morning everyone", "I'm killing it at work today", "i am dying to see you",
        "I nearly kill myself laughing every time", "it is 5 kms away", "the cat wants to diet",
        "we killed the bug", "Let's go to the shop", "I love this song so much",
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        cr_expect_eq(level(v[i], NULL, NULL), CK_NONE, "matched: %s", v[i]);
    cr_assert_eq(crisis_match(NULL, "kill myself", &(struct crisis_hit){ 0 }), CK_NONE);
}

Test(crisis_match, ignore_phrases_only_cover_their_words, .init = setup, .fini = teardown)
{
    /* "killing it" does not hide a real cry elsewhere in the message */
    cr_assert_eq(level("killing it at work but i want to die", NULL, NULL), CK_URGENT);
    /* overlapping, not just contained: "i am dying" + "dying to see" */
    cr_assert_eq(level("I am dying to see the show", NULL, NULL), CK_NONE);
    cr_assert_eq(level("I am dying", NULL, NULL), CK_URGENT);
}

Test(crisis_match, quoted_resource_names_are_guarded, .init = setup, .fini = teardown)
{
    /* talk about a helpline is not a cry for help */
    cr_assert_eq(level("the \"988 Suicide & Crisis Lifeline\" helped my friend", NULL, NULL), CK_NONE);
    cr_assert_eq(level("988 Suicide & Crisis Lifeline is free", NULL, NULL), CK_NONE);
    cr_assert_eq(level("their poster said \"Samaritans: feeling hopeless? call us\"", NULL, NULL), CK_NONE);
    cr_assert_eq(level("\xE2\x80\x9C" "988 - when you feel hopeless\xE2\x80\x9D is their slogan", NULL, NULL),
                 CK_NONE);
    /* quotes without a resource name guard nothing */
    cr_assert_eq(level("she said \"i feel hopeless\"", NULL, NULL), CK_CONCERN);
    /* a resource named outside the quotes does not guard the quote */
    cr_assert_eq(level("Samaritans? \"i want to die\"", NULL, NULL), CK_URGENT);
    /* nor does a name elsewhere guard a plain sentence */
    cr_assert_eq(level("i called Samaritans but i still want to die", NULL, NULL), CK_URGENT);
    cr_assert_eq(level("thinking about suicide, should I call 988?", NULL, NULL), CK_CONCERN);
}

Test(crisis_match, urgent_wins_and_topics, .init = setup, .fini = teardown)
{
    int p, t;
    cr_assert_eq(level("so hopeless, I want to kill myself", &p, &t), CK_URGENT);
    cr_assert_eq(p, 0);
    cr_assert_eq(t, CRISIS_NO_TOPIC);
    cr_assert_eq(level("I cut myself again", &p, &t), CK_CONCERN);
    cr_assert_eq(t, CT_SELF_HARM);
    /* at one level, a phrase with a topic decides (for topic-specific help) */
    cr_assert_eq(level("hopeless, he hits me", &p, &t), CK_CONCERN);
    cr_assert_eq(t, CT_DOMESTIC_ABUSE);
    cr_assert_eq(p, 6);
}

Test(crisis_match, build_errors)
{
    char err[256];
    struct crisis_phrase bad[] = { { "kill myself", CK_URGENT, -1 }, { "!!!", CK_URGENT, -1 } };
    cr_assert_null(crisis_matcher_build(bad, 2, err, sizeof err));
    cr_assert(strstr(err, "\"!!!\""), "%s", err);
    struct crisis_phrase one[] = { { "x", CK_CONCERN, -1 } };
    cr_assert_null(crisis_matcher_build(one, 1, err, sizeof err));
    /* nothing to match: builds, matches nothing */
    struct crisis_matcher *e = crisis_matcher_build(NULL, 0, err, sizeof err);
    cr_assert(e);
    struct crisis_hit h;
    cr_assert_eq(crisis_match(e, "kill myself", &h), CK_NONE);
    crisis_matcher_free(e);
}

/* ------------------------------------------------------------ the built-in lists */

/* The matcher over the built-in phrase lists (crisis_conf defaults). */
static struct crisis_matcher *defaults(struct crisis_conf *c)
{
    char err[512];
    cr_assert_eq(crisis_conf_parse(NULL, "/tmp", c, err, sizeof err), 0, "%s", err);
    struct crisis_matcher *dm = crisis_matcher_build(c->phrases, c->nphrases, err, sizeof err);
    cr_assert(dm, "%s", err);
    return dm;
}

Test(crisis_defaults, every_phrase_matches_itself)
{
    struct crisis_conf c;
    struct crisis_matcher *dm = defaults(&c);
    for (size_t i = 0; i < c.nphrases; i++) {
        if (c.phrases[i].kind <= CK_NONE)
            continue;
        struct crisis_hit h;
        crisis_match(dm, c.phrases[i].text, &h);
        cr_expect_eq(h.level, c.phrases[i].kind, "\"%s\" matched at %d", c.phrases[i].text, h.level);
        char shout[300];
        snprintf(shout, sizeof shout, "OMG... %s!!!", c.phrases[i].text);
        for (char *p = shout; *p; p++)
            *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        crisis_match(dm, shout, &h);
        cr_expect_geq(h.level, c.phrases[i].kind, "\"%s\" not matched", shout);
    }
    crisis_matcher_free(dm);
    crisis_conf_free(&c);
}

Test(crisis_defaults, everyday_talk_raises_nothing)
{
    struct crisis_conf c;
    struct crisis_matcher *dm = defaults(&c);
    static const char *const benign[] = {
        "good morning all, how is everyone?", "I'm killing it at work this week", "I'm dying to see that film",
        "that cake is to die for", "I nearly died laughing", "we ran 5 kms today", "watched Suicide Squad again",
        "I cut myself a slice of cake", "bored to death in this meeting", "the 988 Suicide & Crisis Lifeline is free",
        "I'd kill for a coffee", "we walked 5 kms", "my therapist says I'm making progress",
        "can't wait for the weekend",
        "thanks for listening yesterday, it helped", "I skipped breakfast", "he hit the ball so far",
        "the film was killing me, so funny", "I killed it at the interview", "let's kill time at the cafe",
        "a 10km run", "the burden of proof", "going on holiday", "please take it easy",
    };
    for (size_t i = 0; i < sizeof benign / sizeof benign[0]; i++) {
        struct crisis_hit h;
        cr_expect_eq(crisis_match(dm, benign[i], &h), CK_NONE, "\"%s\" matched \"%s\"", benign[i],
                     h.phrase >= 0 ? c.phrases[h.phrase].text : "");
    }
    crisis_matcher_free(dm);
    crisis_conf_free(&c);
}

Test(crisis_defaults, fast_enough)
{
    struct crisis_conf c;
    struct crisis_matcher *dm = defaults(&c);
    const char *msgs[] = { "hey how's it going, anyone around tonight?",
                           "I had a really rough day at work and just want to vent a bit, if that's okay",
                           "lol", "thanks everyone <3" };
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    unsigned hits = 0;
    for (int i = 0; i < 200000; i++) {
        struct crisis_hit h;
        hits += crisis_match(dm, msgs[i & 3], &h) != CK_NONE;
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
    cr_log_info("200000 messages in %.3f s (%.0f ns each), %zu states", s, s / 200000 * 1e9,
                crisis_matcher_states(dm));
    cr_assert_eq(hits, 0);
    cr_assert_lt(s, 20.0);          /* generous: sanitizer builds are slow */
    crisis_matcher_free(dm);
    crisis_conf_free(&c);
}
