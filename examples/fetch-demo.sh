#!/usr/bin/env bash
# The seed's demo: 100 concurrent GETs of an endpoint that answers after 5 s.
# A blocking client needs 500+ s; ferrocrawl needs about 5 s.
#
#   bash examples/fetch-demo.sh            # 100 requests
#   N=1000 bash examples/fetch-demo.sh     # more
#
# Everything runs on 127.0.0.1: it starts testkit's delay server, fetches,
# prints the summary, and stops the server.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
N=${N:-100}
PORT=${PORT:-8090}
cargo build --release -q -p ferrocrawl-cli -p ferrocrawl-testkit
source examples/testkit-server.sh
start_testkit "$PORT"
out=$(mktemp -t ferrocrawl-demo.XXXXXX.jsonl)
yes "http://127.0.0.1:$PORT/delay/5" | head -n "$N" |
  ./target/release/ferrocrawl fetch -c "$N" --per-host "$N" -o "$out" || true
echo "results: $out ($(wc -l < "$out") lines)"
