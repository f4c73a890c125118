#!/usr/bin/env bash
# `npm test`: install everything and run the whole suite — unit, adapter, conformance, store (a private
# PostgreSQL cluster and a private Redis on free ports), CLI, demo smoke, benchmark smoke, and browser
# end-to-end (Chromium); installs the system packages it needs (PostgreSQL, Chromium, Redis, Pebble, wrk).
# Ends with `N passed, N failed` alone on a line; exits non-zero if anything failed or nothing ran.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export TURBO_TELEMETRY_DISABLED=1
[ -d /usr/include/node ] && export npm_config_nodedir="${npm_config_nodedir:-/usr}"

node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit((a===20&&b>=19)||(a===22&&b>=12)||a>22?0:1)' \
  || { echo "restguard needs Node.js ^20.19 or >=22.12 (found $(node --version))" >&2; exit 1; }

# --- system packages: PostgreSQL server binaries, Chromium, Redis, Pebble (ACME), wrk ---------------
find_pg_bin() {
  if [ -n "${PG_BIN:-}" ] && [ -x "$PG_BIN/initdb" ]; then echo "$PG_BIN"; return; fi
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [ -n "$d" ] && [ -x "$d/initdb" ]; then echo "$d"; return; fi
  command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)"
  return 0
}
find_chromium() {
  local c
  for c in "${CHROMIUM_PATH:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
    [ -n "$c" ] && [ -x "$c" ] && { echo "$c"; return; }
  done
  return 0
}
PG_BIN=$(find_pg_bin)
CHROMIUM_PATH=$(find_chromium)
missing=()
[ -n "$PG_BIN" ] || missing+=(postgresql)
[ -n "$CHROMIUM_PATH" ] || missing+=(chromium)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
{ command -v pebble >/dev/null 2>&1 && command -v pebble-challtestsrv >/dev/null 2>&1; } || missing+=(pebble)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing system packages: ${missing[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    PG_BIN=$(find_pg_bin)
    CHROMIUM_PATH=$(find_chromium)
  else
    echo "restguard tests need these system packages: ${missing[*]} (e.g. sudo apt-get install ${missing[*]}; or set PG_BIN / CHROMIUM_PATH)" >&2
    exit 1
  fi
fi
export CHROMIUM_PATH

# --- a private PostgreSQL cluster on a free port ------------------------------------------------
PG_TMP=$(mktemp -d)
RUN_AS=()
if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$PG_TMP" 2>/dev/null && RUN_AS=(runuser -u postgres --); fi
PG_PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
REDIS_TMP=$(mktemp -d)
stop_services() {
  "${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m immediate stop >/dev/null 2>&1 || true
  [ -f "$REDIS_TMP/pid" ] && kill "$(cat "$REDIS_TMP/pid")" 2>/dev/null || true
  rm -rf "$PG_TMP" "$REDIS_TMP"
}
trap stop_services EXIT
"${RUN_AS[@]}" "$PG_BIN/initdb" -A trust -U postgres -D "$PG_TMP/data" >/dev/null
"${RUN_AS[@]}" "$PG_BIN/pg_ctl" -w -D "$PG_TMP/data" -l "$PG_TMP/log" \
  -o "-p $PG_PORT -k $PG_TMP -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null
export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"

# --- a private Redis on a free port (no persistence) ----------------------------------------------
REDIS_PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --dir "$REDIS_TMP" \
  --daemonize yes --pidfile "$REDIS_TMP/pid" --logfile "$REDIS_TMP/log" >/dev/null
for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
export TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
echo "PostgreSQL at $TEST_DATABASE_URL; Redis at $TEST_REDIS_URL; Chromium at $CHROMIUM_PATH"

# --- install, build, check, test -------------------------------------------------------------------
bash scripts/pnpm.sh install --frozen-lockfile
find packages apps bench test -name 'test-results*.json' -not -path '*/node_modules/*' -delete 2>/dev/null || true

failed_steps=0
run_step() {
  echo "::: $*"
  if ! "$@"; then echo "::: FAILED: $*" >&2; failed_steps=$((failed_steps + 1)); fi
}
TURBO=(bash scripts/pnpm.sh exec turbo run)
run_step "${TURBO[@]}" build typecheck check:package --output-logs=errors-only
run_step bash scripts/pnpm.sh exec biome check .
run_step "${TURBO[@]}" test --concurrency=2 --continue --output-logs=new-only
run_step "${TURBO[@]}" test:e2e --concurrency=1 --continue --output-logs=new-only

node scripts/sum-results.mjs "$failed_steps"
