#!/usr/bin/env bash
# The reference job: walk testkit's paginated books API (10,000 books),
# fetch every detail record and upsert each into SQLite by id, 64 requests
# in flight. Runs it twice to show that a re-run adds no duplicate rows.
#
#   bash examples/books-demo.sh              # into ./books.db
#   DB=postgres://postgres@127.0.0.1/books bash examples/books-demo.sh
#
# Everything runs on 127.0.0.1; the books server is started and stopped here.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DB=${DB:-books.db}
PORT=${PORT:-8090}
cargo build --release -q -p ferrocrawl-testkit
cargo build --release -q -p ferrocrawl --example books
source examples/testkit-server.sh
start_testkit "$PORT"
for run in 1 2; do
  echo "run $run:"
  ./target/release/examples/books "http://127.0.0.1:$PORT" "$DB"
done
if [[ $DB != postgres://* ]]; then
  python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print("rows in", sys.argv[1], "->", c.execute("select count(*), count(distinct id) from books").fetchone())' "$DB"
fi
