#!/usr/bin/env bash
# Start the web server (daphne: HTTP + websockets) and one django-q2 worker; stop both on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
host=${1:-127.0.0.1}
port=${2:-8000}
.venv/bin/python manage.py qcluster &
worker=$!
.venv/bin/daphne -b "$host" -p "$port" simnet.asgi:application &
web=$!
trap 'kill $worker $web 2>/dev/null; wait' INT TERM EXIT
echo "simnet is running at http://$host:$port/  (worker pid $worker, web pid $web; Ctrl-C stops both)"
wait -n $worker $web
