#!/usr/bin/env bash
# `make run`: the development server and a task queue worker side by side; Ctrl-C stops all.
# With HINDSIGHT_TASK_QUEUE=redis (and REDIS_URL) it also starts the one periodic-job scheduler.
# Usage: scripts/run_dev.sh [ADDRESS:PORT]   (default 127.0.0.1:8000)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
ADDRESS=${1:-127.0.0.1:8000}

# On Ctrl-C, on an error, or when any process ends: stop the whole process group.
trap 'trap - EXIT INT TERM; kill 0 2>/dev/null; wait' EXIT INT TERM

"$PYTHON" manage.py queue_worker &
if [ "${HINDSIGHT_TASK_QUEUE:-postgres}" = redis ]; then
    "$PYTHON" manage.py queue_cron &
fi
"$PYTHON" manage.py runserver "$ADDRESS" &
# Whichever ends first (a crash, a port in use) ends the others too.
wait -n
