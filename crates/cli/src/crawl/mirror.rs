//! `--save DIR`: pages under DIR/HOST[_PORT]/PATH.

use std::path::{Path, PathBuf};

use anyhow::Context;
use ferrocrawl::Url;

/// Writes page bodies into a directory tree shaped like the site.
pub struct Mirror {
    root: PathBuf,
}

impl Mirror {
    /// A mirror rooted at `root`, created if missing.
    pub fn new(root: &Path) -> anyhow::Result<Mirror> {
        std::fs::create_dir_all(root)
            .with_context(|| format!("cannot create --save directory {}", root.display()))?;
        Ok(Mirror {
            root: root.to_owned(),
        })
    }

    /// Where `url` is saved: directories end in `index.html`, a query is
    /// kept in the file name with '/' escaped.
    pub fn path_for(&self, url: &Url) -> PathBuf {
        let mut path = self.root.clone();
        let host = url.host_str().unwrap_or("unknown-host");
        match url.port() {
            Some(port) => path.push(format!("{host}_{port}")),
            None => path.push(host),
        }
        // The URL parser already removed `.` and `..` segments, so joining
        // segments can't climb out of the mirror; empty ones are skipped.
        let segments: Vec<&str> = url.path().split('/').filter(|s| !s.is_empty()).collect();
        for s in &segments {
            path.push(s);
        }
        if url.path().ends_with('/') || segments.is_empty() {
            path.push("index.html");
        }
        if let Some(q) = url.query() {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            path.set_file_name(format!("{name}?{}", q.replace('/', "%2F")));
        }
        path
    }

    /// Save one body.
    pub fn save(&self, url: &Url, body: &[u8]) -> anyhow::Result<()> {
        let path = self.path_for(url);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot save {url}: cannot create {}", dir.display()))?;
        }
        std::fs::write(&path, body)
            .with_context(|| format!("cannot save {url} to {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_and_name_directories() {
        let m = Mirror {
            root: PathBuf::from("/m"),
        };
        let p = |s: &str| m.path_for(&s.parse().unwrap());
        assert_eq!(p("http://h/"), PathBuf::from("/m/h/index.html"));
        assert_eq!(
            p("http://h:8080/a/b/"),
            PathBuf::from("/m/h_8080/a/b/index.html")
        );
        assert_eq!(
            p("http://h/a/../../../etc/passwd"),
            PathBuf::from("/m/h/etc/passwd")
        );
        assert_eq!(
            p("http://h/x.html?q=1/2"),
            PathBuf::from("/m/h/x.html?q=1%2F2")
        );
    }
}
