#!/usr/bin/env bash
# Every test: the Rust workspace, the Redis frontier, and the Python package
# (built from this checkout, tested with pytest on a real interpreter).
#
#   bash scripts/test-all.sh
#
# The Python package is built in the dev profile into the same target
# directory as the Rust tests, so the two share their compiled dependencies.
# It goes into a virtualenv under target/ (maturin and pytest from PyPI).
# Servers: every test starts what it needs on 127.0.0.1 (see README); set
# FERROCRAWL_PG_URL / FERROCRAWL_REDIS_URL to use running ones.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cargo test --workspace
cargo test -p ferrocrawl-frontier --features redis

# The Python package.
target_dir=${CARGO_TARGET_DIR:-target}
venv="$target_dir/pyvenv"
python=${PYTHON:-python3}
if [[ ! -x $venv/bin/python ]]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "maturin>=1.5,<2" "pytest>=7"
VIRTUAL_ENV="$PWD/$venv" PATH="$PWD/$venv/bin:$PATH" \
  "$venv/bin/maturin" develop --quiet -m python/Cargo.toml --profile dev
# The test server the Python tests start (built by `cargo test` above already).
cargo build --quiet -p ferrocrawl-testkit --bin ferrocrawl-testkit
"$venv/bin/python" -m pytest -q python/tests
