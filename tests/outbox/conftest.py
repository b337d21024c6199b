import email
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

# A postmortem ready for review, to drive the workflow actions that send email.
from tests.postmortems.conftest import postmortem, ready, standard_template  # noqa: F401


def free_port() -> int:
    """A port nothing listens on (until someone binds it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    to: list[str]
    message: email.message.Message

    @property
    def subject(self) -> str:
        return " ".join(str(self.message["Subject"]).split())


@dataclass
class MailServer:
    """A real SMTP server (aiosmtpd) on a local port. ``refusing`` makes it answer every message
    with a permanent error; ``stop()`` makes the port refuse connections."""

    port: int
    received: list[Received] = field(default_factory=list)
    refusing: bool = False
    delay: float = 0.0
    controller: Controller | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):
        if self.refusing:
            return "554 5.7.1 Not today"
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        with self.lock:
            self.received.append(
                Received(
                    to=list(envelope.rcpt_tos), message=email.message_from_bytes(envelope.content)
                )
            )
        return "250 Message accepted for delivery"

    def start(self):
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[Received]:
        return [mail for mail in self.received if address in mail.to]


@pytest.fixture
def smtp(settings):
    """Send through SMTP to a local port; the server is not started (connections are refused)
    until the test calls ``smtp.start()``."""
    server = MailServer(port=free_port())
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()


@dataclass
class RedisServer:
    """A real redis-server (Debian's) on a local port, its files in a temporary folder; the port
    refuses connections until ``start()``."""

    port: int
    directory: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--dir", str(self.directory), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if Redis.from_url(self.url).ping():
                    return
            except RedisConnectionError:
                time.sleep(0.05)
        pytest.fail("redis-server did not start within 10 s")

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def redis_queue(settings, tmp_path):
    """Switch the task queue to Redis, on a redis-server of this test's own (not started)."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is missing: `make test` installs it (Debian's redis-server).")
    server = RedisServer(port=free_port(), directory=tmp_path)
    settings.HINDSIGHT_TASK_QUEUE = "redis"
    settings.REDIS_URL = server.url
    yield server
    server.stop()
