//! Saved pages: bodies under DIR/HOST[_PORT]/PATH (`crawl --save DIR`), or
//! with the `content` setting each HTML page's main content under
//! DIR/HOST[_PORT]/PATH.md (or `.txt`).

use std::path::{Path, PathBuf};

use ferrocrawl_engine::{ContentFormat, PageRecord};

use crate::{Error, ErrorKind, Result, Url};

/// Writes page bodies (or their main content) into a directory tree shaped
/// like the site.
#[derive(Debug)]
pub(crate) struct Mirror {
    root: PathBuf,
    /// Save each page's main content instead of its body.
    content: Option<ContentFormat>,
}

fn io(message: String, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io, message).with_source(e)
}

// ===== impl Mirror =====

impl Mirror {
    /// A mirror rooted at `root`, created if missing, of bodies or (with
    /// `content`) of main contents.
    pub fn new(root: &Path, content: Option<ContentFormat>) -> Result<Mirror> {
        std::fs::create_dir_all(root)
            .map_err(|e| io(format!("cannot create the directory {}", root.display()), e))?;
        Ok(Mirror {
            root: root.to_owned(),
            content,
        })
    }

    /// The name a directory's own page is saved as: `index.html`, or
    /// `index.md` / `index.txt` for content.
    fn index(&self) -> &'static str {
        match self.content {
            None => "index.html",
            Some(ContentFormat::Markdown) => "index.md",
            Some(ContentFormat::Text) => "index.txt",
        }
    }

    /// Where `url` is saved: directories end in `index.html`, a query is
    /// kept in the file name with '/' escaped. Content is saved with `.md`
    /// (or `.txt`) in place of an `.html` or `.htm` extension, or after the
    /// name (and query) when there is none.
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
            // `index.md` for content: the extension is swapped below
            path.push("index.html");
        }
        let mut name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(content) = self.content {
            let lower = name.to_ascii_lowercase();
            for ext in [".html", ".htm", ".xhtml"] {
                if lower.ends_with(ext) && name.len() > ext.len() {
                    name.truncate(name.len() - ext.len());
                    break;
                }
            }
            if let Some(q) = url.query() {
                name = format!("{name}?{}", q.replace('/', "%2F"));
            }
            name.push_str(match content {
                ContentFormat::Markdown => ".md",
                ContentFormat::Text => ".txt",
            });
        } else if let Some(q) = url.query() {
            name = format!("{name}?{}", q.replace('/', "%2F"));
        }
        path.set_file_name(name);
        path
    }

    /// Saves what `record` carries for this mirror: its body, or its main
    /// content (pages without one, such as non-HTML or failed pages, are not
    /// saved).
    pub fn save_page(&self, record: &PageRecord) -> Result<()> {
        let data = match (self.content, &record.content, &record.body) {
            (None, _, Some(body)) => body.as_ref(),
            (Some(ContentFormat::Markdown), Some(c), _) => {
                c.markdown.as_deref().unwrap_or_default().as_bytes()
            }
            (Some(ContentFormat::Text), Some(c), _) => {
                c.text.as_deref().unwrap_or_default().as_bytes()
            }
            _ => return Ok(()),
        };
        self.save(&record.url, data)
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
            path.push(self.index());
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
                std::fs::rename(&aside, at.join(self.index()))?;
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
            content: None,
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

    #[test]
    fn content_is_saved_as_md_beside_where_the_body_would_go() {
        let m = Mirror {
            root: PathBuf::from("/m"),
            content: Some(ContentFormat::Markdown),
        };
        let p = |s: &str| m.path_for(&s.parse().unwrap());
        assert_eq!(p("http://h/"), PathBuf::from("/m/h/index.md"));
        assert_eq!(
            p("http://h:8080/a/b/"),
            PathBuf::from("/m/h_8080/a/b/index.md")
        );
        assert_eq!(p("http://h/a/b"), PathBuf::from("/m/h/a/b.md"));
        assert_eq!(p("http://h/a/b.html"), PathBuf::from("/m/h/a/b.md"));
        assert_eq!(p("http://h/a/B.HTM"), PathBuf::from("/m/h/a/B.md"));
        assert_eq!(p("http://h/.html"), PathBuf::from("/m/h/.html.md"));
        assert_eq!(
            p("http://h/v1.2/x.json"),
            PathBuf::from("/m/h/v1.2/x.json.md")
        );
        assert_eq!(
            p("http://h/a/../../../etc/passwd"),
            PathBuf::from("/m/h/etc/passwd.md")
        );
        assert_eq!(
            p("http://h/x.html?q=1/2"),
            PathBuf::from("/m/h/x?q=1%2F2.md")
        );
        let text = Mirror {
            root: PathBuf::from("/m"),
            content: Some(ContentFormat::Text),
        };
        assert_eq!(
            text.path_for(&"http://h/a/".parse().unwrap()),
            PathBuf::from("/m/h/a/index.txt")
        );
    }

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap()
    }

    #[test]
    fn a_page_that_is_also_a_directory_becomes_its_index() {
        for first_the_file in [true, false] {
            let dir = tempfile::tempdir().unwrap();
            let m = Mirror::new(dir.path(), None).unwrap();
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
        let m = Mirror::new(dir.path(), None).unwrap();
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
