/* sasl.c — SASL authentication (IRCv3 sasl 3.1/3.2: AUTHENTICATE with the
 * PLAIN and EXTERNAL mechanisms) and the account a client is logged in as.
 *
 * An account is the name of an oper (staff) block: PLAIN checks that block's
 * password, EXTERNAL compares the SHA-256 fingerprint of the TLS client
 * certificate with the block's `certfp`. Logging in only sets
 * client.account; operator status still needs OPER. The decoded response
 * (which holds a password for PLAIN) is wiped as soon as it was checked and
 * never logged; failures are logged by UID only. */
#include "havend.h"
#include "proto/numeric.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define SASL_CHUNK 400            /* bytes of base64 per AUTHENTICATE line */
#define SASL_MAX 8192             /* bytes of base64 in one whole response */
#define SASL_MAX_FAILURES 5       /* failed attempts before the connection is closed */
#define SASL_MECHS "PLAIN,EXTERNAL"

enum sasl_mech { MECH_NONE = 0, MECH_PLAIN, MECH_EXTERNAL };

/* One connection's SASL state, allocated at its first AUTHENTICATE. */
struct sasl_session {
    enum sasl_mech mech;          /* exchange in progress, or MECH_NONE */
    char *buf;                    /* base64 received so far (at most SASL_MAX) */
    size_t len;
    int failures;                 /* failed attempts on this connection */
};

/* The mechanisms we offer, for RPL_SASLMECHS and the CAP LS 302 value. */
const char *sasl_mechanisms(void)
{
    return SASL_MECHS;
}

/* SASL can only succeed when some oper block exists to log in to; the
 * `sasl` capability is advertised only then (sasl-3.2). */
bool sasl_available(void)
{
    return srv.conf && srv.conf->nopers > 0;
}

/* The connection's session, created on first use. */
static struct sasl_session *session(struct conn *c)
{
    if (!c->sasl) {
        c->sasl = calloc(1, sizeof *c->sasl);
        if (!c->sasl)
            abort();
    }
    return c->sasl;
}

/* Forget the exchange in progress (the failure count stays), wiping what
 * the client sent. */
static void session_reset(struct sasl_session *s)
{
    if (s->buf) {
        OPENSSL_cleanse(s->buf, SASL_MAX + 1);
        free(s->buf);
    }
    s->buf = NULL;
    s->len = 0;
    s->mech = MECH_NONE;
}

/* Free a connection's SASL state (called when the connection is freed). */
void sasl_conn_free(struct conn *c)
{
    if (!c->sasl)
        return;
    session_reset(c->sasl);
    free(c->sasl);
    c->sasl = NULL;
}

/* Strict base64 (RFC 4648, padded) into a fresh buffer of *outlen bytes plus
 * a NUL; NULL when the input is not exactly that. EVP_DecodeBlock alone
 * accepts whitespace and does not report padding. */
static unsigned char *b64_decode(const char *in, size_t len, size_t *outlen)
{
    if (len % 4 != 0)
        return NULL;
    size_t pad = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = in[i];
        bool b64 = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                   ch == '+' || ch == '/';
        if (ch == '=' && i + 2 >= len)
            pad++;
        else if (!b64 || pad > 0)
            return NULL;
    }
    unsigned char *out = malloc(len / 4 * 3 + 1);
    if (!out)
        abort();
    int n = len ? EVP_DecodeBlock(out, (const unsigned char *)in, (int)len) : 0;
    if (n < 0 || (size_t)n < pad) {
        free(out);
        return NULL;
    }
    *outlen = (size_t)n - pad;
    out[*outlen] = '\0';
    return out;
}

/* PLAIN (RFC 4616): "authzid NUL authcid NUL password". The authcid names
 * an oper block whose password must match; an authzid, if given, must be
 * the same name (no logging in as someone else). */
static const struct conf_oper *check_plain(const unsigned char *d, size_t n)
{
    const char *authz = (const char *)d;
    const unsigned char *z1 = memchr(d, '\0', n);
    if (!z1)
        return NULL;
    const unsigned char *authc = z1 + 1;
    const unsigned char *z2 = memchr(authc, '\0', n - (size_t)(authc - d));
    if (!z2 || z2 == authc)
        return NULL;
    const char *pass = (const char *)z2 + 1;
    size_t passlen = n - (size_t)((const unsigned char *)pass - d);
    if (passlen == 0 || memchr(pass, '\0', passlen))
        return NULL;
    if (authz[0] && strcmp(authz, (const char *)authc) != 0)
        return NULL;
    const struct conf_oper *op = config_find_oper(srv.conf, (const char *)authc);
    if (!op || !op->password_hash || passwd_check(op->password_hash, pass) != PASSWD_OK)
        return NULL;   /* wrong, or not checked while checks are busy: 904 either way */
    return op;
}

/* EXTERNAL (RFC 4422 appendix A): the client certificate's fingerprint
 * picks the oper block; the optional authzid must name that block. */
static const struct conf_oper *check_external(struct conn *c, const unsigned char *d, size_t n)
{
    char fp[65];
    if (memchr(d, '\0', n) || !tls_client_certfp(c, fp))
        return NULL;
    for (size_t i = 0; i < srv.conf->nopers; i++) {
        const struct conf_oper *op = &srv.conf->opers[i];
        if (!op->certfp || CRYPTO_memcmp(op->certfp, fp, 64) != 0)
            continue;
        if (n == 0 || strcmp((const char *)d, op->name) == 0)
            return op;
    }
    return NULL;
}

/* Log u in to an account (or change it): RPL_LOGGEDIN to u, and once
 * registered ACCOUNT to u and everyone sharing a channel who asked for
 * account-notify. Used by SASL and OPER. */
void account_login(struct client *u, const char *name)
{
    if (u->account && strcmp(u->account, name) == 0)
        return;
    free(u->account);
    u->account = strdup(name);
    if (!u->account)
        abort();
    char mask[NICK_MAX + USER_MAX + HOST_MAX + 3];
    snprintf(mask, sizeof mask, "%s!%s@%s", u->nick[0] ? u->nick : "*", u->user[0] ? u->user : "*",
             u->host[0] ? u->host : "*");
    send_numeric(u, RPL_LOGGEDIN, "%s %s :You are now logged in as %s", mask, u->account, u->account);
    if (!u->registered)
        return;
    const struct msg_tags tags = { .account = u->account };
    const struct send_opts opt = { CAP_ACCOUNT_NOTIFY, 0, 0, &tags };
    send_to_common_channels_opts(u, true, &opt, ":%s ACCOUNT %s", client_mask(u, mask, sizeof mask), u->account);
}

/* A failed attempt: 904, counted; too many close the connection. */
static void sasl_fail(struct client *u, struct sasl_session *s, const char *why)
{
    session_reset(s);
    s->failures++;
    log_msg(LOG_INFO, "client %s failed SASL authentication (%s)", u->uid, why);
    send_numeric(u, ERR_SASLFAIL, ":SASL authentication failed");
    if (s->failures >= SASL_MAX_FAILURES)
        conn_close(u->conn, "Too many failed login attempts");
}

/* The whole response is in: decode it and check it for the mechanism. */
static void sasl_finish(struct client *u, struct sasl_session *s)
{
    size_t n = 0;
    unsigned char *d = b64_decode(s->buf ? s->buf : "", s->len, &n);
    if (!d) {
        sasl_fail(u, s, "malformed response");
        return;
    }
    enum sasl_mech mech = s->mech;
    const struct conf_oper *op = mech == MECH_PLAIN ? check_plain(d, n) : check_external(u->conn, d, n);
    OPENSSL_cleanse(d, n);
    free(d);
    if (!op) {
        sasl_fail(u, s, mech == MECH_PLAIN ? "PLAIN" : "EXTERNAL");
        return;
    }
    session_reset(s);
    log_msg(LOG_INFO, "client %s logged in as %s (SASL %s)", u->uid, op->name,
            mech == MECH_PLAIN ? "PLAIN" : "EXTERNAL");
    account_login(u, op->name);
    send_numeric(u, RPL_SASLSUCCESS, ":SASL authentication successful");
}

/* AUTHENTICATE <mechanism> | <base64 chunk> | + | *  */
void cmd_authenticate(struct client *u, struct message *m)
{
    struct conn *c = u->conn;
    const char *arg = m->params[0];
    if (!(c->caps & CAP_SASL)) {
        send_numeric(u, ERR_SASLFAIL, ":SASL authentication failed");
        return;
    }
    struct sasl_session *s = session(c);
    if (u->account) {
        /* Changing accounts is not supported: reauthentication is refused. */
        session_reset(s);
        send_numeric(u, ERR_SASLALREADY, ":You have already authenticated using SASL");
        return;
    }
    if (strcmp(arg, "*") == 0) {
        session_reset(s);
        send_numeric(u, ERR_SASLABORTED, ":SASL authentication aborted");
        return;
    }
    if (s->mech == MECH_NONE) {
        if (!strcasecmp(arg, "PLAIN")) {
            s->mech = MECH_PLAIN;
        } else if (!strcasecmp(arg, "EXTERNAL")) {
            char fp[65];
            if (!tls_client_certfp(c, fp)) {
                sasl_fail(u, s, "EXTERNAL without a client certificate");
                return;
            }
            s->mech = MECH_EXTERNAL;
        } else {
            send_numeric(u, RPL_SASLMECHS, "%s :are available SASL mechanisms", SASL_MECHS);
            send_numeric(u, ERR_SASLFAIL, ":SASL authentication failed");
            return;
        }
        send_line(u, "AUTHENTICATE +");
        return;
    }
    /* A chunk of the response: 400 bytes means "more follows". */
    size_t len = strlen(arg);
    if (len > SASL_CHUNK || s->len + len > SASL_MAX) {
        session_reset(s);
        send_numeric(u, ERR_SASLTOOLONG, ":SASL message too long");
        return;
    }
    if (strcmp(arg, "+") != 0) {
        /* One fixed buffer, so no copy of a password is left behind by realloc. */
        if (!s->buf && !(s->buf = malloc(SASL_MAX + 1)))
            abort();
        memcpy(s->buf + s->len, arg, len + 1);
        s->len += len;
        if (len == SASL_CHUNK)
            return;
    }
    sasl_finish(u, s);
}

/* Registration is completing: an exchange still in progress is aborted
 * (906) and the client registers without an account (sasl-3.1). */
void sasl_registration_abort(struct client *u)
{
    struct sasl_session *s = u->conn ? u->conn->sasl : NULL;
    if (!s || s->mech == MECH_NONE)
        return;
    session_reset(s);
    send_numeric(u, ERR_SASLABORTED, ":SASL authentication aborted");
}
