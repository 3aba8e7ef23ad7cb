//! Encoded bodies: `/gzip`, `/deflate`, `/brotli`, `/zstd`, `/gzip-bomb`,
//! `/charset/{enc}/{where}`.

use std::io::Write;
use std::sync::OnceLock;

use bytes::Bytes;
use flate2::Compression;
use flate2::write::{GzEncoder, ZlibEncoder};
use hyper::header::{CONTENT_ENCODING, CONTENT_TYPE, HeaderValue};
use hyper::{Response, StatusCode};

use crate::bomb::{MAX_MIB, gzip_bomb as bomb};
use crate::charset_pages::{Declaration, NAMES, charset_page};
use crate::query::Query;
use crate::response::{BadRequest, Body, Handled, full, not_found, text, with_body};

/// `/gzip`, `/deflate`, `/brotli`, `/zstd` → `{"compressed":"<name>","ok":true}`
/// with that `Content-Encoding`.
pub(super) fn compressed(name: &str) -> Response<Body> {
    // Each body is compressed once per process: brotli in particular
    // allocates megabytes of window per call, wasteful under load.
    static GZIP: OnceLock<Bytes> = OnceLock::new();
    static DEFLATE: OnceLock<Bytes> = OnceLock::new();
    static BROTLI: OnceLock<Bytes> = OnceLock::new();
    static ZSTD: OnceLock<Bytes> = OnceLock::new();
    // The Content-Encoding token for brotli is `br`; the others match
    // their path.
    type Encoder = fn(&[u8]) -> Vec<u8>;
    let (cell, encode, token): (_, Encoder, _) = match name {
        "gzip" => (&GZIP, gzip, "gzip"),
        "deflate" => (&DEFLATE, zlib, "deflate"),
        "brotli" => (&BROTLI, brotli, "br"),
        "zstd" => (&ZSTD, zstd, "zstd"),
        _ => return not_found(),
    };
    let body = cell
        .get_or_init(|| {
            let document = format!(r#"{{"compressed":"{name}","ok":true}}"#);
            Bytes::from(encode(document.as_bytes()))
        })
        .clone();
    encoded(body, "application/json", token)
}

/// `/gzip-bomb?mb=N` → gzip of `N` MiB (default 1024) of zeros, labelled
/// `text/html` so a crawler is tempted to inflate and parse it.
pub(super) fn gzip_bomb(query: &Query) -> Handled {
    let mib = query.parse_or("mb", 1024u64)?;
    if mib > MAX_MIB {
        return Err(BadRequest::new(format!(
            "mb must be at most {MAX_MIB}, got {mib}"
        )));
    }
    Ok(encoded(bomb(mib), "text/html", "gzip"))
}

/// `/charset/{enc}/{where}` → a page of natural text in that encoding,
/// declared in the header, a meta tag, an http-equiv tag, or nowhere.
/// Unknown encodings or places are unknown pages: 404.
pub(super) fn charset(encoding: &str, declaration: &str) -> Response<Body> {
    let Some(declaration) = Declaration::parse(declaration) else {
        return text(
            StatusCode::NOT_FOUND,
            format!(
                "no such page: where must be header, meta, http-equiv or none, got {declaration:?}\n"
            ),
        );
    };
    let Some(page) = charset_page(encoding, declaration) else {
        return text(
            StatusCode::NOT_FOUND,
            format!(
                "no such page: encoding must be one of {}, got {encoding:?}\n",
                NAMES.join(", ")
            ),
        );
    };
    let mut response = Response::new(full(page.body));
    let content_type =
        HeaderValue::from_str(&page.content_type).expect("content types are built from ASCII");
    response.headers_mut().insert(CONTENT_TYPE, content_type);
    response
}

/// `/charset-link/{encoding}`: a page in `encoding` (declared in its
/// `Content-Type`) whose one link has a non-ASCII query, `/found?q=中文`: a
/// browser sends the query in the page's encoding (`%D6%D0%CE%C4` for GBK).
pub(super) fn charset_link(encoding: &str) -> Response<Body> {
    let Some(enc) = encoding_rs::Encoding::for_label(encoding.as_bytes()) else {
        return text(
            StatusCode::NOT_FOUND,
            format!("no such encoding: {encoding:?}\n"),
        );
    };
    let html = "<!doctype html><html><head><title>中文</title></head><body>\
                <a href=\"/found?q=中文\">中文</a></body></html>\n";
    let (bytes, _, _) = enc.encode(html);
    let content_type = format!("text/html; charset={}", enc.name());
    let mut response = Response::new(full(Bytes::from(bytes.into_owned())));
    let value = HeaderValue::from_str(&content_type).expect("encoding names are ASCII");
    response.headers_mut().insert(CONTENT_TYPE, value);
    response
}

fn encoded(body: Bytes, content_type: &'static str, token: &'static str) -> Response<Body> {
    let mut response = with_body(StatusCode::OK, content_type, body);
    response
        .headers_mut()
        .insert(CONTENT_ENCODING, HeaderValue::from_static(token));
    response
}

// The encoders below write into a Vec, which cannot fail.

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).expect("writing to a Vec");
    encoder.finish().expect("finishing into a Vec")
}

/// HTTP's `deflate` coding is the zlib format (RFC 9110 §8.4.1.2), not
/// raw deflate.
fn zlib(data: &[u8]) -> Vec<u8> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).expect("writing to a Vec");
    encoder.finish().expect("finishing into a Vec")
}

fn brotli(data: &[u8]) -> Vec<u8> {
    // Quality 5 and a 4 MiB window: brotli's usual web-serving settings.
    let mut encoder = brotli::CompressorWriter::new(Vec::new(), 4096, 5, 22);
    encoder.write_all(data).expect("writing to a Vec");
    encoder.into_inner()
}

fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::bulk::compress(data, 3).expect("zstd compresses a small in-memory buffer")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn encoders_round_trip() {
        let data = br#"{"compressed":"x","ok":true}"#;
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&gzip(data)[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, data);
        out.clear();
        flate2::read::ZlibDecoder::new(&zlib(data)[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, data);
        out.clear();
        brotli::Decompressor::new(&brotli(data)[..], 4096)
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, data);
        assert_eq!(zstd::bulk::decompress(&zstd(data), 1024).unwrap(), data);
    }
}
