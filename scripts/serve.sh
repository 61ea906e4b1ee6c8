#!/usr/bin/env bash
# Start the web server (daphne: HTTP + websockets) and one django-q2 worker; Ctrl-C stops both.
# Either one that dies (killed by hand, out of memory, a crash) is started again while the other
# stays up. A restarted worker's runs continue from their last committed step once their lease
# expires (the watchdog queues them again), so a killed worker costs at most the step it was in;
# a restarted web server costs open pages a reconnect (they resync from their last event).
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

start_web() {
  .venv/bin/python -m simnet.server -b "$host" -p "$port" simnet.asgi:application &  # daphne, bodies capped
  web=$!
  echo "simnet is running at http://$host:$port/  (web pid $web; Ctrl-C stops everything)"
}

start_worker() {
  setsid .venv/bin/python manage.py qcluster &  # its own process group: one kill stops all of it
  worker=$!
  echo "worker pid $worker (kill -9 $worker to try a crash: another worker starts)"
}

start_web
start_worker
while [ -z "$stopping" ]; do
  wait -n "$web" "$worker" || true
  [ -n "$stopping" ] && break
  if ! kill -0 "$web" 2>/dev/null; then
    echo "the web server stopped; starting another in 2 s"
    sleep 2
    start_web
  fi
  if ! kill -0 "$worker" 2>/dev/null; then
    kill -9 -- "-$worker" 2>/dev/null || true  # child processes the dead worker left behind
    echo "the worker stopped; starting another in 2 s"
    sleep 2
    start_worker
  fi
done
