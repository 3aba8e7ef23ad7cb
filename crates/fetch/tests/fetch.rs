//! Integration tests of the downloader against testkit's loopback server.
#![allow(clippy::unwrap_used, reason = "tests assert by unwrapping")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ferrocrawl_core::{ErrorKind, Method, Request, TimeoutPhase, Version};
use ferrocrawl_fetch::{AddrPolicy, Client, Fetched, Fetcher, RetryPolicy};
use ferrocrawl_testkit::{TestServer, charset_sample};
use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::time::Instant;

fn get(url: String) -> Request {
    Request::get(url.parse().unwrap())
}

fn client() -> Client {
    Client::builder().build().unwrap()
}

async fn fetch_one(fetcher: &Fetcher, req: Request) -> Fetched {
    fetcher.fetch_one(req, &Semaphore::new(100)).await
}

// ===== retries and Retry-After, on paused time =====

#[tokio::test(start_paused = true)]
async fn retry_after_seconds_is_honoured_and_throttling_uses_no_budget() {
    let srv = TestServer::start().await.unwrap();
    let fetcher = Fetcher::builder(client())
        .retry(RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        })
        .build();
    let start = Instant::now();
    let f = fetch_one(
        &fetcher,
        get(srv.url("/throttle/3?key=secs&retry_after=120")),
    )
    .await;
    let resp = f.result.unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.attempts, 4);
    assert_eq!(
        f.request.retries, 0,
        "throttling must not use the retry budget"
    );
    let waited = start.elapsed();
    assert!(waited >= Duration::from_secs(360), "waited only {waited:?}");
    assert!(waited < Duration::from_secs(400), "waited {waited:?}");
    assert_eq!(srv.stats().hits("/throttle/3"), 4);
}

#[tokio::test(start_paused = true)]
async fn retry_after_http_date_is_honoured() {
    let srv = TestServer::start().await.unwrap();
    let fetcher = Fetcher::builder(client()).build();
    let start = Instant::now();
    let f = fetch_one(
        &fetcher,
        get(srv.url("/throttle/1?key=date&retry_after=30&form=date")),
    )
    .await;
    assert_eq!(f.result.unwrap().status, 200);
    // HTTP-dates have one-second resolution, so the wait is 29 to 30 s.
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_secs(28) && waited <= Duration::from_secs(31),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn service_unavailable_with_retry_after_is_throttling() {
    let srv = TestServer::start().await.unwrap();
    let fetcher = Fetcher::builder(client())
        .retry(RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        })
        .build();
    let f = fetch_one(
        &fetcher,
        get(srv.url("/throttle/2?key=s503&status=503&retry_after=10")),
    )
    .await;
    assert_eq!(f.result.unwrap().status, 200);
    assert_eq!(f.request.attempts, 3);
}

#[tokio::test(start_paused = true)]
async fn server_errors_use_the_budget_with_backoff_then_give_up() {
    let srv = TestServer::start().await.unwrap();
    let policy = RetryPolicy {
        max_retries: 2,
        base_delay: Duration::from_secs(10),
        ..RetryPolicy::default()
    };
    let fetcher = Fetcher::builder(client()).retry(policy).build();
    let start = Instant::now();
    let f = fetch_one(&fetcher, get(srv.url("/status/502"))).await;
    assert_eq!(f.result.unwrap().status, 502, "the last answer is returned");
    assert_eq!(f.request.attempts, 3);
    assert_eq!(f.request.retries, 2);
    // Backoffs: 5-10 s, then 10-20 s.
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_secs(15) && waited <= Duration::from_secs(30),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn not_found_is_not_retried() {
    let srv = TestServer::start().await.unwrap();
    let fetcher = Fetcher::builder(client()).build();
    let f = fetch_one(&fetcher, get(srv.url("/status/404"))).await;
    assert_eq!(f.result.unwrap().status, 404);
    assert_eq!(f.request.attempts, 1);
}

#[tokio::test(start_paused = true)]
async fn flaky_server_errors_and_resets_recover_within_the_budget() {
    let srv = TestServer::start().await.unwrap();
    let fetcher = Fetcher::builder(client())
        .retry(RetryPolicy {
            max_retries: 8,
            ..RetryPolicy::default()
        })
        .build();
    for mode in ["5xx", "reset"] {
        let reqs = (0..20).map(|i| {
            (
                i,
                get(srv.url(&format!("/flaky?rate=0.3&seed=11&mode={mode}&key={mode}"))),
            )
        });
        let mut rx = fetcher.run(reqs.collect::<Vec<_>>());
        let mut ok = 0;
        let mut retried = 0;
        while let Some((_, f)) = rx.recv().await {
            let resp = f
                .result
                .unwrap_or_else(|e| panic!("{mode}: {}", e.display_chain()));
            assert_eq!(resp.status, 200, "{mode}");
            ok += 1;
            retried += f.request.retries;
        }
        assert_eq!(ok, 20, "{mode}");
        assert!(
            retried > 0,
            "{mode}: a 30% fault rate must have caused retries"
        );
    }
}

// ===== limits, observed by the server =====

#[tokio::test(start_paused = true)]
async fn per_host_limit_is_never_exceeded() {
    let a = TestServer::start().await.unwrap();
    let b = TestServer::start().await.unwrap();
    let fetcher = Fetcher::builder(client())
        .concurrency(100)
        .per_host(3)
        .build();
    let mut reqs = Vec::new();
    for i in 0..30 {
        reqs.push((i, get(a.url("/delay/1"))));
        reqs.push((i, get(b.url("/delay/1"))));
    }
    let start = Instant::now();
    let mut rx = fetcher.run(reqs);
    let mut n = 0;
    while let Some((_, f)) = rx.recv().await {
        assert_eq!(f.result.unwrap().status, 200);
        n += 1;
    }
    assert_eq!(n, 60);
    for srv in [&a, &b] {
        assert_eq!(
            srv.stats().max_in_flight(),
            3,
            "per-host limit 3, seen by the server"
        );
    }
    // Both hosts ran side by side: 10 waves of 1 s, not 20.
    let took = start.elapsed();
    assert!(took < Duration::from_secs(15), "{took:?}");
}

#[tokio::test(start_paused = true)]
async fn input_sorted_by_host_does_not_block_the_second_host() {
    // 300 requests for A, then 300 for B: more of A than the old window of
    // 256 tasks, which filled with A's requests waiting for A's 2 slots.
    let a = TestServer::start().await.unwrap();
    let b = TestServer::start().await.unwrap();
    let fetcher = Fetcher::builder(client())
        .concurrency(8)
        .per_host(2)
        .build();
    let (url_a, url_b) = (a.url("/delay/1"), b.url("/delay/1"));
    let reqs = (0..300)
        .map(move |i| (i, get(url_a.clone())))
        .chain((300..600).map(move |i| (i, get(url_b.clone()))));
    let start = Instant::now();
    let mut rx = fetcher.run(reqs);
    let mut n = 0;
    while let Some((_, f)) = rx.recv().await {
        assert_eq!(f.result.unwrap().status, 200);
        n += 1;
    }
    assert_eq!(n, 600);
    let first_b = b.stats().arrivals()[0].0 - start;
    assert!(
        first_b < Duration::from_secs(1),
        "B's first request waited {first_b:?}, behind A's queue"
    );
    for srv in [&a, &b] {
        assert_eq!(srv.stats().max_in_flight(), 2, "per-host limit 2");
    }
    // Side by side: 150 waves of 1 s for each host at once.
    let took = start.elapsed();
    assert!(took < Duration::from_secs(155), "{took:?}");
}

#[tokio::test(start_paused = true)]
async fn a_request_waiting_to_retry_leaves_its_host_slot_free() {
    let srv = TestServer::start().await.unwrap();
    let fetcher = Fetcher::builder(client()).per_host(1).build();
    let start = Instant::now();
    let mut rx = fetcher.run(vec![
        (
            "throttled",
            get(srv.url("/throttle/1?key=slot&retry_after=30")),
        ),
        ("next", get(srv.url("/delay/1"))),
    ]);
    let (tag, f) = rx.recv().await.unwrap();
    assert_eq!(tag, "next", "it ran while the throttled one waited");
    assert_eq!(f.result.unwrap().status, 200);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    let (tag, f) = rx.recv().await.unwrap();
    assert_eq!(tag, "throttled");
    assert_eq!(f.result.unwrap().status, 200);
    assert_eq!(f.request.attempts, 2);
    assert!(
        f.elapsed >= Duration::from_secs(30) && f.elapsed < Duration::from_secs(31),
        "{:?}",
        f.elapsed
    );
    assert_eq!(srv.stats().hits("/throttle/1"), 2, "one wait, no polling");
    assert!(rx.recv().await.is_none());
}

#[tokio::test(start_paused = true)]
async fn dropping_the_receiver_stops_the_batch() {
    let srv = TestServer::start().await.unwrap();
    let fetcher = Fetcher::builder(client())
        .concurrency(4)
        .per_host(4)
        .build();
    let read = Arc::new(AtomicUsize::new(0));
    let (counter, url) = (Arc::clone(&read), srv.url("/delay/1"));
    let endless = (0..).map(move |i| {
        counter.fetch_add(1, Ordering::SeqCst);
        (i, get(url.clone()))
    });
    let mut rx = fetcher.run(endless);
    for _ in 0..8 {
        rx.recv().await.unwrap().1.result.unwrap();
    }
    drop(rx);
    tokio::time::sleep(Duration::from_secs(5)).await;
    let sent = srv.stats().requests();
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(srv.stats().requests(), sent, "nothing sent after the drop");
    // Read as slots free up: 8 received, a few buffered, 4 in flight.
    let read = read.load(Ordering::SeqCst);
    assert!(read <= 20, "{read} requests read from the input");
}

#[tokio::test(start_paused = true)]
async fn global_limit_is_never_exceeded() {
    let srv = TestServer::start().await.unwrap();
    let fetcher = Fetcher::builder(client())
        .concurrency(5)
        .per_host(100)
        .build();
    let mut rx = fetcher.run(
        (0..40)
            .map(|i| (i, get(srv.url("/delay/1"))))
            .collect::<Vec<_>>(),
    );
    while let Some((_, f)) = rx.recv().await {
        f.result.unwrap();
    }
    assert_eq!(srv.stats().max_in_flight(), 5);
}

// ===== body cap and decompression =====

#[tokio::test]
async fn body_cap_stops_a_gzip_bomb() {
    let srv = TestServer::start().await.unwrap();
    let client = Client::builder().max_body(1 << 20).build().unwrap();
    let err = client
        .execute(&get(srv.url("/gzip-bomb?mb=256")))
        .await
        .unwrap_err();
    assert!(err.is_body_too_large(), "{err:?}");
    assert_eq!(*err.kind(), ErrorKind::BodyTooLarge { limit: 1 << 20 });
}

#[tokio::test]
async fn body_cap_applies_to_plain_bodies() {
    let srv = TestServer::start().await.unwrap();
    let client = Client::builder().max_body(1000).build().unwrap();
    let ok = client.execute(&get(srv.url("/bytes/1000"))).await.unwrap();
    assert_eq!(ok.body.len(), 1000);
    let err = client
        .execute(&get(srv.url("/bytes/1001")))
        .await
        .unwrap_err();
    assert!(err.is_body_too_large());
    assert_eq!(*err.kind(), ErrorKind::BodyTooLarge { limit: 1000 });
}

#[tokio::test(start_paused = true)]
async fn body_cap_is_enforced_while_streaming() {
    let srv = TestServer::start().await.unwrap();
    let client = Client::builder().max_body(1000).build().unwrap();
    // 5000 bytes, 400 at a time, one every 100 ms of the paused clock.
    let drip = "/drip?bytes=5000&chunk=400&interval_ms=100";
    // A declared Content-Length over the cap is refused before the body.
    let start = Instant::now();
    let err = client.execute(&get(srv.url(drip))).await.unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::BodyTooLarge { limit: 1000 });
    assert_eq!(start.elapsed(), Duration::ZERO, "refused on the header");
    // Chunked, with no length up front, the cap is found by reading: the
    // third chunk (1200 bytes in all) crosses it, two intervals in.
    let start = Instant::now();
    let err = client
        .execute(&get(srv.url(&format!("{drip}&chunked=1"))))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::BodyTooLarge { limit: 1000 });
    assert_eq!(
        start.elapsed(),
        Duration::from_millis(200),
        "refused while streaming"
    );
}

#[tokio::test]
async fn compressed_bodies_are_decoded() {
    let srv = TestServer::start().await.unwrap();
    let client = client();
    for enc in ["gzip", "deflate", "brotli", "zstd"] {
        let resp = client
            .execute(&get(srv.url(&format!("/{enc}"))))
            .await
            .unwrap();
        assert_eq!(resp.status, 200, "{enc}");
        let v: Value = resp.json().unwrap_or_else(|e| panic!("{enc}: {e}"));
        assert_eq!(v["compressed"], enc);
    }
}

// ===== redirects, cookies, proxies =====

#[tokio::test]
async fn redirects_are_followed_and_recorded() {
    let srv = TestServer::start().await.unwrap();
    let resp = client()
        .execute(&get(srv.url("/redirect/3")))
        .await
        .unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.url.path(), "/redirect/0");
    let chain: Vec<(&str, u16)> = resp
        .redirects
        .iter()
        .map(|r| (r.url.path(), r.status))
        .collect();
    assert_eq!(
        chain,
        vec![
            ("/redirect/3", 302),
            ("/redirect/2", 302),
            ("/redirect/1", 302)
        ]
    );
    assert_eq!(resp.request.url.path(), "/redirect/3");
}

#[tokio::test]
async fn redirects_are_capped_and_loops_detected() {
    let srv = TestServer::start().await.unwrap();
    let client = Client::builder().max_redirects(2).build().unwrap();
    let err = client
        .execute(&get(srv.url("/redirect/5")))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::TooManyRedirects { limit: 2 });
    let err = client
        .execute(&get(srv.url("/redirect-loop")))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::RedirectLoop);
    assert!(err.to_string().contains("/redirect-loop-b"), "{err}");
}

#[tokio::test]
async fn redirects_can_be_left_unfollowed() {
    let srv = TestServer::start().await.unwrap();
    let client = Client::builder().max_redirects(0).build().unwrap();
    let resp = client.execute(&get(srv.url("/redirect/1"))).await.unwrap();
    assert_eq!(resp.status, 302);
    assert_eq!(resp.header("location"), Some("/redirect/0"));
}

#[tokio::test]
async fn see_other_turns_post_into_get() {
    let srv = TestServer::start().await.unwrap();
    let target = srv.url("/anything/after");
    let req = Request::post(
        format!("{}?status=303&url={}", srv.url("/redirect-to"), target)
            .parse()
            .unwrap(),
    )
    .form(&[("a", "1")]);
    let resp = client().execute(&req).await.unwrap();
    let v: Value = resp.json().unwrap();
    assert_eq!(v["method"], "GET");
    assert_eq!(v["path"], "/anything/after");
    assert_eq!(resp.redirects[0].status, 303);
}

#[tokio::test]
async fn cookies_persist_across_redirects_and_requests() {
    let srv = TestServer::start().await.unwrap();
    let client = client();
    let resp = client
        .execute(&get(srv.url("/cookies/set?session=abc&lang=fr")))
        .await
        .unwrap();
    let v: Value = resp.json().unwrap();
    assert_eq!(
        v["session"], "abc",
        "the cookie set before the redirect is sent after it"
    );
    let v: Value = client
        .execute(&get(srv.url("/cookies")))
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(v["lang"], "fr");

    let no_jar = Client::builder().cookies(false).build().unwrap();
    let v: Value = no_jar
        .execute(&get(srv.url("/cookies/set?session=abc")))
        .await
        .unwrap()
        .json()
        .unwrap();
    assert!(v.get("session").is_none(), "{v}");
}

#[tokio::test]
async fn http_proxy_receives_the_request() {
    let proxy = TestServer::start().await.unwrap();
    let client = Client::builder().proxy(proxy.url("/")).build().unwrap();
    // example.invalid never resolves: only the proxy can answer.
    let v: Value = client
        .execute(&get("http://example.invalid/anything/via-proxy".to_owned()))
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(v["path"], "/anything/via-proxy");
    assert_eq!(v["headers"]["host"], "example.invalid");
    assert_eq!(proxy.stats().requests(), 1);
}

#[tokio::test]
async fn the_private_address_guard_lets_the_chosen_proxy_through() {
    let proxy = TestServer::start().await.unwrap();
    let port = proxy.addr().port();
    // No address is allowed, yet the proxy the user named (on localhost) is.
    let client = Client::builder()
        .proxy(format!("http://localhost:{port}/"))
        .address_policy(AddrPolicy::deny_private([]))
        .build()
        .unwrap();
    let resp = client
        .execute(&get("http://example.invalid/anything/guarded".to_owned()))
        .await
        .unwrap();
    assert_eq!(resp.status.as_u16(), 200);
    assert_eq!(proxy.stats().requests(), 1);
    // An IP literal is still judged before the request leaves.
    let err = client
        .execute(&get(format!("http://127.0.0.1:{port}/")))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Forbidden, "{err}");
    assert_eq!(proxy.stats().requests(), 1);
}

#[tokio::test]
async fn invalid_proxy_is_a_config_error() {
    let err = Client::builder().proxy("not a url").build().unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("invalid proxy"), "{err}");
}

// ===== timeouts =====

#[tokio::test(start_paused = true)]
async fn read_timeout_per_request_overrides_the_client() {
    let srv = TestServer::start().await.unwrap();
    let client = client();
    let mut req = get(srv.url("/delay/5"));
    req.timeouts.read = Some(Duration::from_secs(1));
    let err = client.execute(&req).await.unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::Timeout(TimeoutPhase::Read),
        "{err:?}"
    );
    // Without the override the client's 30 s read timeout lets it finish.
    assert_eq!(
        client
            .execute(&get(srv.url("/delay/5")))
            .await
            .unwrap()
            .status,
        200
    );
}

#[tokio::test(start_paused = true)]
async fn stalled_server_hits_the_read_timeout() {
    let srv = TestServer::start().await.unwrap();
    let client = Client::builder()
        .read_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let err = client
        .execute(&get(srv.url("/flaky?rate=1&mode=stall&key=st")))
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
}

#[tokio::test(start_paused = true)]
async fn total_timeout_bounds_a_slow_drip() {
    let srv = TestServer::start().await.unwrap();
    let client = Client::builder()
        .read_timeout(Duration::from_secs(1))
        .total_timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    // Each chunk comes within the read timeout, but the whole body takes 5 s.
    let err = client
        .execute(&get(srv.url("/drip?bytes=100&chunk=10&interval_ms=500")))
        .await
        .unwrap_err();
    assert_eq!(
        *err.kind(),
        ErrorKind::Timeout(TimeoutPhase::Total),
        "{err:?}"
    );
}

#[tokio::test]
async fn connect_timeout_fires_on_a_full_accept_queue() {
    // A listener that never accepts, with its accept queue filled: Linux then
    // drops further SYNs, so connecting hangs until the connect timeout.
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = sock.listen(0).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..8 {
        if let Ok(Ok(s)) = tokio::time::timeout(
            Duration::from_millis(200),
            tokio::net::TcpStream::connect(addr),
        )
        .await
        {
            fillers.push(s);
        }
    }
    let client = Client::builder()
        .connect_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let err = client
        .execute(&get(format!("http://{addr}/")))
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    assert!(err.is_timeout(), "{err:?}");
    drop(listener);
}

#[tokio::test]
async fn refused_connection_is_a_connect_error() {
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let err = client()
        .execute(&get(format!("http://{addr}/")))
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    assert!(err.is_transient());
}

// ===== request and response shapes =====

#[tokio::test]
async fn any_method_with_query_headers_and_bodies() {
    let srv = TestServer::start().await.unwrap();
    let client = client();
    let req = Request::post(srv.url("/anything/x").parse().unwrap())
        .query("q", "a b")
        .header("X-Trace", "t1")
        .json(&serde_json::json!({"name": "Ada", "n": [1, 2]}));
    let v: Value = client.execute(&req).await.unwrap().json().unwrap();
    assert_eq!(v["method"], "POST");
    assert_eq!(v["query"]["q"], "a b");
    assert_eq!(v["headers"]["x-trace"], "t1");
    assert_eq!(v["json"]["n"][1], 2);

    let req =
        Request::new(Method::PUT, srv.url("/anything").parse().unwrap()).form(&[("k", "v w")]);
    let v: Value = client.execute(&req).await.unwrap().json().unwrap();
    assert_eq!(v["method"], "PUT");
    assert_eq!(v["form"]["k"], "v w");

    for m in ["DELETE", "PATCH", "OPTIONS", "PURGE"] {
        let req = Request::new(
            Method::from_bytes(m.as_bytes()).unwrap(),
            srv.url("/anything").parse().unwrap(),
        );
        let v: Value = client.execute(&req).await.unwrap().json().unwrap();
        assert_eq!(v["method"], m);
    }
    let head = client
        .execute(&Request::new(
            Method::HEAD,
            srv.url("/json").parse().unwrap(),
        ))
        .await
        .unwrap();
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
}

#[tokio::test]
async fn user_agent_default_and_override() {
    let srv = TestServer::start().await.unwrap();
    let v: Value = client()
        .execute(&get(srv.url("/user-agent")))
        .await
        .unwrap()
        .json()
        .unwrap();
    assert!(v["user-agent"].as_str().unwrap().starts_with("ferrocrawl/"));
    let c = Client::builder().user_agent("probe/1").build().unwrap();
    let v: Value = c
        .execute(&get(srv.url("/user-agent")))
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(v["user-agent"], "probe/1");
    let v: Value = c
        .execute(&get(srv.url("/user-agent")).header("User-Agent", "mine"))
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(v["user-agent"], "mine", "the request's header wins");
}

#[tokio::test]
async fn response_carries_status_headers_timings_and_json() {
    let srv = TestServer::start().await.unwrap();
    let resp = client().execute(&get(srv.url("/json"))).await.unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.version, Version::HTTP_11);
    assert!(resp.content_type().unwrap().starts_with("application/json"));
    assert_eq!(resp.url.as_str(), srv.url("/json"));
    assert!(resp.timings.ttfb <= resp.timings.total);
    assert_eq!(resp.attempts, 1);
    let v: Value = resp.json().unwrap();
    assert!(v.is_object());
    let err = client()
        .execute(&get(srv.url("/")))
        .await
        .unwrap()
        .json::<Value>()
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::Decode);
}

#[tokio::test]
async fn invalid_header_and_scheme_are_clear_errors() {
    let srv = TestServer::start().await.unwrap();
    let err = client()
        .execute(&get(srv.url("/")).header("bad header", "x"))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidRequest);
    assert!(err.to_string().contains("bad header"), "{err}");
    let err = client()
        .execute(&get("ftp://127.0.0.1/x".to_owned()))
        .await
        .unwrap_err();
    assert_eq!(*err.kind(), ErrorKind::InvalidUrl);
}

// ===== charsets =====

#[tokio::test]
async fn every_charset_page_decodes() {
    let srv = TestServer::start().await.unwrap();
    let client = client();
    let mut failures = Vec::new();
    for enc in [
        "gbk",
        "gb18030",
        "shift_jis",
        "big5",
        "euc-kr",
        "latin1",
        "utf-8",
    ] {
        let sample = charset_sample(enc).unwrap();
        for place in ["header", "meta", "http-equiv", "none"] {
            let resp = client
                .execute(&get(srv.url(&format!("/charset/{enc}/{place}"))))
                .await
                .unwrap();
            let d = resp.decoded();
            if !resp.text().contains(sample) {
                failures.push(format!(
                    "{enc}/{place}: decoded as {} ({:?})",
                    d.encoding.name(),
                    d.source
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[tokio::test]
async fn http2_with_prior_knowledge() {
    let srv = TestServer::start().await.unwrap();
    let h2 = Client::builder()
        .http2_prior_knowledge(true)
        .build()
        .unwrap();
    let resp = h2.execute(&get(srv.url("/json"))).await.unwrap();
    assert_eq!(resp.version, Version::HTTP_2);
    assert_eq!(resp.status, 200);
    let v: Value = resp.json().unwrap();
    assert!(v.is_object());
    // Many streams share one connection.
    let fetcher = Fetcher::builder(h2).concurrency(50).per_host(50).build();
    let mut rx = fetcher.run(
        (0..50)
            .map(|i| (i, get(srv.url("/delay/0.2"))))
            .collect::<Vec<_>>(),
    );
    while let Some((_, f)) = rx.recv().await {
        assert_eq!(f.result.unwrap().version, Version::HTTP_2);
    }
    assert_eq!(srv.stats().connections(), 1, "HTTP/2 multiplexes");
}

/// Issue 16: a body cut off before its `Content-Length` was reported as a
/// `decode` error. It has its own kind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_body_is_its_own_kind() {
    let srv = TestServer::start().await.unwrap();
    let client = ferrocrawl_fetch::Client::builder().build().unwrap();
    for extra in ["", "&chunk=64"] {
        let url = srv.url(&format!(
            "/drip?bytes=100&declared=1000&interval_ms=0{extra}"
        ));
        let err = client
            .execute(&ferrocrawl_core::Request::get(url.parse().unwrap()))
            .await
            .unwrap_err();
        assert_eq!(
            err.kind().name(),
            "truncated_body",
            "{extra}: {}",
            err.display_chain()
        );
    }
}
