//! End-to-end checks of the test server over raw HTTP/1.1 on loopback.

// clippy exempts #[test] functions from unwrap_used but not the helpers
// they share; in both, unwrap is how a test says "this must hold".
#![allow(clippy::unwrap_used, reason = "test helpers")]

use std::io::Read;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use ferrocrawl_testkit::{TestServer, charset_sample};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio::time::timeout;

/// Every exchange is bounded so a server bug fails the test instead of
/// hanging it.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug)]
struct RawResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn text(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap()
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// Sends one request on `stream` (keeping it open) and reads one response,
/// using Content-Length to find its end.
async fn exchange(stream: &mut TcpStream, method: &str, path: &str, extra: &str) -> RawResponse {
    let request = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\n{extra}\r\n");
    timeout(EXCHANGE_TIMEOUT, async {
        stream.write_all(request.as_bytes()).await.unwrap();
        read_response(stream).await
    })
    .await
    .expect("response within the timeout")
}

async fn read_response(stream: &mut TcpStream) -> RawResponse {
    let mut raw = Vec::new();
    let head_end = loop {
        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let mut buf = [0u8; 4096];
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "connection closed mid-head: {raw:?}");
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8(raw[..head_end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|line| {
            let (name, value) = line.split_once(':').unwrap();
            (name.trim().to_owned(), value.trim().to_owned())
        })
        .collect();
    let mut body = raw[head_end + 4..].to_vec();
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.parse::<usize>().unwrap());
    match length {
        Some(length) => {
            while body.len() < length {
                let mut buf = vec![0u8; length - body.len()];
                let n = stream.read(&mut buf).await.unwrap();
                assert!(n > 0, "connection closed mid-body");
                body.extend_from_slice(&buf[..n]);
            }
        }
        None => {
            stream.read_to_end(&mut body).await.unwrap();
        }
    }
    RawResponse {
        status,
        headers,
        body,
    }
}

/// One request on a fresh connection.
async fn get(addr: SocketAddr, path: &str) -> RawResponse {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    exchange(&mut stream, "GET", path, "").await
}

#[tokio::test]
async fn root_status_and_not_found() {
    let server = TestServer::start().await.unwrap();
    assert!(server.url("/x").starts_with("http://127.0.0.1:"));

    let root = get(server.addr(), "/").await;
    assert_eq!((root.status, root.text()), (200, "ok"));

    let teapot = get(server.addr(), "/status/418").await;
    assert_eq!(teapot.status, 418);

    let missing = get(server.addr(), "/no/such/page").await;
    assert_eq!(missing.status, 404);

    let bad = get(server.addr(), "/status/nope").await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn redirect_chain_locations() {
    let server = TestServer::start().await.unwrap();
    let first = get(server.addr(), "/redirect/2").await;
    assert_eq!(first.status, 302);
    assert_eq!(first.header("location"), Some("/redirect/1"));

    let done = get(server.addr(), "/redirect/0").await;
    assert_eq!((done.status, done.text()), (200, "done"));

    let absolute = get(server.addr(), "/redirect/2?status=308&absolute=1").await;
    assert_eq!(absolute.status, 308);
    let expected = format!("{}?status=308&absolute=1", server.url("/redirect/1"));
    assert_eq!(absolute.header("location"), Some(expected.as_str()));

    let to = get(server.addr(), "/redirect-to?url=%2Fjson&status=303").await;
    assert_eq!((to.status, to.header("location")), (303, Some("/json")));

    let looped = get(server.addr(), "/redirect-loop").await;
    assert_eq!(looped.header("location"), Some("/redirect-loop-b"));

    let forever = get(server.addr(), "/redirect-forever/41").await;
    assert_eq!(
        (forever.status, forever.header("location")),
        (302, Some("/redirect-forever/42"))
    );
    assert_eq!(get(server.addr(), "/redirect-forever/x").await.status, 400);
}

#[tokio::test]
async fn throttle_sequence() {
    let server = TestServer::start().await.unwrap();
    let path = "/throttle/2?key=seq&retry_after=3";
    for _ in 0..2 {
        let refused = get(server.addr(), path).await;
        assert_eq!(refused.status, 429);
        assert_eq!(refused.header("retry-after"), Some("3"));
    }
    let allowed = get(server.addr(), path).await;
    assert_eq!((allowed.status, allowed.text()), (200, "ok"));
    assert_eq!(allowed.header("retry-after"), None);

    let dated = get(
        server.addr(),
        "/throttle/1?key=d&status=503&form=date&retry_after=60",
    )
    .await;
    assert_eq!(dated.status, 503);
    let when = httpdate::parse_http_date(dated.header("retry-after").unwrap()).unwrap();
    let ahead = when.duration_since(SystemTime::now()).unwrap();
    assert!(ahead <= Duration::from_secs(60) && ahead >= Duration::from_secs(55));

    let bare = get(server.addr(), "/throttle/1?key=n&retry_after=none").await;
    assert_eq!((bare.status, bare.header("retry-after")), (429, None));
}

#[tokio::test]
async fn stats_count_requests_hits_and_connections() {
    let server = TestServer::start().await.unwrap();
    // Two requests on one kept-alive connection, then one on another.
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    assert_eq!(exchange(&mut stream, "GET", "/", "").await.status, 200);
    assert_eq!(exchange(&mut stream, "GET", "/?q=1", "").await.status, 200);
    assert_eq!(get(server.addr(), "/json").await.status, 200);

    let stats = server.stats();
    assert_eq!(stats.requests(), 3);
    assert_eq!(
        stats.hits("/"),
        2,
        "the query string is not part of the path"
    );
    assert_eq!(stats.hits("/json"), 1);
    assert_eq!(stats.connections(), 2);
    assert_eq!(stats.in_flight(), 0);
    assert_eq!(stats.max_in_flight(), 1);

    let reported = exchange(&mut stream, "GET", "/__stats", "").await.json();
    assert_eq!(
        reported["requests"], 4,
        "the /__stats request counts itself"
    );
    assert_eq!(reported["connections"], 2);
    assert_eq!(reported["in_flight"], 1);
    assert_eq!(reported["max_in_flight"], 1);

    stats.reset();
    assert_eq!(
        (stats.requests(), stats.hits("/"), stats.connections()),
        (0, 0, 0)
    );
}

#[tokio::test]
async fn flaky_reset_closes_without_a_response() {
    let server = TestServer::start().await.unwrap();
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    let request = "GET /flaky?rate=1&mode=reset HTTP/1.1\r\nHost: localhost\r\n\r\n";
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    // Either a clean EOF or a reset error is fine; a response is not.
    let _ = timeout(EXCHANGE_TIMEOUT, stream.read_to_end(&mut received))
        .await
        .expect("connection closed within the timeout");
    assert!(
        received.is_empty(),
        "got {:?}",
        String::from_utf8_lossy(&received)
    );

    let never = get(server.addr(), "/flaky?rate=0&mode=reset").await;
    assert_eq!((never.status, never.text()), (200, "ok"));
    let always = get(server.addr(), "/flaky?rate=1&mode=5xx").await;
    assert_eq!((always.status, always.header("retry-after")), (503, None));
}

#[tokio::test]
async fn encoded_bodies() {
    let server = TestServer::start().await.unwrap();

    let bomb = get(server.addr(), "/gzip-bomb?mb=3").await;
    assert_eq!(bomb.header("content-encoding"), Some("gzip"));
    assert_eq!(bomb.header("content-type"), Some("text/html"));
    let mut inflated = Vec::new();
    flate2::read::GzDecoder::new(&bomb.body[..])
        .read_to_end(&mut inflated)
        .unwrap();
    assert_eq!(inflated.len(), 3 << 20);

    let gzip = get(server.addr(), "/gzip").await;
    assert_eq!(gzip.header("content-encoding"), Some("gzip"));
    let mut json = String::new();
    flate2::read::GzDecoder::new(&gzip.body[..])
        .read_to_string(&mut json)
        .unwrap();
    assert_eq!(json, r#"{"compressed":"gzip","ok":true}"#);
    assert_eq!(
        get(server.addr(), "/brotli")
            .await
            .header("content-encoding"),
        Some("br")
    );

    let page = get(server.addr(), "/charset/gbk/header").await;
    assert_eq!(page.header("content-type"), Some("text/html; charset=gbk"));
    let (text, _, had_errors) = encoding_rs::GBK.decode(&page.body);
    assert!(!had_errors && text.contains(charset_sample("gbk").unwrap()));

    let bytes = get(server.addr(), "/bytes/1000?seed=5").await;
    assert_eq!(bytes.body.len(), 1000);
    assert_eq!(
        bytes.body,
        get(server.addr(), "/bytes/1000?seed=5").await.body
    );

    let drip = get(server.addr(), "/drip?bytes=25&chunk=10&interval_ms=10").await;
    assert_eq!(drip.header("content-length"), Some("25"));
    assert_eq!(drip.body, vec![b'x'; 25]);

    // Chunked: no length up front; the body is read to the close, framing
    // and all (one chunk per drip, then the last, empty chunk).
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    let path = "/drip?bytes=12&chunk=5&interval_ms=10&chunked=1";
    let drip = exchange(&mut stream, "GET", path, "Connection: close\r\n").await;
    assert_eq!(drip.header("content-length"), None);
    assert_eq!(drip.header("transfer-encoding"), Some("chunked"));
    assert_eq!(
        drip.text(),
        "5\r\nxxxxx\r\n5\r\nxxxxx\r\n2\r\nxx\r\n0\r\n\r\n"
    );
}

#[tokio::test]
async fn echo_endpoints() {
    let server = TestServer::start().await.unwrap();
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    let body = r#"{"a":[1,2]}"#;
    // exchange() sends no body, so this request is written by hand.
    let request = format!(
        "PUT /anything/deep?k=v HTTP/1.1\r\nHost: localhost\r\nX-Test: yes\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let echo = timeout(EXCHANGE_TIMEOUT, read_response(&mut stream))
        .await
        .unwrap()
        .json();
    assert_eq!(echo["method"], "PUT");
    assert_eq!(echo["path"], "/anything/deep");
    assert_eq!(echo["query"]["k"], "v");
    assert_eq!(echo["headers"]["x-test"], "yes");
    assert_eq!(echo["body"], body);
    assert_eq!(echo["json"]["a"][1], 2);

    // Proxy-style absolute-form targets route by their path.
    let proxied = exchange(&mut stream, "GET", "http://example.invalid/anything/p", "").await;
    assert_eq!(proxied.json()["path"], "/anything/p");

    let agent = exchange(&mut stream, "GET", "/user-agent", "User-Agent: probe/1\r\n").await;
    assert_eq!(agent.json()["user-agent"], "probe/1");

    let set = exchange(&mut stream, "GET", "/cookies/set?a=1&b=2", "").await;
    assert_eq!(set.status, 302);
    assert_eq!(set.header_all("set-cookie"), ["a=1; Path=/", "b=2; Path=/"]);
    let jar = exchange(&mut stream, "GET", "/cookies", "Cookie: a=1; b=2\r\n").await;
    assert_eq!(jar.json(), serde_json::json!({"a": "1", "b": "2"}));
}

/// Thousands of connections whose handlers all sleep at once: the server
/// must hold every one of them in flight simultaneously.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_concurrent_delayed_requests() {
    const CONNECTIONS: usize = 2_000;
    // Client and server ends both live in this process.
    let limit = rlimit::increase_nofile_limit(u64::MAX).unwrap();
    assert!(
        limit >= 2 * CONNECTIONS as u64 + 100,
        "open-file limit {limit} is too low for this test"
    );
    let server = TestServer::start().await.unwrap();
    let addr = server.addr();

    timeout(Duration::from_secs(60), async {
        // Connect everything before sending any request, so all requests
        // arrive well within the half second the first one sleeps.
        let mut streams = Vec::with_capacity(CONNECTIONS);
        for _ in 0..CONNECTIONS {
            streams.push(TcpStream::connect(addr).await.unwrap());
        }
        let mut clients = JoinSet::new();
        for mut stream in streams {
            clients.spawn(async move { exchange(&mut stream, "GET", "/delay/0.5", "").await });
        }
        while let Some(response) = clients.join_next().await {
            let response = response.unwrap();
            assert_eq!((response.status, response.text()), (200, "slept 0.5"));
        }
    })
    .await
    .expect("2,000 delayed requests finished within 60 s");

    let stats = server.stats();
    assert_eq!(stats.max_in_flight(), CONNECTIONS as u64);
    assert_eq!(stats.connections(), CONNECTIONS as u64);
    assert_eq!(stats.hits("/delay/0.5"), CONNECTIONS as u64);
    assert_eq!(stats.in_flight(), 0);
}

#[tokio::test]
async fn books_api_and_html() {
    let server = TestServer::start().await.unwrap();
    let list = get(server.addr(), "/api/book/?limit=18&offset=9990").await;
    assert_eq!(list.status, 200);
    let v = list.json();
    assert_eq!(v["count"], 10_000);
    assert_eq!(
        v["results"].as_array().unwrap().len(),
        10,
        "the last page is short"
    );
    assert!(v["next"].is_null());
    assert_eq!(v["results"][0]["id"], 9991);
    let detail = get(server.addr(), "/api/book/9991").await.json();
    assert_eq!(detail["name"], v["results"][0]["name"]);
    assert!(detail["price"].is_number() && detail["isbn"].is_string());
    assert_eq!(get(server.addr(), "/api/book/10001").await.status, 404);
    assert_eq!(get(server.addr(), "/api/book/abc").await.status, 400);
    assert_eq!(get(server.addr(), "/api/book/?limit=0").await.status, 400);
    let page = get(server.addr(), "/books/?page=2").await;
    assert!(page.text().contains("href=\"/books/21\""));
    let book = get(server.addr(), "/books/21").await;
    assert!(book.text().contains("<h1>") && book.text().contains("star-rating"));
}
