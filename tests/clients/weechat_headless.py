#!/usr/bin/python3
"""weechat-headless (Debian's package, unmodified) against havend.

WeeChat runs without a terminal; commands go in through its own FIFO
(fifo plugin: "<buffer> *<text>"), and what the person would see in each
buffer comes out through its logger (one file per buffer, the same lines the
buffer shows). It connects over TLS with its default capability request, and
the test checks:
  - the capabilities it asked for by default were all granted, and it shows
    the welcome line with the person's nick (a pseudonym when the shipped
    config loads the anonymity module), and the Guide's greeting;
  - /msg Guide JOIN anxiety puts it in #anxiety: the join, the topic, the
    room's welcome text from the Guide;
  - a conversation with another person (Robin, a raw-socket peer), both ways;
  - the crisis notice: "!crisis" in the room brings a private notice from the
    crisis service (a SKIP line while no crisis module is loaded);
  - /quote PANIC: a fresh nick, and Robin sees only an ordinary QUIT (a SKIP
    line while the server answers 421); then /panic as docs/connecting.md
    sets it up (/alias add, /key bind) sends PANIC again.
"""
import os
import re
import shutil
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import havend_harness as H  # noqa: E402

if not shutil.which("weechat-headless"):
    H.skip_whole_test("weechat-headless is not installed (contrib/install-deps.sh --test installs it)")

WANT = "sam"
report = H.Report("weechat")


def main():
    server = H.Server(report)
    robin = wee = None
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

        home = os.path.join(server.tmp, "weechat")
        os.makedirs(home)
        fifo = os.path.join(home, "fifo")
        logs = os.path.join(home, "logs")
        # WeeChat 3.x names its TLS options "ssl" (4.0 renamed them "tls").
        major = 3
        v = subprocess.run(["weechat-headless", "--version"], capture_output=True, text=True, timeout=10)
        m = re.match(r"(\d+)", v.stdout.strip())
        if m:
            major = int(m.group(1))
        tls = "tls" if major >= 4 else "ssl"
        run = ";".join([
            "/set logger.file.flush_delay 0",
            "/set logger.file.path %s" % logs,
            "/set fifo.file.path %s" % fifo,
            "/server add havend 127.0.0.1/%d -%s -nicks=%s -username=%s -realname=Sam"
            % (server.tls_port, tls, WANT, WANT),
            "/set irc.server.havend.%s_verify off" % tls,
            "/connect havend",
        ])
        wee = subprocess.Popen(["weechat-headless", "--dir", home, "--stdout", "-P", "irc,logger,fifo,alias",
                                "-r", run],
                               stdin=subprocess.DEVNULL, stdout=open(os.path.join(home, "stdout"), "w"),
                               stderr=subprocess.STDOUT, start_new_session=True)
        slog = os.path.join(logs, "irc.server.havend.weechatlog")

        def say(buffer, text):
            """One command into WeeChat's FIFO; never blocks if WeeChat is gone."""
            def opened():
                try:
                    return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK) + 1
                except OSError:
                    return 0
            fd = H.wait_until(opened, 10)
            if not fd:
                raise RuntimeError("WeeChat's FIFO is not open (is WeeChat still running?)")
            try:
                os.write(fd - 1, ("%s *%s\n" % (buffer, text)).encode())
            finally:
                os.close(fd - 1)

        welcome = H.wait_file(slog, r"^\S+ \S+\t--\tWelcome to .*?[ ,]+(\S+)$", 20)
        if not report.check("WeeChat shows the welcome line", welcome, H.read_file(slog)[-800:]):
            return
        nick = welcome.group(1)
        report.note("the welcome names the person " + nick)
        H.check_pseudonym(report, server, WANT, nick)
        text = H.read_file(slog)
        report.check("WeeChat connected over TLS (its server buffer says so)",
                     re.search(r"connecting to server 127\.0\.0\.1/%d \((?:SSL|TLS)\)" % server.tls_port, text))
        asked = re.search(r"client capability, requesting: (.*)$", text, re.M)
        got = re.search(r"client capability, enabled: (.*)$", text, re.M)
        report.check("WeeChat asked for its default capabilities", asked, text[-1200:])
        if asked and got:
            missing = set(asked.group(1).split()) - set(got.group(1).split())
            report.check("every capability it asked for was granted (%s)" % got.group(1), not missing, missing)
            for cap in ("message-tags", "server-time"):
                if cap in asked.group(1).split():
                    report.check("%s negotiated" % cap, cap in got.group(1).split())
        else:
            report.check("WeeChat shows which capabilities were enabled", got, text[-1200:])
        report.check("the server buffer shows the %s's greeting" % guide,
                     H.wait_file(slog, r"\t%s \(service@[^)]*\): .*/msg %s TOPICS" % (guide, guide), 10))

        # --- a topic room via the guide
        say("irc.server.havend", "/msg %s JOIN anxiety" % guide)
        clog = os.path.join(logs, "irc.havend.%s.weechatlog" % chan)
        report.check("WeeChat opens %s and shows the person joining" % chan,
                     H.wait_file(clog, r"\t-->\t%s (?:\([^)]*\) )?\(\S+\) has joined %s" % (re.escape(nick), re.escape(chan)), 10),
                     H.read_file(clog))
        report.check("%s shows its topic '%s'" % (chan, topic["description"]),
                     H.wait_file(clog, r'Topic for %s is "%s"' % (re.escape(chan), re.escape(topic["description"])), 5))
        report.check("WeeChat shows the %s's welcome text for %s" % (guide, chan),
                     H.wait_file(slog, r"\t%s \(service@[^)]*\): %s" % (guide, re.escape(topic["welcome"][:60])), 10),
                     H.read_file(slog)[-600:])

        # --- talk
        robin.send("PRIVMSG %s :hello %s, I'm Robin" % (chan, nick))
        report.check("WeeChat shows Robin's message in %s" % chan,
                     H.wait_file(clog, r"\t%s\thello %s, I'm Robin$" % (robin.nick, re.escape(nick)), 10), H.read_file(clog))
        mark = robin.mark()
        say("irc.havend." + chan, "thanks Robin, good to meet you")
        got = robin.wait(r"^:%s!\S+@(\S+) PRIVMSG %s :thanks Robin, good to meet you$"
                         % (re.escape(nick), re.escape(chan)), 10, mark)
        report.check("Robin receives the reply with a cloaked host", got and got.group(1).endswith(".users.havend"),
                     got and got.group(0))
        report.check("WeeChat shows the person's own line",
                     H.wait_file(clog, r"\t%s\tthanks Robin, good to meet you$" % re.escape(nick), 5))

        # --- the crisis notice: "!crisis" in a room gets a private reply
        if not H.crisis_service_loaded(server):
            report.skip("crisis notice", "no crisis service: the shipped config loads no crisis module yet")
        else:
            crisis = H.crisis_nick(server)
            say("irc.havend." + chan, "!crisis")
            rx = re.compile(r"\t%s \(service@[^)]*\): (.+)$" % re.escape(crisis), re.M)
            seen = H.wait_until(lambda: rx.search(H.read_file(slog)) or rx.search(H.read_file(clog)), 10)
            report.check("WeeChat shows a private notice from %s after !crisis" % crisis, seen)
            if seen:
                report.note("%s says: %s" % (crisis, seen.group(1)[:100]))

        # --- PANIC
        before = len(H.read_file(slog))
        mark = robin.mark()
        say("irc.server.havend", "/quote PANIC")
        answer = H.wait_until(lambda: re.search(r"^.*(?:PANIC.*|You are now known as (\S+))$",
                                                H.read_file(slog)[before:], re.M), 10)
        panicked = not (answer and "Unknown command" in answer.group(0))
        if not panicked:
            report.skip("/quote PANIC", "PANIC not implemented yet (the server answered 421)")
        else:
            renamed = H.wait_until(lambda: re.search(r"You are now known as (\S+)$", H.read_file(slog)[before:], re.M), 10)
            H.panic_aftermath(report, robin, nick, renamed and renamed.group(1), mark)
            nick = renamed.group(1) if renamed else nick

        # --- PANIC as a command of its own, as docs/connecting.md sets it up
        # (the key binding itself needs a terminal; /key bind is checked to be accepted)
        say("irc.server.havend", "/alias add panic /quote PANIC")
        say("irc.server.havend", "/key bind meta-P /panic")
        before = len(H.read_file(slog))
        say("irc.havend." + chan if not panicked else "irc.server.havend", "/panic")
        if not panicked:
            report.check("/panic (the alias from docs/connecting.md) sends PANIC (the server's 421 shows)",
                         H.wait_until(lambda: "PANIC: Unknown command" in H.read_file(slog)[before:], 10),
                         H.read_file(slog)[before:])
        else:
            again = H.wait_until(lambda: re.search(r"You are now known as (\S+)$", H.read_file(slog)[before:], re.M), 10)
            report.check("/panic (the alias from docs/connecting.md) sends PANIC: another fresh nick",
                         again and again.group(1) != nick, H.read_file(slog)[before:])
            nick = again.group(1) if again else nick
        core = os.path.join(logs, "core.weechat.weechatlog")
        report.check("WeeChat accepted the alias and the key binding",
                     H.wait_until(lambda: re.search(r"[Aa]lias \"panic\" .*created", H.read_file(core))
                                  and re.search(r"[Nn]ew key binding.*: meta-P => /panic", H.read_file(core)), 5),
                     H.read_file(core)[-600:])

        say("irc.server.havend", "/quit leaving now")
        H.check_gone(report, robin, nick, panicked, "leaving now")
        try:
            wee.wait(10)
        except subprocess.TimeoutExpired:
            pass
    finally:
        if wee and wee.poll() is None:
            os.killpg(wee.pid, signal.SIGTERM)
            try:
                wee.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(wee.pid, signal.SIGKILL)
                wee.wait()
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
