/* fuzz_dispatch.c — libFuzzer target for full command dispatch: the read
 * path (line cutting, length limits, NUL bytes), the parser, the command
 * table and every handler, against an in-memory server.
 *
 * The server is the real core (srv, conn.c, the handlers) set up once
 * without listeners or signal handlers. For each input, four connections
 * are accepted through conn_accept() on AF_UNIX socketpairs (with made-up
 * IPv4 peer addresses): "op" (an oper with kill/rehash/wallops/see_token),
 * "tagger" (every IRCv3 capability), "plain", all three in #fuzz, and one
 * that never registers. The input is split at '\n'; the first byte of each
 * piece picks the connection (byte % 4) and the rest, '\n' included, is
 * written to it; when that byte has its high bit set, the connection then
 * vanishes (EOF). The event loop runs without blocking after each piece.
 * The last piece may end mid-line. Then everything is closed.
 *
 * Built a second time as fuzz_dispatch_modules (FUZZ_WITH_MODULES): the
 * same against the shipped conf/havend.conf with every module it loads.
 *
 * Oracles besides ASan/UBSan: every line the server sends ends in CRLF and
 * holds no other CR, LF or NUL, its tag section is at most 8191 bytes and
 * the rest at most 510, it parses with a command, and no line ever carries
 * a peer address (they are all under 203.0.113.0/24) unless the input
 * itself contained that text; after closing everything, the counters and
 * tables are back to what they were after start-up and only permanent
 * channels remain, with no user in them. */
#include "fuzz_common.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <event2/event.h>

#include "havend.h"
#include "modules/module.h"

#define FD_CONNS 4
#define FD_PIECES_MAX 96          /* bounds the time per input */
#define FD_ACC_MAX (IRC_TAGS_MAX + IRC_LINE_MAX + 256)
#define FD_ADDR_PREFIX "203.0.113."

struct fd_peer {
    struct conn *conn;            /* the server side (stale once it closed) */
    int fd;                       /* our end of the socketpair */
    char acc[FD_ACC_MAX];         /* partial line received */
    size_t acc_len;
    bool eof;
};

static struct fd_peer fd_peers[FD_CONNS];
static struct listener fd_listener;
static char fd_dir[256], fd_conf[1024];
static bool fd_input_has_addr;    /* the input mentions the address prefix */
static size_t fd_base_nicks, fd_base_uids, fd_base_opers;   /* after init */

/* Remove the scratch directory at exit. */
static void fd_cleanup(void)
{
    fuzz_rmtree(fd_dir);
}

/* The scratch directory (config, state), removed at exit. */
static void fd_make_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(fd_dir, sizeof fd_dir, "%s/havend-fuzz-dispatch-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(fd_dir))
        fuzz_fail("mkdtemp %s", fd_dir);
    atexit(fd_cleanup);
}

#ifdef FUZZ_WITH_MODULES
/* fuzz_dispatch_modules runs the shipped config (HAVEND_FUZZ_CONF, i.e.
 * conf/havend.conf with every module it loads), adjusted in memory only:
 * state goes to the scratch directory, logging to /dev/null, and no limit
 * that depends on the clock or on the address (throttle, per_token, flood
 * delays, timeouts). REHASH is not granted: it would reload the file. */
static void fd_adjust_config(struct config *c)
{
    free(c->state_dir);
    free(c->log_file);
    free(c->module_path);
    c->state_dir = strdup(fd_dir);
    c->log_file = strdup("/dev/null");
    c->module_path = strdup(HAVEND_BUILD_MODULE_DIR);   /* this build's, never installed ones */
    if (!c->state_dir || !c->log_file || !c->module_path)
        abort();
    c->log_level = LOG_ERROR;
    /* The oper "fuzz" (connection 0) is moderation staff with the admin
     * role, so staff commands run too (staff are named by oper block). */
    config_setting_t *staff = c->raw ? config_lookup(c->raw, "moderation.staff") : NULL;
    if (staff && config_setting_is_group(staff) && !config_setting_get_member(staff, "fuzz")) {
        config_setting_t *e = config_setting_add(staff, "fuzz", CONFIG_TYPE_STRING);
        if (e)
            config_setting_set_string(e, "admin");
    }
    for (size_t i = 0; i < c->nclasses; i++) {
        struct conf_class *k = &c->classes[i];
        k->max_clients = k->per_token = k->throttle_count = 0;
        k->flood_burst = k->flood_rate = 1000000;
        k->reg_timeout = k->ping_freq = k->ping_timeout = 3600;
        k->idle_timeout = 0;
    }
}
#endif

#ifndef FUZZ_WITH_MODULES
/* Write the scratch config: no per-address limits or flood delays (the
 * input decides what happens, not the clock), short lists so that limits
 * are reachable, a MOTD, and a fixed ban token secret (no state file). */
static void fd_write_config(void)
{
    char motd[400];
    snprintf(motd, sizeof motd, "%s/motd.txt", fd_dir);
    FILE *f = fopen(motd, "w");
    if (!f)
        fuzz_fail("cannot write %s", motd);
    fputs("Fuzzing MOTD line one\nline two\n", f);
    fclose(f);
    snprintf(fd_conf, sizeof fd_conf, "%s/havend.conf", fd_dir);
    f = fopen(fd_conf, "w");
    if (!f)
        fuzz_fail("cannot write %s", fd_conf);
    fprintf(f,
            "server = { name = \"irc.fuzz.local\"; sid = \"0FZ\"; description = \"fuzz\";\n"
            "  network = \"FuzzNet\"; motd = \"motd.txt\"; state_dir = \"state\"; };\n"
            "limits = { max_channels = 8; max_list = 8; max_targets = 4; max_modes = 4; whowas = 16;\n"
            "  nicklen = 16; channellen = 32; topiclen = 120; kicklen = 120; awaylen = 120; };\n"
            "privacy = { ban_token_secret = \"fuzz-secret-fuzz-secret-fuzz-secret\"; };\n"
            "log = { level = \"error\"; file = \"/dev/null\"; };\n"
            "listen = ( { address = \"127.0.0.1\"; port = 0; } );\n"
            "classes = ( { name = \"default\"; max_clients = 0; sendq = 65536; recvq = 16384;\n"
            "  ping_freq = 3600; ping_timeout = 3600; reg_timeout = 3600;\n"
            "  flood = { mode = \"fakelag\"; burst = 1000000; rate = 1000000; };\n"
            "  per_token = 0; throttle = { count = 0; period = 1; }; } );\n");
    fclose(f);
}
#endif

/* Set up the global server once: what server_init() does, minus the
 * listeners (no sockets to accept on) and signal handlers (libFuzzer's own
 * must stay). REHASH still works: it reloads the scratch config. */
static void fd_init(void)
{
    static bool ready;
    if (ready)
        return;
    ready = true;
    signal(SIGPIPE, SIG_IGN);
    fd_make_dir();
    char err[4096];
#ifdef FUZZ_WITH_MODULES
    snprintf(fd_conf, sizeof fd_conf, "%s", HAVEND_FUZZ_CONF);
    srv.conf = config_load(fd_conf, err, sizeof err);
    if (srv.conf)
        fd_adjust_config(srv.conf);
#else
    fd_write_config();
    srv.conf = config_load(fd_conf, err, sizeof err);
#endif
    srv.conf_path = fd_conf;
    if (!srv.conf)
        fuzz_fail("config %s does not load: %s", fd_conf, err);
    log_configure(srv.conf);
    snprintf(srv.name, sizeof srv.name, "%s", srv.conf->server_name);
    srv.started = time(NULL);
    snprintf(srv.created, sizeof srv.created, "at fuzz time");
    srv.base = event_base_new();
    if (!srv.base)
        fuzz_fail("event_base_new");
    hashmap_init(&srv.nicks);
    hashmap_init(&srv.uids);
    hashmap_init(&srv.chans);
    conn_reap_init();
    if (bantoken_init(srv.conf, err, sizeof err) != 0 || modules_apply(srv.conf, err, sizeof err) != 0)
        fuzz_fail("init: %s", err);
    snprintf(fd_listener.class_name, sizeof fd_listener.class_name, "default");
#ifdef FUZZ_WITH_MODULES
    /* Pin every module in memory: libFuzzer keeps writing to a module's
     * coverage counters, so an unloaded module must never be unmapped. */
    for (size_t i = 0; i < srv.conf->nmodules; i++) {
        char so[1400];
        snprintf(so, sizeof so, "%s/%s.so", srv.conf->module_path, srv.conf->modules[i]);
        if (!dlopen(so, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE))
            fuzz_fail("module %s is not loaded from %s", srv.conf->modules[i], so);
    }
#endif
    /* What the modules set up (services, permanent rooms) stays. */
    fd_base_nicks = srv.nicks.count;
    fd_base_uids = srv.uids.count;
    fd_base_opers = srv.nopers;
}

/* Check one complete line the server sent (without its CRLF). */
static void fd_check_line(const char *line, size_t len)
{
    if (memchr(line, '\0', len) || memchr(line, '\r', len))
        fuzz_fail("line with NUL or bare CR: %.*s", (int)len, line);
    size_t taglen = 0;
    if (len && line[0] == '@') {
        const char *sp = memchr(line, ' ', len);
        if (!sp)
            fuzz_fail("tags without a message: %.*s", (int)len, line);
        taglen = (size_t)(sp - line) + 1;
        if (taglen > IRC_TAGS_MAX)
            fuzz_fail("tag section of %zu bytes", taglen);
    }
    if (len - taglen > IRC_LINE_MAX - 2)
        fuzz_fail("line of %zu bytes (without tags): %.*s", len - taglen, (int)len, line);
    char buf[FD_ACC_MAX];
    memcpy(buf, line, len);
    buf[len] = '\0';
    struct message m;
    if (message_parse(buf, &m) != PARSE_OK)
        fuzz_fail("server line does not parse: %.*s", (int)len, line);
    if (!fd_input_has_addr && memmem(line, len, FD_ADDR_PREFIX, strlen(FD_ADDR_PREFIX)))
        fuzz_fail("a peer address was sent: %.*s", (int)len, line);
}

/* Read everything the server sent to one peer and check each line. */
static void fd_drain(struct fd_peer *p)
{
    while (!p->eof) {
        ssize_t n = recv(p->fd, p->acc + p->acc_len, sizeof p->acc - p->acc_len, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            p->eof = true;
            break;
        }
        if (n < 0)
            break;
        p->acc_len += (size_t)n;
        size_t start = 0;
        for (;;) {
            char *nl = memchr(p->acc + start, '\n', p->acc_len - start);
            if (!nl)
                break;
            size_t end = (size_t)(nl - p->acc);
            if (end == start || p->acc[end - 1] != '\r')
                fuzz_fail("line not ended by CRLF: %.*s", (int)(end - start), p->acc + start);
            fd_check_line(p->acc + start, end - 1 - start);
            start = end + 1;
        }
        memmove(p->acc, p->acc + start, p->acc_len - start);
        p->acc_len -= start;
        if (p->acc_len == sizeof p->acc)
            fuzz_fail("%zu bytes without a line end", p->acc_len);
    }
}

/* Let the server run what is ready (reads, handlers, writes, the reaper),
 * reading back what it sent, a few rounds. */
static void fd_pump(void)
{
    for (int round = 0; round < 3; round++) {
        event_base_loop(srv.base, EVLOOP_NONBLOCK);
        for (int i = 0; i < FD_CONNS; i++)
            fd_drain(&fd_peers[i]);
    }
}

/* Write bytes to a peer's socket; when its buffer is full, let the server
 * read and retry a few times, then give up on the rest. */
static void fd_write(struct fd_peer *p, const uint8_t *buf, size_t len)
{
    for (int tries = 0; len > 0 && tries < 8; tries++) {
        ssize_t n = send(p->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return;           /* the server closed it */
        fd_pump();
    }
}

/* Accept one connection through the real accept path. */
static void fd_accept(struct fd_peer *p, int index)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        fuzz_fail("socketpair: %s", strerror(errno));
    fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) | O_NONBLOCK);
    fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK); /* conn_accept() expects it */
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)(40000 + index)) };
    char addr[32];
    snprintf(addr, sizeof addr, FD_ADDR_PREFIX "%d", 10 + index);
    inet_pton(AF_INET, addr, &sin.sin_addr);
    size_t before = srv.nconns;
    conn_accept(&fd_listener, sv[0], (struct sockaddr *)&sin, (int)sizeof sin, NULL);
    if (srv.nconns != before + 1)
        fuzz_fail("connection %d was refused", index);
    memset(p, 0, sizeof *p);
    p->conn = srv.conns;      /* conn_accept puts the newest first */
    p->fd = sv[1];
}

/* Send setup lines and pump until the connection is registered. */
static void fd_register(struct fd_peer *p, const char *lines)
{
    fd_write(p, (const uint8_t *)lines, strlen(lines));
    for (int i = 0; i < 20 && p->conn->state != STATE_USER; i++)
        fd_pump();
    if (p->conn->state != STATE_USER)
        fuzz_fail("setup client did not register");
}

/* The per-input starting state: three registered users in #fuzz (op has
 * channel operator status and server operator privileges), one not registered. */
static void fd_setup(void)
{
    for (int i = 0; i < FD_CONNS; i++)
        fd_accept(&fd_peers[i], i);
    fd_register(&fd_peers[0], "NICK op\r\nUSER op 0 * :Op\r\nJOIN #fuzz\r\n");
    /* One REQ per capability: REQ is all-or-nothing, and this way the
     * client gets whichever of them the server implements. */
    fd_register(&fd_peers[1], "CAP LS 302\r\nCAP REQ :batch\r\nCAP REQ :labeled-response\r\n"
                              "CAP REQ :message-tags\r\nCAP REQ :server-time\r\nCAP REQ :echo-message\r\n"
                              "CAP REQ :multi-prefix\r\nCAP REQ :userhost-in-names\r\nCAP REQ :extended-join\r\n"
                              "CAP REQ :away-notify\r\nCAP REQ :invite-notify\r\nCAP REQ :chghost\r\n"
                              "CAP REQ :setname\r\nCAP REQ :account-notify\r\nCAP REQ :account-tag\r\n"
                              "CAP REQ :standard-replies\r\nCAP REQ :draft/message-redaction\r\n"
                              "NICK tagger\r\nUSER t 0 * :T\r\nCAP END\r\nJOIN #fuzz\r\n");
    fd_register(&fd_peers[2], "NICK plain\r\nUSER p 0 * :P\r\nJOIN #fuzz\r\n");
    struct client *op = fd_peers[0].conn->client;
    op->umodes |= UMODE_OPER;
    op->oper_privs = OPRIV_KILL | OPRIV_WALLOPS | OPRIV_SEE_TOKEN;
#ifndef FUZZ_WITH_MODULES
    op->oper_privs |= OPRIV_REHASH;
#endif
    op->oper_name = strdup("fuzz");
    srv.nopers++;
    fd_pump();
}

/* Close everything and check that nothing was left behind in the tables. */
static void fd_teardown(void)
{
    conn_close_all("fuzz input done");
    fd_pump();
    /* Frees connections still flushing their ERROR line; then a fresh
     * reaper and housekeeping timer for the next input. */
    conn_shutdown();
    conn_reap_init();
    for (int i = 0; i < FD_CONNS; i++)
        close(fd_peers[i].fd);
    if (srv.nconns || srv.nusers || srv.nunreg || srv.nopers != fd_base_opers || srv.conns || srv.dead)
        fuzz_fail("counters not back to zero: conns %zu users %zu unreg %zu opers %zu", srv.nconns, srv.nusers,
                  srv.nunreg, srv.nopers);
    if (srv.nicks.count != fd_base_nicks || srv.uids.count != fd_base_uids)
        fuzz_fail("tables not back: nicks %zu (%zu) uids %zu (%zu)", srv.nicks.count, fd_base_nicks,
                  srv.uids.count, fd_base_uids);
    /* Every channel left is a permanent one, with services only in it. */
    size_t bucket = 0;
    struct hm_entry *e = NULL;
    struct channel *ch;
    while ((ch = hashmap_next(&srv.chans, &bucket, &e))) {
        if (!ch->permanent)
            fuzz_fail("channel %s left behind", ch->name);
        for (size_t i = 0; i < ch->nmembers; i++)
            if (ch->members[i]->client->conn)
                fuzz_fail("a closed user is still in %s", ch->name);
    }
    if (srv.label.conn || srv.label.pending)
        fuzz_fail("labeled-response state left behind");
}

#ifdef FUZZ_WITH_MODULES
/* nftw callback: remove what a module saved in the scratch state dir
 * (all but the directory itself and the ban token secret). */
static int fd_rm_state(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag;
    if (ftw->level > 0 && !strstr(path, "ban_token.secret"))
        remove(path);
    return 0;
}
#endif

/* With modules: unload and load them again with no saved state, so that
 * one input's bans, mutes or filters cannot change how the next one runs
 * (as a REHASH that drops and re-adds them would; they stay mapped). */
static void fd_reset_modules(void)
{
#ifdef FUZZ_WITH_MODULES
    char err[4096];
    modules_unload_all();
    nftw(fd_dir, fd_rm_state, 16, FTW_DEPTH | FTW_PHYS);
    if (modules_apply(srv.conf, err, sizeof err) != 0)
        fuzz_fail("modules do not load again: %s", err);
#endif
}

/* One input: pieces of bytes for the four connections (see the top). */
int FUZZ_ENTRY(const uint8_t *data, size_t size);
int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    fd_init();
    fd_input_has_addr = memmem(data, size, "203.0.113", 9) != NULL;
    fd_setup();
    size_t pos = 0;
    for (int pieces = 0; pos < size && pieces < FD_PIECES_MAX; pieces++) {
        const uint8_t *nl = memchr(data + pos, '\n', size - pos);
        size_t end = nl ? (size_t)(nl - data) + 1 : size;
        struct fd_peer *p = &fd_peers[data[pos] % FD_CONNS];
        if (end > pos + 1)
            fd_write(p, data + pos + 1, end - pos - 1);
        if (data[pos] & 0x80)
            shutdown(p->fd, SHUT_WR);     /* the client vanishes (EOF) */
        fd_pump();
        pos = end;
    }
    fd_teardown();
    fd_reset_modules();
    return 0;
}
