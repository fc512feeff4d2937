/* test_moderation.h — shared helpers of the moderation suites
 * (test_moderation.c: staff, commands, reports, mutes, bans;
 * test_moderation_auto.c: slow mode, locks, filters, flood, joins, REDACT,
 * the state file).
 *
 * Every server gets three oper blocks: alice (admin staff, logs in with
 * OPER), bob (moderator staff, logs in with SASL PLAIN and is not an
 * operator) and olga (an operator who is not staff). Automatic moderation
 * is off unless a test turns a part of it on. */
#ifndef HAVEND_TEST_MODERATION_H
#define HAVEND_TEST_MODERATION_H

#include "harness.h"

#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SRV "irc\\.test\\.local"
#define MS "^:ModServ!service@services\\.irc\\.test\\.local "
#define MS_NOTICE(nick) MS "NOTICE " nick " :"
#define AUDIT MS "PRIVMSG #staff :\\[audit\\] "
#define UNUSED __attribute__((unused))

/* Per-test settings of the moderation group (NULL: automatic moderation off). */
struct mod_opts {
    const char *links, *flood, *join_flood;  /* group bodies */
    const char *more;                        /* more settings inside moderation = { } */
    const char *top;                         /* more top-level config */
};

/* A "$pbkdf2-sha256$1000$..." hash (a low count keeps tests fast). */
UNUSED static char *mod_hash(const char *pw)
{
    unsigned char salt[16], key[32], s64[32], k64[48];
    cr_assert(RAND_bytes(salt, sizeof salt) == 1);
    cr_assert(PKCS5_PBKDF2_HMAC(pw, (int)strlen(pw), salt, sizeof salt, 1000, EVP_sha256(), sizeof key, key) == 1);
    EVP_EncodeBlock(s64, salt, sizeof salt);
    EVP_EncodeBlock(k64, key, sizeof key);
    char *h = NULL;
    cr_assert(asprintf(&h, "$pbkdf2-sha256$1000$%s$%s", s64, k64) > 0);
    return h;
}

/* The config text for o (static buffer). */
UNUSED static const char *mod_config(const struct mod_opts *o)
{
    static char buf[16384];
    const char *b = getenv("HAVEND_BUILDDIR");
    cr_assert(b && *b, "HAVEND_BUILDDIR is not set (run through meson test)");
    char *ha = mod_hash("alicepw"), *hb = mod_hash("bobpw"), *ho = mod_hash("olgapw");
    snprintf(buf, sizeof buf,
             "module_path = \"%s/modules\";\n"
             "modules = [ \"moderation\" ];\n"
             "opers = ( { name = \"alice\"; password = \"%s\"; privileges = [ \"rehash\" ]; },\n"
             "          { name = \"bob\"; password = \"%s\"; },\n"
             "          { name = \"olga\"; password = \"%s\"; } );\n"
             "moderation = {\n"
             "  staff = { alice = \"admin\"; bob = \"moderator\"; };\n"
             "  links = { %s };\n"
             "  flood = { %s };\n"
             "  join_flood = { %s };\n"
             "  %s\n"
             "};\n%s\n",
             b, ha, hb, ho, o && o->links ? o->links : "min_age = 0;",
             o && o->flood ? o->flood : "repeat = 0; messages = 0; mentions = 0;",
             o && o->join_flood ? o->join_flood : "joins = 0;", o && o->more ? o->more : "",
             o && o->top ? o->top : "");
    free(ha), free(hb), free(ho);
    return buf;
}

/* Start a server with the moderation module. */
UNUSED static struct hv_server *mod_start(const struct mod_opts *o)
{
    struct hv_opts ho = { .extra = mod_config(o) };
    return hv_start(&ho);
}

/* PRIVMSG ModServ :<text> */
UNUSED __attribute__((format(printf, 2, 3))) static void ms(struct hv_client *c, const char *fmt, ...)
{
    char text[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    hv_send(c, "PRIVMSG ModServ :%s", text);
}

/* alice: admin staff, logged in with OPER, in #staff. */
UNUSED static struct hv_client *mod_alice(struct hv_server *s)
{
    struct hv_client *c = hv_user(s, "alice");
    hv_send(c, "OPER alice alicepw");
    hv_expect_numeric(c, "381");
    hv_join(c, "#staff");
    return c;
}

/* bob: moderator staff, logged in with SASL PLAIN (not an operator), in #staff. */
UNUSED static struct hv_client *mod_bob(struct hv_server *s)
{
    struct hv_client *c = hv_connect(s);
    hv_send(c, "CAP REQ :sasl");
    hv_expect(c, "CAP \\* ACK");
    hv_send(c, "AUTHENTICATE PLAIN");
    hv_expect_exact(c, "AUTHENTICATE +");
    unsigned char raw[] = "\0bob\0bobpw", b64[64];
    EVP_EncodeBlock(b64, raw, (int)sizeof raw - 1);
    hv_send(c, "AUTHENTICATE %s", b64);
    hv_expect_numeric(c, "903");
    hv_send(c, "CAP END");
    hv_register(c, "bob");
    hv_join(c, "#staff");
    return c;
}

/* A plain user in channel chan (NULL: none). */
UNUSED static struct hv_client *mod_user(struct hv_server *s, const char *nick, const char *chan)
{
    struct hv_client *c = hv_user(s, nick);
    if (chan)
        hv_join(c, chan);
    return c;
}

/* The whole state file of a server (malloc'd, "" when missing). */
UNUSED static char *mod_state_text(const struct hv_server *s)
{
    char path[400];
    snprintf(path, sizeof path, "%s/state/moderation.state", s->dir);
    FILE *f = fopen(path, "r");
    char *t = calloc(1, 65536);
    if (f) {
        size_t n = fread(t, 1, 65535, f);
        t[n] = '\0';
        fclose(f);
    }
    return t;
}

#endif
