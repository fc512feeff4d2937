#!/usr/bin/python3
"""A bot on Debian's python3-irc (the jaraco `irc` library, unmodified) against havend.

The bot is an ordinary irc.bot.SingleServerIRCBot: it joins a topic room
through the Guide (/msg Guide JOIN offtopic, as its on_welcome does), answers
"!hello" in the room, and reconnects by itself when its connection is lost
(the library's own reconnection). A raw-socket peer (Robin) talks to it and a
staff member (OPER staff) runs REHASH and then KILLs the bot. Checked:
  - the bot registers (with a pseudonym when the shipped config assigns them)
    and lands in #offtopic via the Guide;
  - IRCv3 tags: when the library can parse them, the bot negotiates
    server-time and message-tags and sees time= and msgid= on Robin's message;
    when it cannot (python3-irc 8.x has no tag support), it does not ask and
    the server sends it no tags at all;
  - Robin sees the bot's answer to "!hello";
  - after a REHASH the bot is still connected and still answers;
  - killed after the REHASH, the bot reconnects on its own, gets back into
    the room and answers again.
The server uses fixed ports here (see havend_harness.Server) so the bot can
reconnect to the same address after REHASH.
"""
import inspect
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import havend_harness as H  # noqa: E402

try:
    import irc.bot
    import irc.client
except ImportError:
    H.skip_whole_test("python3-irc is not installed (contrib/install-deps.sh --test installs it)")

report = H.Report("python3-irc-bot")
TAGS_SUPPORTED = "tags" in inspect.signature(irc.client.Event.__init__).parameters


class HelperBot(irc.bot.SingleServerIRCBot):
    """A small bot as someone would write it with this library."""

    def __init__(self, port, guide, room):
        super().__init__([irc.bot.ServerSpec("127.0.0.1", port)], "helperbot", "Helper Bot",
                         reconnection_interval=1)
        self.guide, self.room = guide, room
        self.welcomes = 0
        self.raw = []
        self.tagged_msgs = []
        self.connection.add_global_handler("all_raw_messages", lambda c, e: self.raw.append(e.arguments[0]), -30)

    def on_welcome(self, c, e):
        self.welcomes += 1
        if TAGS_SUPPORTED:
            c.cap("REQ", "server-time", "message-tags")
        c.privmsg(self.guide, "JOIN " + self.room)

    def on_pubmsg(self, c, e):
        if TAGS_SUPPORTED:
            self.tagged_msgs.append({t["key"]: t["value"] for t in (e.tags or [])})
        if e.arguments and e.arguments[0].strip() == "!hello":
            c.privmsg(e.target, "hello %s, I'm a bot" % e.source.nick)


def main():
    server = H.Server(report, fixed_ports=True)
    robin = staff = bot = None
    try:
        server.start()
        guide = H.guide_nick(server)
        topic = H.topic_info(server, "offtopic")
        if not report.check("the shipped config has the offtopic topic", topic and topic["channel"], topic):
            return
        chan = topic["channel"]
        robin = H.Peer(server.plain_port, "Robin", label="Robin")
        robin.send("JOIN " + chan)
        report.check("Robin is in " + chan, robin.wait(r" 366 \S+ %s " % re.escape(chan)))

        mark_r = robin.mark()
        bot = HelperBot(server.plain_port, guide, "offtopic")
        bot._connect()

        def spin(pred, timeout=10.0):
            deadline = time.monotonic() + timeout
            while True:
                v = pred()
                if v or time.monotonic() >= deadline:
                    return v
                bot.ircobj.process_once(0.05)
                robin.pump(0)
                if staff:
                    staff.pump(0)

        report.check("the bot registered", spin(lambda: bot.welcomes >= 1, 15))
        nick = bot.connection.get_nickname()
        report.note("the bot's nick: " + nick)
        H.check_pseudonym(report, server, "helperbot", nick, "the bot")
        joined = spin(lambda: robin.wait(r"^:(\S+?)!\S+ JOIN :?%s" % re.escape(chan), 0, mark_r), 10)
        report.check("the bot joined %s through the %s" % (chan, guide), joined and joined.group(1) == nick,
                     joined and joined.group(0))
        report.check("the library tracks the bot in %s" % chan,
                     spin(lambda: any(k.lower() == chan.lower() for k in bot.channels.keys()), 5))

        def ask(expect_nick, what):
            mark = robin.mark()
            robin.send("PRIVMSG %s :!hello" % chan)
            got = spin(lambda: robin.wait(r"^:(\S+?)!\S+ PRIVMSG %s :hello %s, I'm a bot$"
                                          % (re.escape(chan), robin.nick),
                                          0, mark), 10)
            report.check("Robin sees the bot answer !hello %s" % what, got and got.group(1) == expect_nick,
                         got and got.group(0))

        ask(nick, "")

        # --- IRCv3 tags, where negotiated
        if TAGS_SUPPORTED:
            report.check("the bot sees time= and msgid= on Robin's message",
                         any("time" in t and "msgid" in t for t in bot.tagged_msgs), bot.tagged_msgs)
        else:
            report.skip("server-time/msgid on the bot's side",
                        "python3-irc %s cannot parse message tags, so the bot does not negotiate them"
                        % getattr(irc, "__version__", "8.x"))
            report.check("the server sent the bot no tags it did not ask for",
                         bot.raw and not any(line.startswith("@") for line in bot.raw),
                         [line for line in bot.raw if line.startswith("@")][:3])

        # --- REHASH: still connected, still answering
        staff = H.Peer(server.plain_port, "Warden", label="staff")
        report.check("staff is an IRC operator", staff.oper())
        mark = staff.mark()
        staff.send("REHASH")
        rehashed = spin(lambda: staff.wait(r" 382 ", 0, mark), 10)
        report.check("staff REHASH accepted (382)", rehashed)
        spin(lambda: False, 0.5)
        failed = [ln for ln in staff.lines[mark:] if "REHASH failed" in ln or "stays in force" in ln]
        report.check("REHASH applied without errors", not failed, staff.lines[mark:])
        report.check("the bot is still connected after REHASH", bot.connection.is_connected())
        ask(nick, "after REHASH")

        # --- killed after the REHASH: the bot reconnects by itself
        mark_r = robin.mark()
        staff.send("KILL %s :testing reconnection" % nick)
        report.check("Robin sees the bot killed", spin(lambda: robin.wait(r"^:%s!\S+ QUIT " % re.escape(nick), 0,
                                                                           mark_r), 10))
        back = spin(lambda: bot.welcomes >= 2, 15)
        report.check("the bot reconnected on its own", back)
        nick2 = bot.connection.get_nickname()
        report.note("the bot's nick after reconnecting: " + nick2)
        rejoined = spin(lambda: robin.wait(r"^:%s!\S+ JOIN :?%s" % (re.escape(nick2), re.escape(chan)), 0, mark_r),
                        10)
        report.check("the bot is back in %s" % chan, rejoined)
        ask(nick2, "after reconnecting")
        bot.connection.disconnect("bye")
    finally:
        for p in (robin, staff):
            if p:
                p.close()
        server.stop()
        server.cleanup()


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # a harness failure is a test failure, never a skip
        report.check("harness ran to the end", False, "%s: %s" % (type(e).__name__, e))
    sys.exit(report.summary())
