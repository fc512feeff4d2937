/* listener.c — one evconnlistener per `listen` block, matched up on REHASH
 * so that unchanged listeners keep their sockets (nobody is dropped). */
#include "havend.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/listener.h>

/* accept() callback: hand the socket to the connection layer. */
static void on_accept(struct evconnlistener *evl, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
    struct listener *l = arg;
    SSL *ssl = NULL;
    if (l->tls) {
        ssl = SSL_new(l->ssl_ctx);
        if (!ssl) {
            evutil_closesocket(fd);
            return;
        }
    }
    conn_accept(l, fd, sa, salen, ssl);
}

/* Accept errors (EMFILE and the like) must not stop the loop. */
static void on_accept_error(struct evconnlistener *evl, void *arg)
{
    int e = EVUTIL_SOCKET_ERROR();
    log_msg(LOG_WARN, "accept failed: %s", evutil_socket_error_to_string(e));
}

/* The identity of a listen block: what must match for REHASH to keep it. */
static void listen_key(const struct conf_listen *cl, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%d/%d", cl->address, cl->port, cl->tls);
}

/* Resolve the certificate and key for a TLS listen block. */
static SSL_CTX *listen_ssl_ctx(const struct config *conf, const struct conf_listen *cl, char *err, size_t errlen)
{
    const char *cert = cl->cert ? cl->cert : conf->tls_cert;
    const char *key = cl->key ? cl->key : conf->tls_key;
    if (!cl->cert && tls_ensure_selfsigned(cert, key, conf->server_name, err, errlen) != 0)
        return NULL;
    return tls_ctx_new(cert, key, err, errlen);
}

/* Bind one listen block. NULL and *err on failure. */
static struct listener *listener_open(const struct config *conf, const struct conf_listen *cl, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t sslen;
    unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC;
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, cl->address, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)cl->port);
        sslen = sizeof *s4;
    } else if (inet_pton(AF_INET6, cl->address, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)cl->port);
        sslen = sizeof *s6;
        flags |= LEV_OPT_BIND_IPV6ONLY;
    } else {
        snprintf(err, errlen, "listen %s: not an IP address", cl->address);
        return NULL;
    }

    struct listener *l = calloc(1, sizeof *l);
    if (!l)
        abort();
    if (cl->tls && !(l->ssl_ctx = listen_ssl_ctx(conf, cl, err, errlen))) {
        free(l);
        return NULL;
    }
    /* A deep backlog holds connection bursts (a room's evening rush, a
     * netsplit's reconnects) while the loop accepts them in batches; the
     * kernel caps it at net.core.somaxconn. */
    l->evl = evconnlistener_new_bind(srv.base, on_accept, l, flags, 4096, (struct sockaddr *)&ss, (int)sslen);
    if (!l->evl) {
        snprintf(err, errlen, "cannot listen on %s port %d: %s", cl->address, cl->port,
                 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
        SSL_CTX_free(l->ssl_ctx);
        free(l);
        return NULL;
    }
    evconnlistener_set_error_cb(l->evl, on_accept_error);

    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    l->bound_port = cl->port;
    if (getsockname(evconnlistener_get_fd(l->evl), (struct sockaddr *)&bound, &blen) == 0)
        l->bound_port = ntohs(bound.ss_family == AF_INET ? ((struct sockaddr_in *)&bound)->sin_port
                                                        : ((struct sockaddr_in6 *)&bound)->sin6_port);
    snprintf(l->addr, sizeof l->addr, "%s", cl->address);
    l->port = cl->port;
    l->tls = cl->tls;
    snprintf(l->class_name, sizeof l->class_name, "%s", cl->class_name ? cl->class_name : "default");
    listen_key(cl, l->key, sizeof l->key);
    log_msg(LOG_INFO, "listening on %s port %d%s", l->addr, l->bound_port, l->tls ? " (tls)" : "");
    return l;
}

static void listener_free(struct listener *l)
{
    log_msg(LOG_INFO, "closing listener on %s port %d", l->addr, l->bound_port);
    evconnlistener_free(l->evl);
    SSL_CTX_free(l->ssl_ctx);
    free(l);
}

int listeners_apply(const struct config *conf, char *err, size_t errlen)
{
    struct listener *fresh = NULL;
    for (struct listener *l = srv.listeners; l; l = l->next)
        l->keep = false;

    /* First open what is new (or refresh TLS contexts); fail without
     * touching the running set. */
    SSL_CTX **newctx = calloc(conf->nlistens + 1, sizeof *newctx);
    struct listener **match = calloc(conf->nlistens + 1, sizeof *match);
    if (!newctx || !match)
        abort();
    int rc = 0;
    for (size_t i = 0; i < conf->nlistens && rc == 0; i++) {
        const struct conf_listen *cl = &conf->listens[i];
        char key[160];
        listen_key(cl, key, sizeof key);
        for (struct listener *l = srv.listeners; l; l = l->next)
            if (!l->keep && cl->port != 0 && strcmp(l->key, key) == 0) {
                match[i] = l;
                l->keep = true;
                break;
            }
        if (match[i]) {
            if (cl->tls && !(newctx[i] = listen_ssl_ctx(conf, cl, err, errlen)))
                rc = -1;
            continue;
        }
        struct listener *l = listener_open(conf, cl, err, errlen);
        if (!l) {
            rc = -1;
            break;
        }
        l->next = fresh;
        fresh = l;
    }
    if (rc != 0) {
        while (fresh) {
            struct listener *n = fresh->next;
            listener_free(fresh);
            fresh = n;
        }
        for (size_t i = 0; i < conf->nlistens; i++)
            SSL_CTX_free(newctx[i]);
        free(newctx);
        free(match);
        return -1;
    }

    /* Commit: swap TLS contexts (live sessions keep theirs by refcount),
     * update classes, close what is gone, add what is new. */
    for (size_t i = 0; i < conf->nlistens; i++) {
        if (!match[i])
            continue;
        if (newctx[i]) {
            SSL_CTX_free(match[i]->ssl_ctx);
            match[i]->ssl_ctx = newctx[i];
        }
        const char *cn = conf->listens[i].class_name;
        snprintf(match[i]->class_name, sizeof match[i]->class_name, "%s", cn ? cn : "default");
    }
    free(newctx);
    free(match);
    struct listener **pp = &srv.listeners;
    while (*pp) {
        struct listener *l = *pp;
        if (!l->keep) {
            *pp = l->next;
            listener_free(l);
        } else {
            pp = &l->next;
        }
    }
    while (fresh) {
        struct listener *n = fresh->next;
        fresh->next = srv.listeners;
        fresh->keep = true;
        srv.listeners = fresh;
        fresh = n;
    }
    return 0;
}

void listeners_close_all(void)
{
    while (srv.listeners) {
        struct listener *n = srv.listeners->next;
        listener_free(srv.listeners);
        srv.listeners = n;
    }
}
