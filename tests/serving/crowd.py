"""Slow clients and a normal client on loopback, and the servers they meet (shared by tests/serving and bench).

The crowd runs in one thread over non-blocking sockets, each slow client from one of SLOW_ADDRESSES (loopback
addresses other than the normal client's 127.0.0.1, like phones on their own networks), so per-address limits
see a crowd of ten per address. Every loop is bounded in time; everything talks to 127.0.0.0/8 only.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import re
import selectors
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from service.settings import PROJECT_DIR

PYTHON = sys.executable
BIN = Path(sys.executable).parent
SLOW_ADDRESSES = [f"127.0.0.{i}" for i in range(2, 22)]  # 20 addresses
KINDS = ("headers", "body", "half")  # a header line every 2 s; a body at 1 KB/s; half the headers, then silence
SECRET = "serving-tests-secret-key-0123456789-abcdef"
USERNAME, PASSWORD = "camat.serving", "serving-password-1"


def free_port() -> int:
    """A free loopback port for a server a test starts, below the kernel's ephemeral range: a port from that range
    (what bind(0) gives) can become the source port of any outgoing connection between this check and the server's
    own bind, which happened to nginx under `make test`'s load."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as ports:
            ephemeral = int(ports.read().split()[0])
    except OSError:  # not Linux: 32768 is Linux's default, below macOS's and Windows' ranges
        ephemeral = 32768
    for port in random.sample(range(ephemeral // 2, ephemeral), 200):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue  # taken
            return port
    raise RuntimeError(f"no free loopback port between {ephemeral // 2} and {ephemeral}")


def base_env(tmp: Path, database_url: str, redis_url: str = "") -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV_"))}
    env.update(
        APP_ENV="development",
        SECRET_KEY=SECRET,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        STORAGE_DIR=str(tmp / "media"),
        PYTHONUNBUFFERED="1",
    )
    return env


def prepare_database(tmp: Path) -> str:
    """A migrated, seeded SQLite database (the `make run` default) with one camat; returns its URL."""
    url = f"sqlite:///{tmp / 'serving.db'}"
    env = base_env(tmp, url)
    for command in ("migrate", "seed"):
        subprocess.run(
            [PYTHON, "-m", "service", command], env=env, cwd=PROJECT_DIR, check=True, capture_output=True, text=True
        )
    subprocess.run(
        [PYTHON, "-m", "service", "users", "create", USERNAME, "--role", "camat", "--kecamatan", "35.13.02"],
        env=env,
        cwd=PROJECT_DIR,
        input=f"{PASSWORD}\n",
        text=True,
        check=True,
        capture_output=True,
    )
    return url


def request(port: int, method: str, path: str, body=None, headers=None, timeout: float = 5.0):
    """One request on a new connection from 127.0.0.1: (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=("127.0.0.1", 0))
    try:
        raw = isinstance(body, bytes)
        payload = body if raw else json.dumps(body).encode() if body is not None else None
        hdrs = {"Content-Type": "application/json"} if payload and not raw else {}
        conn.request(method, path, body=payload, headers={**hdrs, **(headers or {})})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def raw_connection(port: int, source: str) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))


def ask_healthz(sock: socket.socket) -> tuple[int, bytes]:
    """GET /healthz on an open connection: the status and the first bytes of the answer."""
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    answer = sock.recv(4096)
    return int(answer.split(b" ", 2)[1]), answer


def wait_until_up(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering")
        try:
            if request(port, "GET", "/healthz", timeout=1)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not answer /healthz within {seconds} s")


def sign_in(port: int) -> str:
    status, _, body = request(port, "POST", "/api/v1/auth/login", {"username": USERNAME, "password": PASSWORD})
    assert status == 200, body
    return json.loads(body)["access_token"]


def stop(process: subprocess.Popen | None, seconds: float = 20) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def start_make_run_server(tmp: Path, database_url: str, port: int, extra_env: dict | None = None, log=None):
    """`python -m service serve`, as `make run` starts it (after migrate and seed)."""
    env = {**base_env(tmp, database_url), **(extra_env or {})}
    cmd = [PYTHON, "-m", "service", "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(cmd, env=env, cwd=PROJECT_DIR, stdout=log, stderr=subprocess.STDOUT)
    wait_until_up(port, process)
    return process


def start_gunicorn(tmp: Path, database_url: str, port: int, log=None):
    """gunicorn with the repository's gunicorn.conf.py: the production API (and the old `make run`)."""
    cmd = [str(BIN / "gunicorn"), "-c", str(PROJECT_DIR / "gunicorn.conf.py"), "-b", f"127.0.0.1:{port}", "wsgi:app"]
    process = subprocess.Popen(
        cmd, env=base_env(tmp, database_url), cwd=PROJECT_DIR, stdout=log, stderr=subprocess.STDOUT
    )
    wait_until_up(port, process)
    return process


NGINX_MISSING = (
    "nginx is not installed: run `make system-deps` (as root: apt-get install -y nginx-light), "
    "or install nginx with your system's package manager"
)


def render_nginx_conf(tmp: Path, port: int, upstream_port: int) -> Path:
    """docker/nginx.conf with only its ports and paths changed: listen on loopback `port`, proxy to a local
    gunicorn on `upstream_port`, temp files under `tmp`."""
    text = (PROJECT_DIR / "docker" / "nginx.conf").read_text()
    rendered = text.replace("server api:8000", f"server 127.0.0.1:{upstream_port}")
    rendered = re.sub(r"listen 8000\b", f"listen 127.0.0.1:{port}", rendered)
    rendered = rendered.replace("/var/cache/nginx/", f"{tmp}/")
    rendered = rendered.replace("/dev/stdout", str(tmp / "access.log"))
    assert rendered.count(str(upstream_port)) == 1 and rendered.count(f":{port}") == 1, "nginx.conf changed shape"
    path = tmp / "nginx.conf"
    path.write_text(rendered)
    return path


def start_nginx(tmp: Path, port: int, upstream_port: int, log=None):
    """nginx as a plain foreground process with the rendered docker/nginx.conf."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if nginx is None:
        raise RuntimeError(NGINX_MISSING)
    conf = render_nginx_conf(tmp, port, upstream_port)
    directives = f"daemon off; pid {tmp / 'nginx.pid'}; error_log stderr warn;"
    if os.geteuid() == 0:
        directives += " user root root;"  # workers as nobody could not enter pytest's private temp folders
    check = subprocess.run([nginx, "-t", "-p", str(tmp), "-c", str(conf), "-g", directives], capture_output=True)
    if check.returncode:
        raise RuntimeError(f"nginx -t failed: {check.stderr.decode(errors='replace')}")
    process = subprocess.Popen(
        [nginx, "-p", str(tmp), "-c", str(conf), "-g", directives], stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"nginx exited with {process.returncode}") from None
            time.sleep(0.1)
    raise RuntimeError("nginx did not listen within 10 s")


@dataclass
class Slow:
    kind: str
    source: str
    sock: socket.socket | None = None
    opened: float = 0.0
    next_send: float = 0.0
    pending: bytes = b""
    lines: int = 0


@dataclass
class Crowd:
    """N slow clients kept connected (reconnecting when the server drops them) until stop()."""

    port: int
    count: int
    token: str = ""
    clients: list[Slow] = field(default_factory=list)
    half_closed_after: list[float] = field(default_factory=list)  # seconds until the server closed a half request
    reconnects: int = 0
    refused: int = 0

    def __post_init__(self):
        self._stop = threading.Event()
        self._selector = selectors.DefaultSelector()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        for i in range(self.count):
            self.clients.append(Slow(KINDS[i % len(KINDS)], SLOW_ADDRESSES[i % len(SLOW_ADDRESSES)]))
        for client in self.clients:
            self._open(client)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=10)
        for client in self.clients:
            self._close(client)
        self._selector.close()

    def connected(self) -> int:
        return sum(1 for c in self.clients if c.sock is not None)

    def _start_bytes(self, client: Slow, n: int) -> bytes:
        host = f"Host: 127.0.0.1:{self.port}\r\n"
        if client.kind == "headers":
            return f"GET /healthz HTTP/1.1\r\n{host}".encode()
        if client.kind == "half":
            return f"GET /healthz HTTP/1.1\r\n{host}User-Agent: half-a-".encode()
        # Half of them signed in (a report being written from a weak network), half plain (a login form).
        if n % 2 and self.token:
            head = f"POST /api/v1/reports HTTP/1.1\r\n{host}Authorization: Bearer {self.token}\r\n"
        else:
            head = f"POST /api/v1/auth/login HTTP/1.1\r\n{host}"
        return f"{head}Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n".encode()

    def _open(self, client: Slow) -> None:
        try:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=2, source_address=(client.source, 0))
        except OSError:
            self.refused += 1
            client.sock = None
            client.next_send = time.monotonic() + 1
            return
        sock.setblocking(False)
        client.sock, client.opened, client.lines = sock, time.monotonic(), 0
        client.pending = self._start_bytes(client, self.clients.index(client))
        client.next_send = client.opened
        self._selector.register(sock, selectors.EVENT_READ, client)

    def _close(self, client: Slow) -> None:
        if client.sock is not None:
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(client.sock)
            client.sock.close()
            client.sock = None

    def _send_due(self, client: Slow, now: float) -> None:
        if client.sock is None:
            if now >= client.next_send and not self._stop.is_set():
                self.reconnects += 1
                self._open(client)
            return
        if now < client.next_send:
            return
        if not client.pending:
            if client.kind == "half":
                client.next_send = float("inf")
                return
            if client.kind == "headers":
                client.lines += 1
                client.pending, client.next_send = f"X-Slow-{client.lines}: 1\r\n".encode(), now + 2
            else:
                client.pending, client.next_send = b" " * 1024, now + 1
        try:
            sent = client.sock.send(client.pending)
            client.pending = client.pending[sent:]
        except BlockingIOError:
            pass
        except OSError:
            self._close(client)
            client.next_send = now + 0.5

    def _run(self) -> None:
        while not self._stop.is_set():
            for key, _ in self._selector.select(timeout=0.1):
                client: Slow = key.data
                try:
                    client.sock.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    pass  # reset by the server: it let go too
                # The server answered (408, 429, an error) or closed: either way it let go of this client.
                if client.kind == "half":
                    self.half_closed_after.append(time.monotonic() - client.opened)
                self._close(client)
                client.next_send = time.monotonic() + 0.5
            now = time.monotonic()
            for client in self.clients:
                self._send_due(client, now)


@dataclass
class Probe:
    answered: int
    sent: int
    latencies: list[float]
    failures: list[str]

    def percentile(self, p: float) -> float | None:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    @property
    def p50(self):
        return statistics.median(self.latencies) if self.latencies else None


def probe(port: int, token: str, count: int = 40, timeout: float = 5.0, budget: float = 120.0) -> Probe:
    """A normal client: `count` sequential requests alternating GET /healthz and GET /api/v1/me (signed in)."""
    result = Probe(0, 0, [], [])
    deadline = time.monotonic() + budget
    for i in range(count):
        if time.monotonic() > deadline:
            break
        path, headers = ("/healthz", {}) if i % 2 == 0 else ("/api/v1/me", {"Authorization": f"Bearer {token}"})
        result.sent += 1
        started = time.monotonic()
        try:
            status, _, body = request(port, "GET", path, headers=headers, timeout=timeout)
        except OSError as exc:
            result.failures.append(f"{path}: {type(exc).__name__} {exc}")
            continue
        if status == 200:
            result.answered += 1
            result.latencies.append(time.monotonic() - started)
        else:
            result.failures.append(f"{path}: {status} {body[:200]!r}")
    return result
