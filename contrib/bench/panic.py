#!/usr/bin/python3
"""panic.py - how fast does PANIC make a person vanish from 20 busy rooms?

Starts havend (the build tree's binary) with the panic module on 127.0.0.1
port 0, puts one person in CHANNELS channels of MEMBERS members each while
TALKERS people per channel keep talking, then has the person send PANIC,
RUNS times. Measures, per run:
  server_us  time from PANIC handled to the last departure queued (the
             module logs it);
  client_ms  time from sending PANIC to the last channel's observer seeing
             the QUIT (includes the loopback and this script).
Prints human lines and one final JSON object. A benchmark, not a test:
nothing is asserted. Loopback only; every wait is bounded.

  contrib/bench/panic.py [--build DIR] [--channels 20] [--members 30]
                         [--talkers 3] [--rate 5] [--runs 5]
"""
import argparse, json, os, re, selectors, shutil, signal, socket, statistics
import subprocess, sys, tempfile, time

ap = argparse.ArgumentParser()
ap.add_argument("--build", default=os.environ.get("HAVEND_BUILDDIR", "build"))
ap.add_argument("--channels", type=int, default=20)
ap.add_argument("--members", type=int, default=30)
ap.add_argument("--talkers", type=int, default=3)
ap.add_argument("--rate", type=float, default=5.0, help="messages/s per talker")
ap.add_argument("--runs", type=int, default=5)
a = ap.parse_args()

tmp = tempfile.mkdtemp(prefix="havend-panicbench-")
conf = os.path.join(tmp, "havend.conf")
with open(conf, "w") as f:
    f.write(f"""server = {{ name = "bench.local"; sid = "9PB"; description = "panic bench"; network = "Bench";
  state_dir = "{tmp}/state"; }};
listen = ( {{ address = "127.0.0.1"; port = 0; }} );
classes = ( {{ name = "default"; max_clients = 5000; sendq = 8388608; recvq = 65536;
  flood = {{ burst = 100000; rate = 100000; }}; per_token = 0; throttle = {{ count = 0; }}; }} );
limits = {{ max_channels = 100; }};
log = {{ level = "info"; file = "{tmp}/log"; }};
module_path = "{os.path.abspath(a.build)}/modules";
modules = [ "panic" ];
""")
srv = subprocess.Popen([os.path.join(a.build, "havend"), "-c", conf])
deadline = time.time() + 10
port = None
while time.time() < deadline and port is None:
    try:
        m = re.search(r"listening on 127\.0\.0\.1 port (\d+)", open(f"{tmp}/log").read())
        port = int(m.group(1)) if m else None
    except FileNotFoundError:
        pass
    time.sleep(0.05)
if port is None:
    srv.kill()
    sys.exit("havend did not start")

sel = selectors.DefaultSelector()


class Client:
    def __init__(self, nick):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setblocking(False)
        self.buf = b""
        self.out = b""
        self.nick = nick
        self.lines = []
        sel.register(self.sock, selectors.EVENT_READ, self)
        self.send(f"NICK {nick}\r\nUSER b 0 * :b\r\n")

    def send(self, text):
        self.out += text.encode()
        self.flush()

    def flush(self):
        while self.out:
            try:
                n = self.sock.send(self.out)
            except BlockingIOError:
                return
            self.out = self.out[n:]

    def read(self):
        try:
            data = self.sock.recv(65536)
        except BlockingIOError:
            return
        self.buf += data
        *done, self.buf = self.buf.split(b"\r\n")
        for ln in done:
            if ln.startswith(b"PING "):
                self.send("PONG " + ln[5:].decode() + "\r\n")
            elif b" 001 " in ln:
                self.nick = ln.split(b" ")[2].decode()
            elif ln.startswith(b":" + self.nick.encode() + b"!") and b" NICK :" in ln:
                self.nick = ln.split(b" NICK :", 1)[1].decode()
            self.lines.append(ln)


def pump(seconds, until=None):
    end = time.time() + seconds
    while time.time() < end:
        for key, _ in sel.select(timeout=0.005):
            key.data.read()
        if until and until():
            return True
    return False


def wait_lines(clients, pattern, seconds):
    rx = re.compile(pattern)
    return pump(seconds, lambda: all(any(rx.search(l) for l in c.lines) for c in clients))


chans = [f"#room{i}" for i in range(a.channels)]
person = Client("person")
members = {ch: [Client(f"m{i}x{j}") for j in range(a.members)] for i, ch in enumerate(chans)}
everyone = [person] + [c for ms in members.values() for c in ms]
if not wait_lines(everyone, rb" 376 | 422 ", 60):
    srv.kill()
    sys.exit("registration did not finish")
for ch, ms in members.items():
    for c in ms:
        c.send(f"JOIN {ch}\r\n")


def join_person():
    person.lines.clear()
    person.send("JOIN " + ",".join(chans) + "\r\n")
    if not wait_lines([person], rb" 366 \S+ " + chans[-1].encode() + rb" ", 30):
        srv.kill()
        sys.exit("joining the rooms did not finish")


join_person()
talkers = [(c, ch) for ch, ms in members.items() for c in ms[:a.talkers]]
watchers = [ms[-1] for ms in members.values()]          # one observer per channel
interval = 1.0 / a.rate if a.rate > 0 else 1e9

server_us, client_ms = [], []
for run in range(a.runs):
    # Keep the rooms busy for a second before the panic, and during it.
    t_end, nxt = time.time() + 1.0, time.time()
    while time.time() < t_end:
        if time.time() >= nxt:
            for t, ch in talkers:
                t.send(f"PRIVMSG {ch} :busy {time.time():.3f}\r\n")
            nxt += interval
        pump(0.005)
    for w in watchers:
        w.lines.clear()
    old = person.nick
    t0 = time.perf_counter()
    person.send("PANIC\r\n")
    quit_rx = re.compile(rb"^:" + re.escape(old.encode()) + rb"!\S+ QUIT ")
    ok = pump(10, lambda: all(any(quit_rx.search(l) for l in w.lines) for w in watchers))
    t1 = time.perf_counter()
    if not ok:
        print(f"run {run + 1}: not every room saw the departure", file=sys.stderr)
        continue
    client_ms.append((t1 - t0) * 1000)
    pump(0.2)
    logs = re.findall(r"handled in (\d+) us", open(f"{tmp}/log").read())
    server_us.append(int(logs[-1]) if logs else -1)
    print(f"run {run + 1}: server {server_us[-1]} us, last room saw the QUIT after {client_ms[-1]:.2f} ms",
          file=sys.stderr)
    wait_lines([person], rb" NICK :", 5)
    join_person()

srv.send_signal(signal.SIGTERM)
try:
    srv.wait(10)
except subprocess.TimeoutExpired:
    srv.kill()
shutil.rmtree(tmp, ignore_errors=True)


def summary(v):
    return {"min": min(v), "p50": statistics.median(v), "max": max(v)} if v else None


print(json.dumps({"scenario": "panic", "channels": a.channels, "members_per_channel": a.members,
                  "talkers_per_channel": a.talkers, "rate_per_talker": a.rate, "runs": len(client_ms),
                  "server_us": summary(server_us), "client_ms": summary(client_ms)}))
