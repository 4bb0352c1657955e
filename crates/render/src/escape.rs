//! The project's one HTML escaper, for text and attribute values of every
//! page `render` writes (the path report and the size treemap).

/// Escapes text for HTML content and for attribute values in either kind
/// of quotes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_and_both_quotes_are_escaped() {
        assert_eq!(
            escape(r#"<a href="x">Tom's & Jerry</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom&#39;s &amp; Jerry&lt;/a&gt;"
        );
        assert_eq!(escape("golang.org/x/sys/unix"), "golang.org/x/sys/unix");
    }
}
