/* scenarios.c — what each benchmark does and reports:
 *   connect  N clients register, C in flight           -> registrations/s
 *   idle     N clients over K channels, server RSS     -> bytes per client
 *   fanout   M members in one channel, S senders at R  -> deliveries/s, latency
 *   privmsg  P pairs messaging each other at R         -> deliveries/s, latency
 * fanout and privmsg climb a ladder of rates; each rung is one "step". */
#include "ircbench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ shared */

/* The name of channel index i: from --channels, else <prefix><i>. */
static const char *chan_name(int i, char *buf, size_t len)
{
    if (B.o.nchannels > 0)
        return B.o.channels[i % B.o.nchannels];
    snprintf(buf, len, "%s%d", B.o.channel_prefix, i);
    return buf;
}

/* OPER and set a user mode (lifts flood limits on servers that tie that
 * to operators, e.g. ngircd's +F), when --oper is given, for senders. */
static void maybe_oper(struct conn *c)
{
    if (!c->sender || !B.o.oper[0])
        return;
    const char *colon = strchr(B.o.oper, ':');
    if (!colon)
        return;
    conn_printf(c, "OPER %.*s %s\r\n", (int)(colon - B.o.oper), B.o.oper, colon + 1);
    if (B.o.umode[0])
        conn_printf(c, "MODE %s %s\r\n", c->nick, B.o.umode);
}

/* Registration finished: OPER if asked, then JOIN the client's channel. */
static void ready_join(struct conn *c)
{
    maybe_oper(c);
    if (c->chan >= 0) {
        char buf[64];
        conn_printf(c, "JOIN %s\r\n", chan_name(c->chan, buf, sizeof buf));
    }
}

/* Every client we opened has joined, failed to, or is gone. */
static bool all_joined(void)
{
    for (int i = 0; i < B.nconns; i++) {
        const struct conn *c = &B.conns[i];
        if (c->fd >= 0 && c->chan >= 0 && !c->joined && !c->join_failed)
            return false;
    }
    return true;
}

/* Whole-run counters every scenario reports. */
static void common_json(struct json *j)
{
    json_int(j, "registered", (long long)B.ready);
    json_int(j, "connect_errors", (long long)B.connect_errors);
    json_int(j, "registration_failures", (long long)B.reg_failed);
    json_int(j, "disconnects", (long long)B.disconnects);
    json_str(j, "first_disconnect", B.first_disconnect);
    json_int(j, "error_numerics", (long long)B.error_numerics);
    json_str(j, "first_error", B.first_error);
    json_int(j, "nick_retries", (long long)B.nick_retries);
}

/* The setup deadline: --timeout from now. */
static int64_t setup_deadline(void)
{
    return now_ns() + (int64_t)(B.o.timeout * 1e9);
}

/* ------------------------------------------------------------ connect */

/* N clients register with at most C in flight; the rate is completed
 * registrations (001 through end of MOTD) over the time until the last one. */
int scenario_connect(struct json *j)
{
    int n = B.o.n, c = B.o.c;
    say("connect: %d clients, %d in flight, to %s port %d", n, c, B.o.host, B.o.port);
    B.on_ready = NULL;
    double cpu0 = self_cpu_seconds(), scpu0 = B.o.pid ? proc_cpu_seconds(B.o.pid) : -1;
    int64_t t0 = now_ns();
    int ok = open_clients(0, n, c, setup_deadline());
    double wall = (double)(now_ns() - t0) / 1e9;
    double cpu = wall > 0 ? (self_cpu_seconds() - cpu0) / wall : 0;
    double scpu = scpu0 >= 0 && wall > 0 ? (proc_cpu_seconds(B.o.pid) - scpu0) / wall : -1;
    int64_t last = t0;
    struct hist h;
    hist_reset(&h);
    for (int i = 0; i < n; i++) {
        const struct conn *k = &B.conns[i];
        if (!k->ready)
            continue;
        if (k->t_ready > last)
            last = k->t_ready;
        hist_add(&h, (uint64_t)(k->t_ready - k->t_open) / 1000);
    }
    double secs = (double)(last - t0) / 1e9;
    double rate = secs > 0 ? ok / secs : 0;
    say("connect: %d of %d registered in %.3f s: %.0f registrations/s (latency p50 %.2f ms, p99 %.2f ms, "
        "max %.2f ms), %llu connect errors, %llu disconnects; cpu: generator %.0f%%, server %.0f%%",
        ok, n, secs, rate, hist_pct_ms(&h, 50), hist_pct_ms(&h, 99), (double)h.max / 1000,
        (unsigned long long)B.connect_errors, (unsigned long long)B.disconnects, cpu * 100, scpu * 100);
    if (ok < n)
        say("connect: only %d of %d registered within --timeout %.0f s: the rate covers those", ok, n, B.o.timeout);
    json_int(j, "n", n);
    json_int(j, "c", c);
    json_num(j, "seconds", secs);
    json_num(j, "registrations_per_s", round(rate));
    json_num(j, "reg_p50_ms", hist_pct_ms(&h, 50));
    json_num(j, "reg_p99_ms", hist_pct_ms(&h, 99));
    json_num(j, "reg_max_ms", (double)h.max / 1000);
    json_num(j, "generator_cpu", cpu);
    json_num(j, "server_cpu", scpu);
    common_json(j);
    char metric[64];
    snprintf(metric, sizeof metric, "registrations/s (n=%d, c=%d)", n, c);
    summary_line("connect", metric, rate, "reg/s", true);
    bool pass = ok == n && B.disconnects == 0;
    json_bool(j, "ok", pass);
    return pass ? 0 : 1;
}

/* ------------------------------------------------------------ idle */

/* N registered clients spread over K channels; the server's RSS before and
 * after, divided by N, is what each idle client costs it. */
int scenario_idle(struct json *j)
{
    int n = B.o.n, k = B.o.k;
    if (k < 1)
        k = 1;
    int keff = B.o.nchannels > 0 && B.o.nchannels < k ? B.o.nchannels : k;
    say("idle: %d clients over %d channels, %d in flight", n, keff, B.o.c);
    long rss0 = B.o.pid ? proc_rss_kib(B.o.pid) : -1;
    for (int i = 0; i < n; i++)
        B.conns[i].chan = i % keff;
    B.on_ready = ready_join;
    int64_t deadline = setup_deadline();
    int64_t t0 = now_ns();
    int ok = open_clients(0, n, B.o.c, deadline);
    run_until(all_joined, deadline);
    double secs = (double)(now_ns() - t0) / 1e9;
    run_for((int64_t)(B.o.settle * 1e9));
    long rss1 = B.o.pid ? proc_rss_kib(B.o.pid) : -1;
    double per = (rss0 >= 0 && rss1 >= 0 && ok > 0) ? (double)(rss1 - rss0) * 1024.0 / ok : -1;
    say("idle: %d registered, %llu joined, %llu join failures in %.2f s; server RSS %ld KiB -> %ld KiB: "
        "%.0f bytes (%.3f KiB) per client",
        ok, (unsigned long long)B.joined, (unsigned long long)B.join_failed, secs, rss0, rss1, per, per / 1024);
    if (!B.o.pid)
        say("idle: no --pid given: RSS not measured");
    json_int(j, "n", n);
    json_int(j, "k", keff);
    json_int(j, "joined", (long long)B.joined);
    json_int(j, "join_failed", (long long)B.join_failed);
    json_int(j, "rss_before_kib", rss0);
    json_int(j, "rss_after_kib", rss1);
    json_num(j, "rss_per_client_bytes", round(per));
    json_num(j, "rss_per_client_kib", per / 1024);
    common_json(j);
    char metric[64];
    snprintf(metric, sizeof metric, "server RSS KiB/client (n=%d, k=%d)", n, keff);
    if (per >= 0)
        summary_line("idle", metric, per / 1024, "KiB", false);
    bool pass = ok == n && B.joined == (uint64_t)n && B.disconnects == 0 && per >= 0;
    json_bool(j, "ok", pass);
    return pass ? 0 : 1;
}

/* ------------------------------------------------------------ steps */

/* Where a sender's messages go. */
typedef const char *(*target_fn)(const struct conn *c, char *buf, size_t len);

/* One rung: senders send r messages/s each for --duration seconds, paced
 * on one shared schedule (sender g % ns sends message g at t0 + g/(r*ns)),
 * then we wait up to --drain for stragglers. Writes the step's JSON
 * object; returns true if it passed. */
static bool run_step(unsigned step, double r, const int *senders, int ns, int recipients, target_fn target,
                     struct json *j, const char *scenario)
{
    B.step = step;
    B.rx = B.rx_in_time = B.rx_late = B.rx_stale = B.rx_other = 0;
    B.deadline_ns = (int64_t)(B.o.deadline_ms * 1e6);
    hist_reset(&B.lat);
    uint64_t disc0 = B.disconnects;
    double cpu0 = self_cpu_seconds(), scpu0 = B.o.pid ? proc_cpu_seconds(B.o.pid) : -1;

    double interval = 1e9 / (r * ns);   /* ns between two sends, any sender */
    int64_t t0 = now_ns() + 1000000, end = t0 + (int64_t)(B.o.duration * 1e9);
    uint64_t g = 0, sent = 0, dropped = 0;
    int64_t lag_max = 0, lag_sum = 0;
    char pad[1024];
    int size = B.o.size < (int)sizeof pad ? B.o.size : (int)sizeof pad - 1;
    memset(pad, 'x', sizeof pad);
    while (!B.stop) {
        int64_t now = now_ns();
        int64_t due = t0 + llround((double)g * interval);
        while (due < end && due <= now) {
            int si = (int)(g % (uint64_t)ns);
            struct conn *c = &B.conns[senders[si]];
            char tb[64], line[1200];
            int64_t ts = now_ns();
            int h = snprintf(line, sizeof line, "PRIVMSG %s :hb %u %d %llu %lld", target(c, tb, sizeof tb), step,
                             si, (unsigned long long)(g / (uint64_t)ns), (long long)ts);
            int text = h - (int)(strchr(line, ':') - line) - 1;
            int padn = size - text - 1 > 0 ? size - text - 1 : 0;
            h += snprintf(line + h, sizeof line - (size_t)h, "%s%.*s\r\n", padn ? " " : "", padn, pad);
            if (c->fd >= 0 && conn_write(c, line, (size_t)h))
                sent++;
            else
                dropped++;
            if (now - due > lag_max)
                lag_max = now - due;
            lag_sum += now - due;
            g++;
            due = t0 + llround((double)g * interval);
        }
        if (due >= end)
            break;
        int ms = (int)((due - now_ns() + 999999) / 1000000);
        net_poll(ms < 0 ? 0 : ms > 50 ? 50 : ms);
    }
    /* CPU use while sending (the drain would dilute it) */
    int64_t t1 = now_ns();
    double span = (double)(t1 - t0) / 1e9;
    double cpu = span > 0 ? (self_cpu_seconds() - cpu0) / span : 0;
    double scpu = scpu0 >= 0 && span > 0 ? (proc_cpu_seconds(B.o.pid) - scpu0) / span : -1;
    uint64_t expected = sent * (uint64_t)recipients;
    int64_t drain_end = now_ns() + (int64_t)(B.o.drain * 1e9);
    while (!B.stop && B.rx < expected && now_ns() < drain_end)
        net_poll(20);
    double wall = (double)(end - t0) / 1e9;

    double offered = (double)ns * r * recipients;               /* deliveries per second */
    double nominal = offered * wall;
    double ratio = nominal > 0 ? (double)B.rx_in_time / nominal : 0;
    double p50 = hist_pct_ms(&B.lat, 50), p99 = hist_pct_ms(&B.lat, 99), max = (double)B.lat.max / 1000;
    uint64_t disc = B.disconnects - disc0;
    bool pass = ratio >= B.o.min_ratio && p99 < B.o.p99_limit_ms && disc == 0 && !B.stop;
    say("%s R=%g: offered %.0f/s, sent %llu msgs (%llu dropped), delivered %llu of %llu (%.1f%% of offered in "
        "time), %.0f/s; latency p50 %.2f ms p99 %.2f ms max %.2f ms; %llu disconnects; cpu: generator %.0f%%, "
        "server %.0f%%; send lag max %.1f ms -> %s",
        scenario, r, offered, (unsigned long long)sent, (unsigned long long)dropped, (unsigned long long)B.rx,
        (unsigned long long)expected, ratio * 100, (double)B.rx_in_time / wall, p50, p99, max,
        (unsigned long long)disc, cpu * 100, scpu * 100, (double)lag_max / 1e6, pass ? "PASS" : "FAIL");
    if (cpu > 0.9)
        say("%s R=%g: warning: the generator used %.0f%% of its core: it may be the bottleneck", scenario, r,
            cpu * 100);
    else if (lag_max > 100000000)
        say("%s R=%g: warning: sends ran up to %.0f ms behind schedule with the generator at %.0f%% CPU: it was "
            "starved of CPU (a busy machine?), so this step measured the machine too", scenario, r,
            (double)lag_max / 1e6, cpu * 100);

    json_key(j, NULL);
    json_open(j, '{');
    json_num(j, "r", r);
    json_num(j, "offered_per_s", offered);
    json_int(j, "sent", (long long)sent);
    json_int(j, "send_dropped", (long long)dropped);
    json_int(j, "expected", (long long)expected);
    json_int(j, "delivered", (long long)B.rx);
    json_int(j, "in_time", (long long)B.rx_in_time);
    json_int(j, "late", (long long)B.rx_late);
    json_int(j, "stale", (long long)B.rx_stale);
    json_num(j, "delivered_per_s", round((double)B.rx_in_time / wall));
    json_num(j, "in_time_ratio", ratio);
    json_num(j, "p50_ms", p50);
    json_num(j, "p99_ms", p99);
    json_num(j, "max_ms", max);
    json_int(j, "disconnects", (long long)disc);
    json_num(j, "generator_cpu", cpu);
    json_num(j, "server_cpu", scpu);
    json_num(j, "send_lag_max_ms", (double)lag_max / 1e6);
    json_num(j, "send_lag_mean_ms", g ? (double)lag_sum / (double)g / 1e6 : 0);
    json_bool(j, "pass", pass);
    json_close(j, '}');

    char metric[96];
    snprintf(metric, sizeof metric, "R=%g delivered/s", r);
    summary_line(scenario, metric, (double)B.rx_in_time / wall, "/s", true);
    snprintf(metric, sizeof metric, "R=%g p99 ms", r);
    summary_line(scenario, metric, p99, "ms", false);
    return pass;
}

/* Climb the ladder; stop at the first failed rung unless --ladder-all.
 * Adds "steps" and "max_pass_r" to the JSON; returns the highest rate
 * that passed (0 if none). */
static double run_ladder(const int *senders, int ns, int recipients, target_fn target, struct json *j,
                         const char *scenario)
{
    double best = 0;
    json_num(j, "deadline_ms", B.o.deadline_ms);
    json_num(j, "p99_limit_ms", B.o.p99_limit_ms);
    json_num(j, "min_ratio", B.o.min_ratio);
    json_int(j, "size", B.o.size);
    json_key(j, "steps");
    json_open(j, '[');
    for (int i = 0; i < B.o.nladder && !B.stop; i++) {
        bool ok = run_step((unsigned)i + 1, B.o.ladder[i], senders, ns, recipients, target, j, scenario);
        if (ok && B.o.ladder[i] > best)
            best = B.o.ladder[i];
        if (!ok && !B.o.ladder_all)
            break;
        if (B.disconnects > 0)
            break;                      /* fewer members now: later rungs would mislead */
        run_for((int64_t)(B.o.settle * 1e9));
    }
    json_close(j, ']');
    json_num(j, "max_pass_r", best);
    summary_line(scenario, "highest R passed", best, "msg/s", true);
    return best;
}

/* ------------------------------------------------------------ fanout */

static char fanout_chan[64];

/* Fan-out senders all talk to the one channel. */
static const char *fanout_target(const struct conn *c, char *buf, size_t len)
{
    (void)c, (void)buf, (void)len;
    return fanout_chan;
}

/* M members join one channel; S of them send R messages/s each. */
int scenario_fanout(struct json *j)
{
    int m = B.o.m, s = B.o.s < B.o.m ? B.o.s : B.o.m;
    char tmp[64];
    snprintf(fanout_chan, sizeof fanout_chan, "%s", chan_name(0, tmp, sizeof tmp));
    say("fanout: %d members in %s, %d senders, ladder of %d rates, %.1f s each", m, fanout_chan, s, B.o.nladder,
        B.o.duration);
    for (int i = 0; i < m; i++) {
        B.conns[i].chan = 0;
        B.conns[i].sender = i < s;
    }
    B.on_ready = ready_join;
    int64_t deadline = setup_deadline();
    int ok = open_clients(0, m, B.o.c, deadline);
    run_until(all_joined, deadline);
    run_for((int64_t)(B.o.settle * 1e9));
    int members = 0, nsend = 0;
    int *senders = calloc((size_t)s + 1, sizeof *senders);
    for (int i = 0; i < m; i++) {
        if (B.conns[i].fd >= 0 && B.conns[i].joined) {
            members++;
            if (B.conns[i].sender && nsend < s)
                senders[nsend++] = i;
        }
    }
    say("fanout: %d registered, %d members joined, %llu join failures, %d senders",
        ok, members, (unsigned long long)B.join_failed, nsend);
    json_int(j, "m", m);
    json_int(j, "s", s);
    json_str(j, "channel", fanout_chan);
    json_num(j, "duration", B.o.duration);
    json_int(j, "members", members);
    bool setup_ok = members == m && nsend == s && B.disconnects == 0;
    double best = 0;
    if (setup_ok)
        best = run_ladder(senders, nsend, members - 1, fanout_target, j, "fanout");
    else
        say("fanout: setup incomplete, not measuring");
    free(senders);
    common_json(j);
    bool pass = setup_ok && best > 0 && B.disconnects == 0;
    json_bool(j, "ok", pass);
    return pass ? 0 : 1;
}

/* ------------------------------------------------------------ privmsg */

/* A private-message sender talks to its partner. */
static const char *privmsg_target(const struct conn *c, char *buf, size_t len)
{
    (void)buf, (void)len;
    return B.conns[c->partner].nick;
}

/* OPER if needed; nothing else until everyone is registered. */
static void ready_privmsg(struct conn *c)
{
    maybe_oper(c);
}

/* P pairs; each client sends R messages/s to its partner. */
int scenario_privmsg(struct json *j)
{
    int n = 2 * B.o.p;
    say("privmsg: %d pairs, ladder of %d rates, %.1f s each", B.o.p, B.o.nladder, B.o.duration);
    for (int i = 0; i < n; i++) {
        B.conns[i].partner = i ^ 1;
        B.conns[i].sender = true;
    }
    B.on_ready = ready_privmsg;
    int ok = open_clients(0, n, B.o.c, setup_deadline());
    /* Servers with caller-ID (+g) only pass messages from accepted users;
     * the others answer 421, which is ignored. */
    for (int i = 0; i < n; i++) {
        struct conn *c = &B.conns[i];
        if (c->fd >= 0 && c->ready && B.conns[c->partner].ready)
            conn_printf(c, "ACCEPT %s\r\n", B.conns[c->partner].nick);
    }
    run_for((int64_t)(B.o.settle * 1e9));
    int nsend = 0;
    int *senders = calloc((size_t)n + 1, sizeof *senders);
    for (int i = 0; i < n; i++)
        if (B.conns[i].fd >= 0 && B.conns[i].ready && B.conns[i ^ 1].fd >= 0 && B.conns[i ^ 1].ready)
            senders[nsend++] = i;
    say("privmsg: %d registered, %d senders", ok, nsend);
    json_int(j, "p", B.o.p);
    json_num(j, "duration", B.o.duration);
    bool setup_ok = nsend == n && B.disconnects == 0;
    double best = 0;
    if (setup_ok)
        best = run_ladder(senders, nsend, 1, privmsg_target, j, "privmsg");
    else
        say("privmsg: setup incomplete, not measuring");
    free(senders);
    common_json(j);
    bool pass = setup_ok && best > 0 && B.disconnects == 0;
    json_bool(j, "ok", pass);
    return pass ? 0 : 1;
}
