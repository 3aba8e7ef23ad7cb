# Sourced by the demo scripts: start testkit's loopback server on
# 127.0.0.1:$1 (built beforehand), wait until it answers, and stop it when
# the calling script exits. Fails with a message if it never comes up.
start_testkit() {
  local port=$1
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  ./target/release/ferrocrawl-testkit --addr "127.0.0.1:$port" > /dev/null &
  TESTKIT_PID=$!
  trap 'kill $TESTKIT_PID 2>/dev/null || true' EXIT
  for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "testkit's server did not start on 127.0.0.1:$port" >&2
  return 1
}
