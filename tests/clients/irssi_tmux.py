#!/usr/bin/python3
"""irssi (Debian's package, unmodified) in tmux against havend, read off the screen.

A person ("sam") starts irssi, which connects over TLS to havend running the
shipped config. Keys go in with tmux send-keys; what the person sees comes
out with capture-pane. Checked on the screen:
  - the status bar shows their nick: an assigned pseudonym when the shipped
    config loads the anonymity module;
  - the welcome (001) line, the MOTD's list of support rooms, and the
    Guide's greeting;
  - /msg Guide JOIN anxiety puts them in #anxiety: the topic, the room's
    welcome text from the Guide, and the other person (Robin, a raw-socket
    peer) in the nick list;
  - Robin's message appears; their reply reaches Robin (seen from Robin's side);
  - the crisis notice: "!crisis" in the room brings a private notice from the
    crisis service (skipped, with a SKIP line, while no crisis module is
    loaded);
  - /quote PANIC, then PANIC on Alt+Shift+P set up exactly as
    docs/connecting.md says (/alias + /bind): the person gets a fresh nick
    and Robin sees only an ordinary QUIT. While the server answers PANIC
    with 421 (no panic module loaded) the first step is a SKIP line and the
    key is checked to send PANIC (the 421 shows);
  - /quit: Robin sees it (or, after PANIC, the nick is gone).
"""
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import havend_harness as H  # noqa: E402

for prog in ("irssi", "tmux"):
    if not shutil.which(prog):
        H.skip_whole_test("%s is not installed (contrib/install-deps.sh --test installs it)" % prog)

WANT = "sam"
report = H.Report("irssi")


def goto(tm, name):
    """Switch irssi to the window holding `name` (a channel, a query, or a number)."""
    tm.keys("/window goto %s" % name if not name.isdigit() else "/window %s" % name)
    time.sleep(0.3)


def main():
    server = H.Server(report)
    tm = robin = None
    try:
        server.start()
        guide = H.guide_nick(server)
        topic = H.topic_info(server, "anxiety")
        if not report.check("the shipped config has the anxiety topic", topic and topic["channel"], topic):
            return
        chan = topic["channel"]

        robin = H.Peer(server.plain_port, "Robin", label="Robin")
        robin.send("JOIN " + chan)
        report.check("Robin (the other person) is in " + chan, robin.wait(r" 366 \S+ %s " % re.escape(chan)))

        home = os.path.join(server.tmp, "irssi")
        os.makedirs(home)
        with open(os.path.join(home, "config"), "w") as f:
            f.write('servers = (\n'
                    '  { address = "127.0.0.1"; chatnet = "HavenTest"; port = "%d"; use_tls = "yes";\n'
                    '    tls_verify = "no"; autoconnect = "yes"; }\n'
                    ');\n'
                    'chatnets = { HavenTest = { type = "IRC"; }; };\n'
                    'settings = { core = { real_name = "Sam"; user_name = "sam"; nick = "%s"; }; };\n'
                    % (server.tls_port, WANT))
        tm = H.Tmux(server.tmp, "irssi --home=%s" % home, width=200, height=50,
                    env={"TERM": "screen-256color", "HOME": home, "LANG": "C.UTF-8"})

        # --- connected over TLS: the Guide's greeting (it follows the
        # welcome), then the status bar's nick
        gm = tm.wait_screen(r"-%s\(service@[^)]*\)- .*?/msg %s TOPICS" % (guide, guide), 20)
        if not report.check("irssi connected over TLS: the screen shows the %s's greeting (a notice naming "
                            "/msg %s TOPICS)" % (guide, guide), gm, tm.last[-800:]):
            return
        bar = tm.wait_screen(r"\[\d\d:\d\d\] \[([^\]\s(]+)(?:\([^)]*\))?\] \[1:HavenTest", 5)
        if not report.check("irssi's status bar shows the person's nick", bar, tm.last[-600:]):
            return
        nick = bar.group(1)
        report.note("irssi's nick: " + nick)
        H.check_pseudonym(report, server, WANT, nick)
        report.check("the screen shows the MOTD's support rooms (%s - %s)" % (chan, topic["description"]),
                     re.escape(chan) and (chan + " - " + topic["description"]) in tm.last)
        tm.keys("/lastlog Welcome to")
        report.check("the welcome line names the person %s" % nick,
                     tm.wait_screen(r"Welcome to .*%s" % re.escape(nick), 5), tm.last[-400:])

        # --- join a topic via the guide
        tm.keys("/msg %s JOIN %s" % (guide, "anxiety"))
        joined = robin.wait(r"^:%s!\S+ JOIN :?%s" % (re.escape(nick), re.escape(chan)), 10)
        report.check("Robin sees %s join %s" % (nick, chan), joined)
        goto(tm, chan)
        report.check("irssi has a %s window with the topic '%s'" % (chan, topic["description"]),
                     tm.wait_screen(r"Topic for %s: %s" % (re.escape(chan), re.escape(topic["description"])), 10),
                     tm.last[-800:])
        report.check("the nick list in %s shows Robin (%s)" % (chan, robin.nick),
                     tm.wait_screen(r"\[Users %s\].*\[[ @+]%s\]" % (re.escape(chan), robin.nick), 10),
                     tm.last[-800:])
        goto(tm, guide)
        report.check("the %s's private window shows %s's welcome text" % (guide, chan),
                     tm.wait_screen(r"-%s\(service@[^)]*\)- %s" % (guide, re.escape(H.squash(topic["welcome"])[:60])),
                                    10), tm.last[-800:])

        # --- talk
        goto(tm, chan)
        robin.send("PRIVMSG %s :hi %s, I'm Robin" % (chan, nick))
        report.check("the screen shows Robin's message in %s" % chan,
                     tm.wait_screen(r"<[ @+]?%s> hi %s, I'm Robin" % (robin.nick, re.escape(nick)), 10), tm.last[-600:])
        mark = robin.mark()
        tm.keys("thank you Robin, it helps to talk")
        report.check("the screen shows the person's own line",
                     tm.wait_screen(r"<[ @+]?%s> thank you Robin, it helps to talk" % re.escape(nick), 10),
                     tm.last[-600:])
        got = robin.wait(r"^:%s!\S+@(\S+) PRIVMSG %s :thank you Robin, it helps to talk$"
                         % (re.escape(nick), re.escape(chan)), 10, mark)
        report.check("Robin receives it from %s with a cloaked host" % nick,
                     got and got.group(1).endswith(".users.havend"), got and got.group(0))

        # --- the crisis notice: "!crisis" in a room gets a private reply
        if not H.crisis_service_loaded(server):
            report.skip("crisis notice", "no crisis service: the shipped config loads no crisis module yet")
        else:
            crisis = H.crisis_nick(server)
            tm.keys("!crisis")
            goto(tm, "1")   # a notice from someone with no query window lands in the status window
            seen = tm.wait_screen(r"-%s\(service@[^)]*\)- (\S.{0,80})" % re.escape(crisis), 10)
            report.check("the screen shows a private notice from %s after !crisis" % crisis, seen, tm.last[-800:])
            if seen:
                report.note("%s says: %s" % (crisis, seen.group(1)))

        # --- /quote PANIC
        goto(tm, "1")
        tm.keys("/clear")
        time.sleep(0.3)
        mark = robin.mark()
        tm.keys("/quote PANIC")
        # after /clear, any timestamped line is the server's answer
        answer = tm.wait_screen(r"\d\d:\d\d (?!-!- Irssi:)(\S.*?) \[\d\d:\d\d\]", 12)
        panicked = not (answer and re.search(r"PANIC Unknown command", answer.group(1)))
        if not panicked:
            report.skip("/quote PANIC", "PANIC not implemented yet (the server answered 421)")
        else:
            if answer:
                report.note("PANIC answer: " + answer.group(1)[:200])
            renamed = tm.wait_screen(r"You're now known as (\S+)", 10)
            H.panic_aftermath(report, robin, nick, renamed and renamed.group(1), mark)
            nick = renamed.group(1) if renamed else nick

        # --- PANIC on a key, as docs/connecting.md tells people to set it up
        tm.keys("/alias PANIC quote PANIC")
        tm.keys("/bind meta-P command panic")
        tm.keys("/clear")
        time.sleep(0.3)
        mark = robin.mark()
        subprocess.run(tm.base + ["send-keys", "-t", "t", "M-P"], check=True, timeout=10)
        if not panicked:
            report.check("Alt+Shift+P (bound as docs/connecting.md says) sends PANIC (the server's 421 shows)",
                         tm.wait_screen(r"PANIC Unknown command", 12), tm.last[-600:])
        else:
            again = tm.wait_screen(r"You're now known as (\S+)", 12)
            report.check("Alt+Shift+P (bound as docs/connecting.md says) sends PANIC: another fresh nick",
                         again and again.group(1) != nick, tm.last[-600:])
            nick = again.group(1) if again else nick

        tm.keys("/quit bye for now")
        H.check_gone(report, robin, nick, panicked, "bye for now")
    finally:
        if tm:
            tm.close()
        if robin:
            robin.close()
        server.stop()
        server.cleanup()


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # a harness failure is a test failure, never a skip
        report.check("harness ran to the end", False, "%s: %s" % (type(e).__name__, e))
    sys.exit(report.summary())
