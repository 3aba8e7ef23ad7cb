//! A real `redis-server` for the tests: `FERROCRAWL_REDIS_URL` if set, else
//! one started once per test binary on a free 127.0.0.1 port, with no
//! persistence, in a temporary directory; a watchdog stops it (and removes
//! the directory) when the test binary exits. Without either, the tests
//! fail and say how to fix it.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The server's URL, starting it on first use.
pub fn url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| match std::env::var("FERROCRAWL_REDIS_URL") {
        Ok(url) if !url.is_empty() => {
            let mut c = connect(&url);
            let pong: String = redis::cmd("PING").query(&mut c).unwrap_or_else(|e| {
                panic!(
                    "FERROCRAWL_REDIS_URL={url} does not answer PING ({e}); start it or unset it"
                )
            });
            assert_eq!(pong, "PONG");
            url
        }
        _ => start(),
    })
    .clone()
}

fn start() -> String {
    let bin = [
        "/usr/bin/redis-server",
        "/usr/local/bin/redis-server",
        "redis-server",
    ]
    .into_iter()
    .find(|b| {
        Command::new(b)
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
    .unwrap_or_else(|| {
        panic!(
            "the Redis frontier tests need a redis-server: install it (apt-get install \
                 redis-server) or set FERROCRAWL_REDIS_URL=redis://HOST:PORT"
        )
    });
    let mut last = String::new();
    for _ in 0..3 {
        let port = closed_port();
        let dir =
            std::env::temp_dir().join(format!("ferrocrawl-redis-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a directory in the temporary area");
        // The watchdog: runs the server until this test binary exits.
        let script = format!(
            "{bin} --port {port} --bind 127.0.0.1 --save '' --appendonly no --dir '{dir}' \
             --logfile '{dir}/log' & r=$!; \
             while kill -0 {pid} 2>/dev/null && kill -0 $r 2>/dev/null; do sleep 0.2; done; \
             kill $r 2>/dev/null; wait $r; rm -rf '{dir}'",
            dir = dir.display(),
            pid = std::process::id(),
        );
        #[allow(
            clippy::zombie_processes,
            reason = "the watchdog outlives this process on purpose: it stops the server after we exit"
        )]
        Command::new("sh")
            .arg("-c")
            .arg(&script)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sh to start redis-server");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if ping(port) {
                return format!("redis://127.0.0.1:{port}/0");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        last = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
    }
    panic!("redis-server did not start on 127.0.0.1; its log:\n{last}");
}

fn ping(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
    let mut buf = [0u8; 7];
    s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
}

/// A port nothing listens on (just now).
pub fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("a free port");
    l.local_addr().expect("its address").port()
}

fn connect(url: &str) -> redis::Connection {
    redis::Client::open(url)
        .and_then(|c| c.get_connection())
        .unwrap_or_else(|e| panic!("connecting to {url}: {e}"))
}

/// The server's clock.
pub fn server_time(url: &str) -> SystemTime {
    let (s, us): (u64, u64) = redis::cmd("TIME").query(&mut connect(url)).expect("TIME");
    UNIX_EPOCH + Duration::from_secs(s) + Duration::from_micros(us)
}

/// Keys matching `pattern`.
pub fn keys(url: &str, pattern: &str) -> Vec<String> {
    redis::cmd("KEYS")
        .arg(pattern)
        .query(&mut connect(url))
        .expect("KEYS")
}

/// The field names of a hash.
pub fn hash_fields(url: &str, key: &str) -> Vec<Vec<u8>> {
    redis::cmd("HKEYS")
        .arg(key)
        .query(&mut connect(url))
        .expect("HKEYS")
}

/// Removes every key of `crawl`, so a shared server stays clean.
pub fn delete_crawl(url: &str, crawl: &str) {
    let mut c = connect(url);
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("ferrocrawl:{{{crawl}}}:*"))
        .query(&mut c)
        .unwrap_or_default();
    for chunk in keys.chunks(500) {
        let _: redis::RedisResult<i64> = redis::cmd("DEL").arg(chunk).query(&mut c);
    }
}

/// Sets one field of a hash.
pub fn set_hash(url: &str, key: &str, field: &str, value: &str) {
    let _: i64 = redis::cmd("HSET")
        .arg(key)
        .arg(field)
        .arg(value)
        .query(&mut connect(url))
        .expect("HSET");
}

/// Deletes one key.
pub fn delete_key(url: &str, key: &str) {
    let _: i64 = redis::cmd("DEL")
        .arg(key)
        .query(&mut connect(url))
        .expect("DEL");
}

/// A redis-server of one test's own (no persistence), on a free port,
/// stopped when dropped: for a test that cuts every client's connection,
/// which on the shared server would cut other tests' too.
pub struct Private {
    child: std::process::Child,
    dir: std::path::PathBuf,
    /// Its URL.
    pub url: String,
}

impl Private {
    /// Starts one, waiting until it answers.
    pub fn start() -> Private {
        let port = closed_port();
        let dir = std::env::temp_dir().join(format!(
            "ferrocrawl-redis-private-{}-{port}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("a directory in the temporary area");
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("this test needs redis-server (apt-get install redis-server): {e}")
            });
        let server = Private {
            child,
            dir,
            url: format!("redis://127.0.0.1:{port}/0"),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !ping(port) {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    /// Closes every client's connection, as a restart would (not the
    /// caller's own).
    pub fn cut_clients(&self) {
        let _: i64 = redis::cmd("CLIENT")
            .arg("KILL")
            .arg("TYPE")
            .arg("normal")
            .query(&mut connect(&self.url))
            .expect("CLIENT KILL");
    }
}

impl Drop for Private {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
