/* test_ircv3_sasl.c — SASL (PLAIN, EXTERNAL), accounts (account-tag,
 * account-notify, extended-join, WHOIS 330), sts, and CAP NEW/DEL on REHASH. */
#include "harness.h"

#include <criterion/criterion.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define SRV "irc\\.test\\.local"
#define STS_DURATION 300

TestSuite(sasl, .timeout = 90);

/* ------------------------------------------------------------ helpers */

/* A "$pbkdf2-sha256$..." hash made here (1000 iterations keeps tests fast;
 * havend --mkpasswd only takes short passwords on stdin). */
static char *make_hash(const char *pw)
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

/* A password of n 'x' characters (malloc'd). */
static char *long_password(size_t n)
{
    char *p = malloc(n + 1);
    memset(p, 'x', n);
    p[n] = '\0';
    return p;
}

/* The long passwords: "\0chunky\0" + 292 bytes is 300 bytes, exactly 400
 * in base64; "\0huge\0" + 600 bytes needs three AUTHENTICATE chunks. */
#define CHUNKY_PW_LEN 292
#define HUGE_PW_LEN 600

/* A self-signed client certificate and its SHA-256 fingerprint written as
 * staff might: upper case with colons. */
static void make_cert(X509 **xo, EVP_PKEY **ko, char fp[100])
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    cr_assert(k && x);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_set_version(x, 2);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, k);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"sasl-test", -1, -1, 0);
    X509_set_issuer_name(x, name);
    cr_assert(X509_sign(x, k, EVP_sha256()) > 0);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    cr_assert(X509_digest(x, EVP_sha256(), md, &n) == 1 && n == 32);
    size_t o = 0;
    for (unsigned i = 0; i < n; i++)
        o += (size_t)snprintf(fp + o, 100 - o, "%s%02X", i ? ":" : "", md[i]);
    *xo = x;
    *ko = k;
}

/* Opers: staff/staffpass (with certfp when given), chunky and huge with
 * long passwords. Returns a static config fragment. */
static const char *opers_extra(const char *certfp)
{
    static char extra[4096];
    char *pc = long_password(CHUNKY_PW_LEN), *ph = long_password(HUGE_PW_LEN);
    char *h1 = make_hash("staffpass"), *h2 = make_hash(pc), *h3 = make_hash(ph);
    char cf[160] = "";
    if (certfp)
        snprintf(cf, sizeof cf, " certfp = \"%s\";", certfp);
    snprintf(extra, sizeof extra,
             "opers = (\n"
             "  { name = \"staff\"; password = \"%s\";%s privileges = [\"rehash\"]; },\n"
             "  { name = \"chunky\"; password = \"%s\"; },\n"
             "  { name = \"huge\"; password = \"%s\"; }\n"
             ");", h1, cf, h2, h3);
    free(pc), free(ph), free(h1), free(h2), free(h3);
    return extra;
}

/* A server with the opers above; tls adds a TLS listener; sts turns on sts. */
static struct hv_server *sasl_server(bool tls, bool sts, const char *certfp)
{
    static char server_extra[128];
    snprintf(server_extra, sizeof server_extra, "sts = %s; sts_duration = %d;", sts ? "true" : "false",
             STS_DURATION);
    struct hv_opts o = { .tls = tls, .server_extra = server_extra, .extra = opers_extra(certfp) };
    return hv_start(&o);
}

/* CAP LS 302 and CAP REQ :<caps> (ACKed), before NICK/USER. */
static void cap_req(struct hv_client *c, const char *caps)
{
    hv_send(c, "CAP LS 302");
    hv_expect(c, "^(@[^ ]+ )?:" SRV " CAP [^ ]+ LS :");
    hv_send(c, "CAP REQ :%s", caps);
    hv_expect(c, "^(@[^ ]+ )?:" SRV " CAP [^ ]+ ACK :%s ?$", hv_re(caps));
}

/* Send a SASL response (raw bytes, base64-encoded here) in 400-byte
 * AUTHENTICATE chunks, with "+" after a final full chunk or when empty. */
static void send_response(struct hv_client *c, const unsigned char *raw, size_t n)
{
    char *b64 = malloc(4 * ((n + 2) / 3) + 1);
    int len = EVP_EncodeBlock((unsigned char *)b64, raw, (int)n);
    int off = 0;
    while (len - off >= 400) {
        hv_send(c, "AUTHENTICATE %.400s", b64 + off);
        off += 400;
    }
    if (len - off > 0)
        hv_send(c, "AUTHENTICATE %s", b64 + off);
    else
        hv_send(c, "AUTHENTICATE +");
    free(b64);
}

/* AUTHENTICATE PLAIN with "authz\0authc\0pass". */
static void auth_plain(struct hv_client *c, const char *authz, const char *authc, const char *pass)
{
    hv_send(c, "AUTHENTICATE PLAIN");
    hv_expect_exact(c, "AUTHENTICATE +");
    size_t a = strlen(authz), b = strlen(authc), p = strlen(pass);
    unsigned char *raw = malloc(a + b + p + 2);
    memcpy(raw, authz, a);
    raw[a] = '\0';
    memcpy(raw + a + 1, authc, b);
    raw[a + 1 + b] = '\0';
    memcpy(raw + a + b + 2, pass, p);
    send_response(c, raw, a + b + p + 2);
    free(raw);
}

/* 900 and 903 for `account`, as an unregistered ("*") or registered client. */
static void expect_logged_in(struct hv_client *c, const char *me, const char *account)
{
    hv_expect(c, "^:" SRV " 900 %s [^ !]+![^ @]+@[^ ]+ %s :You are now logged in as %s$", hv_re(me),
              hv_re(account), hv_re(account));
    hv_expect_exact(c, ":irc.test.local 903 %s :SASL authentication successful", me);
}

/* A registered client that joined chan (NULL: none) and then negotiated
 * caps (NULL: none); in that order, so tags do not get in the way of the
 * harness's hv_register and hv_join. */
static struct hv_client *capped_user(const struct hv_server *s, const char *nick, const char *caps,
                                     const char *chan)
{
    struct hv_client *c = hv_user(s, nick);
    if (chan)
        hv_join(c, chan);
    if (caps)
        cap_req(c, caps);
    return c;
}

/* A registered client logged in as staff through SASL PLAIN, with caps. */
static struct hv_client *staff_user(const struct hv_server *s, const char *nick, const char *caps)
{
    struct hv_client *c = hv_connect(s);
    char all[256];
    snprintf(all, sizeof all, "sasl%s%s", caps ? " " : "", caps ? caps : "");
    cap_req(c, all);
    auth_plain(c, "", "staff", "staffpass");
    expect_logged_in(c, "*", "staff");
    hv_send(c, "CAP END");
    hv_register(c, nick);
    return c;
}

/* The whole config file as text (malloc'd). */
static char *read_conf(const struct hv_server *s)
{
    FILE *f = fopen(s->conf_path, "r");
    cr_assert(f);
    char *t = calloc(1, 65536);
    cr_assert(fread(t, 1, 65535, f) > 0);
    fclose(f);
    return t;
}

/* conf with a TLS listener added after the plain one (malloc'd). */
static char *conf_with_tls(const char *conf)
{
    const char *at = strstr(conf, "port = 0; }");
    cr_assert(at, "unexpected generated config");
    size_t head = (size_t)(at - conf) + strlen("port = 0; }");
    char *next = calloc(1, strlen(conf) + 128);
    memcpy(next, conf, head);
    strcat(next, ",\n  { address = \"127.0.0.1\"; port = 0; tls = true; }");
    strcat(next, conf + head);
    return next;
}

/* conf without its opers block (malloc'd). */
static char *conf_without_opers(const char *conf)
{
    char *next = strdup(conf);
    char *at = strstr(next, "opers = (");
    cr_assert(at);
    *at = '\0';
    return next;
}

/* Write a config and SIGHUP the server. */
static void rehash_with(struct hv_server *s, const char *conf)
{
    hv_write_file(s->conf_path, conf);
    kill(s->pid, SIGHUP);
}

/* ------------------------------------------------------------ negotiation */

/* CAP LS 302 shows sasl=PLAIN,EXTERNAL and the sts policy (port on plain
 * connections, duration on TLS); sasl can be requested, sts cannot. */
Test(sasl, negotiation)
{
    struct hv_server *s = sasl_server(true, true, NULL);
    struct hv_client *p = hv_connect(s);
    hv_send(p, "CAP LS 302");
    const char *ls = hv_expect(p, "^:" SRV " CAP \\* LS :");
    cr_expect(strstr(ls, " sasl=PLAIN,EXTERNAL") || strstr(ls, ":sasl=PLAIN,EXTERNAL"), "no sasl value: %s", ls);
    char want[128];
    snprintf(want, sizeof want, "sts=port=%d,duration=%d", s->tls_port, STS_DURATION);
    cr_expect(strstr(ls, want), "no %s in: %s", want, ls);
    hv_send(p, "CAP REQ :sasl");
    hv_expect_exact(p, ":irc.test.local CAP * ACK :sasl");
    hv_send(p, "CAP REQ :sts");
    hv_expect_exact(p, ":irc.test.local CAP * NAK :sts");
    /* 301: names without values */
    hv_send(p, "CAP LS");
    ls = hv_expect(p, "^:" SRV " CAP \\* LS :");
    cr_expect(strstr(ls, " sasl ") || strstr(ls, ":sasl ") || strstr(ls, " sasl"), "no sasl: %s", ls);

    struct hv_client *t = hv_connect_tls(s);
    hv_send(t, "CAP LS 302");
    ls = hv_expect(t, "^:" SRV " CAP \\* LS :");
    snprintf(want, sizeof want, "sts=duration=%d", STS_DURATION);
    cr_expect(strstr(ls, want), "no %s on TLS in: %s", want, ls);
    cr_expect(!strstr(ls, "sts=port"), "port advertised on TLS: %s", ls);
    hv_stop(s);
}

/* Without oper blocks there is nothing to log in to: no sasl (and REQ is
 * NAKed); without server.sts, or without a TLS listener, no sts. */
Test(sasl, unavailable)
{
    struct hv_opts o = { .tls = true };
    struct hv_server *s = hv_start(&o);
    struct hv_client *c = hv_connect(s);
    hv_send(c, "CAP LS 302");
    const char *ls = hv_expect(c, "^:" SRV " CAP \\* LS :");
    cr_expect(!strstr(ls, "sasl"), "sasl offered without accounts: %s", ls);
    cr_expect(!strstr(ls, "sts"), "sts offered without server.sts: %s", ls);
    hv_send(c, "CAP REQ :sasl");
    hv_expect_exact(c, ":irc.test.local CAP * NAK :sasl");
    hv_stop(s);

    s = sasl_server(false, true, NULL);
    c = hv_connect(s);
    hv_send(c, "CAP LS 302");
    ls = hv_expect(c, "^:" SRV " CAP \\* LS :");
    cr_expect(!strstr(ls, "sts"), "sts offered without a TLS listener: %s", ls);
    cr_expect(strstr(ls, "sasl=PLAIN,EXTERNAL"), "no sasl: %s", ls);
    hv_stop(s);
}

/* ------------------------------------------------------------ PLAIN */

/* PLAIN success: 900 + 903, registration waits for CAP END, WHOIS shows 330. */
Test(sasl, plain_success)
{
    struct hv_server *s = sasl_server(false, false, NULL);
    struct hv_client *c = hv_connect(s);
    hv_send(c, "CAP LS 302");
    hv_send(c, "NICK alice");
    hv_send(c, "USER alice 0 * :Alice");
    hv_expect(c, "^:" SRV " CAP \\* LS :");
    hv_send(c, "CAP REQ :sasl");
    hv_expect_exact(c, ":irc.test.local CAP * ACK :sasl");
    auth_plain(c, "staff", "staff", "staffpass");
    expect_logged_in(c, "*", "staff");
    hv_expect_none(c, 300, "^:" SRV " 001 ");
    hv_send(c, "CAP END");
    hv_expect(c, "^:" SRV " 001 alice ");
    hv_expect(c, "^:" SRV " (376|422) ");
    snprintf(c->nick, sizeof c->nick, "alice");
    struct hv_client *b = hv_user(s, "bob");
    hv_send(b, "WHOIS alice");
    hv_expect_reply(b, "330", "bob alice staff", "is logged in as");
    hv_expect_numeric(b, "318");
    /* not logged in: no 330 */
    hv_send(b, "WHOIS bob");
    hv_expect_none(b, 500, "^:" SRV " 330 ");
    /* SASL login gives no operator status */
    hv_send(c, "MODE alice");
    const char *l = hv_expect_numeric(c, "221");
    cr_expect(!strchr(strrchr(l, '+'), 'o'), "+o after SASL: %s", l);
    hv_stop(s);
}

/* Wrong password, wrong authzid, malformed base64: 904 each; the client
 * then registers without an account. No password reaches the log. */
Test(sasl, plain_failures)
{
    struct hv_server *s = sasl_server(false, false, NULL);
    struct hv_client *c = hv_connect(s);
    cap_req(c, "sasl");
    auth_plain(c, "", "staff", "wrongpass");
    hv_expect_exact(c, ":irc.test.local 904 * :SASL authentication failed");
    auth_plain(c, "other", "staff", "staffpass");
    hv_expect_exact(c, ":irc.test.local 904 * :SASL authentication failed");
    auth_plain(c, "", "nobody", "staffpass");
    hv_expect_exact(c, ":irc.test.local 904 * :SASL authentication failed");
    hv_send(c, "AUTHENTICATE PLAIN");
    hv_expect_exact(c, "AUTHENTICATE +");
    hv_send(c, "AUTHENTICATE !!!notbase64");
    hv_expect_exact(c, ":irc.test.local 904 * :SASL authentication failed");
    cr_expect(!hv_find(c, " 900 "), "logged in after failures");
    hv_send(c, "CAP END");
    hv_register(c, "alice");
    hv_send(c, "WHOIS alice");
    hv_expect_none(c, 500, "^:" SRV " 330 ");
    hv_stop_keep(s);
    char *log = hv_log(s);
    cr_expect(!strstr(log, "wrongpass") && !strstr(log, "staffpass"), "a password reached the log");
    cr_expect(strstr(log, "failed SASL"), "failures are not logged");
    free(log);
    hv_free(s);
}

/* An unknown mechanism: 908 with the list, then 904; PLAIN still works after. */
Test(sasl, unknown_mechanism)
{
    struct hv_server *s = sasl_server(false, false, NULL);
    struct hv_client *c = hv_connect(s);
    cap_req(c, "sasl");
    hv_send(c, "AUTHENTICATE SCRAM-SHA-256");
    hv_expect_exact(c, ":irc.test.local 908 * PLAIN,EXTERNAL :are available SASL mechanisms");
    hv_expect_exact(c, ":irc.test.local 904 * :SASL authentication failed");
    auth_plain(c, "", "staff", "staffpass");
    expect_logged_in(c, "*", "staff");
    hv_stop(s);
}

/* AUTHENTICATE * aborts (906); CAP END during an exchange aborts it too
 * and the client registers without an account. */
Test(sasl, abort)
{
    struct hv_server *s = sasl_server(false, false, NULL);
    struct hv_client *c = hv_connect(s);
    cap_req(c, "sasl");
    hv_send(c, "AUTHENTICATE PLAIN");
    hv_expect_exact(c, "AUTHENTICATE +");
    hv_send(c, "AUTHENTICATE *");
    hv_expect_exact(c, ":irc.test.local 906 * :SASL authentication aborted");
    hv_send(c, "AUTHENTICATE PLAIN");
    hv_expect_exact(c, "AUTHENTICATE +");
    hv_send(c, "NICK alice");
    hv_send(c, "USER alice 0 * :Alice");
    hv_send(c, "CAP END");
    hv_expect_exact(c, ":irc.test.local 906 * :SASL authentication aborted");
    hv_expect(c, "^:" SRV " 001 alice ");
    cr_expect(!hv_find(c, " 900 "));
    hv_stop(s);
}

/* After logging in, AUTHENTICATE is refused with 907, before and after
 * registration; without CAP REQ sasl it fails. */
Test(sasl, already_authenticated)
{
    struct hv_server *s = sasl_server(false, false, NULL);
    struct hv_client *c = hv_connect(s);
    cap_req(c, "sasl");
    auth_plain(c, "", "staff", "staffpass");
    expect_logged_in(c, "*", "staff");
    hv_send(c, "AUTHENTICATE PLAIN");
    hv_expect_exact(c, ":irc.test.local 907 * :You have already authenticated using SASL");
    hv_send(c, "CAP END");
    hv_register(c, "alice");
    hv_send(c, "AUTHENTICATE PLAIN");
    hv_expect_exact(c, ":irc.test.local 907 alice :You have already authenticated using SASL");

    struct hv_client *n = hv_user(s, "nocap");
    hv_send(n, "AUTHENTICATE PLAIN");
    hv_expect_exact(n, ":irc.test.local 904 nocap :SASL authentication failed");
    hv_stop(s);
}

/* A chunk over 400 bytes, or a response over 8 KiB: 905. */
Test(sasl, too_long)
{
    struct hv_server *s = sasl_server(false, false, NULL);
    struct hv_client *c = hv_connect(s);
    cap_req(c, "sasl");
    hv_send(c, "AUTHENTICATE PLAIN");
    hv_expect_exact(c, "AUTHENTICATE +");
    char big[402];
    memset(big, 'A', 401);
    big[401] = '\0';
    hv_send(c, "AUTHENTICATE %s", big);
    hv_expect_exact(c, ":irc.test.local 905 * :SASL message too long");
    hv_send(c, "AUTHENTICATE PLAIN");
    hv_expect_exact(c, "AUTHENTICATE +");
    big[400] = '\0';
    for (int i = 0; i < 21; i++)   /* 8400 bytes */
        hv_send(c, "AUTHENTICATE %s", big);
    hv_expect_exact(c, ":irc.test.local 905 * :SASL message too long");
    hv_send(c, "AUTHENTICATE +");   /* no exchange: taken as a mechanism name */
    hv_expect_numeric(c, "904");
    auth_plain(c, "", "staff", "staffpass");
    expect_logged_in(c, "*", "staff");
    hv_stop(s);
}

/* Long responses: exactly 400 bytes of base64 (then "+"), and three chunks. */
Test(sasl, chunked_responses)
{
    struct hv_server *s = sasl_server(false, false, NULL);
    struct hv_client *c = hv_connect(s);
    cap_req(c, "sasl");
    char *pw = long_password(CHUNKY_PW_LEN);
    auth_plain(c, "", "chunky", pw);
    free(pw);
    cr_expect(hv_find(c, "^AUTHENTICATE \\+$"));
    expect_logged_in(c, "*", "chunky");

    struct hv_client *d = hv_connect(s);
    cap_req(d, "sasl");
    pw = long_password(HUGE_PW_LEN);
    auth_plain(d, "", "huge", pw);
    free(pw);
    expect_logged_in(d, "*", "huge");
    hv_stop(s);
}

/* Five failures on one connection close it. */
Test(sasl, too_many_failures)
{
    struct hv_server *s = sasl_server(false, false, NULL);
    struct hv_client *c = hv_connect(s);
    cap_req(c, "sasl");
    for (int i = 0; i < 5; i++) {
        auth_plain(c, "", "staff", "nope");
        hv_expect_exact(c, ":irc.test.local 904 * :SASL authentication failed");
    }
    hv_expect(c, "^ERROR :.*Too many failed login attempts");
    hv_expect_closed(c, 3000);
    hv_stop(s);
}

/* ------------------------------------------------------------ EXTERNAL */

/* A client certificate whose fingerprint an oper block lists logs in as
 * that block (empty or matching authzid); another certificate, a wrong
 * authzid, no certificate or a plain connection fail with 904. */
Test(sasl, external)
{
    X509 *x, *other;
    EVP_PKEY *k, *ko;
    char fp[100], fp2[100];
    make_cert(&x, &k, fp);
    make_cert(&other, &ko, fp2);
    struct hv_server *s = sasl_server(true, false, fp);

    struct hv_client *c = hv_connect_tls_cert(s, x, k);
    cap_req(c, "sasl");
    hv_send(c, "AUTHENTICATE EXTERNAL");
    hv_expect_exact(c, "AUTHENTICATE +");
    hv_send(c, "AUTHENTICATE +");
    expect_logged_in(c, "*", "staff");
    hv_send(c, "CAP END");
    hv_register(c, "certuser");
    hv_send(c, "WHOIS certuser");
    hv_expect_reply(c, "330", "certuser certuser staff", "is logged in as");

    struct hv_client *z = hv_connect_tls_cert(s, x, k);
    cap_req(z, "sasl");
    hv_send(z, "AUTHENTICATE EXTERNAL");
    hv_expect_exact(z, "AUTHENTICATE +");
    send_response(z, (const unsigned char *)"chunky", 6);
    hv_expect_exact(z, ":irc.test.local 904 * :SASL authentication failed");
    hv_send(z, "AUTHENTICATE EXTERNAL");
    hv_expect_exact(z, "AUTHENTICATE +");
    send_response(z, (const unsigned char *)"staff", 5);
    expect_logged_in(z, "*", "staff");

    struct hv_client *o = hv_connect_tls_cert(s, other, ko);
    cap_req(o, "sasl");
    hv_send(o, "AUTHENTICATE EXTERNAL");
    hv_expect_exact(o, "AUTHENTICATE +");
    hv_send(o, "AUTHENTICATE +");
    hv_expect_exact(o, ":irc.test.local 904 * :SASL authentication failed");

    struct hv_client *n = hv_connect_tls(s);
    cap_req(n, "sasl");
    hv_send(n, "AUTHENTICATE EXTERNAL");
    hv_expect_exact(n, ":irc.test.local 904 * :SASL authentication failed");

    struct hv_client *p = hv_connect(s);
    cap_req(p, "sasl");
    hv_send(p, "AUTHENTICATE EXTERNAL");
    hv_expect_exact(p, ":irc.test.local 904 * :SASL authentication failed");
    hv_stop(s);
    X509_free(x), X509_free(other), EVP_PKEY_free(k), EVP_PKEY_free(ko);
}

/* A malformed certfp is a config error naming the setting. */
Test(sasl, certfp_validation)
{
    struct hv_opts o = { .extra = "opers = ( { name = \"staff\"; password = \"$pbkdf2-sha256$1000$"
                                  "AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\";"
                                  " certfp = \"12:34:zz\"; } );" };
    struct hv_server *s = hv_prepare(&o);
    const char *args[] = { "-t", "-c", s->conf_path, NULL };
    char *out;
    int st = hv_run(args, NULL, &out);
    cr_expect(!(WIFEXITED(st) && WEXITSTATUS(st) == 0), "a bad certfp was accepted");
    cr_expect(strstr(out, "opers[0].certfp"), "the error does not name the setting:\n%s", out);
    free(out);
    hv_free(s);
}

/* ------------------------------------------------------------ accounts */

/* account-tag: the sender's account rides on its messages only to clients
 * with account-tag, independent of message-tags and server-time. */
Test(sasl, account_tag)
{
    struct hv_server *s = sasl_server(false, false, NULL);
    struct hv_client *a = staff_user(s, "alice", NULL);
    hv_join(a, "#t");
    struct hv_client *b = capped_user(s, "bob", "account-tag", "#t");
    struct hv_client *c = capped_user(s, "carol", NULL, "#t");
    struct hv_client *d = capped_user(s, "dave", "message-tags server-time", "#t");
    struct hv_client *e = capped_user(s, "erin", "account-tag server-time", "#t");
    char am[256], bm[256];
    snprintf(am, sizeof am, "%s", hv_mask(a));
    snprintf(bm, sizeof bm, "%s", hv_mask(b));
    hv_send(a, "PRIVMSG #t :hello");
    hv_expect_exact(b, "@account=staff :%s PRIVMSG #t :hello", am);
    hv_expect_exact(c, ":%s PRIVMSG #t :hello", am);
    /* Every line the logged-in user originates carries it, not only messages. */
    hv_send(a, "TOPIC #t :new topic");
    hv_expect_exact(b, "@account=staff :%s TOPIC #t :new topic", am);
    hv_expect_exact(c, ":%s TOPIC #t :new topic", am);
    const char *l = hv_expect(d, "^@[^ ]+ :%s PRIVMSG #t :hello$", hv_re(am));
    cr_expect(!strstr(l, "account="), "account tag without account-tag: %s", l);
    l = hv_expect(e, "^@[^ ]+ :%s PRIVMSG #t :hello$", hv_re(am));
    cr_expect(strstr(l, "account=staff") && strstr(l, "time="), "want account and time: %s", l);
    /* private messages too */
    hv_send(a, "PRIVMSG bob :psst");
    hv_expect_exact(b, "@account=staff :%s PRIVMSG bob :psst", am);
    /* a sender without an account: no tag */
    hv_send(b, "PRIVMSG #t :reply");
    l = hv_expect(e, "^@[^ ]+ :%s PRIVMSG #t :reply$", hv_re(bm));
    cr_expect(!strstr(l, "account="), "account tag for a user without account: %s", l);
    hv_stop(s);
}

/* account-notify: OPER after registration logs in (900) and ACCOUNT goes
 * to common-channel members with the cap, including the user itself. A
 * post-registration SASL login is announced the same way. */
Test(sasl, account_notify)
{
    struct hv_server *s = sasl_server(false, false, NULL);
    struct hv_client *a = capped_user(s, "alice", "account-notify", "#n");
    struct hv_client *b = capped_user(s, "bob", "account-notify", "#n");
    struct hv_client *c = capped_user(s, "carol", NULL, "#n");
    struct hv_client *d = capped_user(s, "dave", "sasl", "#n");
    char am[256], dm[256];
    snprintf(am, sizeof am, "%s", hv_mask(a));
    snprintf(dm, sizeof dm, "%s", hv_mask(d));
    hv_send(a, "OPER staff staffpass");
    hv_expect(a, "^:" SRV " 900 alice %s staff :You are now logged in as staff$", hv_re(am));
    hv_expect_exact(a, ":%s ACCOUNT staff", am);
    hv_expect_exact(b, ":%s ACCOUNT staff", am);
    hv_sync(c);
    hv_expect_none(c, 300, " ACCOUNT ");
    hv_send(b, "WHOIS alice");
    hv_expect_reply(b, "330", "bob alice staff", "is logged in as");

    auth_plain(d, "", "chunky", "wrong");
    hv_expect_exact(d, ":irc.test.local 904 dave :SASL authentication failed");
    char *pw = long_password(CHUNKY_PW_LEN);
    auth_plain(d, "", "chunky", pw);
    free(pw);
    expect_logged_in(d, "dave", "chunky");
    hv_expect_exact(b, ":%s ACCOUNT chunky", dm);
    hv_stop(s);
}

/* extended-join: members with the cap see account and realname, others
 * the plain JOIN; "*" for a user without an account. */
Test(sasl, extended_join)
{
    struct hv_server *s = sasl_server(false, false, NULL);
    struct hv_client *b = capped_user(s, "bob", "extended-join", "#x");
    struct hv_client *c = capped_user(s, "carol", NULL, "#x");
    struct hv_client *a = staff_user(s, "alice", NULL);
    struct hv_client *d = capped_user(s, "dave", NULL, NULL);
    char am[256], dm[256], real[128] = "";
    snprintf(am, sizeof am, "%s", hv_mask(a));
    snprintf(dm, sizeof dm, "%s", hv_mask(d));
    hv_send(b, "WHOIS alice");
    const char *w = hv_expect_numeric(b, "311");
    const char *r = strstr(w, " :");
    cr_assert(r);
    snprintf(real, sizeof real, "%s", r + 2);
    hv_join(a, "#x");
    hv_expect_exact(b, ":%s JOIN #x staff :%s", am, real);
    hv_expect_exact(c, ":%s JOIN #x", am);
    cr_expect(hv_find(a, "^:[^ ]+ JOIN #x$"), "the joiner without the cap gets a plain JOIN");
    hv_join(d, "#x");
    hv_expect_exact(b, ":%s JOIN #x * :%s", dm, real);
    hv_expect_exact(c, ":%s JOIN #x", dm);
    hv_stop(s);
}

/* ------------------------------------------------------------ cap-notify */

/* REHASH: adding a TLS listener brings CAP NEW sts (with the new port for
 * 302 clients, bare for 301 + cap-notify); removing it sends no DEL for
 * sts (the spec forbids it); removing every oper block sends CAP DEL sasl,
 * and adding them back CAP NEW sasl. */
Test(sasl, rehash_cap_notify)
{
    struct hv_server *s = sasl_server(false, true, NULL);
    char *orig = read_conf(s);
    struct hv_client *a = hv_connect(s);
    hv_send(a, "CAP LS 302");
    const char *ls = hv_expect(a, "^:" SRV " CAP \\* LS :");
    cr_expect(!strstr(ls, "sts"), "sts without a TLS listener: %s", ls);
    hv_send(a, "CAP REQ :sasl");
    hv_expect(a, "ACK :sasl");
    hv_send(a, "CAP END");
    hv_register(a, "alice");
    struct hv_client *b = hv_connect(s);
    hv_send(b, "CAP LS");
    hv_send(b, "CAP REQ :cap-notify");
    hv_expect(b, "ACK :cap-notify");
    hv_send(b, "CAP END");
    hv_register(b, "bob");
    struct hv_client *c = capped_user(s, "carol", NULL, NULL);

    char *tls = conf_with_tls(orig);
    rehash_with(s, tls);
    const char *l = hv_expect_ms(a, 5000, "^:" SRV " CAP alice NEW :sts=port=[0-9]+,duration=%d$", STS_DURATION);
    int port = atoi(strstr(l, "port=") + 5);
    cr_expect(port > 0 && port != s->port, "bad sts port in %s", l);
    hv_expect_exact(b, ":irc.test.local CAP bob NEW :sts");
    hv_sync(c);
    hv_expect_none(c, 300, " CAP ");

    char *none = conf_without_opers(orig);
    rehash_with(s, none);
    hv_expect_ms(a, 5000, "^:" SRV " CAP alice DEL :sasl$");
    hv_expect_exact(b, ":irc.test.local CAP bob DEL :sasl");
    hv_sync(a);
    cr_expect(!hv_find(a, " DEL :.*sts"), "CAP DEL for sts");
    hv_send(a, "CAP LIST");
    l = hv_expect(a, "^:" SRV " CAP alice LIST :");
    cr_expect(!strstr(l, "sasl"), "sasl still enabled after DEL: %s", l);

    rehash_with(s, orig);
    hv_expect_ms(a, 5000, "^:" SRV " CAP alice NEW :sasl=PLAIN,EXTERNAL$");
    hv_expect_exact(b, ":irc.test.local CAP bob NEW :sasl");
    free(orig), free(tls), free(none);
    hv_stop(s);
}
