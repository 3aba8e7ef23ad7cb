//! Saved pages: bodies under DIR/HOST[_PORT]/PATH (`crawl --save DIR`).

use std::path::{Path, PathBuf};

use crate::{Error, ErrorKind, Result, Url};

/// Writes page bodies into a directory tree shaped like the site.
#[derive(Debug)]
pub(crate) struct Mirror {
    root: PathBuf,
}

fn io(message: String, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io, message).with_source(e)
}

impl Mirror {
    /// A mirror rooted at `root`, created if missing.
    pub fn new(root: &Path) -> Result<Mirror> {
        std::fs::create_dir_all(root)
            .map_err(|e| io(format!("cannot create the directory {}", root.display()), e))?;
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
    ///
    /// A URL can name a file and a directory at once (`/a` and `/a/b`), as a
    /// site's paths often do. The page that stands for the directory is then
    /// kept as its `index.html`, whichever of the two comes first.
    pub fn save(&self, url: &Url, body: &[u8]) -> Result<()> {
        let mut path = self.path_for(url);
        if let Some(dir) = path.parent() {
            self.make_dirs(dir).map_err(|e| {
                io(
                    format!("cannot save {url}: cannot create {}", dir.display()),
                    e,
                )
            })?;
        }
        while path.is_dir() {
            path.push("index.html");
        }
        std::fs::write(&path, body)
            .map_err(|e| io(format!("cannot save {url} to {}", path.display()), e))
    }

    /// Creates `dir` and its parents. A saved page where a directory must go
    /// moves into that directory as its `index.html`.
    fn make_dirs(&self, dir: &Path) -> std::io::Result<()> {
        if std::fs::create_dir_all(dir).is_ok() {
            return Ok(());
        }
        let Ok(below_root) = dir.strip_prefix(&self.root) else {
            return std::fs::create_dir_all(dir);
        };
        let mut at = self.root.clone();
        for part in below_root {
            at.push(part);
            if std::fs::symlink_metadata(&at).is_ok_and(|m| m.is_file()) {
                // No saved name holds a `#`: a URL's path and query cannot.
                let mut aside = at.clone().into_os_string();
                aside.push("#ferrocrawl-moving");
                std::fs::rename(&at, &aside)?;
                std::fs::create_dir(&at)?;
                std::fs::rename(&aside, at.join("index.html"))?;
            }
        }
        std::fs::create_dir_all(dir)
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

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap()
    }

    #[test]
    fn a_page_that_is_also_a_directory_becomes_its_index() {
        for first_the_file in [true, false] {
            let dir = tempfile::tempdir().unwrap();
            let m = Mirror::new(dir.path()).unwrap();
            let (file, inside): (Url, Url) = (
                "http://h/a".parse().unwrap(),
                "http://h/a/b/c".parse().unwrap(),
            );
            if first_the_file {
                m.save(&file, b"page a").unwrap();
                m.save(&inside, b"page c").unwrap();
            } else {
                m.save(&inside, b"page c").unwrap();
                m.save(&file, b"page a").unwrap();
            }
            let site = dir.path().join("h");
            assert_eq!(
                read(&site.join("a/index.html")),
                "page a",
                "{first_the_file}"
            );
            assert_eq!(read(&site.join("a/b/c")), "page c", "{first_the_file}");
            // `/a/` is the same file as `/a` now, and nothing was left aside.
            m.save(&"http://h/a/".parse().unwrap(), b"page a/").unwrap();
            assert_eq!(read(&site.join("a/index.html")), "page a/");
            let names: Vec<_> = std::fs::read_dir(&site)
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            assert_eq!(names, ["a"]);
        }
    }

    #[test]
    fn moving_a_page_aside_never_touches_another_saved_page() {
        let dir = tempfile::tempdir().unwrap();
        let m = Mirror::new(dir.path()).unwrap();
        let save = |url: &str, body: &[u8]| m.save(&url.parse().unwrap(), body).unwrap();
        save("http://h/a.ferrocrawl-moving", b"neighbour");
        save("http://h/a", b"page a");
        save("http://h/a/b", b"page b");
        let site = dir.path().join("h");
        assert_eq!(read(&site.join("a.ferrocrawl-moving")), "neighbour");
        assert_eq!(read(&site.join("a/index.html")), "page a");
        // An `index.html` that is itself a directory: the page goes one deeper.
        save("http://h/p/index.html/k", b"page k");
        save("http://h/p", b"page p");
        assert_eq!(read(&site.join("p/index.html/index.html")), "page p");
    }
}
