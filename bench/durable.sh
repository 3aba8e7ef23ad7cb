#!/usr/bin/env bash
# Benchmark: what durable mode (`ferrocrawl crawl --state`, the SQLite
# frontier committed with the output) costs against the in-memory frontier,
# crawling the lab's Rust docs (21,633 pages) in one run, alternating modes.
#
#   bash ../shared/lab/setup.sh --minimal   # the sites (about 3 min)
#   bash bench/durable.sh                   # RUNS=3
#
# Prints per mode the median wall seconds, pages/s (pages written / wall),
# CPU seconds and peak RSS, and durable pages/s as a share of in-memory.
# Target: durable costs at most 15% pages/s.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
RUNS=${RUNS:-3}
SEED=${SEED:-http://127.0.0.1:8082/}
OUT=$ROOT/bench/out; mkdir -p "$OUT"
RAW=$OUT/durable-$(date -u +%Y%m%dT%H%M%S).tsv
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
curl -fsS -o /dev/null "$SEED" || { echo "nothing answers at $SEED: run ../shared/lab/setup.sh --minimal" >&2; exit 2; }

echo "building release binaries..." >&2
cargo build --release -q -p ferrocrawl-cli
FC=${CARGO_TARGET_DIR:-$ROOT/target}/release/ferrocrawl

median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}'; }

printf "mode\trun\twall_s\tcpu_s\trss_mib\tpages\n" > "$RAW"
for run in $(seq "$RUNS"); do
  for mode in memory durable; do
    echo "$mode run $run" >&2
    out=$TMP/pages-$mode.jsonl; tf=$TMP/time
    rm -f "$out" "$out.state"*
    extra=(); [[ $mode == durable ]] && extra=(--state "$out.state")
    /usr/bin/time -f '%e %U %S %M' -o "$tf" "$FC" crawl "$SEED" -c 64 --per-host 64 -q -o "$out" "${extra[@]}"
    read -r wall cpu rss < <(awk '{printf "%.2f %.2f %.0f\n", $1, $2+$3, $4/1024}' "$tf")
    printf "%s\t%s\t%s\t%s\t%s\t%s\n" "$mode" "$run" "$wall" "$cpu" "$rss" "$(wc -l < "$out")" >> "$RAW"
  done
done

echo
echo "ferrocrawl crawl $SEED, in-memory vs durable frontier, median of $RUNS runs ($(date -u +%F), $(nproc) cores)"
echo
echo "| mode | wall s | pages/s | CPU s | peak RSS MiB | pages |"
echo "|---|---|---|---|---|---|"
for mode in memory durable; do
  rows=$(awk -F'\t' -v m="$mode" '$1==m' "$RAW")
  w=$(cut -f3 <<<"$rows" | median); c=$(cut -f4 <<<"$rows" | median); m=$(cut -f5 <<<"$rows" | median)
  n=$(cut -f6 <<<"$rows" | sort -n | head -1)
  printf "| %s | %s | %.0f | %s | %s | %s |\n" "$mode" "$w" "$(awk -v n="$n" -v w="$w" 'BEGIN{print n/w}')" "$c" "$m" "$n"
done
mw=$(awk -F'\t' '$1=="memory"{print $3}' "$RAW" | median); dw=$(awk -F'\t' '$1=="durable"{print $3}' "$RAW" | median)
echo
echo "durable pages/s as a share of in-memory: $(awk -v m="$mw" -v d="$dw" 'BEGIN{printf "%.0f%%", 100*m/d}') (target >= 85%)"
echo "raw: $RAW"
