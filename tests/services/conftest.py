"""Real services for the reminder engine: Celery worker subprocesses, Redis, PostgreSQL.

A worker is another process, so it must see the test's rows: these tests run only on PostgreSQL,
with transaction=True, and hand the test database to the worker through DATABASE_URL. Crash and
outage tests start a private `redis-server` on a free loopback port, so the machine's shared Redis
stays up. Every wait is bounded and every process started here is stopped by the fixture.
"""

from __future__ import annotations

import email
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")
SHARED_REDIS_URL = os.environ.get("TSUMUGI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REDIS_SERVER = shutil.which("redis-server")
SEPARATOR = b"\n" + b"-" * 79 + b"\n"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.services)


def wait_for(check: Callable[[], bool], timeout: float, what: str, step: float = 0.05) -> None:
    """Poll a real subprocess's effect, bounded; fails the test with `what` on time-out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def postgres_url(transactional_db: None) -> str:
    if connection.vendor != "postgresql":
        pytest.skip("a worker process must share the test database: PostgreSQL only")
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class PrivateRedis:
    """A throw-away redis-server on its own loopback port, without persistence."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert REDIS_SERVER is not None
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: redis_answers(self.port), 10, "the private redis-server")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None
        wait_for(lambda: not redis_answers(self.port), 10, "the private redis-server to stop")


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    redis = PrivateRedis(tmp_path)
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


@dataclass
class Worker:
    """`celery -A tsumugi worker` in its own session, so SIGKILL reaches all its processes."""

    broker_url: str
    database_url: str
    var_dir: Path
    env_extra: dict[str, str] = field(default_factory=dict)
    beat: bool = False
    pool: str = "solo"
    clock: datetime | None = None  # the worker's clock starts here (tests/services/celery_at.py)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def log(self) -> Path:
        return self.var_dir / f"worker-{self.starts}.log"

    def start(self) -> None:
        self.starts += 1
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "CELERY_BROKER_URL": self.broker_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "TSUMUGI_VAR_DIR": str(self.var_dir),
            "TSUMUGI_DEBUG": "false",
            "TSUMUGI_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "TSUMUGI_REMINDER_EMAIL_RETRY_SECONDS": "1",
            "TSUMUGI_REMINDER_EMAIL_LEASE_SECONDS": "2",
            **self.env_extra,
        }
        start = [str(CELERY)]
        if self.clock is not None:
            start = [sys.executable, "-m", "tests.services.celery_at", self.clock.isoformat()]
        command = [
            *start,
            "-A",
            "tsumugi",
            "worker",
            f"--pool={self.pool}",
            "--concurrency=2",
            "--loglevel=info",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        if self.beat:
            command.append("-B")
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(
            lambda: b" ready." in self.log.read_bytes() or not self.running,
            60,
            f"the worker to start (log: {self.log})",
        )
        assert self.running, self.log.read_text(errors="replace")[-3000:]

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL, as the OOM killer or a pulled plug would: no clean-up at all."""
        if self.process is not None:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if not self.running:
            return
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def mails(self) -> list[Message]:
        folder = self.var_dir / "mail"
        found: list[Message] = []
        for path in sorted(folder.glob("*")) if folder.exists() else []:
            for chunk in path.read_bytes().split(SEPARATOR):
                if chunk.strip():
                    found.append(email.message_from_bytes(chunk.lstrip(b"\n")))
        return found


@pytest.fixture
def make_worker(tmp_path: Path, postgres_url: str) -> Iterator[Callable[..., Worker]]:
    workers: list[Worker] = []

    def make(broker_url: str, **kwargs: object) -> Worker:
        var_dir = tmp_path / f"var{len(workers)}"
        var_dir.mkdir()
        worker = Worker(broker_url, postgres_url, var_dir, **kwargs)  # type: ignore[arg-type]
        workers.append(worker)
        return worker

    try:
        yield make
    finally:
        for worker in workers:
            worker.stop()


def beat_until(
    check: Callable[[], bool], broker_url: str, now: datetime, timeout: float, what: str
) -> None:
    """Play beat: send the sweep every two seconds (as of `now`) until `check` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        send_sweep(broker_url, now)
        try:
            wait_for(check, min(2.0, max(0.1, deadline - time.monotonic())), what)
            return
        except AssertionError:
            continue
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def send_sweep(broker_url: str, now: datetime | None = None) -> None:
    """Invoke the beat task through a real broker, as beat would (optionally as of `now`)."""
    from tsumugi.celery import app

    with app.connection_for_write(broker_url) as conn:
        app.send_task(
            "reminders.tasks.sweep_task",
            kwargs={"now": now.isoformat()} if now else {},
            connection=conn,
        )


@contextmanager
def celery_broker(url: str) -> Iterator[None]:
    """Point this test process's Celery app (used by the sweep's on_commit) at `url`."""
    from tsumugi.celery import app

    saved = {
        "broker_url": app.conf.broker_url,
        "broker_transport_options": app.conf.broker_transport_options,
    }
    app.conf.update(broker_url=url, broker_transport_options={})
    app._after_fork()  # type: ignore[attr-defined]  # drop pooled connections to the old broker
    try:
        yield
    finally:
        app.conf.update(saved)
        app._after_fork()  # type: ignore[attr-defined]


def mail_tally(mails: list[Message]) -> tuple[Counter[tuple[str, str]], list[str]]:
    """(outbox mail id, recipient) -> copies, and every subject and text body for checks."""
    tally: Counter[tuple[str, str]] = Counter()
    texts: list[str] = []
    for message in mails:
        tally[(str(message["X-Tsumugi-Mail"]), str(message["To"]))] += 1
        texts.append(str(email.header.make_header(email.header.decode_header(message["Subject"]))))
        for part in message.walk():
            if part.get_content_maintype() == "text":
                payload = part.get_payload(decode=True)
                if isinstance(payload, bytes):
                    texts.append(payload.decode(part.get_content_charset() or "utf-8"))
    return tally, texts
