/* fuzz_common.h — shared helpers of the libFuzzer targets in tests/fuzz/.
 *
 * Each target defines FUZZ_ENTRY (LLVMFuzzerTestOneInput by default). The
 * Criterion suite tests/unit/test_fuzz_regressions.c includes the targets
 * with FUZZ_ENTRY renamed, so every kept crash input is replayed by the
 * normal (gcc, ASan+UBSan) build too, not only when clang is around. */
#ifndef HAVEND_FUZZ_COMMON_H
#define HAVEND_FUZZ_COMMON_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <ftw.h>
#include <unistd.h>

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

/* An oracle failed: say why and abort, so libFuzzer keeps the input. */
__attribute__((format(printf, 1, 2), noreturn, unused))
static void fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz oracle failed: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

/* nftw callback: remove one entry. */
__attribute__((unused))
static int fuzz_rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

/* Remove a scratch directory and what is in it (from atexit handlers). */
__attribute__((unused))
static void fuzz_rmtree(const char *dir)
{
    if (dir[0])
        nftw(dir, fuzz_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
