#!/usr/bin/python3
"""ii (Debian's FIFO-based client, unmodified) against havend: the oldest kind
of client, with no IRCv3 at all (no CAP, no tags, no TLS).

ii writes everything it shows into files (an `out` per server, channel and
correspondent) and reads what the person types from `in` FIFOs. This test
types into the FIFOs and reads the `out` files, as a person using ii would,
and checks that they still get:
  - a pseudonym (when the shipped config loads the anonymity module), in the
    welcome line;
  - the MOTD's support rooms and the Guide's greeting;
  - a topic room via the Guide (/j Guide JOIN anxiety), with the room's
    welcome text and the topic;
  - a conversation with another person (Robin, a raw-socket peer);
  - no IRCv3 tags anywhere (ii never asked for them);
  - the crisis notice: "!crisis" in the room brings a private notice
    (skipped, with a SKIP line, while no crisis module is loaded);
  - PANIC (typed raw, "/PANIC"): ii shows the fresh nick and Robin sees only
    an ordinary QUIT; a SKIP line while the server answers 421.
"""
import errno
import glob
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import havend_harness as H  # noqa: E402

if not shutil.which("ii"):
    H.skip_whole_test("ii is not installed (contrib/install-deps.sh --test installs it)")

WANT = "sam"
report = H.Report("ii")


def type_into(fifo, line, timeout=5.0):
    """Write one line into an ii `in` FIFO (ii must have it open)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError as e:
            if e.errno not in (errno.ENXIO, errno.ENOENT) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


def main():
    server = H.Server(report)
    robin = ii = None
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

        prefix = os.path.join(server.tmp, "irc")
        ii = subprocess.Popen(["ii", "-s", "127.0.0.1", "-p", str(server.plain_port), "-n", WANT,
                               "-i", prefix, "-f", "Sam"],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        sdir = os.path.join(prefix, "127.0.0.1")
        sout, sin = os.path.join(sdir, "out"), os.path.join(sdir, "in")

        welcome = H.wait_file(sout, r"^\d+ Welcome to .*?[ ,]+(\S+)$", 15)
        if not report.check("ii's server file shows the welcome line", welcome, H.read_file(sout)[-500:]):
            return
        nick = welcome.group(1).lstrip(",")
        report.note("the welcome names the person " + nick)
        H.check_pseudonym(report, server, WANT, nick)
        report.check("the server file shows the MOTD's support rooms (%s - %s)" % (chan, topic["description"]),
                     H.wait_file(sout, re.escape(chan + " - " + topic["description"]), 5))

        def guide_says(pattern, timeout=10.0):
            """The Guide's notices: ii files them under the sender (or, with
            no sender directory, in the server file)."""
            rx = re.compile(pattern)

            def probe():
                for out in glob.glob(os.path.join(sdir, "*", "out")) + [sout]:
                    if not os.path.basename(os.path.dirname(out)).startswith("#"):
                        text = H.read_file(out)
                        if rx.search(text):
                            return out
                return None
            return H.wait_until(probe, timeout)

        where = guide_says(r"/msg %s TOPICS" % guide)
        report.check("the %s's greeting (naming /msg %s TOPICS) is in one of ii's files" % (guide, guide), where)
        if where:
            report.note("greeting in " + os.path.relpath(where, prefix))

        # --- a topic room via the guide
        type_into(sin, "/j %s JOIN anxiety" % guide)
        cout = os.path.join(sdir, chan, "out")
        report.check("ii shows the person joining %s (its %s/out file)" % (chan, chan),
                     H.wait_file(cout, r"-!- %s\(\S+\) has joined %s" % (re.escape(nick), re.escape(chan)), 10),
                     H.read_file(cout)[-300:])
        report.check("Robin sees %s join" % nick,
                     robin.wait(r"^:%s!\S+ JOIN :?%s" % (re.escape(nick), re.escape(chan)), 10))
        report.check("the server file shows the topic '%s'" % topic["description"],
                     H.wait_file(sout, r"^\d+ %s %s$" % (re.escape(chan), re.escape(topic["description"])), 5))
        report.check("the %s's welcome text for %s reaches the person" % (guide, chan),
                     guide_says(re.escape(topic["welcome"][:60])))

        # --- talk
        robin.send("PRIVMSG %s :hello %s, I'm Robin" % (chan, nick))
        report.check("ii shows Robin's message in %s" % chan,
                     H.wait_file(cout, r"^\d+ <%s> hello %s, I'm Robin$" % (robin.nick, re.escape(nick)), 10), H.read_file(cout)[-300:])
        mark = robin.mark()
        type_into(os.path.join(sdir, chan, "in"), "thanks Robin, good to be here")
        got = robin.wait(r"^:%s!\S+@(\S+) PRIVMSG %s :thanks Robin, good to be here$"
                         % (re.escape(nick), re.escape(chan)), 10, mark)
        report.check("Robin receives the person's reply with a cloaked host",
                     got and got.group(1).endswith(".users.havend"), got and got.group(0))
        report.check("ii shows the person's own line", H.wait_file(cout, r"> thanks Robin, good to be here$", 5))

        # --- the crisis notice: "!crisis" in a room gets a private reply.
        # ii files notices under their target (the pseudonym, which ii does
        # not know is its own nick) or sender, without the sender's name.
        def private_files():
            return {f: len(H.read_file(f)) for f in glob.glob(os.path.join(sdir, "*", "out"))
                    if not os.path.basename(os.path.dirname(f)).startswith("#")}
        if not H.crisis_service_loaded(server):
            report.skip("crisis notice", "no crisis service: the shipped config loads no crisis module yet")
        else:
            before = private_files()
            type_into(os.path.join(sdir, chan, "in"), "!crisis")

            def new_notice():
                for f, n in private_files().items():
                    m = re.search(r'^\d+ -!- "(.+)$', H.read_file(f)[before.get(f, 0):], re.M)
                    if m:
                        return m.group(1)
                return None
            got = H.wait_until(new_notice, 10)
            report.check("ii shows a private notice after !crisis (the crisis service's reply)", got)
            if got:
                report.note("it says: " + got[:100])

        # --- PANIC, typed raw as ii's manual says (/PANIC goes to the server as is)
        before = len(H.read_file(sout))
        mark = robin.mark()
        type_into(sin, "/PANIC")
        answer = H.wait_until(lambda: H.read_file(sout)[before:].strip(), 10)
        panicked = not (answer and "PANIC Unknown command" in answer)
        if not panicked:
            report.skip("PANIC", "PANIC not implemented yet (the server answered 421)")
        else:
            renamed = H.wait_file(sout, r"-!- %s changed nick to (\S+)$" % re.escape(nick), 10)
            H.panic_aftermath(report, robin, nick, renamed and renamed.group(1), mark)
            nick = renamed.group(1) if renamed else nick

        # --- no IRCv3 reached a client that never asked
        files = glob.glob(os.path.join(sdir, "**", "out"), recursive=True)
        tagged = [f for f in files if re.search(r"^\d+ @\S+=", H.read_file(f), re.M)]
        report.check("no IRCv3 tags in anything ii shows", not tagged, tagged)

        type_into(sin, "/q see you")
        H.check_gone(report, robin, nick, panicked, "see you")
        try:
            ii.wait(5)
        except subprocess.TimeoutExpired:
            pass
    finally:
        if ii and ii.poll() is None:
            ii.terminate()
            try:
                ii.wait(5)
            except subprocess.TimeoutExpired:
                ii.kill()
                ii.wait()
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
