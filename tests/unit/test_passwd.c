/* test_passwd.c — password checks share a budget of PBKDF2 rounds
 * (conf/passwd.c): a check that uses it up makes the next one come back
 * PASSWD_BUSY without being run, and the budget refills with time. PBKDF2 runs in the event
 * loop, so without this a flood of wrong passwords stalled everyone. */
#include "havend.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

TestSuite(passwd);

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A hash of "pw" with the iteration count replaced: the stored key no
 * longer matches, so every check is WRONG, and takes iter rounds. */
static char *slow_hash(unsigned long iter)
{
    char *h = passwd_hash("pw");
    cr_assert_not_null(h);
    const char *salt = strchr(h + strlen("$pbkdf2-sha256$"), '$');
    cr_assert_not_null(salt);
    static char out[256];
    snprintf(out, sizeof out, "$pbkdf2-sha256$%lu%s", iter, salt);
    free(h);
    return out;
}

Test(passwd, checks_share_a_budget_of_rounds)
{
    /* The default cost (100,000 rounds) allows a burst of ten logins. */
    char *real = passwd_hash("s3cret");
    cr_assert_not_null(real);
    for (int i = 0; i < 10; i++)
        cr_assert_eq(passwd_check(real, "s3cret"), PASSWD_OK, "login %d of a burst of ten", i + 1);
    free(real);

    /* 1,500,000 rounds: the budget (at most 1,000,000) goes below zero,
     * so the next check is refused unrun; it refills at 500,000 rounds a
     * second. */
    const char *h = slow_hash(1500000);
    cr_assert_eq(passwd_check(h, "pw"), PASSWD_WRONG, "a check with budget left runs");
    double t0 = now_s();
    cr_assert_eq(passwd_check(h, "pw"), PASSWD_BUSY, "the budget was spent: not run");
    cr_assert_lt(now_s() - t0, 0.05, "a refused check must not run PBKDF2");
    usleep(3100000);                /* below -1,000,000 at worst, + 3.1 s x 500,000 */
    cr_assert_eq(passwd_check(h, "pw"), PASSWD_WRONG, "the budget refilled");
}
