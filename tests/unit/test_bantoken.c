/* test_bantoken.c — ban tokens (src/net/bantoken.c) are HMAC-SHA256 of the
 * address (IPv4, or the /64 of IPv6) under the secret, cut to 16 hex
 * digits: the reused keyed context must give exactly what a one-shot HMAC
 * gives, call after call, and follow a new secret. Bans in state files
 * match by token, so a token must never change for the same address. */
#include "havend.h"

#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

TestSuite(bantoken);

/* The token as a one-shot HMAC computes it from the message bytes. */
static void reference(const char *secret, const unsigned char *msg, size_t n, char out[BAN_TOKEN_LEN + 1])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret, (int)strlen(secret), msg, n, mac, &len);
    for (int i = 0; i < BAN_TOKEN_LEN / 2; i++)
        snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

static void use_secret(const char *s)
{
    struct config cf = { .ban_token_secret = (char *)s };
    char err[256];
    cr_assert_eq(bantoken_init(&cf, err, sizeof err), 0, "%s", err);
}

static struct sockaddr_storage v4(const char *a)
{
    struct sockaddr_storage ss = { 0 };
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    s4->sin_family = AF_INET;
    inet_pton(AF_INET, a, &s4->sin_addr);
    return ss;
}

static struct sockaddr_storage v6(const char *a)
{
    struct sockaddr_storage ss = { 0 };
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    s6->sin6_family = AF_INET6;
    inet_pton(AF_INET6, a, &s6->sin6_addr);
    return ss;
}

Test(bantoken, matches_one_shot_hmac_every_time)
{
    const char *secret = "0123456789abcdef0123456789abcdef-test-secret";
    use_secret(secret);
    for (int round = 0; round < 3; round++) {
        char got[BAN_TOKEN_LEN + 1], want[BAN_TOKEN_LEN + 1] = "";
        struct sockaddr_storage a = v4("127.0.0.1");
        unsigned char m4[] = { 4, 127, 0, 0, 1 };
        bantoken_compute(&a, got);
        reference(secret, m4, sizeof m4, want);
        cr_assert_str_eq(got, want);

        a = v6("2001:db8:1:2:aaaa:bbbb:cccc:dddd");   /* only the /64 counts */
        unsigned char m6[] = { 6, 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2 };
        bantoken_compute(&a, got);
        reference(secret, m6, sizeof m6, want);
        cr_assert_str_eq(got, want);

        a = v6("::ffff:192.0.2.7");                    /* v4-mapped: as IPv4 */
        unsigned char mm[] = { 4, 192, 0, 2, 7 };
        bantoken_compute(&a, got);
        reference(secret, mm, sizeof mm, want);
        cr_assert_str_eq(got, want);
    }
}

Test(bantoken, follows_a_new_secret)
{
    use_secret("first secret, at least thirty-two characters long");
    struct sockaddr_storage a = v4("198.51.100.9");
    char one[BAN_TOKEN_LEN + 1], two[BAN_TOKEN_LEN + 1], want[BAN_TOKEN_LEN + 1] = "";
    bantoken_compute(&a, one);
    const char *second = "second secret, at least thirty-two characters long";
    use_secret(second);
    bantoken_compute(&a, two);
    unsigned char m[] = { 4, 198, 51, 100, 9 };
    reference(second, m, sizeof m, want);
    cr_assert_str_neq(one, two);
    cr_assert_str_eq(two, want);
    cr_assert_eq(strlen(two), BAN_TOKEN_LEN);
}
