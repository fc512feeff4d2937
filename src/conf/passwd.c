/* passwd.c — password hashes for opers and the server password.
 *
 * Format: "$pbkdf2-sha256$<iterations>$<salt base64>$<hash base64>", with
 * PBKDF2-HMAC-SHA256 from OpenSSL, a random 16-byte salt and a 32-byte
 * derived key, both in standard padded base64 (EVP_EncodeBlock). Parsing is
 * strict: anything that is not exactly this shape is rejected, never guessed.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "conf/config.h"

#define PASSWD_PREFIX "$pbkdf2-sha256$"
#define PASSWD_ITER_DEFAULT 100000
#define PASSWD_ITER_MIN 1000          /* fewer is too weak to accept */
#define PASSWD_ITER_MAX 10000000      /* more would let one OPER stall the server */
#define PASSWD_SALT_LEN 16
#define PASSWD_SALT_MIN 8
#define PASSWD_SALT_MAX 64
#define PASSWD_KEY_LEN 32             /* SHA-256 output */

/* A parsed hash string. */
struct pbkdf2 {
    unsigned iter;
    unsigned char salt[PASSWD_SALT_MAX];
    size_t salt_len;
    unsigned char key[PASSWD_KEY_LEN];
};

/* Strictly decode `len` bytes of padded base64 into out (at most outmax
 * bytes); returns the decoded length or -1. EVP_DecodeBlock alone is too
 * lenient (whitespace, padding anywhere) and does not report padding. */
static int b64_decode(const char *in, size_t len, unsigned char *out, size_t outmax)
{
    if (len == 0 || len % 4 != 0 || len > 4 * ((PASSWD_SALT_MAX + 2) / 3))
        return -1;
    size_t pad = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = in[i];
        bool b64 = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                   (ch >= '0' && ch <= '9') || ch == '+' || ch == '/';
        if (ch == '=' && i >= len - 2) {
            pad++;
        } else if (!b64 || pad > 0) {
            return -1;            /* bad character, or data after padding */
        }
    }
    unsigned char buf[4 * ((PASSWD_SALT_MAX + 2) / 3)];
    int n = EVP_DecodeBlock(buf, (const unsigned char *)in, (int)len);
    if (n < 0 || (size_t)n < pad)
        return -1;
    n -= (int)pad;
    if ((size_t)n > outmax)
        return -1;
    memcpy(out, buf, (size_t)n);
    OPENSSL_cleanse(buf, sizeof buf);
    return n;
}

/* Parse a hash string into p; false when it is malformed in any way. */
static bool pbkdf2_parse(const char *hash, struct pbkdf2 *p)
{
    if (!hash || strncmp(hash, PASSWD_PREFIX, strlen(PASSWD_PREFIX)) != 0)
        return false;
    const char *s = hash + strlen(PASSWD_PREFIX);

    /* iterations: decimal, no sign, no leading zero */
    if (*s < '1' || *s > '9')
        return false;
    unsigned long iter = 0;
    while (*s >= '0' && *s <= '9') {
        iter = iter * 10 + (unsigned long)(*s - '0');
        if (iter > PASSWD_ITER_MAX)
            return false;
        s++;
    }
    if (iter < PASSWD_ITER_MIN || *s != '$')
        return false;
    p->iter = (unsigned)iter;
    s++;

    const char *dollar = strchr(s, '$');
    if (!dollar)
        return false;
    int n = b64_decode(s, (size_t)(dollar - s), p->salt, sizeof p->salt);
    if (n < PASSWD_SALT_MIN)
        return false;
    p->salt_len = (size_t)n;

    s = dollar + 1;
    n = b64_decode(s, strlen(s), p->key, sizeof p->key);
    return n == PASSWD_KEY_LEN;
}

/* True when hash has the exact shape passwd_verify accepts; lets config
 * validation reject a typo'd hash at load time instead of at OPER time. */
bool passwd_hash_valid(const char *hash)
{
    struct pbkdf2 p;
    bool ok = pbkdf2_parse(hash, &p);
    OPENSSL_cleanse(&p, sizeof p);
    return ok;
}

/* Hash a password with a fresh random salt; malloc'd string or NULL. */
char *passwd_hash(const char *password)
{
    if (!password || strlen(password) > INT_MAX)
        return NULL;
    unsigned char salt[PASSWD_SALT_LEN], key[PASSWD_KEY_LEN];
    if (RAND_bytes(salt, sizeof salt) != 1)
        return NULL;
    if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, sizeof salt,
                          PASSWD_ITER_DEFAULT, EVP_sha256(), sizeof key, key) != 1)
        return NULL;

    /* base64 of n bytes is 4*ceil(n/3) chars plus the NUL EVP_EncodeBlock writes */
    unsigned char salt64[4 * ((PASSWD_SALT_LEN + 2) / 3) + 1];
    unsigned char key64[4 * ((PASSWD_KEY_LEN + 2) / 3) + 1];
    EVP_EncodeBlock(salt64, salt, sizeof salt);
    EVP_EncodeBlock(key64, key, sizeof key);
    OPENSSL_cleanse(key, sizeof key);

    size_t len = strlen(PASSWD_PREFIX) + 12 + sizeof salt64 + sizeof key64;
    char *out = malloc(len);
    if (out)
        snprintf(out, len, PASSWD_PREFIX "%d$%s$%s", PASSWD_ITER_DEFAULT,
                 (const char *)salt64, (const char *)key64);
    OPENSSL_cleanse(key64, sizeof key64);
    return out;
}

/* PBKDF2 is slow on purpose and runs inside the event loop: a flood of
 * wrong passwords (PASS, OPER, AUTHENTICATE) from many connections would
 * stall everyone. All checks together get a budget of PBKDF2 rounds:
 * PASSWD_BUDGET_RATE a second (five checks at the default cost, about a
 * tenth of a second of work here), a burst of up to PASSWD_BUDGET_BURST.
 * Past it a check is refused without being run, and the caller says "try
 * again in a moment". Counting rounds rather than milliseconds keeps the
 * limit the same on a slow machine or under valgrind. */
#define PASSWD_BUDGET_RATE 500000
#define PASSWD_BUDGET_BURST 1000000

enum passwd_result passwd_check(const char *hash, const char *password)
{
    static int64_t budget = PASSWD_BUDGET_BURST, at_ms;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    int64_t now = (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
    if (at_ms) {
        budget += (now - at_ms) * (PASSWD_BUDGET_RATE / 1000);
        if (budget > PASSWD_BUDGET_BURST)
            budget = PASSWD_BUDGET_BURST;
    }
    at_ms = now;
    struct pbkdf2 p;
    if (!pbkdf2_parse(hash, &p))
        return PASSWD_WRONG;
    if (budget <= 0)
        return PASSWD_BUSY;
    budget -= p.iter;
    bool ok = passwd_verify(hash, password);
    clock_gettime(CLOCK_MONOTONIC, &t);   /* time spent checking refills nothing */
    at_ms = (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
    return ok ? PASSWD_OK : PASSWD_WRONG;
}

/* Check a password against a hash in constant time; false for a wrong
 * password, a malformed hash or any NULL. */
bool passwd_verify(const char *hash, const char *password)
{
    struct pbkdf2 p;
    unsigned char key[PASSWD_KEY_LEN];
    bool ok = false;

    if (!password || strlen(password) > INT_MAX || !pbkdf2_parse(hash, &p))
        goto out;
    if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), p.salt, (int)p.salt_len,
                          (int)p.iter, EVP_sha256(), sizeof key, key) != 1)
        goto out;
    ok = CRYPTO_memcmp(key, p.key, sizeof key) == 0;
out:
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(&p, sizeof p);
    return ok;
}
