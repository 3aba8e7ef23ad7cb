//! HTTPS through rustls. A TLS front on loopback terminates TLS with a
//! self-signed certificate for `localhost` and 127.0.0.1 (`tests/data`, made
//! with `openssl req -x509 -newkey ec ... -days 36500`), and relays the plain
//! bytes to a testkit server, which speaks HTTP/1.1 and HTTP/2 alike: so the
//! protocol is whatever ALPN agreed on.
#![allow(clippy::unwrap_used, reason = "tests assert by unwrapping")]

use std::net::SocketAddr;
use std::sync::Arc;

use ferrocrawl_core::{Request, Version};
use ferrocrawl_fetch::Client;
use ferrocrawl_testkit::TestServer;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// A TLS front for `backend` offering the `alpn` protocols; its address.
async fn tls_front(backend: SocketAddr, alpn: &[&[u8]]) -> SocketAddr {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let certs = CertificateDer::pem_slice_iter(include_bytes!("data/localhost.cert.pem"))
        .collect::<Result<Vec<_>, _>>()
        .expect("test certificate");
    let key =
        PrivateKeyDer::from_pem_slice(include_bytes!("data/localhost.key.pem")).expect("test key");
    let mut config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("server config");
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut plain) = TcpStream::connect(backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    addr
}

fn get(front: SocketAddr, path: &str) -> Request {
    let url = format!("https://localhost:{}{path}", front.port());
    Request::get(url.parse().unwrap())
}

#[tokio::test]
async fn a_certificate_nobody_signed_is_refused_unless_told_otherwise() {
    let srv = TestServer::start().await.unwrap();
    let front = tls_front(srv.addr(), &[b"http/1.1"]).await;

    let err = Client::builder()
        .build()
        .unwrap()
        .execute(&get(front, "/anything/tls"))
        .await
        .unwrap_err();
    let chain = err.display_chain();
    assert!(chain.contains("certificate"), "{chain}");
    assert_eq!(srv.stats().requests(), 0, "no request left without TLS");

    let insecure = Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let resp = insecure
        .execute(&get(front, "/anything/tls"))
        .await
        .unwrap();
    assert_eq!(resp.status.as_u16(), 200);
    assert_eq!(resp.version, Version::HTTP_11);
    let v: Value = resp.json().unwrap();
    assert_eq!(v["path"], "/anything/tls");
    assert_eq!(srv.stats().requests(), 1);
}

#[tokio::test]
async fn alpn_chooses_http2_over_tls() {
    let srv = TestServer::start().await.unwrap();
    let client = Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let both = tls_front(srv.addr(), &[b"h2", b"http/1.1"]).await;
    let resp = client.execute(&get(both, "/anything/h2")).await.unwrap();
    assert_eq!(resp.status.as_u16(), 200);
    assert_eq!(resp.version, Version::HTTP_2);
    assert!(resp.text().contains("/anything/h2"));

    let h1_only = tls_front(srv.addr(), &[b"http/1.1"]).await;
    let resp = client.execute(&get(h1_only, "/anything/h1")).await.unwrap();
    assert_eq!(resp.version, Version::HTTP_11);
}
