/* bantoken.c — ban tokens and per-token connection limits.
 *
 * A ban token is HMAC-SHA256(secret, address) cut to 64 bits, where the
 * address is the IPv4 address or the /64 of an IPv6 one. It lets bans and
 * throttles follow a person across reconnects without anyone (staff
 * included) learning the address. The secret comes from the config or is
 * generated once into the state directory, so tokens survive restarts. */
#include "havend.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

static unsigned char secret[64];
static size_t secret_len;
/* HMAC-SHA256 keyed with the secret once (bantoken_init): every connection
 * computes a token, and keying a fresh HMAC (fetching the digest, hashing
 * the key pads) cost more than the hash itself. */
static EVP_MAC_CTX *keyed;

struct token_state {
    int active;               /* open connections with this token */
    int recent;               /* connections accepted in the current window */
    time_t window_start;
};
static struct hashmap tokens;   /* token -> struct token_state* */
static bool tokens_ready;

/* Write all of buf to fd. 0, or the errno that stopped it (a short write
 * is retried, so a full disk shows as ENOSPC). */
static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? errno : EIO;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Write the secret line to path atomically: temporary file, fsync, rename,
 * directory fsync. 0, or the errno of the step that failed (the temporary
 * file is removed then, and nothing is left at path). */
static int secret_write(const char *state_dir, const char *path, const char *line, size_t len)
{
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno;
    int e = write_all(fd, line, len);
    if (!e && fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && !e)
        e = errno;
    if (!e && rename(tmp, path) != 0)
        e = errno;
    if (e) {
        unlink(tmp);
        return e;
    }
    int dfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

/* Read the generated secret, or create it (0600, written atomically). */
static int secret_from_state(const char *state_dir, char *err, size_t errlen)
{
    char path[1024], hex[129];
    snprintf(path, sizeof path, "%s/ban_token.secret", state_dir);
    FILE *fp = fopen(path, "r");
    if (fp) {
        bool ok = fgets(hex, sizeof hex, fp) != NULL;
        fclose(fp);
        hex[strcspn(hex, "\r\n")] = '\0';
        if (!ok || strlen(hex) < 32) {
            snprintf(err, errlen, "%s: corrupt ban token secret (expected 64 hex digits); "
                     "remove it to generate a new one (existing bans by token would no longer match)", path);
            return -1;
        }
        secret_len = strlen(hex) < sizeof secret ? strlen(hex) : sizeof secret;
        memcpy(secret, hex, secret_len);
        OPENSSL_cleanse(hex, sizeof hex);
        return 0;
    }
    if (errno != ENOENT) {      /* there but unreadable: never replace it */
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    unsigned char raw[32];
    if (RAND_bytes(raw, sizeof raw) != 1) {
        snprintf(err, errlen, "no randomness for the ban token secret");
        return -1;
    }
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(hex + 2 * i, 3, "%02x", raw[i]);
    OPENSSL_cleanse(raw, sizeof raw);
    hex[64] = '\n';
    mkdir(state_dir, 0700);
    int e = secret_write(state_dir, path, hex, 65);
    if (e) {
        OPENSSL_cleanse(hex, sizeof hex);
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(e));
        return -1;
    }
    memcpy(secret, hex, 64);
    secret_len = 64;
    OPENSSL_cleanse(hex, sizeof hex);
    log_msg(LOG_INFO, "generated a ban token secret at %s", path);
    return 0;
}

/* Key a new HMAC-SHA256 context with the secret; it replaces the old one
 * only when keying worked. 0, or -1 with err. */
static int mac_rekey(char *err, size_t errlen)
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    EVP_MAC_free(mac); /* the context keeps its own reference */
    OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
                            OSSL_PARAM_construct_end() };
    if (!ctx || !EVP_MAC_init(ctx, secret, secret_len, params)) {
        EVP_MAC_CTX_free(ctx);
        snprintf(err, errlen, "cannot set up HMAC-SHA256 for ban tokens");
        return -1;
    }
    EVP_MAC_CTX_free(keyed);
    keyed = ctx;
    return 0;
}

/* REHASH keys the HMAC from the new config before the rest of it is known
 * to apply; a refused REHASH puts the old key back, so tokens (and every
 * ban by token) stay what they were. */
static EVP_MAC_CTX *keyed_saved;

void bantoken_rehash_begin(void)
{
    EVP_MAC_CTX_free(keyed_saved);
    keyed_saved = keyed ? EVP_MAC_CTX_dup(keyed) : NULL;
}

void bantoken_rehash_end(bool applied)
{
    if (!applied && keyed_saved) {
        EVP_MAC_CTX_free(keyed);
        keyed = keyed_saved;
    } else {
        EVP_MAC_CTX_free(keyed_saved);
    }
    keyed_saved = NULL;
}

int bantoken_init(const struct config *conf, char *err, size_t errlen)
{
    if (!tokens_ready) {
        hashmap_init(&tokens);
        tokens_ready = true;
    }
    if (conf->ban_token_secret) {
        secret_len = strlen(conf->ban_token_secret) < sizeof secret ? strlen(conf->ban_token_secret) : sizeof secret;
        memcpy(secret, conf->ban_token_secret, secret_len);
        return mac_rekey(err, errlen);
    }
    if (secret_from_state(conf->state_dir, err, errlen) != 0)
        return -1;
    return mac_rekey(err, errlen);
}

void bantoken_compute(const struct sockaddr_storage *ss, char out[BAN_TOKEN_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char msg[17];
    size_t n = 0;
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
        if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
            msg[n++] = 4;
            memcpy(msg + n, s6->sin6_addr.s6_addr + 12, 4);
            n += 4;
        } else {
            msg[n++] = 6;
            memcpy(msg + n, s6->sin6_addr.s6_addr, 8); /* the /64 */
            n += 8;
        }
    } else {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
        msg[n++] = 4;
        memcpy(msg + n, &s4->sin_addr, 4);
        n += 4;
    }
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t maclen = 0;
    /* A NULL key restarts the keyed context with the same key. */
    if (!keyed || !EVP_MAC_init(keyed, NULL, 0, NULL) || !EVP_MAC_update(keyed, msg, n) ||
        !EVP_MAC_final(keyed, mac, &maclen, sizeof mac) || maclen < BAN_TOKEN_LEN / 2)
        abort(); /* no token would let a banned address straight back in */
    for (int i = 0; i < BAN_TOKEN_LEN / 2; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 15];
    }
    out[BAN_TOKEN_LEN] = '\0';
}

/* May one more connection with this token be accepted under cls? On yes,
 * it is counted; NULL or the reason to refuse. */
const char *bantoken_admit(const char *token, const struct conf_class *cls)
{
    struct token_state *t = hashmap_get(&tokens, token);
    time_t now = time(NULL);
    if (!t) {
        t = calloc(1, sizeof *t);
        if (!t)
            abort();
        t->window_start = now;
        hashmap_put(&tokens, token, t);
    }
    if (now - t->window_start >= cls->throttle_period) {
        t->window_start = now;
        t->recent = 0;
    }
    if (cls->per_token > 0 && t->active >= cls->per_token)
        return "Too many connections from your network";
    if (cls->throttle_count > 0 && t->recent >= cls->throttle_count)
        return "Throttled: reconnecting too fast, please wait a minute";
    t->active++;
    t->recent++;
    return NULL;
}

void bantoken_release(const char *token)
{
    struct token_state *t = tokens_ready ? hashmap_get(&tokens, token) : NULL;
    if (t && t->active > 0)
        t->active--;
}

/* Forget tokens with no connections whose throttle window has passed;
 * called from housekeeping so the table stays bounded. */
void bantoken_sweep(int max_period)
{
    if (!tokens_ready)
        return;
    time_t now = time(NULL);
    char *dead[256];
    size_t n = 0, bucket = 0;
    struct hm_entry *e = NULL;
    struct token_state *t;
    while ((t = hashmap_next(&tokens, &bucket, &e)) && n < 256)
        if (t->active == 0 && now - t->window_start >= max_period)
            dead[n++] = e->key;
    for (size_t i = 0; i < n; i++)
        free(hashmap_remove(&tokens, dead[i]));
}

void bantoken_shutdown(void)
{
    if (!tokens_ready)
        return;
    size_t bucket = 0;
    struct hm_entry *e = NULL;
    struct token_state *t;
    while ((t = hashmap_next(&tokens, &bucket, &e)))
        free(t);
    hashmap_free(&tokens);
    tokens_ready = false;
    EVP_MAC_CTX_free(keyed);
    keyed = NULL;
    OPENSSL_cleanse(secret, sizeof secret);
}
