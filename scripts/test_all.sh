#!/usr/bin/env bash
# The whole test suite, three times over the database/broker kinds we support:
#   1. SQLite + ORM broker (the embedded default): every test, browser tests included.
#   2. PostgreSQL: a throwaway cluster on loopback (binaries from /usr/lib/postgresql/15/bin).
#   3. Redis: django-q2's Redis broker and channels-redis against a real redis-server, on the
#      PostgreSQL of phase 2 (the scale-out setup: a step's shards on several workers).
# Each server is started here on a private port and removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTEST=.venv/bin/pytest
tmp=$(mktemp -d /tmp/simnet-test.XXXXXX)
chmod 755 "$tmp"
pids=()
cleanup() {
  for pid in "${pids[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  if [ -d "$tmp/pg" ]; then runuser -u postgres -- "$PGBIN/pg_ctl" -D "$tmp/pg" -m immediate stop >/dev/null 2>&1 || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "== 1/3 SQLite (embedded default)"
$PYTEST -q "$@"

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
if [ -x "$PGBIN/initdb" ]; then
  echo "== 2/3 PostgreSQL"
  pgport=${PGPORT_TEST:-54329}
  if [ "$(id -u)" = 0 ]; then as_pg=(runuser -u postgres --); chown postgres "$tmp"; else as_pg=(); fi
  "${as_pg[@]}" "$PGBIN/initdb" -D "$tmp/pg" -U simnet --auth=trust >/dev/null
  "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$tmp/pg" -o "-c listen_addresses=127.0.0.1 -p $pgport -k $tmp -c fsync=off -c full_page_writes=off" -l "$tmp/pg.log" -w start >/dev/null
  DATABASE_URL="postgres://simnet@127.0.0.1:$pgport/simnet" $PYTEST -q -m "not browser and not offline_model" "$@"
else
  echo "PostgreSQL binaries not found in $PGBIN; skipping the PostgreSQL run" >&2
  exit 1
fi

if command -v redis-server >/dev/null; then
  echo "== 3/3 Redis (django-q2 Redis broker, channels-redis)"
  redisport=${REDISPORT_TEST:-63790}
  redis-server --port "$redisport" --bind 127.0.0.1 --save "" --appendonly no --daemonize no >"$tmp/redis.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do redis-cli -p "$redisport" ping >/dev/null 2>&1 && break; sleep 0.1; done
  DATABASE_URL="postgres://simnet@127.0.0.1:$pgport/simnet" REDIS_URL="redis://127.0.0.1:$redisport/0" \
    $PYTEST -q -m redis "$@"
else
  echo "redis-server not installed (apt-get install redis-server); the Redis run cannot happen" >&2
  exit 1
fi
