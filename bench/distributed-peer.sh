#!/usr/bin/env bash
# Benchmark (issue 13): scrapy-redis through the worker-kill test of
# crates/cli/tests/distributed_chaos.rs (killed_workers_lose_nothing_and_
# duplicate_no_item), as a peer: 4 worker processes of one crawl of testkit's
# generated site of 5,000 pages (/site/5000/10/{i}), 20 SIGKILLs of a random
# worker during the crawl (each restarted at once under its name), then a run
# to the end; counts the pages never fetched (lost), the duplicate fetches and
# the duplicate items.
#
#   bash bench/distributed-peer.sh        # PAGES=5000 KILLS=20 WORKERS=4 SEED=19 DEADLINE=300
#
# No cargo build: it uses target/release/ferrocrawl-testkit (or
# target/debug/ferrocrawl-testkit), already built (in a git worktree, the
# main checkout's target/ too). scrapy and scrapy-redis are
# installed into /tmp/ferrocrawl-bench/venv-scrapy-redis if missing. A
# private redis-server (no persistence) runs on a free port for the duration.
#
# The workers are bench/peers/scrapy_redis_site.py (scrapy-redis's scheduler,
# dupefilter and default priority queue, SCHEDULER_PERSIST = True; pace and
# ending explained there). Per-page fetch counts come from
# bench/peers/count_proxy.py, a counting proxy in front of the testkit server
# (testkit's /__stats serves only totals over HTTP); the workers crawl
# through it. Kills are spread over the crawl by the requests the site has
# seen, as in the Rust test: kill k (0-based) once the count reaches
# PAGES*(k+1)/(KILLS+3), after a random 0-150 ms.
#
# Bounded: the whole crawl gets DEADLINE seconds; past it the workers left are
# killed and the run says it gave up. Prints a markdown table at the end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
PAGES=${PAGES:-5000}
KILLS=${KILLS:-20}
WORKERS=${WORKERS:-4}
SEED=${SEED:-19}
DEADLINE=${DEADLINE:-300}
IDLE_CLOSE=${IDLE_CLOSE:-10}
OUT=$ROOT/bench/out; mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/ferrocrawl-peer.XXXXXX)
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
# In a git worktree, the main checkout's target/ too.
MAIN_TARGET=$(cd "$(git rev-parse --path-format=absolute --git-common-dir 2>/dev/null || echo "$ROOT/.git")/.." && pwd)/target
TK=""
for cand in "$TARGET/release/ferrocrawl-testkit" "$TARGET/debug/ferrocrawl-testkit" \
            "$MAIN_TARGET/release/ferrocrawl-testkit" "$MAIN_TARGET/debug/ferrocrawl-testkit"; do
  [[ -x $cand ]] && { TK=$cand; break; }
done
[[ -n $TK ]] || { echo "no ferrocrawl-testkit under $TARGET: cargo build -p ferrocrawl-testkit" >&2; exit 2; }
command -v redis-server >/dev/null || { echo "redis-server is needed: apt-get install redis-server" >&2; exit 2; }
VENV=/tmp/ferrocrawl-bench/venv-scrapy-redis
PY=$VENV/bin/python
if ! [[ -x $PY ]] || ! $PY -c 'import scrapy, scrapy_redis' 2>/dev/null; then
  echo "installing scrapy and scrapy-redis into $VENV..." >&2
  python3 -m venv "$VENV"
  $PY -m pip install -q scrapy scrapy-redis
fi
VERSIONS=$($PY -c 'import scrapy, scrapy_redis, redis; print(f"Scrapy {scrapy.__version__}, scrapy-redis {scrapy_redis.__version__}, redis-py {redis.__version__}")')
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

PIDS=()
declare -A WPID
cleanup() {
  for w in "${!WPID[@]}"; do kill -KILL "${WPID[$w]}" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  if [[ -f $WORK/redis.pid ]]; then
    local rp; rp=$(cat "$WORK/redis.pid")
    kill "$rp" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$rp" 2>/dev/null || break; sleep 0.1; done
  fi
}
trap cleanup EXIT

# The testkit server, the counting proxy in front of it, Redis.
TK_PORT=$(free_port)
"$TK" --addr "127.0.0.1:$TK_PORT" > "$WORK/testkit.out" 2> "$WORK/testkit.err" &
PIDS+=($!)
PX_PORT=$(free_port)
$PY "$ROOT/bench/peers/count_proxy.py" --listen "127.0.0.1:$PX_PORT" --upstream "127.0.0.1:$TK_PORT" \
  > "$WORK/proxy.out" 2> "$WORK/proxy.err" &
PIDS+=($!)
R_PORT=$(free_port)
redis-server --port "$R_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" \
  --daemonize yes --pidfile "$WORK/redis.pid" --logfile "$WORK/redis.log"
R="redis-cli -p $R_PORT"
for _ in $(seq 100); do
  grep -q listening "$WORK/testkit.out" && grep -q listening "$WORK/proxy.out" \
    && $R ping 2>/dev/null | grep -q PONG && break
  sleep 0.1
done
$R ping | grep -q PONG || { echo "redis-server did not start" >&2; exit 1; }
# (A page of another site, so the crawled site's counts start at 0.)
curl -fsS -o /dev/null --max-time 5 "http://127.0.0.1:$PX_PORT/site/1/10/0" \
  || { echo "the testkit server or the proxy did not start" >&2; exit 1; }
total() { curl -fsS --max-time 5 "http://127.0.0.1:$PX_PORT/__total" | tr -dc 0-9; }
BASE=$(total)   # the readiness check above
SITE=http://127.0.0.1:$PX_PORT/site/$PAGES/10
$R lpush site:start_urls "{\"url\": \"$SITE/0\"}" > /dev/null

start_worker() { # name
  REDIS_URL=redis://127.0.0.1:$R_PORT/0 OUT_DIR=$WORK SITE_PREFIX=/site/$PAGES/10/ IDLE_CLOSE=$IDLE_CLOSE \
    "$PY" "$ROOT/bench/peers/scrapy_redis_site.py" "$1" >> "$WORK/$1.log" 2>&1 &
  WPID[$1]=$!
}

echo "$VERSIONS; testkit $TK; redis on $R_PORT; work dir $WORK" >&2
RANDOM=$SEED
T0=$(date +%s.%N)
SECONDS=0
elapsed() { echo "$SECONDS"; }
for i in $(seq 0 $((WORKERS - 1))); do start_worker "w$i"; done

GAVE_UP=""
KILLED=0
declare -A RESTARTS
for k in $(seq 0 $((KILLS - 1))); do
  at=$(( BASE + PAGES * (k + 1) / (KILLS + 3) ))
  while (( $(total) < at )); do
    if (( $(elapsed) > DEADLINE )); then GAVE_UP="stalled at $(( $(total) - BASE )) requests before kill $((k + 1))"; break 2; fi
    sleep 0.02
  done
  sleep "0.$(printf %03d $(( RANDOM % 150 )))"
  w=w$(( RANDOM % WORKERS ))
  kill -KILL "${WPID[$w]}" 2>/dev/null || true
  wait "${WPID[$w]}" 2>/dev/null || true
  echo "kill $((k + 1)): $w after $(( $(total) - BASE )) requests ($(elapsed) s)" >&2
  start_worker "$w"
  RESTARTS[$w]=$(( ${RESTARTS[$w]:-0} + 1 ))
  KILLED=$((KILLED + 1))
done

# The run to the end: every worker closes itself once it has been idle
# IDLE_CLOSE s (see scrapy_redis_site.py); bounded by DEADLINE.
if [[ -z $GAVE_UP ]]; then
  while :; do
    running=0
    for w in "${!WPID[@]}"; do kill -0 "${WPID[$w]}" 2>/dev/null && running=$((running + 1)); done
    (( running == 0 )) && break
    if (( $(elapsed) > DEADLINE )); then GAVE_UP="$running worker(s) still running after ${DEADLINE} s: killed"; break; fi
    sleep 0.2
  done
fi
WALL=$(python3 -c "import time,sys; print(f'{time.time() - float(sys.argv[1]):.1f}')" "$T0")
for w in "${!WPID[@]}"; do
  if kill -0 "${WPID[$w]}" 2>/dev/null; then kill -KILL "${WPID[$w]}" 2>/dev/null || true; fi
  wait "${WPID[$w]}" 2>/dev/null || true
done
WPID=()
[[ -n $GAVE_UP ]] && echo "GAVE UP: $GAVE_UP" >&2

curl -fsS --max-time 10 "http://127.0.0.1:$PX_PORT/__hits" > "$WORK/hits.json"
QUEUE_LEFT=$($R zcard site:requests)
FPS=$($R scard site:dupefilter)
$R smembers site:dupefilter > "$WORK/fingerprints.txt"
# Restarts per worker, for the record.
for w in $(printf '%s\n' "${!RESTARTS[@]}" | sort); do echo "$w restarted ${RESTARTS[$w]} times" >&2; done

RAW=$OUT/distributed-peer-$(date -u +%Y%m%dT%H%M%S).json
$PY "$ROOT/bench/peers/chaos_report.py" "$WORK" "$PAGES" "$WALL" "$KILLED" "$QUEUE_LEFT" "$FPS" "${GAVE_UP:-}" "$VERSIONS" "$RAW" "$SITE"
echo "logs in $WORK (kept)" >&2
