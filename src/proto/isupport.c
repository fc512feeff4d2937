/* isupport.c — RPL_ISUPPORT (005) tokens, derived from the config in force.
 *
 * The lines are the same for everyone until the config or a module's
 * tokens change, and every registration sends them, so they are built once
 * and kept until isupport_changed() says they are stale. */
#include "havend.h"
#include "modules/module.h"
#include "proto/linebuf.h"
#include "proto/numeric.h"

#include <stdio.h>
#include <string.h>

#define ISUPPORT_PER_LINE 12
#define ISUPPORT_TOKENS_MAX 48

/* The token part of each 005 line, as last built; valid when built. */
static struct {
    char line[ISUPPORT_TOKENS_MAX / ISUPPORT_PER_LINE][IRC_LINE_MAX];
    size_t nlines;
    bool built;
} cache;

void isupport_changed(void)
{
    cache.built = false;
}

/* Build the tokens and join them in lines of at most ISUPPORT_PER_LINE. */
static void isupport_build(void)
{
    const struct config *cf = srv.conf;
    char tok[ISUPPORT_TOKENS_MAX][96];
    size_t n = 0;

    snprintf(tok[n++], sizeof tok[0], "AWAYLEN=%d", cf->awaylen);
    snprintf(tok[n++], sizeof tok[0], "BOT=B");
    snprintf(tok[n++], sizeof tok[0], "CASEMAPPING=rfc1459");
    snprintf(tok[n++], sizeof tok[0], "CHANLIMIT=#:%d", cf->max_channels);
    snprintf(tok[n++], sizeof tok[0], "CHANMODES=beI,k,l,Oimnpst");
    snprintf(tok[n++], sizeof tok[0], "CHANNELLEN=%d", cf->channellen);
    snprintf(tok[n++], sizeof tok[0], "CHANTYPES=#");
    snprintf(tok[n++], sizeof tok[0], "ELIST=CMNTU");
    snprintf(tok[n++], sizeof tok[0], "EXCEPTS=e");
    snprintf(tok[n++], sizeof tok[0], "EXTBAN=$,z");
    snprintf(tok[n++], sizeof tok[0], "INVEX=I");
    snprintf(tok[n++], sizeof tok[0], "KICKLEN=%d", cf->kicklen);
    snprintf(tok[n++], sizeof tok[0], "MAXLIST=beI:%d", cf->max_list);
    snprintf(tok[n++], sizeof tok[0], "MAXTARGETS=%d", cf->max_targets);
    snprintf(tok[n++], sizeof tok[0], "MODES=%d", cf->max_modes);
    snprintf(tok[n++], sizeof tok[0], "MONITOR=%d", cf->monitor_max);
    snprintf(tok[n++], sizeof tok[0], "NETWORK=%s", cf->network);
    snprintf(tok[n++], sizeof tok[0], "NICKLEN=%d", cf->nicklen);
    snprintf(tok[n++], sizeof tok[0], "PREFIX=(ov)@+");
    snprintf(tok[n++], sizeof tok[0], "SAFELIST");
    snprintf(tok[n++], sizeof tok[0], "STATUSMSG=@+");
    snprintf(tok[n++], sizeof tok[0], "TARGMAX=JOIN:,KICK:1,LIST:,NAMES:1,NOTICE:%d,PRIVMSG:%d,WHOIS:%d",
             cf->max_targets, cf->max_targets, cf->max_targets);
    snprintf(tok[n++], sizeof tok[0], "TOPICLEN=%d", cf->topiclen);
    snprintf(tok[n++], sizeof tok[0], "USERLEN=%d", cf->userlen);
    if (cf->utf8only)
        snprintf(tok[n++], sizeof tok[0], "UTF8ONLY");
    snprintf(tok[n++], sizeof tok[0], "WHOX");
    /* Tokens modules need for their features (e.g. CALLERID). */
    for (size_t i = 0; modules_isupport_at(i) && n < sizeof tok / sizeof tok[0]; i++)
        snprintf(tok[n++], sizeof tok[0], "%s", modules_isupport_at(i));

    cache.nlines = 0;
    for (size_t i = 0; i < n; i += ISUPPORT_PER_LINE) {
        char *line = cache.line[cache.nlines++];
        size_t off = 0;
        line[0] = '\0';
        for (size_t j = i; j < n && j < i + ISUPPORT_PER_LINE; j++) {
            int w = snprintf(line + off, IRC_LINE_MAX - off, "%s%s", off ? " " : "", tok[j]);
            if (w < 0 || (size_t)w >= IRC_LINE_MAX - off)
                break;
            off += (size_t)w;
        }
    }
    cache.built = true;
}

/* Send the 005 lines (built first if the cache is stale). */
void send_isupport(struct client *c)
{
    if (!cache.built)
        isupport_build();
    for (size_t i = 0; i < cache.nlines; i++) {
        struct linebuf b;
        lb_numeric(&b, c, RPL_ISUPPORT);
        lb_str(&b, cache.line[i]);
        lb_str(&b, " :are supported by this server");
        lb_send(&b, c);
    }
}
