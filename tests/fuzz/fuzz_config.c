/* fuzz_config.c — libFuzzer target for config loading (config_load, with
 * its pre-check lexer and every value check) on a temporary file.
 *
 * The input is the text of havend.conf. It lives in a scratch directory
 * made once per process that also holds a MOTD, a valid include file and a
 * subdirectory, so @include and motd paths reach real files. Each input is
 * loaded twice: with a roomy error buffer (a failed load must say why) and
 * with a tiny, exactly sized one (the error writer must stay inside it). */
#include "fuzz_common.h"

#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "havend.h"

static char fc_dir[256];
static char fc_path[320];

/* Write text to <fc_dir>/<name>; abort when it cannot (the run is useless). */
static void fc_write(const char *name, const void *text, size_t len)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s", fc_dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, text, len) != (ssize_t)len)
        fuzz_fail("cannot write %s", path);
    close(fd);
}

/* Remove the scratch directory at exit. */
static void fc_cleanup(void)
{
    fuzz_rmtree(fc_dir);
}

/* Make the scratch directory once; stdin is /dev/null so a path such as
 * /dev/stdin found by the fuzzer cannot block a read. */
static void fc_init(void)
{
    if (fc_dir[0])
        return;
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) {
        dup2(devnull, 0);
        close(devnull);
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(fc_dir, sizeof fc_dir, "%s/havend-fuzz-config-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(fc_dir))
        fuzz_fail("mkdtemp %s", fc_dir);
    atexit(fc_cleanup);
    snprintf(fc_path, sizeof fc_path, "%s/havend.conf", fc_dir);
    static const char motd[] = "Welcome\nto the fuzzer\r\n";
    static const char inc[] = "limits = { nicklen = 20; };\n";
    fc_write("motd.txt", motd, sizeof motd - 1);
    fc_write("inc.conf", inc, sizeof inc - 1);
    char sub[400];
    snprintf(sub, sizeof sub, "%s/dir", fc_dir);
    mkdir(sub, 0700);
}

/* What a loaded config must satisfy whatever the input was. */
static void fc_check(const struct config *c)
{
    if (!c->server_name || !c->sid || strlen(c->sid) != SID_LEN)
        fuzz_fail("loaded without a valid server name / sid");
    if (c->nlistens < 1)
        fuzz_fail("loaded without a listener");
    if (!config_find_class(c, "default"))
        fuzz_fail("loaded without a default class");
    for (size_t i = 0; i < c->nlistens; i++)
        if (!c->listens[i].address || !config_find_class(c, c->listens[i].class_name))
            fuzz_fail("listen[%zu] has no address or an unknown class", i);
    for (size_t i = 0; i < c->nclasses; i++) {
        const struct conf_class *k = &c->classes[i];
        if (!k->name || k->flood_rate < 1 || k->flood_burst < 1 || k->throttle_period < 1 || k->sendq < 4096)
            fuzz_fail("class %zu out of range", i);
    }
    if (c->nicklen < 1 || c->nicklen > NICK_MAX || c->channellen < 2 || c->channellen > CHAN_MAX ||
        c->userlen < 1 || c->userlen > USER_MAX || c->max_list < 1 || c->max_targets < 1 || c->max_clients < 0 ||
        c->max_invites < 1 || c->max_invites > 10000)
        fuzz_fail("limits out of range");
    if (!c->public_username || !c->public_realname || !c->cloak_suffix || !c->state_dir)
        fuzz_fail("missing default string");
}

/* Load once with an error buffer of errlen bytes (heap, exactly sized). */
static void fc_load(size_t errlen)
{
    char *err = errlen ? malloc(errlen) : NULL;
    if (errlen && !err)
        abort();
    struct config *c = config_load(fc_path, err, errlen);
    if (errlen && strnlen(err, errlen) >= errlen)
        fuzz_fail("error text not NUL-terminated in %zu bytes", errlen);
    if (c) {
        fc_check(c);
        config_free(c);
    } else if (errlen > 1 && !err[0]) {
        fuzz_fail("load failed without a reason");
    }
    free(err);
}

/* One input: the whole config file. */
int FUZZ_ENTRY(const uint8_t *data, size_t size);
int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    fc_init();
    fc_write("havend.conf", data, size);
    fc_load(8192);
    fc_load(1 + size % 40);
    return 0;
}
