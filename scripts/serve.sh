#!/usr/bin/env bash
# Start the web server (daphne: HTTP + websockets) and one django-q2 worker; Ctrl-C stops both.
# A worker that dies (killed by hand, out of memory) is started again while the web server stays
# up: its runs continue from their last committed step once their lease expires (the watchdog
# queues them again), so a killed worker costs at most the step it was in.
set -euo pipefail
cd "$(dirname "$0")/.."
host=${1:-127.0.0.1}
port=${2:-8000}
web=""
worker=""
stopping=""

stop() {
  stopping=1
  [ -n "$web" ] && kill "$web" 2>/dev/null || true
  if [ -n "$worker" ]; then
    kill "$worker" 2>/dev/null || true  # django-q2 stops its own processes, finishing a task in hand
    for _ in $(seq 100); do kill -0 "$worker" 2>/dev/null || break; sleep 0.2; done
    kill -9 -- "-$worker" 2>/dev/null || true  # whatever is left after 20 s
  fi
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

.venv/bin/daphne -b "$host" -p "$port" simnet.asgi:application &
web=$!
echo "simnet is running at http://$host:$port/  (web pid $web; Ctrl-C stops everything)"
while [ -z "$stopping" ]; do
  setsid .venv/bin/python manage.py qcluster &  # its own process group: one kill stops all of it
  worker=$!
  echo "worker pid $worker (kill -9 $worker to try a crash: another worker starts)"
  wait -n "$web" "$worker" || true
  [ -n "$stopping" ] && break
  if ! kill -0 "$web" 2>/dev/null; then
    echo "the web server stopped; stopping the worker" >&2
    exit 1
  fi
  kill -9 -- "-$worker" 2>/dev/null || true  # child processes the dead worker left behind
  echo "the worker stopped; starting another in 2 s"
  sleep 2
done
