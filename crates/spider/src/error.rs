//! [`SpiderError`]: the problems in a spider file, each with its place.

use std::fmt;
use std::ops::Range;

/// A spider file that can't be used: every mistake found in it, in the
/// order of the file, each with where and what is wrong.
///
/// `Display` reads like a compiler's messages: for each mistake the file,
/// line and column, what is wrong and what to write instead, then the
/// offending line with a caret; and how many mistakes there are.
///
/// ```text
/// books.toml:12:17: invalid CSS selector `h1[`: ...
///    |
/// 12 | title = { css = "h1[" }
///    |                 ^^^^^
/// ```
///
/// [`line`](SpiderError::line), [`column`](SpiderError::column) and
/// [`message`](SpiderError::message) are the first mistake's;
/// [`mistakes`](SpiderError::mistakes) lists them all.
#[derive(Debug, Clone)]
pub struct SpiderError {
    mistakes: Vec<Mistake>,
}

/// One mistake in a spider file, with its place.
#[derive(Debug, Clone)]
pub struct Mistake {
    file: String,
    line: usize,
    column: usize,
    message: String,
    snippet: Option<Snippet>,
}

#[derive(Debug, Clone)]
struct Snippet {
    text: String,
    /// Characters before the caret, and the caret's width in characters.
    start: usize,
    width: usize,
}

impl SpiderError {
    /// An error at `span` (byte offsets) of `source`, the text of `file`.
    pub(crate) fn at(file: &str, source: &str, span: Range<usize>, message: String) -> Self {
        SpiderError {
            mistakes: vec![Mistake::at(file, source, span, message)],
        }
    }

    /// An error about the file as a whole (it can't be read, it is empty…).
    pub(crate) fn file(file: &str, message: String) -> Self {
        SpiderError {
            mistakes: vec![Mistake::file(file, message)],
        }
    }

    /// All of these errors' mistakes, sorted by place (and each place once).
    pub(crate) fn merge(errors: impl IntoIterator<Item = SpiderError>) -> Option<SpiderError> {
        let mut mistakes: Vec<Mistake> = errors.into_iter().flat_map(|e| e.mistakes).collect();
        mistakes.sort_by_key(|m| (m.line, m.column));
        mistakes.dedup_by(|a, b| (a.line, a.column, &a.message) == (b.line, b.column, &b.message));
        (!mistakes.is_empty()).then_some(SpiderError { mistakes })
    }

    /// Every mistake, in file order.
    pub fn mistakes(&self) -> &[Mistake] {
        &self.mistakes
    }

    fn first(&self) -> &Mistake {
        // Never empty: every constructor makes at least one.
        &self.mistakes[0]
    }

    /// The file the error is in, as it was named.
    pub fn file_name(&self) -> &str {
        &self.first().file
    }

    /// The first mistake's 1-based line, or 0 when it is about the whole file.
    pub fn line(&self) -> usize {
        self.first().line
    }

    /// The first mistake's 1-based column, in characters, or 0 when it is
    /// about the whole file.
    pub fn column(&self) -> usize {
        self.first().column
    }

    /// What is wrong first, without the place.
    pub fn message(&self) -> &str {
        &self.first().message
    }
}

impl fmt::Display for SpiderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, m) in self.mistakes.iter().enumerate() {
            if i > 0 {
                f.write_str("\n\n")?;
            }
            write!(f, "{m}")?;
        }
        if self.mistakes.len() > 1 {
            write!(
                f,
                "\n\n{} mistakes in {}",
                self.mistakes.len(),
                self.file_name()
            )?;
        }
        Ok(())
    }
}

impl Mistake {
    fn at(file: &str, source: &str, span: Range<usize>, message: String) -> Self {
        let start = span.start.min(source.len());
        let end = span.end.clamp(start, source.len());
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = source[start..]
            .find('\n')
            .map_or(source.len(), |i| start + i);
        let text = source[line_start..line_end].trim_end_matches('\r');
        let before = source[line_start..start].chars().count();
        let width = source[start..end.min(line_end)].chars().count().max(1);
        Mistake {
            file: file.to_owned(),
            line: source[..start].matches('\n').count() + 1,
            column: before + 1,
            message,
            snippet: Some(Snippet {
                text: text.to_owned(),
                start: before,
                width,
            }),
        }
    }

    fn file(file: &str, message: String) -> Self {
        Mistake {
            file: file.to_owned(),
            line: 0,
            column: 0,
            message,
            snippet: None,
        }
    }

    /// The file the error is in, as it was named.
    pub fn file_name(&self) -> &str {
        &self.file
    }

    /// 1-based line, or 0 when the error is about the whole file.
    pub fn line(&self) -> usize {
        self.line
    }

    /// 1-based column, in characters, or 0 when the error is about the whole file.
    pub fn column(&self) -> usize {
        self.column
    }

    /// What is wrong, without the place.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Mistake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            return write!(f, "{}: {}", self.file, self.message);
        }
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )?;
        if let Some(s) = &self.snippet {
            let gutter = self.line.to_string().len();
            write!(
                f,
                "\n{:gutter$} |\n{} | {}\n{:gutter$} | {}{}",
                "",
                self.line,
                s.text,
                "",
                " ".repeat(s.start),
                "^".repeat(s.width),
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for SpiderError {}
