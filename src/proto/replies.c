/* replies.c — IRCv3 standard replies (FAIL, WARN, NOTE).
 *
 *   :<server> FAIL <command> <code> [<context>] :<description>
 *
 * Replies a specification defines (FAIL SETNAME ..., FAIL PRIVMSG
 * INVALID_UTF8) go to every client; anything else should only go to
 * clients that negotiated standard-replies, which the caller checks. They
 * travel through send_line, so a labeled command gets them labeled. */
#include "havend.h"

#include <string.h>

/* A word safe as a middle parameter: non-empty, no space, no leading ':'. */
static const char *middle(const char *s, const char *fallback)
{
    return s && *s && *s != ':' && !strchr(s, ' ') ? s : fallback;
}

/* One FAIL/WARN/NOTE line from the server to `to`. */
void send_standard_reply(struct client *to, const char *type, const char *command, const char *code,
                         const char *context, const char *description)
{
    const char *cmd = middle(command, "*");
    const char *ctx = context && *context ? middle(context, NULL) : NULL;
    if (ctx)
        send_line(to, ":%s %s %s %s %s :%s", srv.name, type, cmd, middle(code, "UNKNOWN"), ctx, description);
    else
        send_line(to, ":%s %s %s %s :%s", srv.name, type, cmd, middle(code, "UNKNOWN"), description);
}
