//! [`FrontierLocation`]: where a crawl's frontier lives, as a URL-like string.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use ferrocrawl_core::{Error, ErrorKind};

/// Where a crawl's frontier lives:
///
/// - `memory:`: in this process, gone when it ends (nothing to resume);
/// - `sqlite:PATH`: a state file, resumable after a crash or a pause;
/// - `redis://HOST:PORT/DB` (also `rediss://`, `valkey://`): shared by many
///   workers (`RedisFrontier`, feature `redis`; `?crawl=NAME&worker=NAME`
///   may name the crawl and the worker). Parsed either way, so that a build
///   without it can say so clearly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FrontierLocation {
    /// `memory:`
    Memory,
    /// `sqlite:PATH`
    Sqlite(PathBuf),
    /// `redis://…`: the whole URL.
    Redis(String),
}

impl FrontierLocation {
    /// The message for a location this build can't open.
    pub fn not_built_in(&self) -> Option<Error> {
        match self {
            #[cfg(not(feature = "redis"))]
            FrontierLocation::Redis(url) => Some(Error::new(
                ErrorKind::Config,
                format!(
                    "frontier {url}: the Redis frontier is not built in; rebuild with the \
                     `redis` feature, or use memory: or sqlite:PATH"
                ),
            )),
            #[cfg(not(feature = "sqlite"))]
            FrontierLocation::Sqlite(path) => Some(Error::new(
                ErrorKind::Config,
                format!(
                    "frontier sqlite:{}: the SQLite frontier is not built in; rebuild with the \
                     `sqlite` feature, or use memory:",
                    path.display()
                ),
            )),
            _ => None,
        }
    }
}

impl FromStr for FrontierLocation {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = |why: &str| {
            Error::new(
                ErrorKind::Config,
                format!(
                    "invalid frontier location `{s}`: {why}; write memory:, sqlite:PATH or \
                     redis://HOST:PORT/DB"
                ),
            )
        };
        let (scheme, rest) = s.split_once(':').ok_or_else(|| bad("no scheme"))?;
        match scheme.to_ascii_lowercase().as_str() {
            "memory" if rest.is_empty() || rest == "//" => Ok(FrontierLocation::Memory),
            "memory" => Err(bad("memory: takes nothing after the colon")),
            "sqlite" => {
                let path = rest.strip_prefix("//").unwrap_or(rest);
                if path.is_empty() {
                    return Err(bad("sqlite: needs a file path, as in sqlite:crawl.state"));
                }
                Ok(FrontierLocation::Sqlite(PathBuf::from(path)))
            }
            "redis" | "rediss" | "valkey" | "valkeys" => {
                if !rest.starts_with("//") {
                    return Err(bad(
                        "a Redis location is a URL, as in redis://127.0.0.1:6379/0",
                    ));
                }
                Ok(FrontierLocation::Redis(s.to_owned()))
            }
            other => Err(bad(&format!("unknown scheme `{other}:`"))),
        }
    }
}

impl fmt::Display for FrontierLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrontierLocation::Memory => f.write_str("memory:"),
            FrontierLocation::Sqlite(p) => write!(f, "sqlite:{}", p.display()),
            FrontierLocation::Redis(url) => f.write_str(url),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse_and_redis_is_refused_by_name() {
        let parse = |s: &str| s.parse::<FrontierLocation>();
        assert_eq!(parse("memory:").ok(), Some(FrontierLocation::Memory));
        assert_eq!(
            parse("sqlite:out/crawl.state").ok(),
            Some(FrontierLocation::Sqlite("out/crawl.state".into()))
        );
        assert_eq!(
            parse("sqlite:///abs/c.state").ok(),
            Some(FrontierLocation::Sqlite("/abs/c.state".into()))
        );
        let redis = parse("redis://127.0.0.1:6379/0").unwrap();
        if cfg!(feature = "redis") {
            assert!(redis.not_built_in().is_none());
        } else {
            let e = redis.not_built_in().expect("redis is not built in");
            assert!(e.to_string().contains("`redis` feature"), "{e}");
        }
        for bad in [
            "",
            "crawl.state",
            "sqlite:",
            "memory:x",
            "ftp://x",
            "redis:x",
        ] {
            let e = parse(bad).expect_err(bad);
            assert!(e.to_string().contains("memory:, sqlite:PATH"), "{bad}: {e}");
        }
    }
}
