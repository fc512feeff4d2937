#!/usr/bin/python3
"""A real, unmodified IRC client library (Debian's python3-irc) against havend.

Starts havend on an ephemeral port (config with port = 0, port read from the
log), connects two irc.client connections, joins a channel, exchanges channel
and private messages, quits, and checks each step arrived as the library
parsed it. Every wait is bounded. Prints "N passed, N failed" at the end and
exits non-zero on any failure.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

try:
    import irc.client
except ImportError:
    print("python3-irc is not installed (apt-get install python3-irc): skipped")
    sys.exit(77)   # meson: skipped

TIMEOUT = 5.0
results = []


def check(name, ok, detail=""):
    """Record one named check and print it."""
    results.append((name, bool(ok)))
    print("%s %s%s" % ("ok  " if ok else "FAIL", name, (": " + detail) if detail and not ok else ""))


def start_server(tmp):
    """Write a config, start havend, return (process, port, log path)."""
    binary = os.environ.get("HAVEND_BIN")
    if not binary:
        builddir = os.environ.get("HAVEND_BUILDDIR", "build")
        binary = os.path.join(builddir, "havend")
    with open(os.path.join(tmp, "motd.txt"), "w") as f:
        f.write("python client test\n")
    conf = os.path.join(tmp, "havend.conf")
    with open(conf, "w") as f:
        f.write(
            'server = { name = "irc.test.local"; sid = "1TS"; description = "test";\n'
            '  network = "TestNet"; motd = "%s/motd.txt"; state_dir = "%s/state"; };\n'
            'listen = ( { address = "127.0.0.1"; port = 0; } );\n'
            'classes = ( { name = "default"; max_clients = 100; sendq = 65536; recvq = 8192;\n'
            '  ping_freq = 90; ping_timeout = 60; reg_timeout = 30; idle_timeout = 0;\n'
            '  flood = { mode = "fakelag"; burst = 1000; rate = 1000; }; } );\n'
            'log = { level = "debug"; };\n' % (tmp, tmp))
    log_path = os.path.join(tmp, "havend.log")
    log = open(log_path, "w")
    proc = subprocess.Popen([binary, "-c", conf], stdin=subprocess.DEVNULL,
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with open(log_path) as f:
            m = re.search(r"listening on 127\.0\.0\.1 port (\d+)(?! \(tls\))", f.read())
        if m:
            return proc, int(m.group(1)), log_path
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    with open(log_path) as f:
        sys.stderr.write("havend did not start; log:\n" + f.read())
    proc.kill()
    sys.exit(1)


class Client:
    """One irc.client connection and the events it received."""

    def __init__(self, reactor, port, nick):
        self.events = []
        self.conn = reactor.server().connect("127.0.0.1", port, nick,
                                             username="pyuser", ircname="Python Client")
        # handlers are global to the reactor: keep only this connection's events
        self.conn.add_global_handler("all_events", self.on_event)

    def on_event(self, conn, event):
        if conn is self.conn:
            self.events.append(event)

    def find(self, etype, pred=lambda e: True):
        for e in self.events:
            if e.type == etype and pred(e):
                return e
        return None


def wait_for(reactor, pred, timeout=TIMEOUT):
    """Run the reactor until pred() is true or timeout seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        reactor.process_once(0.05)
    return pred()


def main():
    tmp = tempfile.mkdtemp(prefix="havend-pyirc-")
    proc = None
    try:
        proc, port, log_path = start_server(tmp)
        Reactor = getattr(irc.client, "Reactor", None) or irc.client.IRC
        reactor = Reactor()
        alice = Client(reactor, port, "alice")
        bob = Client(reactor, port, "bob")

        for c, nick in ((alice, "alice"), (bob, "bob")):
            ok = wait_for(reactor, lambda: c.find("endofmotd") or c.find("nomotd"))
            check("%s registered (welcome + end of MOTD)" % nick, ok and c.find("welcome"))
            check("%s nickname as assigned" % nick, c.conn.get_nickname() == nick,
                  c.conn.get_nickname())

        alice.conn.join("#pytest")
        check("alice joined", wait_for(reactor, lambda: alice.find(
            "join", lambda e: e.source.nick == "alice" and e.target.lower() == "#pytest")))
        bob.conn.join("#pytest")
        check("bob joined", wait_for(reactor, lambda: bob.find(
            "join", lambda e: e.source.nick == "bob")))
        check("alice saw bob join", wait_for(reactor, lambda: alice.find(
            "join", lambda e: e.source.nick == "bob")))
        names = bob.find("namreply")
        check("NAMES reply parsed", names is not None and "@alice" in " ".join(names.arguments),
              names and str(names.arguments))

        alice.conn.privmsg("#pytest", "hello from alice")
        got = wait_for(reactor, lambda: bob.find(
            "pubmsg", lambda e: e.arguments == ["hello from alice"]))
        check("bob got the channel message", got)
        ev = bob.find("pubmsg")
        check("channel message source is alice with a cloaked host",
              ev is not None and ev.source.nick == "alice" and ev.source.host.endswith(".users.havend"),
              ev and str(ev.source))
        check("channel message target", ev is not None and ev.target == "#pytest", ev and ev.target)
        check("sender did not get an echo", alice.find("pubmsg") is None)

        bob.conn.privmsg("alice", "psst, alice")
        check("alice got the private message", wait_for(reactor, lambda: alice.find(
            "privmsg", lambda e: e.source.nick == "bob" and e.arguments == ["psst, alice"])))

        bob.conn.notice("alice", "a notice")
        check("alice got the notice", wait_for(reactor, lambda: alice.find(
            "privnotice", lambda e: e.arguments == ["a notice"])))

        alice.conn.topic("#pytest", "python topic")
        check("bob saw the topic", wait_for(reactor, lambda: bob.find(
            "topic", lambda e: e.arguments and e.arguments[-1] == "python topic")))

        bob.conn.quit("bob says bye")
        check("alice saw bob quit", wait_for(reactor, lambda: alice.find(
            "quit", lambda e: e.source.nick == "bob" and "bob says bye" in " ".join(e.arguments))))
        check("bob's connection closed", wait_for(reactor, lambda: not bob.conn.is_connected()
                                                 or bob.find("error") is not None))

        with open(log_path) as f:
            log = f.read()
        check("log holds no message text", "hello from alice" not in log and "psst" not in log)
        alice.conn.quit("done")
        wait_for(reactor, lambda: not alice.conn.is_connected(), 2)
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    passed = sum(1 for _, ok in results if ok)
    failed = len(results) - passed
    print("python3-irc: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
