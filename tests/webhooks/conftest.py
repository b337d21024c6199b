import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

# The Redis task queue on a redis-server of the test's own.
from tests.outbox.conftest import redis_queue  # noqa: F401

# A postmortem ready for review, to drive the workflow actions that raise events.
from tests.postmortems.conftest import people, postmortem, ready, standard_template  # noqa: F401
from webhooks.models import PayloadFormat
from webhooks.services import endpoint_create


@dataclass
class Request:
    path: str
    headers: dict
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)


@dataclass
class Receiver:
    """A real HTTP server on a local port that records every POST and answers with the next
    status of ``statuses`` (then 200)."""

    server: ThreadingHTTPServer
    received: list[Request] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/hindsight"


@pytest.fixture
def receiver():
    state = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            hub = state["receiver"]
            hub.received.append(Request(self.path, dict(self.headers), self.rfile.read(length)))
            status = hub.statuses.pop(0) if hub.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["receiver"] = hub = Receiver(server=server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield hub
    server.shutdown()
    server.server_close()


@pytest.fixture
def endpoint(receiver, staff):
    """A signed-JSON endpoint for every event, and its secret."""
    return endpoint_create(
        name="Ops receiver", url=receiver.url, format=PayloadFormat.JSON, created_by=staff
    )
