"""Gunicorn settings: `gunicorn -c config/gunicorn.py config.wsgi`. Each can be set from the
environment (see .env.example); the defaults suit one container on a small host."""

import multiprocessing
import os
import shutil
import sys
import tempfile
from pathlib import Path

# Gunicorn loads this file by path; make `config` and `core` importable for the helpers below.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.env import env_int, env_str  # noqa: E402

bind = env_str("GUNICORN_BIND", default="0.0.0.0:8000")
# Sync workers, one request at a time each: the usual 2 x cores + 1, at most 8 per container
# (each keeps one database connection; scale out with more containers instead).
workers = env_int("GUNICORN_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 8))
# A request still running after this many seconds has its worker restarted.
timeout = env_int("GUNICORN_TIMEOUT", 30)
# On a restart or stop, requests in flight get this long to finish.
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = env_int("GUNICORN_KEEPALIVE", 5)
# Recycle each worker after about this many requests, so a slow leak never grows for long.
max_requests = env_int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = max_requests // 10
# Proxies whose X-Forwarded-* headers are believed (comma-separated addresses, or *).
forwarded_allow_ips = env_str("FORWARDED_ALLOW_IPS", default="127.0.0.1,::1")

errorlog = "-"
if env_str("DJANGO_LOG_FORMAT", default="text") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "core.json_logs.JsonFormatter"}},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "json",
            }
        },
        "root": {"handlers": ["stdout"], "level": "INFO"},
        "loggers": {
            "gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        },
    }
else:
    accesslog = "-"
    access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms id=%({x-request-id}o)s'


def on_starting(server):
    """Prometheus counters live in each worker; they are added up across workers through
    files in one directory per gunicorn master (set before any worker imports the client)."""
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="hindsight-metrics-")
        server.metrics_dir_is_ours = True


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if getattr(server, "metrics_dir_is_ours", False):
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
