#!/usr/bin/env bash
# Benchmark: main-content extraction, ferrocrawl-content against trafilatura
# (Python, from PyPI) on the article-extraction corpus, in one run.
#
#   bash bench/content.sh              # ROUNDS=5 RUNS=3 RENDERING=text
#
# Each side reads the 132 gzipped pages once, then extracts every page ROUNDS
# times (ferrocrawl: core charset decoding + extract_with, making the text and
# the metadata as trafilatura's extract does, or RENDERING=markdown|both;
# trafilatura: extract on the fetched bytes). GNU time measures the whole process: wall seconds, CPU
# seconds (user+sys) and peak RSS. Prints the median over RUNS of each, pages/s,
# pages per CPU-second and ferrocrawl's ratio to trafilatura on that last one
# (the issue's target: at least 10). Raw lines go to bench/out/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
CORPUS=${CORPUS:-$ROOT/../shared/corpora/article_extraction}
ROUNDS=${ROUNDS:-5}
RUNS=${RUNS:-3}
VENV=${VENV:-/tmp/ferrocrawl-bench/trafilatura-venv}
OUT=$ROOT/bench/out
mkdir -p "$OUT"
RAW=$OUT/content-$(date -u +%Y%m%dT%H%M%S).tsv
[[ -f $CORPUS/ground-truth.json ]] || { echo "corpus not found at $CORPUS" >&2; exit 2; }

echo "building the release example..." >&2
cargo build --release -q -p ferrocrawl-content --example bench_content
FC=${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/bench_content
if ! "$VENV/bin/python" -c 'import trafilatura' 2>/dev/null; then
  echo "installing trafilatura into $VENV..." >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q trafilatura lxml_html_clean  # lxml 6 moved its cleaner out
fi

run() { # NAME CMD...
  local name=$1; shift
  local t; t=$(mktemp)
  /usr/bin/time -f '%e %U %S %M' -o "$t" "$@" > "$t.out"
  read -r wall user sys rss < "$t"
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$wall" "$user" "$sys" "$rss" | tee -a "$RAW" >&2
  tail -n 1 "$t.out" >&2   # the extractor's own line (ferrocrawl's splits out charset decoding)
  rm -f "$t" "$t.out"
}
for _ in $(seq "$RUNS"); do
  run ferrocrawl "$FC" "$CORPUS" "$ROUNDS" "${RENDERING:-text}"
  run trafilatura "$VENV/bin/python" "$ROOT/bench/peers/trafilatura_corpus.py" "$CORPUS" "$ROUNDS"
done

PAGES=$(( $(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$CORPUS/ground-truth.json") * ROUNDS ))
python3 - "$RAW" "$PAGES" <<'PY'
import statistics, sys
raw, pages = sys.argv[1], int(sys.argv[2])
rows = {}
for line in open(raw):
    name, wall, user, sys_, rss = line.split('\t')
    rows.setdefault(name, []).append((float(wall), float(user) + float(sys_), int(rss) / 1024))
med = {n: tuple(statistics.median(r[i] for r in v) for i in range(3)) for n, v in rows.items()}
print(f'{pages} pages per run, median of {len(rows["ferrocrawl"])} runs (whole process: start, reading, extraction)')
print('| extractor | wall s | CPU s | peak RSS MiB | pages/s | pages per CPU-s |')
print('|---|---|---|---|---|---|')
for n, (wall, cpu, rss) in med.items():
    print(f'| {n} | {wall:.2f} | {cpu:.2f} | {rss:.0f} | {pages / wall:.0f} | {pages / cpu:.0f} |')
f, t = med['ferrocrawl'], med['trafilatura']
print(f'ferrocrawl / trafilatura, pages per CPU-second: {(pages / f[1]) / (pages / t[1]):.1f}x (target >= 10x)')
PY
