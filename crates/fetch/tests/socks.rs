//! SOCKS5 proxies. A minimal SOCKS5 server on loopback (no authentication,
//! CONNECT only, as RFC 1928 describes) records the address each client asks
//! for and relays the connection to a testkit server, whatever was asked.
#![allow(clippy::unwrap_used, reason = "tests assert by unwrapping")]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use ferrocrawl_core::Request;
use ferrocrawl_fetch::Client;
use ferrocrawl_testkit::TestServer;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A SOCKS5 proxy relaying every CONNECT to `backend`; the targets asked for
/// land in the returned list, as `host:port`.
async fn socks5(backend: SocketAddr) -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let asked = Arc::new(Mutex::new(Vec::new()));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let log = Arc::clone(&asked);
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                let Ok(target) = handshake(&mut client).await else {
                    return;
                };
                log.lock().unwrap().push(target);
                let Ok(mut server) = TcpStream::connect(backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            });
        }
    });
    (addr, asked)
}

/// The greeting and the CONNECT request; returns the target asked for.
async fn handshake(s: &mut TcpStream) -> std::io::Result<String> {
    let mut head = [0u8; 2];
    s.read_exact(&mut head).await?;
    let mut methods = vec![0u8; usize::from(head[1])];
    s.read_exact(&mut methods).await?;
    s.write_all(&[5, 0]).await?; // version 5, no authentication
    let mut req = [0u8; 4];
    s.read_exact(&mut req).await?;
    let host = match req[3] {
        1 => {
            let mut ip = [0u8; 4];
            s.read_exact(&mut ip).await?;
            std::net::Ipv4Addr::from(ip).to_string()
        }
        3 => {
            let mut len = [0u8; 1];
            s.read_exact(&mut len).await?;
            let mut name = vec![0u8; usize::from(len[0])];
            s.read_exact(&mut name).await?;
            String::from_utf8_lossy(&name).into_owned()
        }
        _ => {
            let mut ip = [0u8; 16];
            s.read_exact(&mut ip).await?;
            std::net::Ipv6Addr::from(ip).to_string()
        }
    };
    let mut port = [0u8; 2];
    s.read_exact(&mut port).await?;
    // Succeeded, bound to 0.0.0.0:0.
    s.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
    Ok(format!("{host}:{}", u16::from_be_bytes(port)))
}

#[tokio::test]
async fn socks5h_carries_the_request_and_resolves_names_remotely() {
    let srv = TestServer::start().await.unwrap();
    let (proxy, asked) = socks5(srv.addr()).await;
    let client = Client::builder()
        .proxy(format!("socks5h://{proxy}"))
        .build()
        .unwrap();
    // example.invalid never resolves here: only a proxy that resolves it
    // (socks5h) can carry the request.
    let resp = client
        .execute(&Request::get(
            "http://example.invalid/anything/socks".parse().unwrap(),
        ))
        .await
        .unwrap();
    assert_eq!(resp.status.as_u16(), 200);
    let v: Value = resp.json().unwrap();
    assert_eq!(v["path"], "/anything/socks");
    assert_eq!(*asked.lock().unwrap(), ["example.invalid:80"]);
}

#[tokio::test]
async fn socks5_resolves_names_locally() {
    let srv = TestServer::start().await.unwrap();
    let (proxy, asked) = socks5(srv.addr()).await;
    let client = Client::builder()
        .proxy(format!("socks5://{proxy}"))
        .build()
        .unwrap();
    let url = format!("http://localhost:{}/anything/local", srv.addr().port());
    let resp = client
        .execute(&Request::get(url.parse().unwrap()))
        .await
        .unwrap();
    assert_eq!(resp.status.as_u16(), 200);
    // The proxy was asked for an address, not the name.
    let asked = asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert!(
        asked[0] == format!("127.0.0.1:{}", srv.addr().port())
            || asked[0] == format!("::1:{}", srv.addr().port()),
        "{asked:?}"
    );
}
