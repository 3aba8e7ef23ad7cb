#!/usr/bin/env bash
# Benchmark: one crawl of the lab's Rust docs site by 1, 2 and 4 ferrocrawl
# workers sharing a Redis frontier, next to one process with the SQLite
# frontier (--state), in the same run; then Redis's memory per seen URL at
# 1,000,000 URLs (issue 13).
#
#   bash ../shared/lab/setup.sh --minimal   # the sites (rust docs on 127.0.0.1:8082)
#   bash bench/distributed.sh               # WORKERS="1 2 4" RUNS=1 URLS=1000000
#   URLS=0 bash bench/distributed.sh        # skip the memory run
#
# Every configuration crawls the whole site at concurrency 64 per process and
# 64 per host (with Redis, the host's limit binds all workers together, so the
# site sees at most 64 at once in every configuration). A private
# redis-server (no persistence) runs on a free port for the duration.
# Prints, per configuration, the median over RUNS of wall seconds, pages/s,
# the workers' CPU seconds (user+sys, summed), Redis's CPU seconds, Redis
# round trips per page (the commands clients sent, from INFO commandstats:
# EVALSHA and the few plain reads, not the commands inside scripts) and
# Redis CPU per page. CPU seconds are the figures to trust on a shared
# machine; wall time is only as good as the machine was quiet.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
WORKERS=${WORKERS:-"1 2 4"}
RUNS=${RUNS:-1}
URLS=${URLS:-1000000}
SITE=${SITE:-http://127.0.0.1:8082/}
OUT=$ROOT/bench/out
mkdir -p "$OUT"
RAW=$OUT/distributed-$(date -u +%Y%m%dT%H%M%S).tsv
WORK=$(mktemp -d /tmp/ferrocrawl-distributed.XXXXXX)
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

echo "building release binaries..." >&2
cargo build --release -q -p ferrocrawl-cli
cargo build --release -q -p ferrocrawl-frontier --features redis --example frontier_load
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
FC=$TARGET/release/ferrocrawl
LOAD=$TARGET/release/examples/frontier_load

if ! curl -fsS -o /dev/null --max-time 2 "$SITE"; then
  echo "$SITE is not up: run bash ../shared/lab/setup.sh --minimal" >&2
  exit 2
fi
command -v redis-server >/dev/null || { echo "redis-server is needed: apt-get install redis-server" >&2; exit 2; }

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" \
  --daemonize yes --pidfile "$WORK/redis.pid" --logfile "$WORK/redis.log"
stop_redis() { # waits for it to go: it writes its log as it stops
  local pid; pid=$(cat "$WORK/redis.pid" 2>/dev/null) || { rm -rf "$WORK"; return; }
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -rf "$WORK"
}
trap stop_redis EXIT
R="redis-cli -p $PORT"
for _ in $(seq 50); do $R ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
REDIS=redis://127.0.0.1:$PORT/0

# Redis's CPU seconds so far (user+sys).
redis_cpu() { $R info cpu | awk -F: '/^used_cpu_(user|sys):/ {s += $2} END {printf "%.3f\n", s}'; }
# Commands clients sent (not those inside scripts: those never use these).
round_trips() {
  $R info commandstats | awk -F'[:=,]' '
    $1 ~ /^cmdstat_(evalsha|eval|script\|load|get|hmget|zrevrange|hello|client\|setinfo|ping|select)$/ {n += $3}
    END {print n + 0}'
}
# One process under /usr/bin/time: appends "wall cpu" for it to $1.
timed() { local tf=$1; shift; /usr/bin/time -f '%e %U %S' -o "$tf" "$@" >/dev/null 2>>"$WORK/stderr.log"; }

find /usr/share/doc/rust-doc/html -name '*.html' -exec cat {} + >/dev/null 2>&1 || true   # warm the page cache

printf "config\trun\twall_s\tpages\tworkers_cpu_s\tredis_cpu_s\tround_trips\n" > "$RAW"
for run in $(seq "$RUNS"); do
  # The single process with its state in SQLite.
  echo "sqlite run $run" >&2
  d=$WORK/sqlite-$run; mkdir -p "$d"
  start=$(date +%s.%N)
  timed "$d/time" "$FC" crawl "$SITE" -c 64 --per-host 64 -q -o "$d/pages.jsonl" --state "$d/state"
  wall=$(echo "$(date +%s.%N) - $start" | bc)
  pages=$(grep -c '"status":200' "$d/pages.jsonl" || true)
  cpu=$(awk '{printf "%.2f", $2 + $3}' "$d/time")
  printf "sqlite\t%s\t%.2f\t%s\t%s\t-\t-\n" "$run" "$wall" "$pages" "$cpu" >> "$RAW"
  rm -rf "$d"

  for n in $WORKERS; do
    echo "redis, $n workers, run $run" >&2
    d=$WORK/redis-$n-$run; mkdir -p "$d"
    job=bench-$n-$run-$$
    $R config resetstat >/dev/null
    cpu0=$(redis_cpu)
    start=$(date +%s.%N)
    for w in $(seq "$n"); do
      timed "$d/time.$w" "$FC" crawl "$SITE" -c 64 --per-host 64 -q -o "$d/pages.jsonl" \
        --frontier "$REDIS" --job "$job" --worker "w$w" &
    done
    wait
    wall=$(echo "$(date +%s.%N) - $start" | bc)
    trips=$(round_trips)
    rcpu=$(echo "$(redis_cpu) - $cpu0" | bc)
    pages=$(cat "$d"/pages.w*.jsonl | grep -c '"status":200' || true)
    cpu=$(cat "$d"/time.* | awk '{s += $2 + $3} END {printf "%.2f", s}')
    printf "redis-%s\t%s\t%.2f\t%s\t%s\t%.2f\t%s\n" "$n" "$run" "$wall" "$pages" "$cpu" "$rcpu" "$trips" >> "$RAW"
    "$FC" status --frontier "$REDIS" --job "$job" >&2
    $R --scan --pattern "ferrocrawl:{$job}:*" | xargs -r -n 500 $R del >/dev/null
    rm -rf "$d"
  done
done

median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}'; }
echo
echo "Rust docs crawl ($SITE), median of $RUNS runs ($(date -u +%F), $(nproc) cores, Redis $(redis-server --version | awk '{print $3}' | sed 's/^v=//'), load before: $(cut -d' ' -f1-3 /proc/loadavg))"
echo
echo "| frontier | workers | wall s | pages | pages/s | workers' CPU s | CPU ms/page | Redis CPU s | Redis µs/page | round trips/page |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for config in sqlite $(for n in $WORKERS; do echo "redis-$n"; done); do
  rows=$(awk -F'\t' -v c="$config" '$1==c' "$RAW")
  [[ -n $rows ]] || continue
  w=$(cut -f3 <<<"$rows" | median); p=$(cut -f4 <<<"$rows" | median); c=$(cut -f5 <<<"$rows" | median)
  if [[ $config == sqlite ]]; then
    printf "| SQLite (--state) | 1 | %s | %s | %.0f | %s | %.2f | - | - | - |\n" "$w" "$p" "$(echo "$p / $w" | bc -l)" "$c" "$(echo "$c * 1000 / $p" | bc -l)"
  else
    rc=$(cut -f6 <<<"$rows" | median); t=$(cut -f7 <<<"$rows" | median)
    printf "| Redis | %s | %s | %s | %.0f | %s | %.2f | %s | %.0f | %.2f |\n" "${config#redis-}" "$w" "$p" \
      "$(echo "$p / $w" | bc -l)" "$c" "$(echo "$c * 1000 / $p" | bc -l)" "$rc" "$(echo "$rc * 1000000 / $p" | bc -l)" "$(echo "$t / $p" | bc -l)"
  fi
done

if [[ $URLS -gt 0 ]]; then
  echo
  echo "Redis memory at $URLS new URLs over 1,000 hosts (frontier_load grow; bytes per URL):"
  $R flushall >/dev/null
  "$LOAD" grow --frontier "$REDIS" --urls "$URLS"
fi
echo
echo "raw: $RAW"
