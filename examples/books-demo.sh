#!/usr/bin/env bash
# The reference job: walk testkit's paginated books API (10,000 books),
# fetch every detail record and upsert each into SQLite by id, 64 requests
# in flight. Runs it twice, first as the Rust program examples/books.rs,
# then as the spider file examples/books.toml, into the same table: the
# second run updates the 10,000 rows and adds none.
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
cargo build --release -q -p ferrocrawl-cli
source examples/testkit-server.sh
start_testkit "$PORT"
echo "run 1: cargo run --example books (examples/books.rs)"
./target/release/examples/books "http://127.0.0.1:$PORT" --sink "$DB"
echo "run 2: ferrocrawl run examples/books.toml"
sed "s/127.0.0.1:8090/127.0.0.1:$PORT/" examples/books.toml > "${TMPDIR:-/tmp}/books-demo.toml"
./target/release/ferrocrawl run "${TMPDIR:-/tmp}/books-demo.toml" --sink "$DB"
if [[ $DB != postgres://* ]]; then
  python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print("rows in", sys.argv[1], "->", c.execute("select count(*), count(distinct id) from books").fetchone())' "$DB"
fi
