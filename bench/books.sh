#!/usr/bin/env bash
# Benchmark: the books job (list -> 10,000 details -> SQLite upsert) in
# ferrocrawl (examples/books.rs, and examples/books.toml through
# `ferrocrawl run`), with Python handlers (examples/python/books.py, the
# package installed by `pip install ./python`), and in equivalent Scrapy and
# Crawlee for Python programs (bench/peers/scrapy_books.py,
# bench/peers/crawlee_books.py), in one run against testkit's books API.
#
#   bash bench/books.sh            # RUNS=3; SKIP_BUILD=1 uses the binaries and package built last
#
# Prints wall seconds, items/s, CPU seconds and peak RSS per tool (median
# over RUNS), the rows in each database (must be 10,000), and the ratio of
# items/s. Scrapy is installed into /tmp/ferrocrawl-bench/venv-scrapy if the
# lab's venv has none; Crawlee for Python and our package into their own
# venvs there (TOOLS="..." picks which run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
RUNS=${RUNS:-3}
OUT=$ROOT/bench/out; mkdir -p "$OUT"
RAW=$OUT/books-$(date -u +%Y%m%dT%H%M%S).tsv
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

if [[ -z ${SKIP_BUILD:-} ]]; then
  echo "building release binaries..." >&2
  cargo build --release -q -p ferrocrawl-testkit
  cargo build --release -q -p ferrocrawl --example books
  cargo build --release -q -p ferrocrawl-cli
fi
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
SCRAPY=""
for cand in /tmp/lab/venv/bin/scrapy /tmp/ferrocrawl-bench/venv-scrapy/bin/scrapy; do
  [[ -x $cand ]] && { SCRAPY=$cand; break; }
done
if [[ -z $SCRAPY ]]; then
  echo "installing Scrapy into /tmp/ferrocrawl-bench/venv-scrapy..." >&2
  python3 -m venv /tmp/ferrocrawl-bench/venv-scrapy
  /tmp/ferrocrawl-bench/venv-scrapy/bin/pip install -q "scrapy==2.13.*"
  SCRAPY=/tmp/ferrocrawl-bench/venv-scrapy/bin/scrapy
fi
TOOLS=${TOOLS:-ferrocrawl ferrocrawl-toml ferrocrawl-python scrapy crawlee}
PYFC=/tmp/ferrocrawl-bench/venv-ferrocrawl/bin/python
if [[ " $TOOLS " == *" ferrocrawl-python "* && ( -z ${SKIP_BUILD:-} || ! -x $PYFC ) ]]; then
  echo "installing the Python package (pip install ./python, release build)..." >&2
  [[ -x $PYFC ]] || python3 -m venv /tmp/ferrocrawl-bench/venv-ferrocrawl
  $PYFC -m pip install -q --disable-pip-version-check --force-reinstall --no-deps ./python
fi
CRAWLEE=/tmp/ferrocrawl-bench/venv-crawlee/bin/python
if [[ " $TOOLS " == *" crawlee "* && ! -x $CRAWLEE ]]; then
  echo "installing Crawlee for Python into /tmp/ferrocrawl-bench/venv-crawlee..." >&2
  python3 -m venv /tmp/ferrocrawl-bench/venv-crawlee
  $CRAWLEE -m pip install -q crawlee
fi

"$TARGET/release/ferrocrawl-testkit" --addr 127.0.0.1:8090 > /dev/null &
TK=$!
trap 'kill $TK 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fsS -o /dev/null http://127.0.0.1:8090/ 2>/dev/null && break; sleep 0.1; done

rows() { python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(distinct id) from books").fetchone()[0])' "$1"; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}'; }

printf "tool\trun\twall_s\tcpu_s\trss_mib\trows\n" > "$RAW"
for run in $(seq "$RUNS"); do
  for tool in $TOOLS; do
    db=$(mktemp -u /tmp/ferrocrawl-books.XXXXXX.db); tf=$(mktemp)
    echo "$tool run $run" >&2
    case $tool in
      ferrocrawl) /usr/bin/time -f '%e %U %S %M' -o "$tf" "$TARGET/release/examples/books" http://127.0.0.1:8090 --sink "$db" 2>>"$OUT/books-stderr.log" ;;
      ferrocrawl-toml) /usr/bin/time -f '%e %U %S %M' -o "$tf" "$TARGET/release/ferrocrawl" run -q "$ROOT/examples/books.toml" --sink "$db" 2>>"$OUT/books-stderr.log" ;;
      ferrocrawl-python) (cd "$(dirname "$db")" && /usr/bin/time -f '%e %U %S %M' -o "$tf" "$PYFC" "$ROOT/examples/python/books.py" http://127.0.0.1:8090 "$db" 2>>"$OUT/books-stderr.log"; rm -f books-py.state*) ;;
      crawlee) (cd "$(mktemp -d)" && /usr/bin/time -f '%e %U %S %M' -o "$tf" "$CRAWLEE" "$ROOT/bench/peers/crawlee_books.py" http://127.0.0.1:8090 "$db" >>"$OUT/books-stderr.log" 2>&1) ;;
      scrapy) (cd "$ROOT/bench/peers" && /usr/bin/time -f '%e %U %S %M' -o "$tf" "$SCRAPY" runspider scrapy_books.py -a base=http://127.0.0.1:8090 -a db="$db" 2>>"$OUT/books-stderr.log") ;;
    esac
    read -r wall cpu rss < <(tail -n 1 "$tf" | awk '{printf "%.2f %.2f %.0f\n", $1, $2+$3, $4/1024}')
    printf "%s\t%s\t%s\t%s\t%s\t%s\n" "$tool" "$run" "$wall" "$cpu" "$rss" "$(rows "$db")" >> "$RAW"
    rm -f "$db" "$db"-wal "$db"-shm "$tf"
  done
done

echo
echo "The books job: 10,000 details into SQLite, median of $RUNS runs ($(date -u +%F), $(nproc) cores)"
echo
echo "| tool | wall s | items/s | CPU s | peak RSS MiB | rows (min) |"
echo "|---|---|---|---|---|---|"
for tool in $TOOLS; do
  rows=$(awk -F'\t' -v t="$tool" '$1==t' "$RAW")
  w=$(cut -f3 <<<"$rows" | median); c=$(cut -f4 <<<"$rows" | median); m=$(cut -f5 <<<"$rows" | median)
  n=$(cut -f6 <<<"$rows" | sort -n | head -1)
  printf "| %s | %s | %.0f | %s | %s | %s |\n" "$tool" "$w" "$(awk -v n="$n" -v w="$w" 'BEGIN{print n/w}')" "$c" "$m" "$n"
done
sw=$(awk -F'\t' '$1=="scrapy"{print $3}' "$RAW" | median)
echo
for tool in $TOOLS; do
  [[ $tool == scrapy || " $TOOLS " != *" scrapy "* ]] && continue
  fw=$(awk -F'\t' -v t="$tool" '$1==t{print $3}' "$RAW" | median)
  echo "items/s ratio $tool / Scrapy: $(awk -v f="$fw" -v s="$sw" 'BEGIN{printf "%.1f", s/f}')x"
done
fr=$(awk -F'\t' '$1=="ferrocrawl"{print $3}' "$RAW" | median)
fp=$(awk -F'\t' '$1=="ferrocrawl-python"{print $3}' "$RAW" | median)
[[ -n $fp && -n $fr ]] && echo "Python handlers / Rust handlers, wall time: $(awk -v p="$fp" -v r="$fr" 'BEGIN{printf "%.2f", p/r}')x"
echo "raw: $RAW"
