/* test_abuse_state.c — faults around persisted state: SIGKILL and restart
 * loses nothing that was persisted (the ban token secret, the generated TLS
 * certificate, the moderation module's bans and filters), and a read-only
 * or full state directory is reported clearly while the server keeps
 * running when it can.
 *
 * Read-only is simulated with file modes, which root ignores: as root the
 * server runs as nobody (setpriv, prepended to HAVEND_WRAPPER) in a temp
 * dir handed to nobody. A full disk is a tiny tmpfs mounted on the state
 * directory in a mount namespace of the test process alone (the server it
 * starts inherits it), filled up by the test. */
#include "test_abuse.h"
#include "test_moderation.h"

#include <fcntl.h>
#include <ftw.h>
#include <regex.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
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

/* A REHASH refused after the new ban token secret was read (here: a
 * module that does not exist) keeps the old key: tokens, and so every ban
 * by token, stay as they were. It used to switch the key anyway. */
Test(abuse_state, refused_rehash_keeps_ban_tokens)
{
    char extra[512];
    char *hash = hv_mkpasswd("pw");
    snprintf(extra, sizeof extra, "opers = ( { name = \"staff\"; password = \"%s\"; "
             "privileges = [ \"see_token\", \"rehash\" ]; } );", hash);
    free(hash);
    struct hv_opts o = { .extra = extra };
    struct hv_server *s = hv_start(&o);
    struct hv_client *staff = hv_user(s, "staff");
    hv_send(staff, "OPER staff pw");
    hv_expect_numeric(staff, "381");
    hv_user(s, "someone");
    char before[64], after[64];
    token_of(staff, "someone", before, sizeof before);

    char *conf = slurp_file(s->conf_path);
    cr_assert_not_null(conf);
    size_t n = strlen(conf) + 256;
    char *bad = malloc(n);
    cr_assert_not_null(bad);
    snprintf(bad, n, "%s\nprivacy = { ban_token_secret = \"0123456789abcdef0123456789abcdef-new\"; };\n"
             "modules = [ \"no_such_module\" ];\n", conf);
    hv_write_file(s->conf_path, bad);
    hv_send(staff, "REHASH");
    hv_expect(staff, "no_such_module");
    cr_assert(!hv_wait_log(s, "configuration reloaded", 300), "the broken config was applied");

    hv_user(s, "newcomer");
    token_of(staff, "newcomer", after, sizeof after);
    cr_assert_str_eq(before, after, "a refused REHASH changed the ban token key");
    free(bad);
    free(conf);
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
    cr_assert(hv_wait_log(s, "configuration reloaded", 5000), "REHASH failed on a read-only state dir");
    reparse_ports(s);
    char p[400];
    unlink(spath(s, "state/tls/cert.pem", p, sizeof p));
    unlink(spath(s, "state/tls/key.pem", p, sizeof p));
    kill(s->pid, SIGHUP);
    cr_assert(hv_wait_log(s, "reload failed, keeping the old configuration", 5000),
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

/* ------------------------------------------------------------ disk full */

/* Write text into /proc/self/<file> (user namespace maps). */
static bool proc_write(const char *file, const char *text)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/%s", file);
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return false;
    bool ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
    close(fd);
    return ok;
}

/* Mount propagation off for this namespace, then a tmpfs of `size` on dir. */
static bool mount_private_tmpfs(const char *dir, const char *size)
{
    char opts[64];
    snprintf(opts, sizeof opts, "size=%s,mode=0700", size);
    return mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
           mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, opts) == 0;
}

/* Put a tmpfs of `size` on dir, in a mount namespace of this test process
 * alone: a new mount namespace (as root), else a new user + mount
 * namespace. NULL on success, else why it cannot be done here. */
static const char *tiny_tmpfs(const char *dir, const char *size)
{
    static char why[400];
    uid_t uid = geteuid();
    gid_t gid = getegid();
    if (unshare(CLONE_NEWNS) == 0 && mount_private_tmpfs(dir, size))
        return NULL;
    int e1 = errno;
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
        snprintf(why, sizeof why, "cannot mount a tmpfs (%s) nor make a user namespace (%s)", strerror(e1),
                 strerror(errno));
        return why;
    }
    char map[64];
    proc_write("setgroups", "deny");
    snprintf(map, sizeof map, "0 %u 1", (unsigned)uid);
    bool ok = proc_write("uid_map", map);
    snprintf(map, sizeof map, "0 %u 1", (unsigned)gid);
    ok = proc_write("gid_map", map) && ok;
    if (ok && mount_private_tmpfs(dir, size))
        return NULL;
    snprintf(why, sizeof why, "cannot mount a tmpfs, as root (%s) or in a user namespace (%s)", strerror(e1),
             strerror(errno));
    return why;
}

/* Fill the file system holding dir with <dir>/filler until it is full
 * (ENOSPC); the filler is removed again by unfill. */
static void fill(const char *dir)
{
    char path[400];
    snprintf(path, sizeof path, "%s/filler", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    cr_assert(fd >= 0, "open %s: %s", path, strerror(errno));
    static const char block[4096];
    ssize_t n = 0;
    for (int i = 0; i < 4096 && (n = write(fd, block, sizeof block)) > 0; i++)
        ;
    int e = errno;
    close(fd);
    cr_assert(n < 0 && e == ENOSPC, "the tmpfs did not fill up (%s)", n < 0 ? strerror(e) : "no error");
    struct statvfs v;
    cr_assert(statvfs(dir, &v) == 0 && v.f_bavail == 0, "the tmpfs still has room after filling it");
}

/* Give the space taken by fill back. */
static void unfill(const char *dir)
{
    char path[400];
    snprintf(path, sizeof path, "%s/filler", dir);
    cr_assert(unlink(path) == 0, "unlink %s: %s", path, strerror(errno));
}

/* Does <dir>/<name> exist? */
static bool exists_in(const char *dir, const char *name)
{
    char path[500];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0;
}

/* How many times the ERE matches a line of the server's log. */
static int log_count(const struct hv_server *s, const char *ere)
{
    char *log = hv_log(s);
    regex_t re;
    cr_assert(regcomp(&re, ere, REG_EXTENDED | REG_NOSUB | REG_NEWLINE) == 0, "bad regex %s", ere);
    int n = 0;
    for (char *l = log, *nl; l && *l; l = nl ? nl + 1 : NULL) {
        nl = strchr(l, '\n');
        if (nl)
            *nl = '\0';
        n += regexec(&re, l, 0, NULL, 0) == 0;
    }
    regfree(&re);
    free(log);
    return n;
}

/* Run the prepared server in the foreground (under HAVEND_WRAPPER, as
 * hv_launch would) until it exits by itself, killed after 20 s (times
 * hv_time_scale()) if it does not; its output into out. */
static int run_to_exit(const struct hv_server *s, char *out, size_t len)
{
    char cmd[2048];
    const char *wrap = getenv("HAVEND_WRAPPER");
    snprintf(cmd, sizeof cmd, "exec timeout -s KILL %d %s '%s' -c '%s' 2>&1", 20 * hv_time_scale(),
             wrap ? wrap : "", getenv("HAVEND_BIN"), s->conf_path);
    const char *asan = getenv("HAVEND_SERVER_ASAN_OPTIONS");
    if (asan)
        setenv("ASAN_OPTIONS", asan, 1);
    FILE *pp = popen(cmd, "r");
    cr_assert_not_null(pp);
    size_t n = fread(out, 1, len - 1, pp);
    out[n] = '\0';
    int st = pclose(pp);
    cr_log_info("havend said: %s", out);
    return st;
}

/* Stop the server, take the tmpfs off its state directory, clean up. */
static void stop_and_unmount(struct hv_server *s)
{
    char p[400];
    hv_stop_keep(s);
    umount2(spath(s, "state", p, sizeof p), MNT_DETACH);
    hv_free(s);
}

/* A client registered as nick from loopback address src (bans follow the
 * address, and the staff and witness must not share the troll's). */
static struct hv_client *user_from(const struct hv_server *s, const char *src, const char *nick)
{
    struct hv_client *c = ab_client_fd(ab_connect_from(s->port, src), nick);
    hv_register(c, nick);
    return c;
}

/* A ban token secret that is there but cannot be read (here: mode 000,
 * the server not root) stops the start with the file and the reason; it
 * is never replaced by a new one, which would silently void every ban by
 * token. */
Test(abuse_state, unreadable_secret_is_not_replaced)
{
    struct hv_server *s = hv_prepare(NULL);
    char p[400];
    spath(s, "state/ban_token.secret", p, sizeof p);
    hv_write_file(p, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n");
    drop_root(s);
    cr_assert(chmod(p, 0) == 0);
    char out[8192];
    int st = run_to_exit(s, out, sizeof out);
    chmod(p, 0600);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1, "havend started with an unreadable secret (status %d):\n%s", st,
              out);
    char want[600];
    snprintf(want, sizeof want, "cannot read %s: Permission denied", p);
    cr_assert_not_null(strstr(out, want), "the refusal does not say \"%s\":\n%s", want, out);
    char *secret = slurp_file(p);
    cr_assert(secret && strcmp(secret, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n") == 0,
              "the unreadable secret was replaced");
    free(secret);
    hv_free(s);
}

/* The state directory fills up while the server runs (moderation module,
 * audit log in the state directory too): a BAN that cannot be saved is in
 * force, the staff member who made it is told it would not survive a
 * restart, the log names the file and "No space left on device", the
 * state file on disk is the previous one, whole, with no temporary file
 * left; the audit log's failure is logged once; everyone else is served.
 * Once space is back, the next change saves everything (the ban made
 * while full included), the recoveries are logged, and it all survives
 * SIGKILL and a restart. */
Test(abuse_state, disk_full_state_dir_reported_and_recovers)
{
    struct mod_opts mo = { .more = "audit_log = \"state/audit.log\";" };
    struct hv_opts ho = { .extra = mod_config(&mo) };
    struct hv_server *s = hv_prepare(&ho);
    char state[400], file[500];
    spath(s, "state", state, sizeof state);
    snprintf(file, sizeof file, "%s/moderation.state", state);
    const char *why = tiny_tmpfs(state, "128k");
    if (why) {
        hv_free(s);
        cr_skip_test("no tiny file system for the state directory: %s", why);
    }
    hv_launch(s);
    struct hv_client *a = mod_alice(s), *w = ab_witness(s, "witness");
    struct hv_client *t = user_from(s, "127.0.0.2", "troll");
    ms(a, "BAN troll perm first ban");
    hv_expect(a, MS_NOTICE("alice") "Ban #1 on troll until never \\(permanent\\); 1 connection closed\\.$");
    hv_expect_closed(t, 2000);
    char *before = slurp_file(file);
    cr_assert(before && strstr(before, "first ban"), "ban #1 was not saved:\n%s", before ? before : "(no file)");

    fill(state);
    struct hv_client *t2 = user_from(s, "127.0.0.3", "troll2");
    ms(a, "BAN troll2 1h second ban");
    hv_expect(a, MS_NOTICE("alice") "Ban #2 on troll2 until [0-9-]{10} [0-9:]{8} UTC; 1 connection closed\\.$");
    hv_expect(a, AUDIT "alice banned troll2 \\(ban #2\\) until [^:]+:[^:]+:[^:]+: second ban$");
    hv_expect(a, AUDIT "WARNING: could not save bans and filters to the state file \\(No space left on device\\); "
              "they are in force but would be lost on a restart$");
    hv_expect(a, MS_NOTICE("alice") "WARNING: this change could not be saved to the state file \\(No space left on "
              "device\\)\\. It is in force now but would be lost on a restart; tell the server's operator\\.$");
    hv_expect_closed(t2, 2000);
    char want[700];
    snprintf(want, sizeof want, "error: moderation: cannot write the state file %s: No space left on device",
             hv_re(file));
    cr_assert(hv_wait_log(s, want, 2000), "the failed save was not logged with the file and reason");
    char *during = slurp_file(file);
    cr_assert(during && strcmp(before, during) == 0, "the state file changed on a full disk:\n%s",
              during ? during : "(no file)");
    cr_assert(!exists_in(state, "moderation.state.tmp"), "a temporary state file was left behind");
    ab_served(s, w, "fresh");

    /* The audit log fills its last block, then fails: reported once, not per line. */
    char text[301];
    memset(text, 'w', 300);
    text[300] = '\0';
    snprintf(want, sizeof want, "error: moderation: cannot write the audit log %s/audit\\.log: No space left on "
             "device; audit lines are lost until it can be written again$", hv_re(state));
    for (int i = 0; i < 40 && log_count(s, want) == 0; i++) {
        ms(a, "WARN witness %d %s", i, text);
        hv_expect(a, MS_NOTICE("alice") "Warned witness\\.$");
    }
    cr_assert_eq(log_count(s, want), 1, "a full audit log was not reported");
    for (int i = 0; i < 3; i++) {
        ms(a, "WARN witness again %d", i);
        hv_expect(a, MS_NOTICE("alice") "Warned witness\\.$");
    }
    cr_assert_eq(log_count(s, want), 1, "a full audit log was reported more than once");

    unfill(state);
    ms(a, "FILTER ADD block zebra");
    hv_expect(a, MS_NOTICE("alice") "Added filter 1: block \"zebra\"\\.$");
    hv_expect_none(a, 300, "WARNING: this change could not be saved");
    char *after = slurp_file(file);
    cr_assert(after && strstr(after, "first ban") && strstr(after, "second ban") && strstr(after, "zebra"),
              "the next change after the disk was freed did not save everything:\n%s", after ? after : "(no file)");
    snprintf(want, sizeof want, "info: moderation: the state file %s is written again$", hv_re(file));
    cr_assert_eq(log_count(s, want), 1, "the recovery of the state file was not logged");
    snprintf(want, sizeof want, "info: moderation: the audit log %s/audit\\.log is written again$", hv_re(state));
    cr_assert_eq(log_count(s, want), 1, "the recovery of the audit log was not logged");
    char apath[500];
    snprintf(apath, sizeof apath, "%s/audit.log", state);
    char *audit = slurp_file(apath);
    cr_assert(audit && strstr(audit, "Z alice added filter 1: block \"zebra\"\n"), "the audit log was not resumed:\n%s",
              audit ? audit : "(no file)");
    regex_t stamp, glued;
#define STAMP "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z [A-Za-z]"
    cr_assert(regcomp(&stamp, "^" STAMP, REG_EXTENDED | REG_NOSUB) == 0);
    cr_assert(regcomp(&glued, STAMP, REG_EXTENDED | REG_NOSUB) == 0);
#undef STAMP
    for (char *l = audit, *nl; *l; l = nl + 1) {
        nl = strchr(l, '\n');
        cr_assert_not_null(nl, "the audit log ends in half a line");
        *nl = '\0';
        cr_assert(regexec(&stamp, l, 0, NULL, 0) == 0, "a torn line in the audit log: %.120s", l);
        cr_assert(regexec(&glued, l + 1, 0, NULL, 0) != 0, "half a line with the next glued on in the audit log: %s",
                  l);
    }
    regfree(&stamp);
    regfree(&glued);
    free(audit);

    kill(s->pid, SIGKILL);
    cr_assert(hv_wait_exit(s, 5000), "havend survived SIGKILL");
    hv_close(a);
    hv_close(w);
    hv_launch(s);
    struct hv_client *a2 = mod_alice(s);
    ms(a2, "BANS");
    hv_expect(a2, MS_NOTICE("alice") "2 bans in force:$");
    hv_sync(a2);
    cr_assert_not_null(hv_find(a2, MS_NOTICE("alice") "  #1 troll - until never \\(permanent\\) - first ban "),
                       "ban #1 was lost across the restart");
    cr_assert_not_null(hv_find(a2, MS_NOTICE("alice") "  #2 troll2 - until [0-9-]{10} [0-9:]{8} UTC - second ban "),
                       "ban #2 (made while the disk was full) was lost across the restart");
    ms(a2, "FILTER LIST");
    hv_expect(a2, MS_NOTICE("alice") "  1 block \"zebra\" everywhere, added by alice$");
    struct hv_client *c = ab_client_fd(ab_connect_from(s->port, "127.0.0.3"), "troll2-again");
    hv_send(c, "NICK again");
    hv_send(c, "USER u 0 * :r");
    hv_expect(c, "^ERROR :Closing Link: .*\\(Banned: second ban \\(until ");
    free(before);
    free(during);
    free(after);
    stop_and_unmount(s);
}

/* A full state directory at start: with no ban token secret yet the
 * server refuses to start and says which file and why, leaving no
 * temporary file; with the secret (and certificate) already there it
 * starts and serves plain and TLS clients; and a certificate it would have
 * to generate is refused the same way as the secret. */
Test(abuse_state, disk_full_at_start)
{
    struct hv_opts o = { .tls = true };
    struct hv_server *s = hv_prepare(&o);
    char state[400], tls[450], out[8192], want[1200];
    spath(s, "state", state, sizeof state);
    snprintf(tls, sizeof tls, "%s/tls", state);
    const char *why = tiny_tmpfs(state, "64k");
    if (why) {
        hv_free(s);
        cr_skip_test("no tiny file system for the state directory: %s", why);
    }

    fill(state);
    int st = run_to_exit(s, out, sizeof out);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1, "havend did not refuse to start (status %d):\n%s", st, out);
    snprintf(want, sizeof want, "cannot write %s/ban_token.secret: No space left on device", state);
    cr_assert_not_null(strstr(out, want), "the refusal does not say \"%s\":\n%s", want, out);
    cr_assert(!exists_in(state, "ban_token.secret.tmp") && !exists_in(state, "ban_token.secret"),
              "a partial ban token secret was left behind");

    unfill(state);
    hv_launch(s);
    hv_stop_keep(s);
    cr_assert(exists_in(state, "ban_token.secret") && exists_in(tls, "cert.pem"), "the first start wrote nothing");
    fill(state);
    hv_launch(s);
    struct hv_client *u = hv_user(s, "plain");
    struct hv_client *t = hv_connect_tls(s);
    hv_register(t, "secure");
    hv_send(u, "PRIVMSG secure :still here");
    hv_expect(t, "PRIVMSG secure :still here$");
    hv_stop_keep(s);
    hv_check_sanitizers(s);
    hv_close(u);
    hv_close(t);

    char p[500];
    snprintf(p, sizeof p, "%s/cert.pem", tls);
    unlink(p);
    snprintf(p, sizeof p, "%s/key.pem", tls);
    unlink(p);
    fill(state);                        /* what the two files held is free again */
    st = run_to_exit(s, out, sizeof out);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1, "havend started without a certificate (status %d):\n%s", st,
              out);
    snprintf(want, sizeof want, "cannot write %s/cert.pem or %s/key.pem: No space left on device", tls, tls);
    cr_assert_not_null(strstr(out, want), "the refusal does not say \"%s\":\n%s", want, out);
    cr_assert(!exists_in(tls, "key.pem.tmp") && !exists_in(tls, "cert.pem.tmp"), "a temporary PEM file was left");
    stop_and_unmount(s);
}
