"""A counting reverse proxy for bench/distributed-peer.sh.

testkit's `/__stats` gives only totals (requests, connections); the
per-path hit counts the chaos test reads (`srv.stats().hits(path)`) are not
served over HTTP. This proxy stands in front of the testkit server, counts
every request by path as it arrives (before forwarding, as testkit counts at
request start), forwards it over a kept-alive connection and relays the
answer. It serves its counts itself:

    GET /__hits   -> {"path": count, ...}
    GET /__total  -> {"requests": N}

    python count_proxy.py --listen 127.0.0.1:PORT --upstream 127.0.0.1:PORT

Prints `listening on http://ADDR` once ready. Loopback only.
"""

import argparse
import http.client
import json
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HITS: Counter = Counter()
LOCK = threading.Lock()
TOTAL = [0]
LOCAL = threading.local()
UPSTREAM = ("127.0.0.1", 0)


def upstream() -> http.client.HTTPConnection:
    conn = getattr(LOCAL, "conn", None)
    if conn is None:
        conn = http.client.HTTPConnection(*UPSTREAM, timeout=30)
        LOCAL.conn = conn
    return conn


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def _send(self, status, body: bytes, ctype="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/__hits":
            with LOCK:
                body = json.dumps(dict(HITS)).encode()
            return self._send(200, body)
        if path == "/__total":
            with LOCK:
                body = json.dumps({"requests": TOTAL[0]}).encode()
            return self._send(200, body)
        with LOCK:
            HITS[path] += 1
            TOTAL[0] += 1
        for attempt in range(2):  # a kept-alive upstream connection may have closed
            conn = upstream()
            try:
                conn.request("GET", self.path, headers={"Host": "%s:%d" % UPSTREAM})
                resp = conn.getresponse()
                body = resp.read()
                break
            except (http.client.HTTPException, OSError):
                conn.close()
                LOCAL.conn = None
                if attempt:
                    return self._send(502, b"upstream failed", "text/plain")
        self._send(resp.status, body, resp.getheader("Content-Type", "text/html"))


def main():
    global UPSTREAM
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--upstream", required=True)
    a = ap.parse_args()
    host, port = a.listen.rsplit(":", 1)
    uhost, uport = a.upstream.rsplit(":", 1)
    assert host.startswith("127.") and uhost.startswith("127."), "loopback only"
    UPSTREAM = (uhost, int(uport))
    srv = ThreadingHTTPServer((host, int(port)), Handler)
    srv.daemon_threads = True
    print("listening on http://%s:%d" % srv.server_address, flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
