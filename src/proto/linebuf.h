/* linebuf.h — one outgoing line assembled from pieces, for the paths that
 * send many lines of mostly fixed text (the welcome burst, service notices).
 *
 * send_numeric() formats its ":server NNN target " prefix and the text with
 * printf, about 2,800 instructions a line; send_line() with a multi-part
 * format about 2,000. Copying the pieces here and handing the finished
 * line to send_line("%s") costs well under half of that. The line still
 * goes through send_line, so tags, labels and the 510-byte cut are exactly
 * those of any other line: what clients receive is the same bytes. */
#ifndef HAVEND_LINEBUF_H
#define HAVEND_LINEBUF_H

#include "havend.h"

#include <string.h>

struct linebuf {
    /* Longer than send_line keeps of a line (573 bytes), so the same cut
     * applies to what is built here as to what printf would have built. */
    char s[1024];
    size_t n;
};

/* Start an empty line. */
static inline void lb_init(struct linebuf *b)
{
    b->n = 0;
    b->s[0] = '\0';
}

/* Cut the line back to its first n bytes, to reuse a prefix built once. */
static inline void lb_cut(struct linebuf *b, size_t n)
{
    b->n = n;
    b->s[n] = '\0';
}

/* Append n bytes of s (whatever fits). */
static inline void lb_mem(struct linebuf *b, const char *s, size_t n)
{
    if (n > sizeof b->s - 1 - b->n)
        n = sizeof b->s - 1 - b->n;
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
}

/* Append a C string. */
static inline void lb_str(struct linebuf *b, const char *s)
{
    lb_mem(b, s, strlen(s));
}

/* Append v in decimal (what printf's %zu writes). */
void lb_uint(struct linebuf *b, size_t v);
/* Start a numeric: ":<server> <NNN> <target> ", as send_numeric does. */
void lb_numeric(struct linebuf *b, const struct client *to, int numeric);
/* Start a line from a user: ":<nick>!<user>@<host> " (client_mask). */
void lb_from(struct linebuf *b, const struct client *from);
/* Queue the line to one client (send_line). */
void lb_send(const struct linebuf *b, struct client *to);

#endif
