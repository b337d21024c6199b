"""One JSON object per log line (``DJANGO_LOG_FORMAT=json``), for log collectors.

Standard library only, so gunicorn's master process can use it for its access log before
Django is loaded. Every line has ``time``, ``level``, ``logger`` and ``message``; a line logged
while a request is served has its ``request_id``; request logs (Django's own and gunicorn's
access log) also have ``method``, ``path``, ``status`` and, from gunicorn, ``duration_ms``.
"""

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

# Set by core.middleware.RequestIdMiddleware for the duration of one request.
current_request_id: ContextVar[str] = ContextVar("current_request_id", default="")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
        }
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            entry.update(_access_fields(record.args))
        else:
            entry["message"] = record.getMessage()
            request = getattr(record, "request", None)
            request_id = current_request_id.get() or getattr(request, "request_id", "")
            if request_id:
                entry["request_id"] = request_id
            if request is not None and hasattr(request, "path"):
                entry["method"] = request.method
                entry["path"] = request.path
            if hasattr(record, "status_code"):
                entry["status"] = record.status_code
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def _access_fields(atoms) -> dict:
    """Gunicorn passes its access-log atoms (see its ``access_log_format``) as the record's
    arguments; our middleware's response header carries the request id."""
    fields = {
        "message": f"{atoms['m']} {atoms['U']} {atoms['s']}",
        "method": atoms["m"],
        "path": atoms["U"],
        "status": int(atoms["s"]) if str(atoms["s"]).isdigit() else atoms["s"],
        "duration_ms": atoms["M"],
        "remote_addr": atoms["h"],
    }
    request_id = atoms["{x-request-id}o"]
    if request_id and request_id != "-":
        fields["request_id"] = request_id
    return fields
