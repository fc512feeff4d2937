/* test_hooks.c — the module hook registry (src/modules/module.c): hooks run
 * in ascending priority with ties in registration order, a blocking hook
 * stops the later ones (only for hook types that may block), and a rewrite
 * of ev->text is what later hooks see.
 *
 * Criterion runs every test in its own process, so the registry starts
 * empty in each. */
#include "modules/module.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

TestSuite(hooks);

/* The order hooks ran in: each appends its tag. */
static char trace[64];

/* What a recording hook does besides recording. */
struct rec {
    char tag;
    enum hv_verdict verdict;
    const char *rewrite;            /* replace ev->text with this, if set */
    char seen[64];                  /* ev->text as this hook saw it */
};

/* A hook that records that it ran, remembers the text it saw, optionally
 * rewrites it, and returns its configured verdict (with a reason when
 * blocking). */
static enum hv_verdict rec_hook(struct hv_event *ev, void *arg)
{
    struct rec *r = arg;
    size_t n = strlen(trace);
    if (n + 1 < sizeof trace) {
        trace[n] = r->tag;
        trace[n + 1] = '\0';
    }
    snprintf(r->seen, sizeof r->seen, "%s", ev->text ? ev->text : "(null)");
    if (r->rewrite && ev->text)
        snprintf(ev->text, ev->text_cap, "%s", r->rewrite);
    if (r->verdict == HV_BLOCK)
        snprintf(ev->reason, sizeof ev->reason, "blocked by %c", r->tag);
    return r->verdict;
}

/* Run the hooks of one type on a fresh event carrying text. */
static enum hv_verdict run(enum hv_hook type, char *text, size_t cap, struct hv_event *out)
{
    struct hv_event ev = { .type = type, .command = "PRIVMSG", .text = text, .text_cap = cap };
    enum hv_verdict v = hooks_run(&ev);
    if (out)
        *out = ev;
    return v;
}

Test(hooks, ascending_priority)
{
    static struct rec a = { 'a', HV_PASS, NULL, "" }, b = { 'b', HV_PASS, NULL, "" },
                      c = { 'c', HV_PASS, NULL, "" }, d = { 'd', HV_PASS, NULL, "" };
    cr_assert_eq(hv_hook_add(NULL, HV_HOOK_JOINED, 50, rec_hook, &a), 0);
    cr_assert_eq(hv_hook_add(NULL, HV_HOOK_JOINED, 10, rec_hook, &b), 0);
    cr_assert_eq(hv_hook_add(NULL, HV_HOOK_JOINED, 30, rec_hook, &c), 0);
    cr_assert_eq(hv_hook_add(NULL, HV_HOOK_JOINED, -5, rec_hook, &d), 0);
    cr_assert_eq(run(HV_HOOK_JOINED, NULL, 0, NULL), HV_PASS);
    cr_assert_str_eq(trace, "dbca");
}

Test(hooks, ties_run_in_registration_order)
{
    static struct rec a = { 'a', HV_PASS, NULL, "" }, b = { 'b', HV_PASS, NULL, "" },
                      c = { 'c', HV_PASS, NULL, "" }, x = { 'x', HV_PASS, NULL, "" },
                      y = { 'y', HV_PASS, NULL, "" };
    hv_hook_add(NULL, HV_HOOK_CHANNEL_MESSAGE, 100, rec_hook, &a);
    hv_hook_add(NULL, HV_HOOK_CHANNEL_MESSAGE, 1, rec_hook, &x);
    hv_hook_add(NULL, HV_HOOK_CHANNEL_MESSAGE, 100, rec_hook, &b);
    hv_hook_add(NULL, HV_HOOK_CHANNEL_MESSAGE, 200, rec_hook, &y);
    hv_hook_add(NULL, HV_HOOK_CHANNEL_MESSAGE, 100, rec_hook, &c);
    char text[64] = "hello";
    cr_assert_eq(run(HV_HOOK_CHANNEL_MESSAGE, text, sizeof text, NULL), HV_PASS);
    cr_assert_str_eq(trace, "xabcy");
}

Test(hooks, same_function_twice_with_different_args)
{
    static struct rec a = { 'a', HV_PASS, NULL, "" }, b = { 'b', HV_PASS, NULL, "" };
    hv_hook_add(NULL, HV_HOOK_QUIT, 0, rec_hook, &a);
    hv_hook_add(NULL, HV_HOOK_QUIT, 0, rec_hook, &b);
    run(HV_HOOK_QUIT, NULL, 0, NULL);
    cr_assert_str_eq(trace, "ab");
}

Test(hooks, types_are_separate)
{
    static struct rec a = { 'a', HV_PASS, NULL, "" }, b = { 'b', HV_PASS, NULL, "" };
    hv_hook_add(NULL, HV_HOOK_PARTED, 0, rec_hook, &a);
    hv_hook_add(NULL, HV_HOOK_KICKED, 0, rec_hook, &b);
    cr_assert(hooks_any(HV_HOOK_PARTED));
    cr_assert(hooks_any(HV_HOOK_KICKED));
    cr_assert(!hooks_any(HV_HOOK_JOINED));
    cr_assert(!hooks_any(HV_HOOK_COUNT), "an out-of-range type has no hooks");
    run(HV_HOOK_PARTED, NULL, 0, NULL);
    cr_assert_str_eq(trace, "a");
    run(HV_HOOK_JOINED, NULL, 0, NULL);
    cr_assert_str_eq(trace, "a", "no JOINED hooks, nothing ran");
}

Test(hooks, bad_registrations_fail)
{
    static struct rec a = { 'a', HV_PASS, NULL, "" };
    cr_assert_eq(hv_hook_add(NULL, HV_HOOK_COUNT, 0, rec_hook, &a), -1);
    cr_assert_eq(hv_hook_add(NULL, (enum hv_hook)-1, 0, rec_hook, &a), -1);
    cr_assert_eq(hv_hook_add(NULL, HV_HOOK_JOINED, 0, NULL, &a), -1);
    cr_assert(!hooks_any(HV_HOOK_JOINED));
}

/* In every hook type that may block, a block stops the later hooks and the
 * verdict is HV_BLOCK, with the blocking hook's reason. */
Test(hooks, block_stops_later_hooks)
{
    static const enum hv_hook blockable[] = { HV_HOOK_NICK_REQUEST, HV_HOOK_JOIN_CHECK, HV_HOOK_CHANNEL_MESSAGE,
                                              HV_HOOK_PRIVATE_MESSAGE };
    static struct rec a = { 'a', HV_PASS, NULL, "" }, b = { 'b', HV_BLOCK, NULL, "" },
                      c = { 'c', HV_PASS, NULL, "" };
    for (size_t i = 0; i < sizeof blockable / sizeof blockable[0]; i++) {
        hv_hook_add(NULL, blockable[i], 1, rec_hook, &a);
        hv_hook_add(NULL, blockable[i], 2, rec_hook, &b);
        hv_hook_add(NULL, blockable[i], 3, rec_hook, &c);
    }
    for (size_t i = 0; i < sizeof blockable / sizeof blockable[0]; i++) {
        trace[0] = '\0';
        char text[64] = "x";
        struct hv_event ev;
        cr_assert_eq(run(blockable[i], text, sizeof text, &ev), HV_BLOCK, "type %d did not block", blockable[i]);
        cr_assert_str_eq(trace, "ab", "type %d: hooks after the block ran: %s", blockable[i], trace);
        cr_assert_str_eq(ev.reason, "blocked by b");
    }
}

/* The first blocking hook wins, even with a lower priority added later. */
Test(hooks, earliest_block_wins)
{
    static struct rec late = { 'l', HV_BLOCK, NULL, "" }, early = { 'e', HV_BLOCK, NULL, "" };
    hv_hook_add(NULL, HV_HOOK_JOIN_CHECK, 10, rec_hook, &late);
    hv_hook_add(NULL, HV_HOOK_JOIN_CHECK, 5, rec_hook, &early);
    char text[64] = "#chan";
    struct hv_event ev;
    cr_assert_eq(run(HV_HOOK_JOIN_CHECK, text, sizeof text, &ev), HV_BLOCK);
    cr_assert_str_eq(trace, "e");
    cr_assert_str_eq(ev.reason, "blocked by e");
}

/* Notification hooks cannot stop anything: HV_BLOCK is ignored, every hook
 * runs, and the verdict is HV_PASS. */
Test(hooks, non_blockable_types_ignore_block)
{
    static const enum hv_hook notify[] = { HV_HOOK_REGISTERING, HV_HOOK_REGISTERED, HV_HOOK_NICK_CHANGED,
                                           HV_HOOK_JOINED, HV_HOOK_PARTED, HV_HOOK_KICKED, HV_HOOK_QUIT,
                                           HV_HOOK_MODE_CHANGED, HV_HOOK_TOPIC_CHANGED };
    static struct rec a = { 'a', HV_BLOCK, NULL, "" }, b = { 'b', HV_PASS, NULL, "" },
                      c = { 'c', HV_BLOCK, NULL, "" };
    for (size_t i = 0; i < sizeof notify / sizeof notify[0]; i++) {
        hv_hook_add(NULL, notify[i], 1, rec_hook, &a);
        hv_hook_add(NULL, notify[i], 2, rec_hook, &b);
        hv_hook_add(NULL, notify[i], 3, rec_hook, &c);
    }
    for (size_t i = 0; i < sizeof notify / sizeof notify[0]; i++) {
        trace[0] = '\0';
        cr_assert_eq(run(notify[i], NULL, 0, NULL), HV_PASS, "type %d blocked", notify[i]);
        cr_assert_str_eq(trace, "abc", "type %d: %s", notify[i], trace);
    }
}

/* A rewrite is what every later hook sees, and what the caller gets back. */
Test(hooks, rewrite_seen_by_later_hooks)
{
    static struct rec a = { 'a', HV_PASS, NULL, "" }, b = { 'b', HV_PASS, "hello there", "" },
                      c = { 'c', HV_PASS, "HELLO THERE", "" }, d = { 'd', HV_PASS, NULL, "" };
    hv_hook_add(NULL, HV_HOOK_PRIVATE_MESSAGE, 40, rec_hook, &d);
    hv_hook_add(NULL, HV_HOOK_PRIVATE_MESSAGE, 10, rec_hook, &a);
    hv_hook_add(NULL, HV_HOOK_PRIVATE_MESSAGE, 30, rec_hook, &c);
    hv_hook_add(NULL, HV_HOOK_PRIVATE_MESSAGE, 20, rec_hook, &b);
    char text[64] = "hi";
    cr_assert_eq(run(HV_HOOK_PRIVATE_MESSAGE, text, sizeof text, NULL), HV_PASS);
    cr_assert_str_eq(trace, "abcd");
    cr_assert_str_eq(a.seen, "hi");
    cr_assert_str_eq(b.seen, "hi");
    cr_assert_str_eq(c.seen, "hello there");
    cr_assert_str_eq(d.seen, "HELLO THERE");
    cr_assert_str_eq(text, "HELLO THERE");
}

/* A rewrite followed by a block: the hooks before the block saw the
 * rewritten text; none after it ran. */
Test(hooks, rewrite_then_block)
{
    static struct rec a = { 'a', HV_PASS, "changed", "" }, b = { 'b', HV_BLOCK, NULL, "" },
                      c = { 'c', HV_PASS, "never", "" };
    hv_hook_add(NULL, HV_HOOK_NICK_REQUEST, 1, rec_hook, &a);
    hv_hook_add(NULL, HV_HOOK_NICK_REQUEST, 2, rec_hook, &b);
    hv_hook_add(NULL, HV_HOOK_NICK_REQUEST, 3, rec_hook, &c);
    char text[32] = "nick";
    cr_assert_eq(run(HV_HOOK_NICK_REQUEST, text, sizeof text, NULL), HV_BLOCK);
    cr_assert_str_eq(b.seen, "changed");
    cr_assert_str_eq(text, "changed");
    cr_assert_str_eq(trace, "ab");
}

/* hooks_notify hands hooks a private, writable copy of the text: a hook
 * scribbling on it cannot change the caller's string. */
Test(hooks, notify_passes_a_copy)
{
    static struct rec a = { 'a', HV_BLOCK, "rewritten", "" }, b = { 'b', HV_PASS, NULL, "" };
    hv_hook_add(NULL, HV_HOOK_TOPIC_CHANGED, 0, rec_hook, &a);
    hv_hook_add(NULL, HV_HOOK_TOPIC_CHANGED, 1, rec_hook, &b);
    const char *topic = "the topic";
    hooks_notify(HV_HOOK_TOPIC_CHANGED, NULL, NULL, NULL, topic, NULL);
    cr_assert_str_eq(trace, "ab");
    cr_assert_str_eq(a.seen, "the topic");
    cr_assert_str_eq(b.seen, "rewritten");
    cr_assert_str_eq(topic, "the topic");
    /* no text: hooks see NULL */
    trace[0] = '\0';
    hooks_notify(HV_HOOK_TOPIC_CHANGED, NULL, NULL, NULL, NULL, NULL);
    cr_assert_str_eq(a.seen, "(null)");
}

/* The event a hook gets carries what the caller put in it. */
static hv_user *const fake_user = (hv_user *)0x1000;
static const char *seen_old_nick;
static hv_user *seen_user;

/* Remember the event's user and old nick. */
static enum hv_verdict peek_hook(struct hv_event *ev, void *arg)
{
    (void)arg;
    seen_user = ev->user;
    seen_old_nick = ev->old_nick;
    return HV_PASS;
}

Test(hooks, notify_fills_the_event)
{
    hv_hook_add(NULL, HV_HOOK_NICK_CHANGED, 0, peek_hook, NULL);
    hooks_notify(HV_HOOK_NICK_CHANGED, fake_user, NULL, NULL, NULL, "oldnick");
    cr_assert_eq(seen_user, fake_user);
    cr_assert_str_eq(seen_old_nick, "oldnick");
}
