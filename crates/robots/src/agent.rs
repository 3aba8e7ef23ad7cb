//! Product tokens: the part of a user agent that robots.txt groups name.

/// The product token of a user agent: its leading run of `[A-Za-z_-]`,
/// after any leading whitespace.
///
/// RFC 9309 §2.2.1 restricts product tokens to those characters, so
/// `"ferrocrawl/0.1 (+https://example.com/bot)"` is matched as
/// `"ferrocrawl"`. The same cut is applied to the values of `User-agent`
/// lines (Google does this too), so a group written `User-agent: FooBot/2.1`
/// or `User-agent: FooBot Images` still applies to `FooBot`.
///
/// An agent with no product token (`""`, `"123bot"`) matches no named group
/// and obeys the `*` group only.
///
/// ```
/// use ferrocrawl_robots::product_token;
///
/// assert_eq!(product_token("ferrocrawl/0.1 (+https://example.com/bot)"), "ferrocrawl");
/// assert_eq!(product_token("Foo-Bar_baz"), "Foo-Bar_baz");
/// assert_eq!(product_token("ツ"), "");
/// ```
pub fn product_token(user_agent: &str) -> &str {
    let user_agent = user_agent.trim_start();
    // The token is ASCII, so its byte length is a char boundary.
    let end = token_len(user_agent.as_bytes());
    user_agent.get(..end).unwrap_or_default()
}

/// Length of the leading run of product-token bytes (`[A-Za-z_-]`).
pub(crate) fn token_len(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .position(|&b| !(b.is_ascii_alphabetic() || b == b'-' || b == b'_'))
        .unwrap_or(bytes.len())
}

#[cfg(test)]
mod tests {
    use super::product_token;

    #[test]
    fn full_user_agent_strings_use_their_product_token() {
        assert_eq!(product_token("ferrocrawl"), "ferrocrawl");
        assert_eq!(
            product_token("ferrocrawl/0.1 (+https://x.y/bot)"),
            "ferrocrawl"
        );
        assert_eq!(product_token("  FooBot Images"), "FooBot");
        assert_eq!(product_token("Googlebot_2.1"), "Googlebot_");
        assert_eq!(product_token("foo-bar;baz"), "foo-bar");
    }

    #[test]
    fn no_product_token_is_empty() {
        assert_eq!(product_token(""), "");
        assert_eq!(product_token("   "), "");
        assert_eq!(product_token("1bot"), "");
        assert_eq!(product_token("*"), "");
        assert_eq!(product_token("ツbot"), "");
    }
}
