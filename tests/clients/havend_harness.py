"""Shared harness for the real-client tests in tests/clients/.

Each client test starts its own havend on a copy of the shipped
conf/havend.conf (the whole conf/ directory, so the MOTD, word lists and
includes come along), with:
  - every listen block moved to 127.0.0.1 and port 0, the bound ports read
    from the log ("listening on 127.0.0.1 port N [(tls)]"). A test that
    REHASHes and then reconnects asks for fixed_ports instead: havend reopens
    a port-0 listener on a new port at every REHASH (only a listener whose
    configured address and port are unchanged keeps its socket), so such a
    test picks free ports itself and writes them in, as an operator would;
  - module_path pointing at the build tree's modules ($HAVEND_BUILDDIR/modules);
  - a test staff account (OPER staff <password>), hashed with
    `$HAVEND_BIN --mkpasswd`.

It also has a tiny raw-socket IRC peer (the "other person" in the room and
the staff member), bounded waits, and the check()/skip()/summary() reporting
that ends every test with "name: N passed, N failed, N skipped".

Only the Python standard library is used, so this runs under Debian's
/usr/bin/python3 next to python3-irc and limnoria.
"""
import os
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

SKIP_EXIT = 77          # meson: the test was skipped
STAFF_NAME = "staff"
STAFF_PASSWORD = "staff test password"

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "WARNING: AddressSanitizer")


# --------------------------------------------------------------- reporting

class Report:
    """Named checks, each printed as it happens; skips say why."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0
        self.skipped = 0

    def check(self, what, ok, detail=""):
        ok = bool(ok)
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        print("%s %s%s" % ("ok  " if ok else "FAIL", what,
                           (": " + str(detail)) if detail and not ok else ""), flush=True)
        return ok

    def skip(self, what, why):
        self.skipped += 1
        print("SKIP: %s (%s)" % (why, what), flush=True)

    def note(self, text):
        print("     " + text, flush=True)

    def summary(self):
        print("%s: %d passed, %d failed, %d skipped" % (self.name, self.passed, self.failed, self.skipped),
              flush=True)
        return 1 if self.failed or not self.passed else 0


def skip_whole_test(why):
    """The client under test is not installed: meson's skip."""
    print("SKIP: " + why, flush=True)
    sys.exit(SKIP_EXIT)


def wait_until(pred, timeout=10.0, step=0.05):
    """Poll pred() until it returns something true or timeout seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            return v
        time.sleep(step)


def read_file(path):
    """A file's text, or "" while it does not exist yet (clients' logs)."""
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def wait_file(path, pattern, timeout=10.0):
    """Wait until the file's text matches the regex (multi-line)."""
    rx = re.compile(pattern, re.M)
    return wait_until(lambda: rx.search(read_file(path)), timeout)


# --------------------------------------------------------------- the server

def _paths():
    src = os.environ.get("HAVEND_SRCDIR") or os.path.normpath(
        os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    build = os.environ.get("HAVEND_BUILDDIR") or os.path.join(src, "build")
    binary = os.environ.get("HAVEND_BIN") or os.path.join(build, "havend")
    return src, build, binary


def _find_group_end(text, start):
    """Index just past the ')' or '}' closing the list/group opened at or
    after start, skipping strings and comments."""
    i = start
    depth = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif c == "#" or text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 1
        elif c in "({[":
            depth += 1
        elif c in ")}]":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError("unbalanced config text")


def _top_level(text, name):
    """(start, end) of the top-level setting `name = ...;` (not commented)."""
    m = re.search(r"(?m)^%s\s*[=:]\s*" % re.escape(name), text)
    if not m:
        return None
    end = _find_group_end(text, m.end()) if text[m.end()] in "({[" else text.index(";", m.end())
    if end < len(text) and text[end] == ";":
        end += 1
    return m.start(), end


def shipped_modules(conf_text):
    """The module names the config loads (modules = [ ... ])."""
    span = _top_level(conf_text, "modules")
    if not span:
        return []
    return re.findall(r'"([^"]+)"', conf_text[span[0]:span[1]])


class Server:
    """havend on a copy of the shipped config; see the module docstring."""

    def __init__(self, report, fixed_ports=False):
        self.report = report
        self.src, self.build, self.binary = _paths()
        self.tmp = tempfile.mkdtemp(prefix="havend-client-")
        self.proc = None
        self.plain_port = None
        self.tls_port = None
        self.log_path = os.path.join(self.tmp, "havend.log")
        self.fixed_ports = fixed_ports

    # -- config
    def _prepare(self):
        confdir = os.path.join(self.tmp, "conf")
        shutil.copytree(os.path.join(self.src, "conf"), confdir,
                        ignore=shutil.ignore_patterns("state", "*.pem"))
        self.conf_path = os.path.join(confdir, "havend.conf")
        with open(self.conf_path) as f:
            text = f.read()
        self.modules = shipped_modules(text)

        # listen blocks: 127.0.0.1, port 0; remember which are TLS
        span = _top_level(text, "listen")
        if not span:
            raise RuntimeError("the shipped config has no listen list")
        body = text[span[0]:span[1]]
        self.listen_tls = []

        def fix(block):
            b = block.group(0)
            self.listen_tls.append(bool(re.search(r"\btls\s*[=:]\s*true\b", b)))
            b = re.sub(r'\baddress\s*[=:]\s*"[^"]*"', 'address = "127.0.0.1"', b)
            return re.sub(r"\bport\s*[=:]\s*\d+", "port = %d" % self._pick_port(), b)

        body = re.sub(r"\{[^{}]*\}", fix, body)
        text = text[:span[0]] + body + text[span[1]:]

        # module_path: the build tree's modules
        span = _top_level(text, "module_path")
        if span:
            text = text[:span[0]] + text[span[1]:]
        text += '\nmodule_path = "%s";\n' % os.path.join(self.build, "modules")

        # a test staff account
        hashed = subprocess.run([self.binary, "--mkpasswd"], input=STAFF_PASSWORD + "\n",
                                capture_output=True, text=True, timeout=30, env=self._env())
        if hashed.returncode != 0 or not hashed.stdout.strip().startswith("$"):
            raise RuntimeError("havend --mkpasswd failed: " + hashed.stderr)
        block = ('{ name = "%s"; password = "%s";\n'
                 '    privileges = [ "kill", "rehash", "die", "wallops" ]; }'
                 % (STAFF_NAME, hashed.stdout.strip()))
        span = _top_level(text, "opers")
        if span:
            open_at = text.index("(", span[0]) + 1
            text = text[:open_at] + "\n  " + block + "," + text[open_at:]
        else:
            text += "\nopers = (\n  %s\n);\n" % block
        with open(self.conf_path, "w") as f:
            f.write(text)

    def _pick_port(self):
        if not self.fixed_ports:
            return 0
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    def _env(self):
        env = dict(os.environ)
        # the integration harness's convention: the server gets its own
        # sanitizer options (leak checks on)
        if os.environ.get("HAVEND_SERVER_ASAN_OPTIONS"):
            env["ASAN_OPTIONS"] = os.environ["HAVEND_SERVER_ASAN_OPTIONS"]
        return env

    def has_module(self, name):
        return name in self.modules

    # -- lifecycle
    def start(self):
        if not os.path.exists(self.binary):
            raise RuntimeError("no havend binary at %s (set HAVEND_BIN)" % self.binary)
        self._prepare()
        check = subprocess.run([self.binary, "-t", "-c", self.conf_path], capture_output=True, text=True,
                               timeout=30, env=self._env())
        if check.returncode != 0:
            sys.stderr.write("havend -t refused the test config:\n%s%s" % (check.stdout, check.stderr))
            raise RuntimeError("config check failed")
        self.logf = open(self.log_path, "w")
        self.proc = subprocess.Popen([self.binary, "-c", self.conf_path], stdin=subprocess.DEVNULL,
                                     stdout=self.logf, stderr=subprocess.STDOUT, env=self._env())
        nplain = self.listen_tls.count(False)
        ntls = self.listen_tls.count(True)

        def ports():
            text = self.log()
            plain = re.findall(r"listening on 127\.0\.0\.1 port (\d+)(?! \(tls\))", text)
            tls = re.findall(r"listening on 127\.0\.0\.1 port (\d+) \(tls\)", text)
            started = "started as" in text
            if len(plain) >= nplain and len(tls) >= ntls and started:
                return [int(p) for p in plain], [int(p) for p in tls]
            if self.proc.poll() is not None:
                return "dead"
            return None

        got = wait_until(ports, 20)
        if not got or got == "dead":
            sys.stderr.write("havend did not start; log:\n" + self.log())
            self.stop()
            raise RuntimeError("havend did not start")
        plain, tls = got
        self.plain_port = plain[0] if plain else None
        self.tls_port = tls[0] if tls else None
        return self

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def sighup(self):
        self.proc.send_signal(signal.SIGHUP)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """SIGTERM, wait, and check the log for sanitizer reports."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.logf.close()
        log = self.log()
        bad = [m for m in SANITIZER_MARKS if m in log]
        self.report.check("server log has no sanitizer report", not bad, bad)
        self.proc = None

    def cleanup(self):
        if os.environ.get("HAVEND_KEEP_TMP"):
            print("kept " + self.tmp)
            return
        shutil.rmtree(self.tmp, ignore_errors=True)


# --------------------------------------------------------------- a raw peer

class Peer:
    """A minimal IRC connection used as the other person (or staff) in a test.

    Not a client under test: it only lets a test act and observe from the
    other side. Lines are kept in self.lines; waits are bounded."""

    def __init__(self, port, nick, use_tls=False, caps=None, label="peer"):
        self.label = label
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        if use_tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            raw = ctx.wrap_socket(raw)
        self.sock = raw
        self.sock.setblocking(False)
        self.buf = b""
        self.lines = []
        self.closed = False
        self.wanted_nick = nick
        self.nick = nick
        if caps:
            self.send("CAP LS 302")
        self.send("NICK " + nick)
        self.send("USER %s 0 * :%s" % (nick.lower()[:10], label))
        if caps:
            self.send("CAP REQ :" + " ".join(caps))
            self.send("CAP END")
        m = self.wait(r"^(?:@\S+ )?:\S+ 001 (\S+) ", 15)
        if not m:
            raise RuntimeError("%s did not register: %r" % (label, self.lines[-10:]))
        self.nick = m.group(1)

    def send(self, line):
        data = (line + "\r\n").encode()
        deadline = time.monotonic() + 5
        while data and time.monotonic() < deadline:
            try:
                n = self.sock.send(data)
                data = data[n:]
            except (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
                time.sleep(0.01)

    def pump(self, timeout=0.05):
        if self.closed:
            return
        try:
            pending = isinstance(self.sock, ssl.SSLSocket) and self.sock.pending()
            if not pending:
                r, _, _ = select.select([self.sock], [], [], timeout)
                if not r:
                    return
            while True:
                try:
                    chunk = self.sock.recv(65536)
                except (BlockingIOError, ssl.SSLWantReadError):
                    break
                if not chunk:
                    self.closed = True
                    break
                self.buf += chunk
                if not (isinstance(self.sock, ssl.SSLSocket) and self.sock.pending()):
                    break
        except (ConnectionError, OSError):
            self.closed = True
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            line = line.rstrip(b"\r").decode("utf-8", "replace")
            self.lines.append(line)
            if re.match(r"^(?:@\S+ )?PING ", line):
                self.send("PONG " + line.split("PING ", 1)[1])

    def wait(self, pattern, timeout=10.0, since=0):
        """The first line (from index since) matching pattern, as a match."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            for line in self.lines[since:]:
                m = rx.search(line)
                if m:
                    return m
            if time.monotonic() >= deadline or self.closed:
                return None
            self.pump(min(0.1, max(0.0, deadline - time.monotonic())))

    def mark(self):
        """An index to wait from, so only later lines count."""
        self.pump(0)
        return len(self.lines)

    def settle(self, seconds=0.3):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.pump(0.05)

    def oper(self):
        self.send("OPER %s :%s" % (STAFF_NAME, STAFF_PASSWORD))
        return self.wait(r" 381 ", 10)

    def close(self):
        if not self.closed:
            try:
                self.send("QUIT :done")
                self.settle(0.2)
            except OSError:
                pass
        try:
            self.sock.close()
        except OSError:
            pass
        self.closed = True


def pseudonym_expected(server):
    """Does the shipped config hand out pseudonyms (the anonymity module,
    with its default or "assigned" nick policy)?"""
    if not server.has_module("anonymity"):
        return False
    with open(server.conf_path) as f:
        text = f.read()
    span = _top_level(text, "anonymity")
    if span and re.search(r'\bnick_policy\s*[=:]\s*"chosen"|\bpolicy\s*[=:]\s*"chosen"', text[span[0]:span[1]]):
        return False
    return True


def check_pseudonym(report, server, wanted, got, who="the person"):
    """Assert the nick the client ended up with is an assigned pseudonym
    when the shipped config assigns them; otherwise say why it is skipped."""
    if pseudonym_expected(server):
        report.check("%s got a pseudonym instead of %r (got %r)" % (who, wanted, got),
                     got and got.lower() != wanted.lower() and wanted.lower() not in got.lower(), got)
    else:
        report.skip("pseudonym for " + who,
                    "pseudonyms not assigned: the shipped config does not load the anonymity module")
        report.check("%s keeps the nick it asked for (%r)" % (who, got), got == wanted, got)


def crisis_service_loaded(server):
    return any("crisis" in m for m in server.modules)


def topic_info(server, name):
    """What the shipped config says about one topic: channel, description,
    and the first line of its welcome text (None if it is not there)."""
    with open(server.conf_path) as f:
        text = f.read()
    m = re.search(r'\bname\s*=\s*"%s"\s*;' % re.escape(name), text)
    if not m:
        return None
    start = text.rfind("{", 0, m.start())
    end = _find_group_end(text, start)
    block = text[start:end]

    def strings(key):
        k = re.search(r"\b%s\s*[=:]\s*((?:\"(?:[^\"\\]|\\.)*\"\s*)+);" % key, block)
        if not k:
            return None
        parts = re.findall(r'"((?:[^"\\]|\\.)*)"', k.group(1))
        return "".join(parts).replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")

    welcome = strings("welcome")
    return {"channel": strings("channel"), "description": strings("description"),
            "welcome": welcome.split("\n")[0] if welcome else None}


def guide_nick(server):
    with open(server.conf_path) as f:
        text = f.read()
    span = _top_level(text, "topics")
    m = span and re.search(r'(?m)^\s*guide_nick\s*[=:]\s*"([^"]+)"', text[span[0]:span[1]])
    return m.group(1) if m else "Guide"


def squash(text):
    """Whitespace runs to one space: a terminal client wraps long lines."""
    return re.sub(r"\s+", " ", text)


# --------------------------------------------------------------- tmux

class Tmux:
    """One program in a detached tmux session on a private socket: keys in
    with send-keys, the screen out with capture-pane."""

    def __init__(self, tmp, command, width=200, height=50, env=None):
        self.sock = os.path.join(tmp, "tmux.sock")
        self.base = ["tmux", "-S", self.sock]
        cmd = self.base + ["new-session", "-d", "-s", "t", "-x", str(width), "-y", str(height)]
        for k, v in (env or {}).items():
            cmd += ["-e", "%s=%s" % (k, v)]
        subprocess.run(cmd + [command], check=True, timeout=10)

    def keys(self, text, enter=True):
        subprocess.run(self.base + ["send-keys", "-t", "t", "-l", text], check=True, timeout=10)
        if enter:
            subprocess.run(self.base + ["send-keys", "-t", "t", "Enter"], check=True, timeout=10)

    def screen(self):
        r = subprocess.run(self.base + ["capture-pane", "-p", "-t", "t"], capture_output=True, text=True,
                           timeout=10)
        return r.stdout

    def wait_screen(self, pattern, timeout=10.0):
        """The screen (squashed) once pattern matches it, else None."""
        rx = re.compile(pattern)
        last = [""]

        def probe():
            last[0] = squash(self.screen())
            return rx.search(last[0])

        m = wait_until(probe, timeout, 0.2)
        self.last = last[0]
        return m

    def close(self):
        subprocess.run(self.base + ["kill-server"], capture_output=True, timeout=10)


# --------------------------------------------------------------- PANIC, crisis

def panic_aftermath(report, robin, old_nick, new_nick, mark):
    """What PANIC (modules/panic) promises, seen from both sides: the person
    has a fresh pseudonym, and the other person saw only an ordinary QUIT."""
    report.check("PANIC: the person's client shows a fresh nick (%s -> %s)" % (old_nick, new_nick),
                 new_nick and new_nick != old_nick, new_nick)
    report.check("PANIC: Robin sees an ordinary QUIT from %s" % old_nick,
                 robin.wait(r"^(?:@\S+ )?:%s!\S+ QUIT " % re.escape(old_nick), 10, mark))


def check_gone(report, robin, nick, panicked, quit_text, chan_shared=True):
    """After the client quits: Robin sees the QUIT (when they still share a
    room), or else the nick is simply gone (WHOIS answers 401)."""
    if chan_shared and not panicked:
        report.check("Robin sees the person quit (%s)" % quit_text,
                     robin.wait(r"^(?:@\S+ )?:%s!\S+ QUIT :.*%s" % (re.escape(nick), re.escape(quit_text)), 10))
        return

    def gone():
        mark = robin.mark()
        robin.send("WHOIS " + nick)
        robin.wait(r" (401|318) \S+ %s " % re.escape(nick), 2, mark)
        robin.settle(0.2)
        return any(re.search(r" 401 \S+ %s " % re.escape(nick), ln) for ln in robin.lines[mark:])
    report.check("after quitting, %s is gone from the network (WHOIS: 401)" % nick, wait_until(gone, 10, 0.3))


def crisis_nick(server):
    """The crisis service's nick, from the config (default "Crisis")."""
    with open(server.conf_path) as f:
        text = f.read()
    span = _top_level(text, "crisis")
    m = span and re.search(r'(?m)^\s*(?:service_nick|nick)\s*[=:]\s*"([^"]+)"', text[span[0]:span[1]])
    return m.group(1) if m else "Crisis"
