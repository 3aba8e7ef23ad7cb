//! GBK, Shift_JIS and undeclared Latin-1 pages, decoded by the core charset
//! pipeline and then extracted, come out as correct UTF-8.

use ferrocrawl_content::extract;
use ferrocrawl_core::charset::decode;

use super::base;

/// A page in `encoding`, with `head` in its `<head>` and `body` as the
/// article's paragraphs (each repeated so the detector sees an article).
fn encoded(encoding: &'static encoding_rs::Encoding, head: &str, paragraphs: &[&str]) -> Vec<u8> {
    let body: String = paragraphs
        .iter()
        .map(|p| format!("<p>{}</p>\n", p.repeat(6)))
        .collect();
    let html = format!(
        "<html><head>{head}<title>t</title></head><body>\
         <nav><a href=\"/\">home</a></nav><article><h2>{}</h2>{body}</article></body></html>",
        paragraphs[0]
    );
    let (bytes, _, unmappable) = encoding.encode(&html);
    assert!(!unmappable, "test text must be encodable");
    bytes.into_owned()
}

fn check(bytes: &[u8], content_type: Option<&str>, expected: &[&str]) {
    let decoded = decode(bytes, content_type);
    assert!(
        !decoded.had_errors,
        "decoded as {}",
        decoded.encoding.name()
    );
    let content = extract(&decoded.text, &base());
    for text in expected {
        assert!(
            content.text.contains(text),
            "`{text}` not in text:\n{}",
            content.text
        );
        assert!(
            content.markdown.contains(text),
            "`{text}` not in markdown:\n{}",
            content.markdown
        );
    }
    assert!(!content.text.contains('\u{fffd}'));
}

#[test]
fn gbk_declared_in_meta() {
    let paragraphs = [
        "网络爬虫按照一定的规则自动抓取万维网信息。",
        "搜索引擎使用爬虫建立索引，数据挖掘也常用它。",
    ];
    let bytes = encoded(encoding_rs::GBK, "<meta charset=\"gbk\">", &paragraphs);
    check(&bytes, Some("text/html"), &paragraphs);
}

#[test]
fn shift_jis_declared_in_the_header() {
    let paragraphs = [
        "ウェブクローラーはウェブページを自動的に収集するプログラムです。",
        "検索エンジンはクローラーで集めたページから索引を作ります。",
    ];
    let bytes = encoded(encoding_rs::SHIFT_JIS, "", &paragraphs);
    check(&bytes, Some("text/html; charset=Shift_JIS"), &paragraphs);
}

#[test]
fn undeclared_latin1() {
    let paragraphs = [
        "Le garçon déjà très âgé mangeait une crème brûlée à côté de la fenêtre. ",
        "Über die Straße gingen fünf Mädchen, während der Föhn wehte. ",
    ];
    let bytes = encoded(encoding_rs::WINDOWS_1252, "", &paragraphs);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the page must not be UTF-8"
    );
    check(
        &bytes,
        None,
        &[
            "Le garçon déjà très âgé",
            "Über die Straße gingen fünf Mädchen",
        ],
    );
}
