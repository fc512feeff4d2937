/* test_fuzz_regressions.c — replay the fuzzers' kept inputs in every build.
 *
 * The libFuzzer targets in tests/fuzz/ need clang, but what they once found
 * must stay fixed in the normal (gcc, ASan+UBSan) CI build too. So this
 * suite compiles the three targets in, with their entry points renamed, and
 * runs each over tests/fuzz/regressions/<target>/ (inputs that once crashed
 * or tripped an oracle) and tests/fuzz/corpus/<target>/ (the seeds). Any
 * sanitizer report or failed oracle aborts the test. */
#include <criterion/criterion.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_ENTRY fuzz_parse_one
#include "../fuzz/fuzz_parse.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_config_one
#include "../fuzz/fuzz_config.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_dispatch_one
#include "../fuzz/fuzz_dispatch.c"
#undef FUZZ_ENTRY

typedef int (*fuzz_fn)(const uint8_t *, size_t);

/* Run fn over every regular file in <srcdir>/tests/fuzz/<kind>/<target>;
 * returns how many there were. */
static int replay_dir(const char *kind, const char *target, fuzz_fn fn)
{
    const char *src = getenv("HAVEND_SRCDIR");
    cr_assert(src && *src, "HAVEND_SRCDIR is not set (run through meson test)");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/tests/fuzz/%s/%s", src, kind, target);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[1400];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fseek(f, 0, SEEK_SET);
        uint8_t *buf = malloc(len > 0 ? (size_t)len : 1);
        cr_assert(buf);
        size_t got = fread(buf, 1, len > 0 ? (size_t)len : 0, f);
        fclose(f);
        cr_log_info("%s/%s/%s (%zu bytes)", kind, target, e->d_name, got);
        fn(buf, got);
        free(buf);
        n++;
    }
    closedir(d);
    return n;
}

/* Replay a target's regressions and seeds; the seeds must be there (so a
 * wrong path cannot make this suite pass vacuously). */
static void replay(const char *target, fuzz_fn fn)
{
    int regressions = replay_dir("regressions", target, fn);
    int seeds = replay_dir("corpus", target, fn);
    cr_log_info("%s: %d regression inputs, %d seeds", target, regressions, seeds);
    cr_assert(seeds > 0, "no seeds found for %s under $HAVEND_SRCDIR/tests/fuzz/corpus", target);
}

TestSuite(fuzz_regressions, .timeout = 120);

Test(fuzz_regressions, parse)
{
    replay("parse", fuzz_parse_one);
}

Test(fuzz_regressions, config)
{
    replay("config", fuzz_config_one);
}

Test(fuzz_regressions, dispatch)
{
    replay("dispatch", fuzz_dispatch_one);
}
