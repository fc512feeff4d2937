/* test_abuse_state.c — faults around persisted state: SIGKILL and restart
 * loses nothing that was persisted (today: the ban token secret and the
 * generated TLS certificate), and a read-only state directory is reported
 * clearly while the server keeps running when it can.
 *
 * Read-only is simulated with file modes, which root ignores: as root the
 * server runs as nobody (setpriv, prepended to HAVEND_WRAPPER) in a temp
 * dir handed to nobody. */
#include "test_abuse.h"

#include <ftw.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define NOBODY 65534

TestSuite(abuse_state, .timeout = 120);

/* nftw callback: hand one entry to nobody. */
static int give_to_nobody(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return lchown(path, NOBODY, NOBODY);
}

/* Make file modes bind the server: as root, run it as nobody and give it
 * the server dir. */
static void drop_root(struct hv_server *s)
{
    if (geteuid() != 0)
        return;
    cr_assert_eq(nftw(s->dir, give_to_nobody, 16, FTW_PHYS), 0, "chown %s", s->dir);
    const char *old = getenv("HAVEND_WRAPPER");
    char wrap[1024];
    snprintf(wrap, sizeof wrap, "setpriv --reuid=%d --regid=%d --clear-groups %s", NOBODY, NOBODY,
             old ? old : "");
    setenv("HAVEND_WRAPPER", wrap, 1);
}

/* <server dir>/<rel> into buf. */
static const char *spath(const struct hv_server *s, const char *rel, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", s->dir, rel);
    return buf;
}

/* Make the state directory (and its tls/ subdirectory) read-only or not. */
static void state_readonly(const struct hv_server *s, bool ro)
{
    char p[400];
    chmod(spath(s, "state/tls", p, sizeof p), ro ? 0500 : 0700);
    chmod(spath(s, "state", p, sizeof p), ro ? 0500 : 0700);
}

/* The whole of a small file (malloc'd), or NULL. */
static char *slurp_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = calloc(1, 65536);
    size_t n = fread(buf, 1, 65535, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Listeners on port 0 are opened afresh by every REHASH (on new ports):
 * learn the current ones from the log (opened and not closed since). */
static void reparse_ports(struct hv_server *s)
{
    char *log = hv_log(s);
    int open_ports[64], tls[64], n = 0;
    for (char *l = log; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        int port;
        char *m;
        if ((m = strstr(l, "listening on 127.0.0.1 port ")) && sscanf(m + 28, "%d", &port) == 1 && n < 64) {
            char *eol = strchr(m, '\n');
            char *t = strstr(m, "(tls)");
            tls[n] = t && (!eol || t < eol);
            open_ports[n++] = port;
        } else if ((m = strstr(l, "closing listener on 127.0.0.1 port ")) && sscanf(m + 35, "%d", &port) == 1) {
            for (int i = 0; i < n; i++)
                if (open_ports[i] == port)
                    open_ports[i] = 0;
        }
    }
    for (int i = 0; i < n; i++)
        if (open_ports[i])
            *(tls[i] ? &s->tls_port : &s->port) = open_ports[i];
    free(log);
}

/* The ban token `asker` (an oper with see_token) sees for `nick`. */
static void token_of(struct hv_client *asker, const char *nick, char *out, size_t len)
{
    hv_send(asker, "WHOIS %s", nick);
    const char *l = hv_expect(asker, " 320 [^ ]+ %s :has ban token [0-9a-f]+$", nick);
    snprintf(out, len, "%s", strrchr(l, ' ') + 1);
    hv_expect_numeric(asker, "318");
}

/* Config with a see_token oper named "staff" (password "pw"). */
static struct hv_opts oper_opts(char *extra, size_t len)
{
    char *hash = hv_mkpasswd("pw");
    snprintf(extra, len, "opers = ( { name = \"staff\"; password = \"%s\"; privileges = [ \"see_token\" ]; } );",
             hash);
    free(hash);
    struct hv_opts o = { .tls = true, .extra = extra };
    return o;
}

/* SIGKILL, then a restart on the same state directory: the ban token of
 * the same address is the same (the secret was persisted, not rebuilt),
 * the TLS certificate is the same file, and nothing was regenerated. */
Test(abuse_state, sigkill_restart_keeps_state)
{
    char extra[512];
    struct hv_opts o = oper_opts(extra, sizeof extra);
    struct hv_server *s = hv_start(&o);
    struct hv_client *staff = hv_user(s, "staff");
    hv_send(staff, "OPER staff pw");
    hv_expect_numeric(staff, "381");
    struct hv_client *u = hv_user(s, "someone");
    char before[64], after[64], p[400];
    token_of(staff, "someone", before, sizeof before);
    char *cert = slurp_file(spath(s, "state/tls/cert.pem", p, sizeof p));
    cr_assert_not_null(cert, "no certificate was generated");

    kill(s->pid, SIGKILL);
    cr_assert(hv_wait_exit(s, 5000), "havend survived SIGKILL");
    hv_close(staff);
    hv_close(u);
    hv_launch(s);

    char *log = hv_log(s);
    cr_assert_null(strstr(log, "generated a"), "state was regenerated after the restart:\n%s", log);
    free(log);
    char *cert2 = slurp_file(spath(s, "state/tls/cert.pem", p, sizeof p));
    cr_assert(cert2 && strcmp(cert, cert2) == 0, "the certificate changed across the restart");
    staff = hv_user(s, "staff");
    hv_send(staff, "OPER staff pw");
    hv_expect_numeric(staff, "381");
    u = hv_user(s, "someone");
    token_of(staff, "someone", after, sizeof after);
    cr_assert_str_eq(before, after, "the ban token of the same address changed across SIGKILL + restart");
    struct hv_client *t = hv_connect_tls(s);
    hv_register(t, "secure");
    free(cert);
    free(cert2);
    hv_stop(s);
}

/* A read-only state directory that already holds the secret and the
 * certificate: the server starts and serves (plain and TLS), REHASH works;
 * a REHASH that would have to write there (the certificate was removed)
 * is refused with the reason in the log, and the server keeps serving with
 * the certificate it has. */
Test(abuse_state, readonly_state_dir_keeps_running)
{
    struct hv_opts o = { .tls = true };
    struct hv_server *s = hv_prepare(&o);
    drop_root(s);
    hv_launch(s);                    /* first run: creates the state */
    hv_stop_keep(s);
    state_readonly(s, true);
    hv_launch(s);
    struct hv_client *w = ab_witness(s, "witness");
    struct hv_client *t = hv_connect_tls(s);
    hv_register(t, "secure");

    kill(s->pid, SIGHUP);
    cr_assert(hv_wait_log(s, "configuration reloaded", 5000 * ab_scale()), "REHASH failed on a read-only state dir");
    reparse_ports(s);
    char p[400];
    unlink(spath(s, "state/tls/cert.pem", p, sizeof p));
    unlink(spath(s, "state/tls/key.pem", p, sizeof p));
    kill(s->pid, SIGHUP);
    cr_assert(hv_wait_log(s, "reload failed, keeping the old configuration", 5000 * ab_scale()),
              "a REHASH that cannot write the state dir was not reported");
    reparse_ports(s);
    char *log = hv_log(s);
    cr_assert(strstr(log, "cannot ") && strstr(log, "state/tls"), "the report does not say what failed:\n%s", log);
    free(log);
    ab_served(s, w, "fresh");
    struct hv_client *t2 = hv_connect_tls(s);   /* the old certificate is still served */
    hv_register(t2, "secure2");
    state_readonly(s, false);
    hv_stop(s);
}

/* A read-only state directory with no ban token secret in it: the server
 * refuses to start, and says which file it could not write and why. */
Test(abuse_state, readonly_state_dir_without_secret)
{
    struct hv_server *s = hv_prepare(NULL);
    drop_root(s);
    state_readonly(s, true);
    char cmd[2048];
    const char *wrap = getenv("HAVEND_WRAPPER");
    snprintf(cmd, sizeof cmd, "exec %s '%s' -c '%s' 2>&1", wrap ? wrap : "", getenv("HAVEND_BIN"), s->conf_path);
    const char *asan = getenv("HAVEND_SERVER_ASAN_OPTIONS");
    if (asan)
        setenv("ASAN_OPTIONS", asan, 1);
    FILE *pp = popen(cmd, "r");
    cr_assert_not_null(pp);
    char out[8192];
    size_t n = fread(out, 1, sizeof out - 1, pp);
    out[n] = '\0';
    int st = pclose(pp);
    cr_log_info("havend said: %s", out);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1, "havend did not refuse to start (status %d):\n%s", st, out);
    cr_assert(strstr(out, "ban_token.secret") && strstr(out, "Permission denied"),
              "the refusal does not name the file and the reason:\n%s", out);
    state_readonly(s, false);
    hv_free(s);
}
