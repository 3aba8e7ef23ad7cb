"""Fixtures: a real testkit server (the Rust test server) on 127.0.0.1.

The server is `ferrocrawl-testkit`, built by `cargo build -p ferrocrawl-testkit`.
It is found at $FERROCRAWL_TESTKIT, else in $CARGO_TARGET_DIR or the
repository's target/ (debug, then release). Without it every test that needs
it is skipped with a message saying how to build it, and under CI (the `CI`
variable set) it fails instead: a missing server must never look like a pass.
"""

import os
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def _testkit_binary():
    env = os.environ.get("FERROCRAWL_TESTKIT")
    if env:
        return pathlib.Path(env)
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    for profile in ("debug", "release"):
        p = target / profile / "ferrocrawl-testkit"
        if p.exists():
            return p
    return None


def _unavailable(why):
    if os.environ.get("CI"):
        pytest.fail(why)
    pytest.skip(why)


@pytest.fixture(scope="session")
def testkit():
    """The base URL of a running testkit server, e.g. http://127.0.0.1:40123."""
    binary = _testkit_binary()
    if binary is None or not binary.exists():
        _unavailable(
            "SKIPPED LOUDLY: the testkit server is not built; run "
            "`cargo build -p ferrocrawl-testkit` (or set FERROCRAWL_TESTKIT)"
        )
    proc = subprocess.Popen(
        [str(binary), "--addr", "127.0.0.1:0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = proc.stdout.readline().strip()
    if not line.startswith("listening on "):
        proc.kill()
        _unavailable(f"the testkit server did not start: {line!r}")
    yield line.removeprefix("listening on ") if sys.version_info >= (3, 9) else line[13:]
    proc.kill()
    proc.wait()


@pytest.fixture
def books_start(testkit):
    """The books API's first list page (18 books a page, 10,000 books)."""
    return f"{testkit}/api/book/?limit=18&offset=0"
