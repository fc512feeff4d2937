/* tls.c — OpenSSL contexts for TLS listeners, and the self-signed
 * certificate generated on first start when none is configured. */
#include "havend.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <event2/bufferevent_ssl.h>

/* Put OpenSSL's most recent error text after a prefix. */
static void tls_error(char *err, size_t errlen, const char *what, const char *path)
{
    char ossl[160] = "";
    unsigned long e = ERR_get_error();
    if (e)
        ERR_error_string_n(e, ossl, sizeof ossl);
    snprintf(err, errlen, "%s %s%s%s", what, path ? path : "", *ossl ? ": " : "", ossl);
    ERR_clear_error();
}

/* Accept any client certificate (or none): it is never used to trust a
 * chain, only hashed for SASL EXTERNAL (tls_client_certfp). */
static int accept_any_client_cert(int preverify_ok, X509_STORE_CTX *store)
{
    return 1;
}

SSL_CTX *tls_ctx_new(const char *cert, const char *key, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        tls_error(err, errlen, "cannot create TLS context", NULL);
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    /* Records of at most 1 KiB: clients that select() and then read 1024
     * bytes (Limnoria's driver) never see decrypted lines stranded in their
     * TLS library while the socket looks idle (tests/clients/limnoria_bot.py
     * stalled when a whole welcome burst went out as one record). */
    SSL_CTX_set_max_send_fragment(ctx, 1024);
    /* TLS 1.2: forward-secret AEAD suites only. TLS 1.3 suites are all strong. */
    SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20:!aNULL:!eNULL:!MD5:!SHA1:!RC4:!3DES");
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    /* Ask for (never require) a client certificate, for SASL EXTERNAL. A
     * session id context keeps session resumption working with VERIFY_PEER. */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE, accept_any_client_cert);
    static const unsigned char sid_ctx[] = "havend";
    SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof sid_ctx - 1);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        tls_error(err, errlen, "cannot load certificate", cert);
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        tls_error(err, errlen, "cannot load private key", key);
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        tls_error(err, errlen, "private key does not match certificate", cert);
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* mkdir -p for the directory part of path. */
static int mkdir_parents(const char *path)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return 0;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(dir, 0700) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

/* Write a PEM file with the given mode, atomically (temp file + rename). */
static int write_pem(const char *path, mode_t mode, int (*writer)(FILE *, void *), void *obj)
{
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0)
        return -1;
    FILE *fp = fdopen(fd, "w");
    if (!fp) {
        close(fd);
        return -1;
    }
    errno = 0;
    int ok = writer(fp, obj);
    ok = ok && fflush(fp) == 0 && fsync(fileno(fp)) == 0;
    if (fclose(fp) != 0)
        ok = 0;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno ? errno : EIO;    /* the caller reports it: unlink must not change it */
        unlink(tmp);
        errno = e;
        return -1;
    }
    return 0;
}

static int write_key(FILE *fp, void *k) { return PEM_write_PrivateKey(fp, k, NULL, NULL, 0, NULL, NULL); }
static int write_cert(FILE *fp, void *x) { return PEM_write_X509(fp, x); }

int tls_ensure_selfsigned(const char *cert, const char *key, const char *cn, char *err, size_t errlen)
{
    if (access(cert, R_OK) == 0 && access(key, R_OK) == 0)
        return 0;
    if (mkdir_parents(cert) != 0 || mkdir_parents(key) != 0) {
        snprintf(err, errlen, "cannot create directory for %s: %s", cert, strerror(errno));
        return -1;
    }
    EVP_PKEY *pkey = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    int rc = -1;
    if (!pkey || !x) {
        tls_error(err, errlen, "cannot generate key for", cert);
        goto out;
    }
    unsigned char serial[16];
    if (RAND_bytes(serial, sizeof serial) != 1) {
        tls_error(err, errlen, "no randomness for", cert);
        goto out;
    }
    serial[0] &= 0x7f;
    BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
    BN_free(bn);
    X509_set_version(x, 2);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 60L * 60 * 24 * 825);
    X509_set_pubkey(x, pkey);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, name);
    if (!X509_sign(x, pkey, EVP_sha256())) {
        tls_error(err, errlen, "cannot sign certificate", cert);
        goto out;
    }
    if (write_pem(key, 0600, write_key, pkey) != 0 || write_pem(cert, 0644, write_cert, x) != 0) {
        snprintf(err, errlen, "cannot write %s or %s: %s", cert, key, strerror(errno));
        goto out;
    }
    log_msg(LOG_INFO, "generated a self-signed TLS certificate at %s", cert);
    rc = 0;
out:
    X509_free(x);
    EVP_PKEY_free(pkey);
    return rc;
}

/* The SHA-256 fingerprint of c's client certificate (SASL EXTERNAL), as 64
 * lowercase hex digits; only the certificate's owner is ever told it. */
bool tls_client_certfp(struct conn *c, char out[65])
{
    SSL *ssl = c->tls && c->bev ? bufferevent_openssl_get_ssl(c->bev) : NULL;
    X509 *x = ssl ? SSL_get1_peer_certificate(ssl) : NULL;
    if (!x)
        return false;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    bool ok = X509_digest(x, EVP_sha256(), md, &n) == 1 && n == 32;
    X509_free(x);
    for (unsigned i = 0; ok && i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    return ok;
}
