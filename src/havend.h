/* havend.h — the daemon's shared types: server, connections, clients, channels.
 *
 * One header for the core, in the style of Redis' server.h: plain structs and
 * the prototypes of each subsystem, grouped by the file that implements them.
 * Modules never include this; they use include/havend/.
 *
 * Privacy by construction: a connection's real address is not kept at all.
 * conn_accept() turns it into the keyed ban token (and, with cloaking off,
 * the host) and forgets it; every mask sent to anyone is built from
 * client.nick / client.user / client.host, which hold public values only
 * (see user_set_public_identity()).
 */
#ifndef HAVEND_H
#define HAVEND_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/event.h>
#include <event2/event_struct.h>  /* struct conn embeds its event: no allocation per client */
#include <event2/bufferevent.h>
#include <openssl/ssl.h>

#include "conf/config.h"
#include "proto/parse.h"
#include "state/hashmap.h"

#define HAVEND_VERSION "0.1.0"

/* Protocol limits that do not change at runtime (RFC 2812 + IRCv3 tags). */
#define IRC_LINE_MAX 512          /* bytes of a line without tags, incl. CRLF */
#define IRC_TAGS_MAX 8191         /* bytes of the tag section incl. '@' and ' ' */
#define IRC_INPUT_MAX (IRC_LINE_MAX + IRC_TAGS_MAX)
#define NICK_MAX 32               /* storage; the configured NICKLEN is <= this */
#define USER_MAX 16
#define HOST_MAX 64
#define REAL_MAX 64
#define CHAN_MAX 64               /* storage; configured CHANNELLEN <= this */
#define UID_LEN 9
#define SID_LEN 3
#define BAN_TOKEN_LEN 16           /* hex digits of HMAC-SHA256(secret, address) */

/* ---------------------------------------------------------------- IRCv3 capabilities */

/* One bit per capability a connection negotiated (conn.caps). The table of
 * names and values is in proto/cap.c; only caps marked implemented there
 * are ever advertised. */
enum {
    CAP_CAP_NOTIFY        = 1u << 0,
    CAP_MESSAGE_TAGS      = 1u << 1,
    CAP_SERVER_TIME       = 1u << 2,
    CAP_ECHO_MESSAGE      = 1u << 3,
    CAP_BATCH             = 1u << 4,
    CAP_LABELED_RESPONSE  = 1u << 5,
    CAP_MULTI_PREFIX      = 1u << 6,
    CAP_USERHOST_IN_NAMES = 1u << 7,
    CAP_EXTENDED_JOIN     = 1u << 8,
    CAP_AWAY_NOTIFY       = 1u << 9,
    CAP_INVITE_NOTIFY     = 1u << 10,
    CAP_CHGHOST           = 1u << 11,
    CAP_SETNAME           = 1u << 12,
    CAP_NO_IMPLICIT_NAMES = 1u << 13,
    CAP_ACCOUNT_NOTIFY    = 1u << 14,
    CAP_ACCOUNT_TAG       = 1u << 15,
    CAP_SASL              = 1u << 16,
    CAP_STANDARD_REPLIES  = 1u << 17,
    CAP_MESSAGE_REDACTION = 1u << 18,
    CAP_STS               = 1u << 19,
};

/* ---------------------------------------------------------------- users */

/* User mode bits. */
enum {
    UMODE_INVISIBLE = 1u << 0,   /* +i */
    UMODE_OPER      = 1u << 1,   /* +o */
    UMODE_WALLOPS   = 1u << 2,   /* +w */
    UMODE_BOT       = 1u << 3,   /* +B: a bot or service */
};

/* Where a connection is in its life; selects the handler slot in the
 * command table. */
enum conn_state {
    STATE_UNREG = 0,   /* accepted, not yet registered */
    STATE_USER,        /* a registered local user */
    STATE_SERVER,      /* a linked server (TS6, later) */
    STATE_COUNT
};

struct conn;
struct ochunk;
struct channel;
struct membership;

/* A user on the network: local (conn != NULL) or, later, remote. Keyed by
 * UID in the uid table and by casefolded nick in the nick table. */
struct client {
    char uid[UID_LEN + 1];        /* TS6 UID: SID + 6 chars */
    char nick[NICK_MAX + 1];
    char host[HOST_MAX + 1];      /* public host: a random cloak, never the address */
    char ban_token[BAN_TOKEN_LEN + 1]; /* keyed hash of the address ("" for services) */
    const char *user;             /* public username (user_set_username()) */
    const char *realname;         /* public realname (user_set_realname()) */
    time_t nick_ts;               /* TS6 nick timestamp */
    time_t signon;
    char *away;                   /* NULL when not away */
    char *oper_name;              /* operator block name, when opered */
    char *account;                /* account (oper/staff block name) once logged in, else NULL */
    const char *server_name;      /* the server this user is on */
    struct conn *conn;            /* NULL for remote users */
    struct hv_service *service;   /* set for service pseudo-clients (conn == NULL) */
    struct monitor_list *monitor; /* MONITOR targets (commands/monitor.c), NULL when none */

    struct membership **chans;    /* channels this user is in */
    uint32_t nchans, chans_cap;

    uint64_t fanout_serial;       /* de-duplicates fan-out to common channels */
    uint16_t umodes;              /* UMODE_* */
    uint16_t oper_privs;          /* OPRIV_* bits */
    bool registered;
    bool user_owned, realname_owned; /* user / realname are this user's own copies */
};

/* ---------------------------------------------------------------- connections */

/* A local socket: one per client (later: per server link).
 *
 * Plain sockets are read and written directly (net/conn_io.c): input goes
 * through a stack buffer and only a partial line (or lines held back by fake
 * lag) is kept, in ibuf; output is appended to a list of chunks and written
 * once at the end of the loop turn. Both exist only while they hold bytes,
 * so an idle client costs no buffer memory. TLS connections use an OpenSSL
 * bufferevent underneath the same two buffers. */
struct conn {
    struct client *client;
    struct event ev;              /* plain: read, plus write while output is blocked */
    struct bufferevent *bev;      /* TLS only (NULL for plain sockets) */
    struct conn *prev, *next;     /* all local connections */

    char *ibuf;                   /* unhandled input, NULL when none */
    uint32_t ilen, icap;          /* bounded by recvq (<= 4 GiB) */
    struct ochunk *ohead, *otail; /* queued output (net/conn_io.c), NULL when none */
    size_t opending;              /* bytes queued in ohead..otail */
    struct conn *flush_prev, *flush_next;

    const struct conf_class *cls; /* limits that apply to this connection */
    const char *class_name;       /* interned (str_intern); re-resolved on REHASH */

    /* Registration. */
    char *pass;                   /* PASS argument until registration */
    char *sent_user, *sent_real;  /* what USER sent; kept only until registration */
    struct sasl_session *sasl;    /* AUTHENTICATE state (commands/sasl.c), NULL until used */

    /* Liveness. */
    uint32_t connected_at, last_recv, last_active, ping_sent_at; /* time(); 0 = never */
    struct event *timer;          /* fake-lag resume timer, created when first needed */

    /* Flood control: token bucket in milli-tokens. */
    int64_t flood_tokens;
    int64_t flood_last_ms;        /* CLOCK_MONOTONIC, when the bucket was last refilled */

    /* Closing. */
    char *quit_reason;
    struct conn *next_dead;

    evutil_socket_t fd;
    unsigned caps;                /* CAP_* negotiated */
    uint16_t cap_version;         /* 301 or 302 (from CAP LS 302) */
    uint8_t state;                /* enum conn_state */
    bool tls;
    bool write_armed;             /* plain: waiting for the socket to take more */
    bool flush_queued;            /* on the end-of-turn flush list */
    bool got_nick, got_user, pass_ok;
    bool cap_negotiating;         /* CAP LS/REQ seen, CAP END not yet */
    bool flood_paused;            /* fake lag: reading paused until tokens refill */
    bool discarding;              /* dropping the rest of an over-long line */
    bool dead;                    /* closed; freed after the current callback */
};

/* ---------------------------------------------------------------- channels */

enum {
    CMODE_INVITEONLY = 1u << 0,  /* i */
    CMODE_MODERATED  = 1u << 1,  /* m */
    CMODE_NOEXTERNAL = 1u << 2,  /* n */
    CMODE_TOPICLOCK  = 1u << 3,  /* t */
    CMODE_SECRET     = 1u << 4,  /* s */
    CMODE_PRIVATE    = 1u << 5,  /* p */
    CMODE_KEY        = 1u << 6,  /* k (key in channel.key) */
    CMODE_LIMIT      = 1u << 7,  /* l (limit in channel.limit) */
    CMODE_OPERONLY   = 1u << 8,  /* O: only operators (staff) may join; only they may set it */
};

/* Membership status bits, highest first. */
enum {
    CSTATUS_OP    = 1u << 0,     /* @ */
    CSTATUS_VOICE = 1u << 1,     /* + */
};

/* One entry of a ban/except/invex list. */
struct mask_entry {
    char *mask;
    char *set_by;
    time_t set_at;
};

struct mask_list {
    struct mask_entry *v;
    size_t n, cap;
};

struct membership {
    struct client *client;
    struct channel *chan;
    uint32_t chan_index;         /* position in chan->members (client->chans is short: scanned) */
    unsigned status;             /* CSTATUS_* */
};

struct channel {
    char name[CHAN_MAX + 1];
    time_t ts;                   /* TS6 channel creation time */
    unsigned modes;
    char key[32];
    int limit;
    char *topic;
    char topic_setter[NICK_MAX + USER_MAX + HOST_MAX + 3];
    time_t topic_time;
    struct mask_list bans, excepts, invex;
    struct membership **members;
    size_t nmembers, members_cap;
    char **invited;              /* casefolded nicks INVITEd, cleared on join */
    size_t ninvited;
    bool permanent;              /* kept while empty (set by modules later) */
};

/* ---------------------------------------------------------------- server */

struct listener {
    struct evconnlistener *evl;
    char addr[64];
    int port;                    /* as configured */
    int bound_port;              /* actual (differs when configured as 0) */
    bool tls;
    SSL_CTX *ssl_ctx;            /* when tls */
    char class_name[64];
    char key[160];               /* identity for REHASH: addr/port/tls */
    bool keep;                   /* REHASH mark */
    struct listener *next;
};

struct whowas_entry {
    char nick[NICK_MAX + 1], user[USER_MAX + 1], host[HOST_MAX + 1], real[REAL_MAX + 1];
    char server[64];
    time_t when;
};

/* All global state. One instance: `srv`. */
struct server {
    struct event_base *base;
    struct config *conf;         /* the config in force */
    const char *conf_path;
    time_t started;

    struct hashmap nicks;        /* casefolded nick -> struct client* */
    struct hashmap uids;         /* uid -> struct client* */
    struct hashmap chans;        /* casefolded name -> struct channel* */

    struct conn *conns;          /* every local connection */
    size_t nconns, nusers, nunreg, nopers, max_users;
    size_t ninvisible, nservices; /* registered +i users; service pseudo-clients (LUSERS) */
    struct conn *dead;           /* closed, waiting to be freed */
    struct event *reaper;

    struct listener *listeners;
    uint64_t uid_counter;
    uint64_t fanout_serial;

    struct whowas_entry *whowas; /* ring */
    size_t whowas_len, whowas_next;

    struct event *sig_term, *sig_int, *sig_hup;
    struct label_ctx {            /* the labeled command being handled */
        struct conn *conn;        /* NULL: none */
        char label[65];
        int lines;                /* lines sent back so far */
        char batch[16];
        char *pending;            /* the first line, held until we know if a batch is needed */
        size_t pending_len;
    } label;
    char name[HOST_MAX + 1];     /* our server name (fixed at start) */
    struct client *cmd_source;   /* whose command is being handled (account-tag) */
    char created[64];            /* for RPL_CREATED */
    bool shutting_down;
};

extern struct server srv;

/* ---------------------------------------------------------------- net/conn.c */
/* Take a freshly accepted, non-blocking socket. */
void conn_accept(struct listener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, SSL *ssl);
/* Queue one line (without CRLF) to a connection; enforces SendQ. */
void conn_send_raw(struct conn *c, const char *line, size_t len);
/* The same for a line that already ends in CRLF (len includes it): one
 * buffer append per recipient on the fan-out path. */
void conn_send_crlf(struct conn *c, const char *line_crlf, size_t len);
/* Close a connection: the client quits with reason; freed after this callback. */
void conn_close(struct conn *c, const char *reason);
/* Re-resolve the connection class after REHASH. */
void conn_apply_class(struct conn *c);
/* Move c to the class named name (an oper block's class). */
void conn_set_class(struct conn *c, const char *name);
void conn_reap_init(void);
/* Disconnect everyone with an ERROR (shutdown); the reaper frees them. */
void conn_close_all(const char *reason);
/* Run the reaper now (the loop is not running: server_free()). */
void conn_reap(void);
void conn_shutdown(void);
/* Free a connection that is off the connection list (closing or shutdown). */
void conn_free(struct conn *c);

/* ---------------------------------------------------------------- net/conn_io.c */
/* Start reading and writing fd (plain when ssl is NULL); false on failure,
 * in which case fd and ssl are still the caller's. */
bool conn_io_start(struct conn *c, evutil_socket_t fd, SSL *ssl);
/* Append bytes to the output queue without the SendQ check (ERROR lines). */
void conn_out_append(struct conn *c, const char *p, size_t n);
/* Stop reading and send what is queued; conn_free() once it is out, the
 * peer is gone or 5 s passed. */
void conn_io_close(struct conn *c);
/* Release the socket, buffers and events. */
void conn_io_free(struct conn *c);
/* Milliseconds on CLOCK_MONOTONIC (flood buckets). */
int64_t monotonic_ms(void);
/* Handle the input held in c->ibuf (after fake lag ends). */
void conn_input_run(struct conn *c);
void conn_io_init(void);
void conn_io_shutdown(void);

/* ---------------------------------------------------------------- net/listener.c */
/* Open, keep or close listeners to match conf; errors go to *err. */
int listeners_apply(const struct config *conf, char *err, size_t errlen);
void listeners_close_all(void);

/* ---------------------------------------------------------------- net/bantoken.c */
/* Load (or generate) the ban token secret. 0 or -1 with err. */
int bantoken_init(const struct config *conf, char *err, size_t errlen);
/* Around REHASH: the old key comes back unless the new config applied. */
void bantoken_rehash_begin(void);
void bantoken_rehash_end(bool applied);
void bantoken_compute(const struct sockaddr_storage *ss, char out[BAN_TOKEN_LEN + 1]);
/* Count a new connection for token under cls; NULL, or why it is refused. */
const char *bantoken_admit(const char *token, const struct conf_class *cls);
void bantoken_release(const char *token);
void bantoken_sweep(int max_period);
void bantoken_shutdown(void);

/* ---------------------------------------------------------------- net/tls.c */
/* Build an SSL_CTX (TLS 1.2+) from cert/key files. NULL and *err on failure. */
SSL_CTX *tls_ctx_new(const char *cert, const char *key, char *err, size_t errlen);
/* Make sure a self-signed cert/key pair exists at the given paths. */
int tls_ensure_selfsigned(const char *cert, const char *key, const char *cn, char *err, size_t errlen);
/* SHA-256 of c's TLS client certificate as 64 lowercase hex digits; false
 * when c is not TLS or sent no certificate. */
bool tls_client_certfp(struct conn *c, char out[65]);

/* ---------------------------------------------------------------- proto/send.c */

/* Tags a line may carry besides server-time (added for clients with
 * server-time). All strings are already escaped tag text or NULL. */
struct msg_tags {
    const char *msgid;            /* msgid=<id>, to message-tags clients */
    const char *client_tags;      /* "+a=b;+c" relayed to message-tags clients */
    const char *server_tags;      /* e.g. "bot", to message-tags clients */
    const char *account;          /* the sender's account: account=<name>, to account-tag clients */
};

/* Who gets a fanned-out line: members with all of need_caps and none of
 * skip_caps, and (if status_bits) a channel status among those bits. */
struct send_opts {
    unsigned need_caps, skip_caps, status_bits;
    const struct msg_tags *tags;
};

void send_line_tags(struct client *to, const struct msg_tags *tags, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void send_to_channel_opts(struct channel *ch, struct client *except, const struct send_opts *o, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void send_to_common_channels_opts(struct client *c, bool include_self, const struct send_opts *o, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A new unique message id (for msgid tags) into buf (>= 24 bytes). */
const char *msgid_new(char *buf, size_t len);
/* labeled-response: wrap what the command sends back to c in its label. */
void label_begin(struct conn *c, const char *label);
void label_end(void);
/* Every outgoing line passes through these; each builds the line once. */
void send_line(struct client *to, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void send_vline(struct client *to, const char *fmt, va_list ap);
/* ":server NNN <nick> <text...>" */
void send_numeric(struct client *to, int numeric, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* ":nick!user@host <text>" to every member of chan except `except`. */
void send_to_channel(struct channel *ch, struct client *except, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Like send_to_channel but only members whose status has any of `status_bits`. */
void send_to_channel_status(struct channel *ch, struct client *except, unsigned status_bits, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Once to every user sharing a channel with `c`, and to `c` itself when include_self. */
void send_to_common_channels(struct client *c, bool include_self, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* To every local oper with umode +w (WALLOPS) or every local user with +w. */
void send_to_wallops(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A server NOTICE to local opers (snomask-less for now). */
void send_to_opers(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "nick!user@host" of a client into buf. */
const char *client_mask(const struct client *c, char *buf, size_t len);
/* The nick to address numerics to ("*" before NICK). */
const char *client_target(const struct client *c);

/* ---------------------------------------------------------------- proto/isupport.c */
void send_isupport(struct client *c);
/* The config or a module's tokens changed: rebuild the 005 lines. */
void isupport_changed(void);

/* ---------------------------------------------------------------- strings */
/* Copy src into dst[size] (size >= 1), cut at size-1 bytes: what
 * snprintf(dst, size, "%s", src) does, without printf's cost (registration
 * copies nicks and names several times). */
static inline void str_copy(char *dst, size_t size, const char *src)
{
    size_t n = strnlen(src, size - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* ---------------------------------------------------------------- state/casemap.c */
/* rfc1459 casemapping: A-Z [ ] \ ~ fold to a-z { } | ^ */
void irc_casefold(char *dst, const char *src, size_t dstlen);
int irc_casecmp(const char *a, const char *b);
bool irc_valid_nick(const char *nick, size_t nicklen);
bool irc_valid_channel(const char *name, size_t chanlen);
bool irc_valid_user(const char *user);
/* Glob match with * and ?, casefolded. */
bool irc_match(const char *mask, const char *str);

/* ---------------------------------------------------------------- state/umode.c */
unsigned umode_bit(char letter);                 /* 0 if unknown */
unsigned umode_defaults(void);                   /* bits set at registration */
const char *umode_letters(char *buf, size_t len);
/* Append "+ab"/"-ab" for bits (nothing when bits == 0); returns the new end. */
char *umode_append(char *p, const char *end, char sign, unsigned bits);
const char *umode_string(unsigned modes, char *buf, size_t len);   /* "+iw" */
bool umode_may_change(char letter, bool set);
/* A module's user mode: its bit, or 0 if the letter is taken or invalid. */
unsigned umode_register(char letter, bool default_on, const void *owner);
void umode_unregister_owner(const void *owner);

/* ---------------------------------------------------------------- state/user.c */
struct client *user_find_nick(const char *nick);
struct client *user_find_uid(const char *uid);
struct client *client_new_local(struct conn *c, const struct sockaddr_storage *addr);
/* Make the nick live in the nick table (or change it). */
void user_set_nick(struct client *u, const char *nick);
/* A fresh UID and public host for a local user (see state/vanish.c). */
void user_new_identity(struct client *u);
/* Panic-hide: the user leaves every channel as if they quit (others see
 * QUIT quit_text), then continues unannounced under a new identity and nick.
 * 0, or -1 if u is not a registered local user. */
int user_vanish(struct client *u, const char *quit_text);
/* Validate and change a nick: silently before registration, else announced
 * (NICK to common channels and self) with WHOWAS and the NICK_CHANGED hook.
 * -1 if invalid or in use. */
int user_change_nick(struct client *u, const char *nick);
/* Fill user/host/realname with what may be shown (per config privacy). */
void user_set_public_identity(struct client *u, const char *sent_user, const char *sent_real);
/* Remove a user from every channel and table, announcing QUIT to common channels. */
void user_quit(struct client *u, const char *reason);
void user_free(struct client *u);
/* Set u's public realname (at most REAL_MAX bytes of it): the network's
 * shared copy (own = false, for constants) or u's own (own = true). */
void user_set_realname(struct client *u, const char *real, bool own);
/* The same for the public username (USER_MAX bytes). */
void user_set_username(struct client *u, const char *user, bool own);

/* ---------------------------------------------------------------- state/intern.c */
/* The one shared copy of s (config and code strings only, never client text). */
const char *str_intern(const char *s);
void str_intern_free(void);
void whowas_add(const struct client *u);
bool user_is_oper(const struct client *u);

/* ---------------------------------------------------------------- state/channel.c */
struct channel *channel_find(const char *name);
struct channel *channel_create(const char *name);
/* Destroy when empty and not permanent. */
void channel_maybe_destroy(struct channel *ch);
struct membership *channel_membership(const struct channel *ch, const struct client *u);
struct membership *channel_add_member(struct channel *ch, struct client *u, unsigned status);
void channel_remove_member(struct channel *ch, struct client *u);
/* Is u matched by a ban (and not by an exception)? */
bool channel_is_banned(struct channel *ch, const struct client *u);
bool channel_is_invexed(struct channel *ch, const struct client *u);
bool channel_is_invited(struct channel *ch, const struct client *u);
void channel_add_invite(struct channel *ch, const struct client *u);
void channel_clear_invite(struct channel *ch, const struct client *u);
/* Can u speak in ch? Returns 0 or the ERR_ numeric to send. */
int channel_can_send(struct channel *ch, struct client *u);
/* "@+" style prefixes for NAMES/WHO (multi=all, else highest). */
const char *channel_status_prefix(unsigned status, bool multi, char *buf);
/* The mode string "+ntk key" (key/limit shown only when show_params). */
void channel_mode_string(const struct channel *ch, bool show_params, char *buf, size_t len);
int mask_list_add(struct mask_list *l, const char *mask, const char *by, size_t max);
int mask_list_del(struct mask_list *l, const char *mask);
bool mask_list_match(const struct mask_list *l, const struct client *u);
void mask_list_free(struct mask_list *l);

/* ---------------------------------------------------------------- commands/table.c */
typedef void (*cmd_handler)(struct client *src, struct message *m);

enum {
    CMDF_IDLE_RESET = 1u << 1,   /* resets the WHOIS idle time */
    CMDF_UTF8 = 1u << 2,         /* UTF8ONLY: parameters must be UTF-8 (rejected or repaired) */
    CMDF_UTF8_STRICT = 1u << 3,  /* UTF8ONLY: parameters must be UTF-8 (always rejected) */
};

struct command {
    const char *name;
    unsigned min_params;
    unsigned flags;
    cmd_handler handler[STATE_COUNT]; /* NULL: not allowed in that state */
    uint64_t uses;
};

/* Dispatch one parsed line from a local connection. */
void command_dispatch(struct conn *c, struct message *m);
struct command *command_find(const char *name);
/* Iterate the command table (for HELP); returns NULL at the end. */
const struct command *command_at(size_t i);
/* The handler used for "not registered" (451) in STATE_UNREG slots. */
void cmd_not_registered(struct client *src, struct message *m);
void cmd_already_registered(struct client *src, struct message *m);

/* Handlers, by family (commands/<family>.c). */
/* registration.c */
void cmd_pass(struct client *, struct message *);
void cmd_nick(struct client *, struct message *);
void cmd_user(struct client *, struct message *);
void cmd_ping(struct client *, struct message *);
void cmd_pong(struct client *, struct message *);
void cmd_quit(struct client *, struct message *);
void cmd_cap(struct client *, struct message *);   /* proto/cap.c */
/* Complete registration when NICK+USER (+PASS) are in. */
void registration_try_complete(struct client *u);
/* messaging.c */
void cmd_privmsg(struct client *, struct message *);
void cmd_notice(struct client *, struct message *);
void cmd_tagmsg(struct client *, struct message *);
void cmd_redact(struct client *, struct message *);   /* commands/redact.c */
void cmd_away(struct client *, struct message *);
/* A PRIVMSG/NOTICE from `from` to a nick or channel, without checks or
 * hooks (services, server-side senders). */
void message_send_as(struct client *from, const char *cmd, const char *target, const char *text);
/* channel.c */
void cmd_join(struct client *, struct message *);
void cmd_part(struct client *, struct message *);
void cmd_topic(struct client *, struct message *);
void cmd_names(struct client *, struct message *);
void cmd_list(struct client *, struct message *);
void cmd_invite(struct client *, struct message *);
void cmd_kick(struct client *, struct message *);
/* Join u to ch with status: announce, topic, NAMES, JOINED hook. */
void channel_join(struct client *u, struct channel *ch, unsigned status);
/* Announce u's PART (reason may be NULL), remove, destroy if empty. */
void channel_part(struct client *u, struct channel *ch, const char *reason);
/* Send NAMES replies for one channel (353 + 366). */
void channel_send_names(struct client *to, struct channel *ch);
/* mode.c */
void cmd_mode(struct client *, struct message *);
/* Apply a mode string to ch as u (NULL = the server); -1 if it had unknown
 * letters or missing parameters (server only). */
int channel_mode_change(struct client *u, struct channel *ch, const char *modestr, char *const *params,
                        size_t nparams);
/* queries.c */
void cmd_who(struct client *, struct message *);
void cmd_whois(struct client *, struct message *);
void cmd_whowas(struct client *, struct message *);
void cmd_ison(struct client *, struct message *);
void cmd_userhost(struct client *, struct message *);
void cmd_motd(struct client *, struct message *);
void cmd_lusers(struct client *, struct message *);
void cmd_version(struct client *, struct message *);
void cmd_time(struct client *, struct message *);
void cmd_info(struct client *, struct message *);
void cmd_admin(struct client *, struct message *);
void cmd_help(struct client *, struct message *);
/* Welcome-time helpers used by registration. */
void send_motd(struct client *to);
void send_lusers(struct client *to);
/* sasl.c */
void cmd_authenticate(struct client *, struct message *);
/* Set (or change) u's account: RPL_LOGGEDIN, and ACCOUNT to account-notify
 * clients sharing a channel once registered. */
void account_login(struct client *u, const char *name);
/* Registration completes while SASL is in progress: abort it (906). */
void sasl_registration_abort(struct client *u);
void sasl_conn_free(struct conn *c);
bool sasl_available(void);
const char *sasl_mechanisms(void);
/* cap.c: around REHASH, tell cap-notify clients which capabilities became
 * available (CAP NEW, also for a changed value) or unavailable (CAP DEL). */
void cap_notify_prepare(void);
void cap_notify_commit(void);
/* oper.c */
void cmd_oper(struct client *, struct message *);
void cmd_kill(struct client *, struct message *);
void cmd_wallops(struct client *, struct message *);
void cmd_rehash(struct client *, struct message *);
void cmd_die(struct client *, struct message *);

/* ---------------------------------------------------------------- IRCv3 extras */
/* proto/replies.c: "FAIL|WARN|NOTE <command> <code> [<context>] :<description>"
 * from the server (standard-replies). context may be NULL. */
void send_standard_reply(struct client *to, const char *type, const char *command, const char *code,
                         const char *context, const char *description);
/* proto/utf8.c: UTF8ONLY for a command flagged CMDF_UTF8[_STRICT]; false when
 * the command must not run (rejected). May repoint m->params into scratch. */
bool utf8_filter_params(struct client *u, const struct command *cmd, struct message *m, char *scratch,
                        size_t scratch_len);
/* commands/monitor.c: MONITOR, and the notifications its watchers get. */
void cmd_monitor(struct client *, struct message *);
void monitor_signon(struct client *u);          /* u is now online under u->nick */
void monitor_signoff(const char *nick);         /* nobody is online as nick any more */
void monitor_clear(struct client *u);           /* forget u's own MONITOR list */
/* commands/whox.c: WHO flags ("H*B@+") and WHOX (354) replies. */
struct whox_req {
    char fields[16];              /* requested letters, in the spec's order */
    char token[4];                /* digits, "" when none */
};
/* Parse "%<fields>[,<token>]" from a WHO options word; false when it has none. */
bool whox_parse(const char *opts, struct whox_req *x);
const char *who_flags(const struct client *to, const struct client *u, unsigned status, char *buf, size_t len);
void whox_reply(struct client *to, const struct whox_req *x, const char *chan, struct client *u, unsigned status);
/* commands/ircv3.c: SETNAME, and the away-notify / invite-notify fan-outs. */
void cmd_setname(struct client *, struct message *);
void away_notify_change(struct client *u);      /* u->away was set, changed or cleared */
void away_notify_join(struct client *u, struct channel *ch);
void invite_notify(struct client *inviter, struct client *target, struct channel *ch);
/* state/user.c: change u's public user@host, announcing CHGHOST to members
 * with the chghost cap and QUIT+JOIN(+MODE) to the others. -1 if invalid. */
int user_change_host(struct client *u, const char *user, const char *host);

/* ---------------------------------------------------------------- server.c */
/* Load and apply the config at srv.conf_path. 0 on success; -1 when it is
 * refused (the old one stays); -2 when it was applied but a module kept
 * its old settings. Reasons go into err. */
int server_rehash(char *err, size_t errlen);
/* Load the config, open listeners, create tables. 0 or -1 with err. */
int server_init(const char *conf_path, char *err, size_t errlen);
/* Tell every client, close everything, and leave the loop. */
void server_shutdown(const char *reason);
void server_free(void);

/* ---------------------------------------------------------------- random.c */
/* n bytes from the CSPRNG (drawn in blocks): 0, or -1 if it failed. */
int random_bytes(void *buf, size_t n);

/* ---------------------------------------------------------------- log.c */
enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };
/* Log lines name users by UID only (never addresses or message text). */
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Would a line at lvl be written? (Callers that format first ask this.) */
bool log_enabled(enum log_level lvl);
void log_configure(const struct config *conf);
void log_close(void);

#endif
