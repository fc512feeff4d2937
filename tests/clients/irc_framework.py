#!/usr/bin/python3
"""irc-framework (npm, 4.x: the library Kiwi IRC is built on), unmodified, on
Node.js, against havend.

irc-framework is installed from the npm registry with `npm ci` from
tests/clients/node/package-lock.json into the build directory
($HAVEND_BUILDDIR/tests/clients/node-deps), once per lock file. The bot
(tests/clients/node/irc_framework_bot.js) reports what it sees as JSON lines;
a raw-socket peer (Robin) is the other person in the room. Checked:
  - the bot registers over TLS (with a pseudonym when the shipped config
    assigns them) and every capability it asked for (Kiwi's set: the
    library's list plus echo-message, chghost, setname) was granted;
  - the Guide takes it into #offtopic: it sees its own join, the topic and
    the room's welcome text;
  - Robin's "!hello" reaches it with server-time and a msgid, and Robin sees
    its answer; its own lines come back to it (echo-message) with a msgid;
  - it says something of its own, and Robin sees it; it quits, and Robin
    sees that.
"""
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import havend_harness as H  # noqa: E402

for prog in ("node", "npm"):
    if not shutil.which(prog):
        H.skip_whole_test("%s is not installed (contrib/install-deps.sh --test installs Node.js and npm)" % prog)

report = H.Report("irc-framework")
HERE = os.path.dirname(os.path.abspath(__file__))
NODE_SRC = os.path.join(HERE, "node")


def install_deps():
    """npm ci into the build directory, unless this lock file is already installed."""
    build = os.environ.get("HAVEND_BUILDDIR") or os.path.join(HERE, "..", "..", "build")
    dest = os.path.join(build, "tests", "clients", "node-deps")
    os.makedirs(dest, exist_ok=True)
    with open(os.path.join(NODE_SRC, "package-lock.json"), "rb") as f:
        lock = f.read()
    stamp = os.path.join(dest, ".installed-lock")
    mod = os.path.join(dest, "node_modules", "irc-framework", "package.json")
    try:
        with open(stamp, "rb") as f:
            if f.read() == lock and os.path.exists(mod):
                return dest
    except OSError:
        pass
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(os.path.join(NODE_SRC, name), os.path.join(dest, name))
    r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=dest,
                       capture_output=True, text=True, timeout=240)
    if r.returncode != 0 or not os.path.exists(mod):
        raise RuntimeError("npm ci failed:\n%s%s" % (r.stdout[-2000:], r.stderr[-2000:]))
    with open(stamp, "wb") as f:
        f.write(lock)
    return dest


class Bot:
    """The node process; its JSON event lines in self.events."""

    def __init__(self, deps, port, guide, topic_name):
        env = dict(os.environ, NODE_PATH=os.path.join(deps, "node_modules"), IRC_PORT=str(port), IRC_TLS="1",
                   IRC_NICK="kiwiuser", IRC_GUIDE=guide, IRC_TOPIC=topic_name)
        env.pop("ASAN_OPTIONS", None)
        self.proc = subprocess.Popen(["node", os.path.join(NODE_SRC, "irc_framework_bot.js")], env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        self.events = []
        self.q = queue.Queue()
        self.stderr = []
        threading.Thread(target=self._read, args=(self.proc.stdout, self.q), daemon=True).start()
        threading.Thread(target=self._read, args=(self.proc.stderr, None), daemon=True).start()

    def _read(self, stream, q):
        for line in stream:
            if q is None:
                self.stderr.append(line)
                continue
            try:
                q.put(json.loads(line))
            except ValueError:
                q.put({"ev": "stdout", "line": line})

    def find(self, pred, timeout=10.0):
        deadline = time.monotonic() + timeout
        while True:
            for e in self.events:
                if pred(e):
                    return e
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                self.events.append(self.q.get(timeout=min(left, 0.2)))
            except queue.Empty:
                pass

    def send(self, obj):
        self.proc.stdin.write(json.dumps(obj) + "\n")
        self.proc.stdin.flush()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def main():
    deps = install_deps()
    with open(os.path.join(deps, "node_modules", "irc-framework", "package.json")) as f:
        version = json.load(f)["version"]
    report.check("irc-framework 4.x installed from npm (%s)" % version, version.startswith("4."), version)
    server = H.Server(report)
    robin = bot = None
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

        bot = Bot(deps, server.tls_port, guide, "offtopic")
        reg = bot.find(lambda e: e["ev"] == "registered", 20)
        if not report.check("the bot registered over TLS", reg, "".join(bot.stderr)[-1500:] + str(bot.events[-5:])):
            return
        nick = reg["nick"]
        report.note("the bot's nick: %s; enabled: %s" % (nick, " ".join(reg["enabled"])))
        H.check_pseudonym(report, server, "kiwiuser", nick, "the bot")
        missing = set(reg["requested"]) - set(reg["enabled"])
        report.check("every capability the bot asked for was granted", reg["requested"] and not missing,
                     "requested %s, missing %s" % (reg["requested"], missing))
        for cap in ("server-time", "message-tags", "echo-message"):
            if cap in reg["available"]:
                report.check("%s enabled" % cap, cap in reg["enabled"])
            else:
                report.check("the server offers %s" % cap, False, reg["available"])

        # --- into a topic room through the Guide
        report.check("the bot sees itself join %s" % chan,
                     bot.find(lambda e: e["ev"] == "join" and e["me"] and e["channel"].lower() == chan.lower()))
        report.check("the bot sees the topic '%s'" % topic["description"],
                     bot.find(lambda e: e["ev"] == "topic" and e["topic"] == topic["description"]))
        report.check("the bot gets %s's welcome text from the %s" % (chan, guide),
                     bot.find(lambda e: e["ev"] == "notice" and e["from"] == guide
                              and e["text"].startswith(topic["welcome"][:60])))
        report.check("Robin sees the bot join", robin.wait(r"^:%s!\S+ JOIN :?%s" % (re.escape(nick), re.escape(chan))))

        # --- a command, with tags
        mark = robin.mark()
        robin.send("PRIVMSG %s :!hello" % chan)
        msg = bot.find(lambda e: e["ev"] == "privmsg" and e["from"] == robin.nick and e["text"] == "!hello")
        report.check("the bot gets Robin's !hello", msg)
        tags = (msg or {}).get("tags") or {}
        report.check("... with server-time (time=%s)" % tags.get("time"),
                     re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", tags.get("time", "")), tags)
        report.check("... and a msgid (%s)" % tags.get("msgid"), tags.get("msgid"), tags)
        answer = robin.wait(r"^:%s!\S+ PRIVMSG %s :hello %s, I am a bot on irc-framework 4\."
                            % (re.escape(nick), re.escape(chan), re.escape(robin.nick)), 10, mark)
        report.check("Robin sees the bot's answer", answer)
        echo = bot.find(lambda e: e["ev"] == "privmsg" and e["echo"] and e["text"].startswith("hello " + robin.nick))
        report.check("the bot's own answer comes back to it (echo-message) with a msgid",
                     echo and (echo.get("tags") or {}).get("msgid"), echo)

        # --- talk, then leave
        mark = robin.mark()
        bot.send({"say": [chan, "thanks for having me, everyone"]})
        report.check("Robin sees the bot talk", robin.wait(r"^:%s!\S+ PRIVMSG %s :thanks for having me, everyone$"
                                                           % (re.escape(nick), re.escape(chan)), 10, mark))
        bot.send({"quit": "see you later"})
        report.check("Robin sees the bot quit", robin.wait(r"^:%s!\S+ QUIT :.*see you later" % re.escape(nick), 10))
        report.check("the bot saw its connection close", bot.find(lambda e: e["ev"] == "closed", 10))
        # the ERROR line closing the link after QUIT is expected
        errors = [e for e in bot.events if e["ev"] in ("irc error", "bad command", "timeout")
                  and not (e.get("error") == "irc" and str(e.get("reason")).startswith("Closing Link"))]
        report.check("the bot saw no IRC errors", not errors, errors)
    finally:
        if bot:
            bot.stop()
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
