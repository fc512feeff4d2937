/* test_random.c — random_bytes (src/random.c) hands out the CSPRNG's bytes
 * from a pool: draws of any size, across the pool's refills, are filled
 * and never repeat one another. */
#include "havend.h"

#include <criterion/criterion.h>
#include <string.h>

TestSuite(random);

Test(random, draws_across_refills_differ)
{
    enum { DRAWS = 400, LEN = 13 };            /* 5200 bytes: ten refills, odd sizes */
    static unsigned char got[DRAWS][LEN];
    static const unsigned char zero[LEN];
    for (int i = 0; i < DRAWS; i++) {
        cr_assert_eq(random_bytes(got[i], LEN), 0);
        cr_assert(memcmp(got[i], zero, LEN) != 0, "draw %d is all zeros", i);
        for (int j = 0; j < i; j++)
            cr_assert(memcmp(got[i], got[j], LEN) != 0, "draws %d and %d are equal", i, j);
    }
}

Test(random, one_large_draw)
{
    static unsigned char big[3000];
    cr_assert_eq(random_bytes(big, sizeof big), 0);
    size_t zeros = 0;
    for (size_t i = 0; i < sizeof big; i++)
        zeros += big[i] == 0;
    cr_assert_lt(zeros, 60, "%zu zero bytes in 3000", zeros);  /* about 12 expected */
    cr_assert_eq(random_bytes(big, 0), 0);
}
