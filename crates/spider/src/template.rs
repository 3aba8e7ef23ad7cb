//! URL templates: `http://host/api/book/?offset={offset}` or `/api/book/{}`.

/// A parsed template: literal text and `{name}` holes. `{{` and `}}` are
/// literal braces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Hole(String),
}

impl Template {
    /// Parses `s`; the error says what is wrong and at which byte.
    pub(crate) fn parse(s: &str) -> Result<Template, (usize, String)> {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut chars = s.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|&(_, c)| c) == Some('{') => {
                    chars.next();
                    text.push('{');
                }
                '}' if chars.peek().map(|&(_, c)| c) == Some('}') => {
                    chars.next();
                    text.push('}');
                }
                '{' => {
                    let rest = &s[i + 1..];
                    let Some(end) = rest.find('}') else {
                        return Err((i, "`{` opens a variable that is never closed: write `{name}`, or `{{` for a literal brace".into()));
                    };
                    let name = rest[..end].trim();
                    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                        return Err((
                            i,
                            format!(
                                "`{{{name}}}` is not a variable name: use letters, digits and `_`"
                            ),
                        ));
                    }
                    if !text.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut text)));
                    }
                    parts.push(Part::Hole(name.to_owned()));
                    for _ in 0..=end {
                        chars.next();
                    }
                }
                '}' => {
                    return Err((
                        i,
                        "`}` closes no variable: write `}}` for a literal brace".into(),
                    ));
                }
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        Ok(Template { parts })
    }

    /// The names of the holes, in order (`""` for `{}`).
    pub(crate) fn holes(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Hole(n) => Some(n.as_str()),
            Part::Text(_) => None,
        })
    }

    /// Fills every hole with `value(name)`.
    pub(crate) fn render<'a>(&self, value: impl Fn(&str) -> &'a str) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Hole(n) => out.push_str(value(n)),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holes_and_escapes() {
        let t = Template::parse("http://h/?o={offset}&x={{y}}&id={}").unwrap();
        assert_eq!(t.holes().collect::<Vec<_>>(), ["offset", ""]);
        let s = t.render(|n| if n == "offset" { "18" } else { "7" });
        assert_eq!(s, "http://h/?o=18&x={y}&id=7");
    }

    #[test]
    fn errors_point_at_the_brace() {
        assert_eq!(Template::parse("ab{cd").unwrap_err().0, 2);
        assert_eq!(Template::parse("ab}cd").unwrap_err().0, 2);
        assert!(Template::parse("a{b c}").is_err());
    }
}
