#!/usr/bin/env bash
# Benchmark: crawl the lab's documentation sites with ferrocrawl and every
# peer that is installed, in one run. Completeness is scored from nginx's own
# access log (../shared/lab/score.py), not from what a crawler reports.
#
#   bash ../shared/lab/setup.sh --minimal   # sites + wget2 (about 3 min)
#   bash ../shared/lab/setup.sh             # + Scrapy, Crawlee, spider-rs, aiohttp (about 20 min)
#   bash bench/crawl.sh                     # SITES="rust pg" RUNS=3
#   SITES=pg RUNS=1 PEERS="ferrocrawl wget2" bash bench/crawl.sh
#
# Every crawler runs at concurrency 64 on one host, robots off where the peer
# has a switch (the lab serves no robots.txt, so obeying it costs one 404).
# Prints, per site and crawler, the median over RUNS of wall seconds, pages/s
# (ground-truth pages found / wall), CPU seconds (user+sys) and peak RSS, and
# ferrocrawl's ratio to wget2 in the same run. Raw lines go to bench/out/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
LAB=${LAB:-$ROOT/../shared/lab}
ST=/tmp/lab
SITES=${SITES:-"rust pg"}
RUNS=${RUNS:-3}
PEERS=${PEERS:-"ferrocrawl wget2 spider_lib aiohttp scrapy crawlee"}
TIMEOUT=${TIMEOUT:-900}
OUT=$ROOT/bench/out
mkdir -p "$OUT" "$ST/run"
RAW=$OUT/crawl-$(date -u +%Y%m%dT%H%M%S).tsv
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

echo "building release binaries..." >&2
cargo build --release -q -p ferrocrawl-cli
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
FC=$TARGET/release/ferrocrawl

declare -A PORT=([pg]=8080 [rust]=8082) ROOTDIR=([pg]=/usr/share/doc/postgresql-doc-15/html [rust]=/usr/share/doc/rust-doc/html)
PY=python3
for cand in /tmp/lab/venv/bin/python /tmp/ferrocrawl-bench/venv/bin/python; do
  if [[ -x $cand ]] && "$cand" -c 'import aiohttp' 2>/dev/null; then PY=$cand; break; fi
done

cmd_for() { # PEER URL
  case $1 in
    ferrocrawl) echo "$FC crawl $2 -c 64 --per-host 64 -q -o /dev/null" ;;
    wget2)      echo "wget2 -r -l 0 --robots=off --max-threads=64 --delete-after -q -P $ST/run/wget2 $2" ;;
    spider_lib) echo "$ST/spider_lib_target/release/spider_lab $2 64" ;;
    aiohttp)    echo "$PY $LAB/peers/aio_crawl.py $2 64" ;;
    scrapy)     echo "$ST/venv/bin/scrapy runspider $LAB/peers/scrapy_spider.py -a start=$2" ;;
    crawlee)    echo "node $ST/node/crawlee_cheerio.mjs $2 64" ;;
  esac
}
installed() {
  case $1 in
    ferrocrawl) [[ -x $FC ]] ;;
    wget2)      command -v wget2 >/dev/null ;;
    spider_lib) [[ -x $ST/spider_lib_target/release/spider_lab ]] ;;
    aiohttp)    "$PY" -c 'import aiohttp' 2>/dev/null ;;
    scrapy)     [[ -x $ST/venv/bin/scrapy ]] ;;
    crawlee)    [[ -d $ST/node/node_modules/crawlee ]] && cp "$LAB/peers/crawlee_cheerio.mjs" "$ST/node/" ;;
  esac
}
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}'; }

printf "site\tcrawler\trun\twall_s\tcpu_s\trss_mib\tfound\treachable\trequests\n" > "$RAW"
for site in $SITES; do
  port=${PORT[$site]}; url=http://127.0.0.1:$port/
  log=$ST/nginx/logs/site-$site.log
  gt=$ST/gt-$site.txt
  if ! curl -fsS -o /dev/null --max-time 2 "$url"; then
    echo "site $site ($url) is not up: run bash ../shared/lab/setup.sh --minimal" >&2; continue
  fi
  [[ -s $gt ]] || python3 "$LAB/groundtruth.py" --root "${ROOTDIR[$site]}" --out "$gt" >&2
  # warm the page cache so no run is a disk benchmark
  find "${ROOTDIR[$site]}" -name '*.html' -exec cat {} + > /dev/null
  for run in $(seq "$RUNS"); do
    for peer in $PEERS; do
      installed "$peer" || { [[ $run == 1 ]] && echo "skipping $peer: not installed (full lab setup installs it)" >&2; continue; }
      echo "$site $peer run $run" >&2
      rm -rf "$ST/run/wget2"; mkdir -p "$ST/run/wget2"
      : > "$log"
      tf=$(mktemp)
      (cd "$ST/run" && /usr/bin/time -f '%e %U %S %M' -o "$tf" timeout -k 10 "$TIMEOUT" $(cmd_for "$peer" "$url") > /dev/null 2>>"$OUT/crawl-stderr.log") || true
      sleep 1.2   # nginx flushes its access log buffer every second
      score=$(python3 "$LAB/score.py" "$log" "$gt")
      read -r found reachable requests < <(python3 -c 'import json,sys; s=json.loads(sys.argv[1]); print(s["gt_found"], s["gt_pages"], s["requests"])' "$score")
      read -r wall cpu rss < <(tail -n 1 "$tf" | awk '{printf "%.2f %.2f %.0f\n", $1, $2+$3, $4/1024}')
      rm -f "$tf"
      printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n" "$site" "$peer" "$run" "$wall" "$cpu" "$rss" "$found" "$reachable" "$requests" >> "$RAW"
    done
  done
done

echo
echo "Site crawls, median of $RUNS runs ($(date -u +%F), $(nproc) cores); pages = ground-truth HTML pages found"
echo
echo "| site | crawler | wall s | pages/s | CPU s | peak RSS MiB | completeness (min) | requests | pages/s vs wget2 |"
echo "|---|---|---|---|---|---|---|---|---|"
for site in $SITES; do
  wrate=$(awk -F'\t' -v s="$site" '$1==s && $2=="wget2" && $4>0 {print $7/$4}' "$RAW" | median)
  for peer in $PEERS; do
    rows=$(awk -F'\t' -v s="$site" -v p="$peer" '$1==s && $2==p' "$RAW")
    [[ -n $rows ]] || continue
    w=$(cut -f4 <<<"$rows" | median); c=$(cut -f5 <<<"$rows" | median); m=$(cut -f6 <<<"$rows" | median)
    rate=$(awk -F'\t' '$4>0 {print $7/$4}' <<<"$rows" | median)
    found=$(cut -f7 <<<"$rows" | sort -n | head -1); reach=$(cut -f8 <<<"$rows" | head -1)
    req=$(cut -f9 <<<"$rows" | median)
    ratio=$(awk -v r="$rate" -v w="$wrate" 'BEGIN { if (w > 0) printf "%.2f", r/w; else print "-" }')
    printf "| %s | %s | %s | %.0f | %s | %s | %s/%s | %s | %s |\n" "$site" "$peer" "$w" "$rate" "$c" "$m" "$found" "$reach" "$req" "$ratio"
  done
done
echo
echo "raw: $RAW"
