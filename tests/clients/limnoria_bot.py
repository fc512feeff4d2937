#!/usr/bin/python3
"""Limnoria (Debian's limnoria package, unmodified) against havend.

A Limnoria bot with a plain registry config (no wizard, no owner) connects
over TLS, negotiates its IRCv3 capabilities, and autojoins a topic room
(#lobby). A raw-socket peer (Robin) talks to it and a staff member (OPER
staff) runs REHASH and then KILLs the bot. Checked, from Robin's side and
from the bot's own log (its debug log records every line it received):
  - the bot registers (with a pseudonym when the shipped config assigns them)
    and is in #lobby;
  - the server granted server-time and message-tags, and the bot saw time=
    and msgid= on Robin's message;
  - Robin sees the bot answer "!echo ...";
  - after a REHASH the bot is still connected and still answers;
  - killed after the REHASH, the bot reconnects by itself (Limnoria's
    driver), rejoins #lobby and answers again.
The server uses fixed ports here (see havend_harness.Server) so the bot can
reconnect to the address in its config after REHASH.
"""
import os
import re
import shutil
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import havend_harness as H  # noqa: E402

if not shutil.which("supybot"):
    H.skip_whole_test("limnoria is not installed (contrib/install-deps.sh --test installs it)")

report = H.Report("limnoria")


def main():
    server = H.Server(report, fixed_ports=True)
    robin = staff = bot = None
    out = None
    try:
        server.start()
        topic = H.topic_info(server, "lobby")
        if not report.check("the shipped config has the lobby topic", topic and topic["channel"], topic):
            return
        chan = topic["channel"]
        robin = H.Peer(server.plain_port, "Robin", label="Robin")
        robin.send("JOIN " + chan)
        report.check("Robin is in " + chan, robin.wait(r" 366 \S+ %s " % re.escape(chan)))

        home = os.path.join(server.tmp, "limnoria")
        os.makedirs(home)
        conf = os.path.join(home, "bot.conf")
        with open(conf, "w") as f:
            f.write("\n".join([
                "supybot.nick: helperbot",
                "supybot.ident: limnoria",
                "supybot.user: Limnoria Bot",
                "supybot.networks: havend",
                "supybot.networks.havend.servers: 127.0.0.1:%d" % server.tls_port,
                "supybot.networks.havend.ssl: True",
                "supybot.networks.havend.channels: %s" % chan,
                # the test server's certificate is self-signed
                "supybot.protocols.ssl.verifyCertificates: False",
                "supybot.directories.conf: %s/conf" % home,
                "supybot.directories.data: %s/data" % home,
                "supybot.directories.backup: /dev/null",
                "supybot.directories.log: %s/logs" % home,
                "supybot.plugins: Admin Channel Config Misc Owner User Utilities",
                "supybot.plugins.Admin: True",
                "supybot.plugins.Channel: True",
                "supybot.plugins.Config: True",
                "supybot.plugins.Misc: True",
                "supybot.plugins.Owner: True",
                "supybot.plugins.User: True",
                "supybot.plugins.Utilities: True",
                "supybot.reply.whenAddressedBy.chars: !",
                "supybot.drivers.minReconnectWait: 1",
                "supybot.log.level: DEBUG",
                "supybot.log.stdout.level: DEBUG",
                ""]))
        args = ["supybot", conf]
        if os.geteuid() == 0:
            args.insert(1, "--allow-root")   # CI runs as root; Limnoria refuses root otherwise
        out = os.path.join(home, "stdout")
        mark_r = robin.mark()
        bot = subprocess.Popen(args, cwd=home, stdin=subprocess.DEVNULL, stdout=open(out, "w"),
                               stderr=subprocess.STDOUT, start_new_session=True)

        joined = robin.wait(r"^(?:@\S+ )?:(\S+?)!\S+ JOIN :?%s\b" % re.escape(chan), 25, mark_r)
        if not report.check("Robin sees the bot join %s" % chan, joined, H.read_file(out)[-1500:]):
            return
        nick = joined.group(1)
        report.note("the bot's nick: " + nick)
        H.check_pseudonym(report, server, "helperbot", nick, "the bot")

        acked = H.wait_until(lambda: re.search(r"Server acknowledged capabilities: (.*)$", H.read_file(out), re.M), 5)
        report.check("the bot negotiated IRCv3 capabilities", acked, H.read_file(out)[-1500:])
        if acked:
            caps = acked.group(1)
            report.note("acknowledged: " + caps)
            for cap in ("server-time", "message-tags"):
                report.check("%s granted to the bot" % cap, cap in caps)

        def ask(expect_nick, words, what):
            mark = robin.mark()
            robin.send("PRIVMSG %s :!echo %s" % (chan, words))
            got = robin.wait(r"^(?:@\S+ )?:(\S+?)!\S+ PRIVMSG %s :(?:%s: )?%s$"
                             % (re.escape(chan), re.escape(robin.nick), re.escape(words)), 10, mark)
            report.check("Robin sees the bot answer !echo %s" % what, got and got.group(1) == expect_nick,
                         got.group(0) if got else H.read_file(out)[-1500:])

        ask(nick, "hello from Robin", "")
        seen = H.wait_until(lambda: re.search(
            r"Incoming message \(havend\): @(\S+) :%s!\S+ PRIVMSG %s :!echo hello from Robin"
            % (re.escape(robin.nick), re.escape(chan)), H.read_file(out)), 5)
        tags = dict(t.split("=", 1) if "=" in t else (t, "") for t in seen.group(1).split(";")) if seen else {}
        report.check("the bot saw server-time (time=) on Robin's message", "time" in tags, tags)
        report.check("the bot saw a msgid on Robin's message", tags.get("msgid"), tags)

        # --- REHASH: still connected, still answering
        staff = H.Peer(server.plain_port, "Warden", label="staff")
        report.check("staff is an IRC operator", staff.oper())
        mark = staff.mark()
        staff.send("REHASH")
        report.check("staff REHASH accepted (382)", staff.wait(r" 382 ", 10, mark))
        staff.settle(0.5)
        failed = [ln for ln in staff.lines[mark:] if "REHASH failed" in ln or "stays in force" in ln]
        report.check("REHASH applied without errors", not failed, staff.lines[mark:])
        ask(nick, "still here after the rehash", "after REHASH")
        report.check("the bot did not reconnect across the REHASH", H.read_file(out).count("Connecting to 127.0.0.1") == 1)

        # --- killed after the REHASH: Limnoria reconnects by itself
        mark_r = robin.mark()
        staff.send("KILL %s :testing reconnection" % nick)
        report.check("Robin sees the bot killed", robin.wait(r"^(?:@\S+ )?:%s!\S+ QUIT " % re.escape(nick), 10,
                                                             mark_r))
        again = robin.wait(r"^(?:@\S+ )?:(\S+?)!\S+ JOIN :?%s\b" % re.escape(chan), 20, mark_r)
        report.check("the bot reconnected on its own and is back in %s" % chan, again, H.read_file(out)[-1500:])
        if again:
            report.note("the bot's nick after reconnecting: " + again.group(1))
            ask(again.group(1), "back again", "after reconnecting")
    finally:
        if bot and bot.poll() is None:
            os.killpg(bot.pid, signal.SIGTERM)
            try:
                bot.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(bot.pid, signal.SIGKILL)
                bot.wait()
        for p in (robin, staff):
            if p:
                p.close()
        server.stop()
        if report.failed and out:
            sys.stdout.write("--- the bot's log (end):\n" + H.read_file(out)[-3000:] + "\n")
        server.cleanup()


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # a harness failure is a test failure, never a skip
        report.check("harness ran to the end", False, "%s: %s" % (type(e).__name__, e))
    sys.exit(report.summary())
