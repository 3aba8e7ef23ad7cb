//! The listening socket, the accept loop and one task per connection.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

use crate::response::{Reply, ResetConnection};
use crate::routes::{self, State};
use crate::stats::Stats;

/// Pending-connection queue length. The kernel caps it at
/// `net.core.somaxconn`, but asking for a lot lets a burst of 10,000
/// connects queue instead of being refused while the accept loop catches up.
const BACKLOG: u32 = 16_384;

/// Pause after an accept error such as EMFILE, so a full file table turns
/// into a short stall instead of a busy loop.
const ACCEPT_RETRY: Duration = Duration::from_millis(50);

/// A loopback HTTP/1.1 server running in the background of the current
/// tokio runtime.
///
/// Dropping it stops accepting connections and aborts every connection
/// task, including handlers that are still sleeping or stalled.
#[derive(Debug)]
pub struct TestServer {
    addr: SocketAddr,
    state: Arc<State>,
    accept_task: JoinHandle<()>,
}

impl TestServer {
    /// Binds `127.0.0.1` on an ephemeral port and starts serving in a
    /// spawned task. Must be called inside a tokio runtime.
    pub async fn start() -> io::Result<TestServer> {
        Self::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await
    }

    /// Binds `addr` (port 0 for an ephemeral one) and starts serving in a
    /// spawned task. Must be called inside a tokio runtime.
    ///
    /// Only loopback addresses are accepted: this server exists for tests
    /// and benchmarks on one machine and must never face a network.
    pub async fn bind(addr: SocketAddr) -> io::Result<TestServer> {
        if !addr.ip().is_loopback() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("refusing to listen on {addr}: only loopback addresses are allowed"),
            ));
        }
        let socket = match addr {
            SocketAddr::V4(_) => TcpSocket::new_v4()?,
            SocketAddr::V6(_) => TcpSocket::new_v6()?,
        };
        // Lets a benchmark restart on a fixed port while old connections
        // sit in TIME_WAIT.
        socket.set_reuseaddr(true)?;
        socket.bind(addr)?;
        let listener = socket.listen(BACKLOG)?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State::new(addr));
        let accept_task = tokio::spawn(accept_loop(listener, Arc::clone(&state)));
        Ok(TestServer {
            addr,
            state,
            accept_task,
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` followed by `path`, which should start with
    /// `/` (one is inserted if it does not).
    pub fn url(&self, path: &str) -> String {
        let slash = if path.starts_with('/') { "" } else { "/" };
        format!("http://{}{slash}{path}", self.addr)
    }

    /// The server's live counters.
    pub fn stats(&self) -> &Stats {
        &self.state.stats
    }

    /// Serve `body` as `content_type` at exactly `path` (a sitemap, say),
    /// ahead of every built-in route.
    pub fn set_file(&self, path: &str, content_type: &str, body: impl Into<Vec<u8>>) {
        self.state
            .files
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(path.to_owned(), (content_type.to_owned(), body.into()));
    }

    /// Serve `body` with `status` at `/robots.txt` (404 until set).
    pub fn set_robots(&self, status: u16, body: &str) {
        *self
            .state
            .robots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((status, body.to_owned()));
    }

    /// A shared handle to the counters that outlives the server, e.g. for a
    /// task that reports them.
    pub fn stats_handle(&self) -> Arc<Stats> {
        Arc::clone(&self.state.stats)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // Dropping the accept loop's future drops its listener and its
        // JoinSet, and a dropped JoinSet aborts every connection task.
        self.accept_task.abort();
    }
}

/// Accepts forever, spawning a task per connection; never awaits a handler.
async fn accept_loop(listener: TcpListener, state: Arc<State>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    state.stats.connection_accepted();
                    connections.spawn(serve_connection(stream, Arc::clone(&state)));
                }
                // The peer gave up before we accepted: nothing to wait for.
                Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => {}
                Err(e) => {
                    eprintln!(
                        "ferrocrawl-testkit: accept on {} failed: {e}; retrying in {}ms",
                        state.addr,
                        ACCEPT_RETRY.as_millis()
                    );
                    tokio::time::sleep(ACCEPT_RETRY).await;
                }
            },
            // Reap finished connection tasks so the set stays as large as
            // the number of open connections, not of all connections ever.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Serves one connection until either side closes it: HTTP/1.1 with
/// keep-alive, or HTTP/2 without TLS (h2c) when the client opens with the
/// HTTP/2 preface (prior knowledge).
async fn serve_connection(stream: TcpStream, state: Arc<State>) {
    // Small responses on kept-alive connections would otherwise wait on
    // Nagle plus delayed ACKs.
    let _ = stream.set_nodelay(true);
    let service = service_fn(move |request| {
        let state = Arc::clone(&state);
        async move {
            match routes::handle(state, request).await {
                Reply::Respond(response) => Ok(response),
                // hyper closes the connection without writing anything
                // when the service fails: exactly the reset we want.
                Reply::Reset => Err(ResetConnection),
            }
        }
    });
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    // The errors that end up here are clients hanging up mid-exchange and
    // deliberate resets; neither is worth reporting from a test server.
    let _ = connection.await;
}
