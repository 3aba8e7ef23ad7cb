#!/usr/bin/env bash
# Benchmark: N concurrent GETs of /delay/5 (the seed's test), ferrocrawl fetch
# next to the aiohttp baseline and h2load (a C load tool, the floor), in one run.
#
#   bash bench/fetch.sh                 # N = 100 1000 10000, 3 runs each, both servers
#   NS="10000" RUNS=5 bash bench/fetch.sh
#   SERVERS=testkit bash bench/fetch.sh # skip nginx even if the lab is up
#
# Servers, all on 127.0.0.1: testkit's delay server (started here, port 8090)
# and the lab's nginx echo_sleep endpoint (port 8081, from
# `bash ../shared/lab/setup.sh --minimal`) when it answers.
# Prints wall seconds, CPU seconds (user+sys) and peak RSS per client, median
# over RUNS, plus ferrocrawl's ratio to h2load. Raw lines go to bench/out/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
NS=${NS:-"100 1000 10000"}
RUNS=${RUNS:-3}
DELAY=${DELAY:-5}
SERVERS=${SERVERS:-"testkit nginx"}
LAB=${LAB:-$ROOT/../shared/lab}
OUT=$ROOT/bench/out
mkdir -p "$OUT"
RAW=$OUT/fetch-$(date -u +%Y%m%dT%H%M%S).tsv

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
sysctl -qw net.core.somaxconn=65535 2>/dev/null || true
sysctl -qw net.ipv4.tcp_max_syn_backlog=65535 2>/dev/null || true

echo "building release binaries..." >&2
cargo build --release -q -p ferrocrawl-cli -p ferrocrawl-testkit
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
FC=$TARGET/release/ferrocrawl

# --- the aiohttp baseline needs aiohttp; use the lab's venv or make our own
PY=""
for cand in /tmp/lab/venv/bin/python /tmp/ferrocrawl-bench/venv/bin/python; do
  if [[ -x $cand ]] && "$cand" -c 'import aiohttp' 2>/dev/null; then PY=$cand; break; fi
done
if [[ -z $PY ]]; then
  echo "installing aiohttp into /tmp/ferrocrawl-bench/venv..." >&2
  python3 -m venv /tmp/ferrocrawl-bench/venv
  /tmp/ferrocrawl-bench/venv/bin/pip install -q "aiohttp==3.*"
  PY=/tmp/ferrocrawl-bench/venv/bin/python
fi
AIO=$LAB/peers/aio_delay.py
command -v h2load >/dev/null || echo "h2load missing: install nghttp2-client (or run the lab setup)" >&2

# --- servers
"$TARGET/release/ferrocrawl-testkit" --addr 127.0.0.1:8090 > /dev/null &
TK=$!
trap 'kill $TK 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fsS -o /dev/null http://127.0.0.1:8090/ 2>/dev/null && break; sleep 0.1; done

declare -A BASE=([testkit]=http://127.0.0.1:8090)
if curl -fsS -o /dev/null --max-time 2 http://127.0.0.1:8081/delay/0 2>/dev/null; then
  BASE[nginx]=http://127.0.0.1:8081
else
  echo "nginx delay endpoint (8081) not up: run bash ../shared/lab/setup.sh --minimal to include it" >&2
fi

# measure CMD...: runs under GNU time with stdout in $OUT/last.out,
# prints "wall cpu rss_mib"
measure() {
  local tf; tf=$(mktemp)
  /usr/bin/time -f '%e %U %S %M' -o "$tf" "$@" > "$OUT/last.out" 2>>"$OUT/stderr.log" || true
  awk '{printf "%.2f %.2f %.0f\n", $1, $2+$3, $4/1024}' "$tf"
  rm -f "$tf"
}
# ok answers of the last run, read from each client's own output
ok_count() {
  case $1 in
    ferrocrawl) grep -c '"status":200' "$OUT/last.out" || true ;;
    aiohttp) sed -n 's/.*"ok": \([0-9]*\).*/\1/p' "$OUT/last.out" ;;
    h2load) sed -n 's/^requests:.* \([0-9]*\) succeeded.*/\1/p' "$OUT/last.out" ;;
  esac
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}'; }

printf "server\tN\tclient\trun\twall_s\tcpu_s\trss_mib\tok\n" > "$RAW"
for server in $SERVERS; do
  base=${BASE[$server]:-}
  [[ -n $base ]] || continue
  url=$base/delay/$DELAY
  for n in $NS; do
    urls=$(mktemp); awk -v u="$url" -v n="$n" 'BEGIN { for (i = 0; i < n; i++) print u }' > "$urls"
    for run in $(seq "$RUNS"); do
      echo "$server N=$n run $run" >&2
      r=$(measure "$FC" fetch -q -c "$n" --per-host "$n" --timeout 120s -i "$urls")
      printf "%s\t%s\tferrocrawl\t%s\t%s\t%s\n" "$server" "$n" "$run" "${r// /$'\t'}" "$(ok_count ferrocrawl)" >> "$RAW"
      r=$(measure "$PY" "$AIO" "$url" "$n")
      printf "%s\t%s\taiohttp\t%s\t%s\t%s\n" "$server" "$n" "$run" "${r// /$'\t'}" "$(ok_count aiohttp)" >> "$RAW"
      if command -v h2load >/dev/null; then
        r=$(measure h2load --h1 -t 2 -n "$n" -c "$n" "$url")
        printf "%s\t%s\th2load\t%s\t%s\t%s\n" "$server" "$n" "$run" "${r// /$'\t'}" "$(ok_count h2load)" >> "$RAW"
      fi
    done
    rm -f "$urls"
  done
done

# --- report: medians, and ferrocrawl / h2load wall ratio
echo
echo "N concurrent GETs of /delay/$DELAY, median of $RUNS runs ($(date -u +%F), $(nproc) cores)"
echo
echo "| server | N | client | wall s | CPU s | peak RSS MiB | OK (min) | wall / h2load |"
echo "|---|---|---|---|---|---|---|---|"
for server in $SERVERS; do
  for n in $NS; do
    h2=$(awk -F'\t' -v s="$server" -v n="$n" '$1==s && $2==n && $3=="h2load" {print $5}' "$RAW" | median)
    for client in ferrocrawl aiohttp h2load; do
      rows=$(awk -F'\t' -v s="$server" -v n="$n" -v c="$client" '$1==s && $2==n && $3==c' "$RAW")
      [[ -n $rows ]] || continue
      w=$(cut -f5 <<<"$rows" | median); c=$(cut -f6 <<<"$rows" | median); m=$(cut -f7 <<<"$rows" | median)
      ok=$(cut -f8 <<<"$rows" | sort -n | head -1)
      ratio=$(awk -v w="$w" -v h="$h2" 'BEGIN { if (h > 0) printf "%.3f", w/h; else print "-" }')
      echo "| $server | $n | $client | $w | $c | $m | $ok/$n | $ratio |"
    done
  done
done
echo
echo "raw: $RAW"
