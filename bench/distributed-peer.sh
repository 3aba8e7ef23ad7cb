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
# How long each worker waited idle before closing (from its log), and its
# restarts, for the record.
for w in $(printf '%s\n' "${!RESTARTS[@]}" | sort); do echo "$w restarted ${RESTARTS[$w]} times" >&2; done

RAW=$OUT/distributed-peer-$(date -u +%Y%m%dT%H%M%S).json
$PY - "$WORK" "$PAGES" "$WALL" "$KILLED" "$QUEUE_LEFT" "$FPS" "${GAVE_UP:-}" "$VERSIONS" "$RAW" "$SITE" <<'PYEOF'
import glob, json, os, sys
work, pages, wall, killed, queue_left, fps, gave_up, versions, raw, site = sys.argv[1:]
pages = int(pages)
hits = json.load(open(os.path.join(work, "hits.json")))
prefix = site.split("://", 1)[1].split("/", 1)[1]
per = [hits.get(f"/{prefix}/{i}", 0) for i in range(pages)]
fetched = sum(1 for h in per if h > 0)
lost = [i for i, h in enumerate(per) if h == 0]
dup_fetches = sum(per) - fetched
other = sum(v for k, v in hits.items() if not k.startswith(f"/{prefix}/")) - 1  # less the readiness check
lines, torn, bad_title = 0, 0, 0
seen, twice = set(), []
per_file = {}
for path in sorted(glob.glob(os.path.join(work, "items.*.jsonl"))):
    n = 0
    for line in open(path, encoding="utf-8"):
        try:
            item = json.loads(line)
        except ValueError:
            torn += 1
            continue
        n += 1
        page = int(item["url"].rsplit("/", 1)[1])
        if item.get("title") != f"Page {page}":
            bad_title += 1
        if page in seen:
            twice.append(page)
        seen.add(page)
    per_file[os.path.basename(path)] = n
    lines += n
no_item = pages - len(seen)
# Are the lost pages' fingerprints in scrapy-redis's dupefilter (recorded,
# never fetched)?
lost_in_df = None
try:
    from scrapy import Request
    from scrapy_redis.dupefilter import RFPDupeFilter
    df = RFPDupeFilter(server=None, key="x")
    recorded = set(open(os.path.join(work, "fingerprints.txt")).read().split())
    lost_in_df = sum(1 for i in lost if df.request_fingerprint(Request(f"{site}/{i}")) in recorded)
except Exception as e:  # noqa: BLE001 - only a note
    print(f"(could not check the lost pages' fingerprints: {e})", file=sys.stderr)
res = dict(pages=pages, fetched=fetched, lost=len(lost), lost_pages=lost[:50],
           dup_fetches=dup_fetches, dup_pct=round(dup_fetches * 100 / pages, 2),
           items=lines, distinct_items=len(seen), dup_items=len(twice), dup_item_pages=twice[:50], pages_without_item=no_item,
           torn_lines=torn, bad_titles=bad_title, items_per_file=per_file,
           other_requests=other, kills=int(killed), wall_s=float(wall),
           queue_left=int(queue_left), fingerprints=int(fps), lost_in_dupefilter=lost_in_df,
           gave_up=gave_up or None, versions=versions)
json.dump(res, open(raw, "w"), indent=1)
print(f"\n{versions}; {res['kills']} kills; raw figures in {raw}")
if gave_up:
    print(f"\n**Gave up**: {gave_up}")
print()
print("| pages in the site | fetched at least once | **lost** (never fetched) | duplicate fetches | items written | duplicate items | pages with no item | wall s |")
print("|---|---|---|---|---|---|---|---|")
print(f"| {pages:,} | {fetched:,} | **{len(lost):,}** ({len(lost) * 100 / pages:.2f}%) | {dup_fetches:,} ({res['dup_pct']:.2f}%) | {lines:,} | {len(twice):,} | {no_item:,} | {res['wall_s']:.1f} |")
print()
print(f"Left in Redis: {res['queue_left']} queued requests, {res['fingerprints']:,} fingerprints in the dupefilter"
      + (f"; of the {len(lost)} lost pages, {lost_in_df} have their fingerprint there (recorded as seen, never fetched)" if lost_in_df is not None else ""))
print(f"Lost pages (first 50): {lost[:50]}")
print(f"Pages with two items (first 50): {twice[:50]}")
print(f"Items per file: {per_file}; torn lines {torn}; wrong titles {bad_title}; requests off the site {other}")
PYEOF
echo "logs in $WORK (kept)" >&2
