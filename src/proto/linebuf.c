/* linebuf.c — the parts of a line that need more than a copy: numbers, the
 * numeric and user prefixes, and handing the line to the send layer. See
 * linebuf.h for why the welcome burst builds lines this way. */
#include "proto/linebuf.h"

void lb_uint(struct linebuf *b, size_t v)
{
    char d[24];
    size_t i = sizeof d;
    do
        d[--i] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    lb_mem(b, d + i, sizeof d - i);
}

void lb_numeric(struct linebuf *b, const struct client *to, int numeric)
{
    lb_init(b);
    lb_mem(b, ":", 1);
    lb_str(b, srv.name);
    lb_mem(b, " ", 1);
    unsigned v = (unsigned)numeric;     /* numerics are 1..999: "%03d" */
    if (v < 1000) {
        char d[3] = { (char)('0' + v / 100), (char)('0' + v / 10 % 10), (char)('0' + v % 10) };
        lb_mem(b, d, 3);
    } else {
        lb_uint(b, v);
    }
    lb_mem(b, " ", 1);
    lb_str(b, client_target(to));
    lb_mem(b, " ", 1);
}

void lb_from(struct linebuf *b, const struct client *from)
{
    lb_init(b);
    lb_mem(b, ":", 1);
    lb_str(b, from->nick);
    lb_mem(b, "!", 1);
    lb_str(b, from->user);
    lb_mem(b, "@", 1);
    lb_str(b, from->host);
    lb_mem(b, " ", 1);
}

void lb_send(const struct linebuf *b, struct client *to)
{
    send_line(to, "%s", b->s);
}
