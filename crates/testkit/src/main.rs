//! `ferrocrawl-testkit [--addr 127.0.0.1:8090]`: the test server as a
//! standalone process for benchmarks. Prints `listening on http://ADDR` on
//! stdout once ready, then serves until killed.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use ferrocrawl_testkit::TestServer;

const DEFAULT_ADDR: &str = "127.0.0.1:8090";

const USAGE: &str = "usage: ferrocrawl-testkit [--addr 127.0.0.1:8090]

Serves the ferrocrawl test endpoints on a loopback address until killed.";

#[tokio::main]
async fn main() -> ExitCode {
    let addr = match parse_args(std::env::args().skip(1)) {
        Ok(Some(addr)) => addr,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("ferrocrawl-testkit: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };

    // Benchmarks open thousands of connections; the default soft limit
    // (often 1024) would turn that into EMFILE. Failing to raise it is not
    // fatal: small runs still work.
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => eprintln!("ferrocrawl-testkit: open-file limit {limit}"),
        Err(e) => eprintln!("ferrocrawl-testkit: could not raise the open-file limit: {e}"),
    }

    let server = match TestServer::bind(addr).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("ferrocrawl-testkit: cannot listen on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Benchmark scripts wait for this line, so it must not sit in a buffer.
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "listening on http://{}", server.addr());
    let _ = stdout.flush();

    // Ctrl-C ends cleanly; SIGTERM/SIGKILL end the process as usual.
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("ferrocrawl-testkit: cannot wait for Ctrl-C ({e}); serving until killed");
        std::future::pending::<()>().await;
    }
    ExitCode::SUCCESS
}

/// Parses the command line: `Ok(None)` asks for help, errors are messages
/// for the user.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<SocketAddr>, String> {
    let mut raw_addr = DEFAULT_ADDR.to_owned();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--addr" => {
                raw_addr = args
                    .next()
                    .ok_or("--addr needs a value such as 127.0.0.1:8090")?;
            }
            _ => match arg.strip_prefix("--addr=") {
                Some(value) => raw_addr = value.to_owned(),
                None => return Err(format!("unknown argument {arg:?}")),
            },
        }
    }
    let addr: SocketAddr = raw_addr
        .parse()
        .map_err(|e| format!("--addr {raw_addr:?} is not an IP:port address: {e}"))?;
    if !addr.ip().is_loopback() {
        return Err(format!(
            "refusing to listen on {addr}: the test server only serves loopback \
             addresses (127.0.0.0/8 or [::1])"
        ));
    }
    Ok(Some(addr))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<SocketAddr>, String> {
        parse_args(args.iter().map(|a| a.to_string()))
    }

    #[test]
    fn parses_addresses_and_refuses_non_loopback() {
        assert_eq!(parse(&[]).unwrap(), Some(DEFAULT_ADDR.parse().unwrap()));
        assert_eq!(
            parse(&["--addr", "127.0.0.2:9000"]).unwrap(),
            Some("127.0.0.2:9000".parse().unwrap())
        );
        assert_eq!(
            parse(&["--addr=[::1]:80"]).unwrap(),
            Some("[::1]:80".parse().unwrap())
        );
        assert_eq!(parse(&["--help"]).unwrap(), None);
        assert!(
            parse(&["--addr", "0.0.0.0:8090"])
                .unwrap_err()
                .contains("loopback")
        );
        assert!(parse(&["--addr", "10.0.0.1:80"]).is_err());
        assert!(parse(&["--addr"]).is_err());
        assert!(parse(&["--port", "1"]).is_err());
    }
}
