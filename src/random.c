/* random.c — random bytes for what every connection draws (cloaks,
 * pseudonyms): OpenSSL's CSPRNG, taken in blocks.
 *
 * RAND_bytes costs about 6,500 instructions a call however few bytes it
 * returns (locking, the DRBG's reseed checks, a fresh AES key schedule),
 * and a registration makes four small draws. Taking 512 bytes at a time
 * and handing them out costs a few instructions a byte instead. Bytes are
 * wiped from the pool as they are handed out, and the server never forks,
 * so no two processes ever share a pool. */
#include "havend.h"

#include <string.h>

#include <openssl/rand.h>

static unsigned char pool[512];
static size_t avail;           /* unused bytes, at the end of pool */

int random_bytes(void *buf, size_t n)
{
    unsigned char *out = buf;
    while (n > 0) {
        if (avail == 0) {
            if (RAND_bytes(pool, sizeof pool) != 1)
                return -1;
            avail = sizeof pool;
        }
        size_t k = n < avail ? n : avail;
        unsigned char *from = pool + sizeof pool - avail;
        memcpy(out, from, k);
        explicit_bzero(from, k);
        avail -= k;
        out += k;
        n -= k;
    }
    return 0;
}
