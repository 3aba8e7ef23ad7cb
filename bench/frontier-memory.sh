#!/usr/bin/env bash
# Benchmark: peak memory of a durable crawl whose frontier grows to about
# 5 million URLs. Crawls testkit's generated site /site/PAGES/100/ (every page
# links to 100 new ones) breadth-first with --state, stopping after
# MAX_PAGES=50,000 pages: about 5 million URLs are then queued on disk.
#
#   bash bench/frontier-memory.sh         # MAX_PAGES=50000
#
# Prints wall, CPU, peak RSS, the URLs queued (from the state file before it
# is removed: the crawl stops on its page budget, so the state stays), and
# the state file's size. Target: peak RSS <= 300 MiB.
#
#   MODE=memory bash bench/frontier-memory.sh   # no --state: the in-memory frontier
#
# runs the same crawl without --state at 5,000, 20,000 and 50,000 pages
# (about 0.5, 2 and 5 million URLs queued): past 100,000 queued requests the
# in-memory frontier moves its queue to a temporary file, so peak RSS should
# grow only with the seen set (16 bytes a URL), not with the queue.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
MAX_PAGES=${MAX_PAGES:-50000}
PORT=${PORT:-8093}
TMP=$(mktemp -d)
echo "building release binaries..." >&2
[[ -n ${SKIP_BUILD:-} ]] || cargo build --release -q -p ferrocrawl-cli
[[ -n ${SKIP_BUILD:-} ]] || cargo build --release -q -p ferrocrawl-testkit
source examples/testkit-server.sh
start_testkit "$PORT"
# start_testkit's trap stops the server; this one also removes the 1.6 GB state.
trap 'kill $TESTKIT_PID 2>/dev/null || true; rm -rf "$TMP"' EXIT
FC=${CARGO_TARGET_DIR:-$ROOT/target}/release/ferrocrawl
if [[ ${MODE:-state} == memory ]]; then
  echo
  echo "| pages fetched | URLs seen | wall s | CPU s | peak RSS MiB |"
  echo "|---|---|---|---|---|"
  for pages in 5000 20000 50000; do
    /usr/bin/time -f '%e %U %S %M' -o "$TMP/time" "$FC" crawl "http://127.0.0.1:$PORT/site/1000000000/100/0" \
      -c 64 --per-host 64 --ignore-robots --max-pages "$pages" -q -o "$TMP/pages.jsonl" || true
    read -r wall cpu rss < <(awk '{printf "%.1f %.1f %.0f\n", $1, $2+$3, $4/1024}' "$TMP/time")
    echo "| $(wc -l < "$TMP/pages.jsonl") | ~$((pages * 100)) | $wall | $cpu | $rss |"
  done
  exit 0
fi
/usr/bin/time -f '%e %U %S %M' -o "$TMP/time" "$FC" crawl "http://127.0.0.1:$PORT/site/1000000000/100/0" \
  -c 64 --per-host 64 --ignore-robots --max-pages "$MAX_PAGES" -q -o "$TMP/pages.jsonl" --state "$TMP/crawl.state" || true
read -r wall cpu rss < <(awk '{printf "%.1f %.1f %.0f\n", $1, $2+$3, $4/1024}' "$TMP/time")
queued=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from queue").fetchone()[0])' "$TMP/crawl.state")
size=$(du -m "$TMP/crawl.state" | cut -f1)
echo
echo "| pages fetched | URLs queued | wall s | CPU s | peak RSS MiB | state file MiB |"
echo "|---|---|---|---|---|---|"
echo "| $(wc -l < "$TMP/pages.jsonl") | $queued | $wall | $cpu | $rss | $size |"
echo
echo "target: peak RSS <= 300 MiB"
