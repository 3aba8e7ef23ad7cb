//! A books catalogue, generated from each book's id so every run and every
//! server serves the same data: the seed's list → detail → database job.

use serde_json::{Value, json};

/// Books in the catalogue: ids 1 ..= BOOKS.
pub const BOOKS: u64 = 10_000;

const ADJECTIVES: &[&str] = &[
    "Silent",
    "Crimson",
    "Hidden",
    "Last",
    "Golden",
    "Broken",
    "Distant",
    "Secret",
    "Wild",
    "Quiet",
    "Burning",
    "Forgotten",
    "Endless",
    "Paper",
    "Iron",
    "Glass",
];
const NOUNS: &[&str] = &[
    "River",
    "Garden",
    "Empire",
    "Lighthouse",
    "Winter",
    "Orchard",
    "Harbor",
    "Library",
    "Mountain",
    "Engine",
    "Kingdom",
    "Letter",
    "Compass",
    "Forest",
    "Island",
    "Archive",
];
const FIRST: &[&str] = &[
    "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Dennis",
    "Radia", "Niklaus", "Hedy", "Tim", "Sophie", "Linus",
];
const LAST: &[&str] = &[
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "Thompson",
    "Hamilton",
    "Ritchie",
    "Perlman",
    "Wirth",
    "Lamarr",
    "Berners-Lee",
    "Wilson",
    "Torvalds",
];
const TAGS: &[&str] = &[
    "fiction",
    "history",
    "science",
    "poetry",
    "travel",
    "mystery",
    "classic",
    "biography",
    "fantasy",
    "essays",
    "drama",
    "philosophy",
];
const PUBLISHERS: &[&str] = &[
    "Loopback Press",
    "Localhost Books",
    "Port 8080 House",
    "Ephemeral Ink",
];

/// A well-mixed 64-bit value from an id and a salt (splitmix64).
fn mix(id: u64, salt: u64) -> u64 {
    let mut z = id
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(salt.wrapping_mul(0xBF58_476D_1CE4_E5B9));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn pick<'a>(list: &[&'a str], id: u64, salt: u64) -> &'a str {
    list[(mix(id, salt) % list.len() as u64) as usize]
}

fn name(id: u64) -> String {
    format!(
        "The {} {} {}",
        pick(ADJECTIVES, id, 1),
        pick(NOUNS, id, 2),
        id
    )
}

fn authors(id: u64) -> Vec<String> {
    let n = 1 + mix(id, 3) % 2;
    (0..n)
        .map(|k| format!("{} {}", pick(FIRST, id, 10 + k), pick(LAST, id, 20 + k)))
        .collect()
}

/// The list entry of book `id`.
pub fn summary(id: u64) -> Value {
    json!({
        "id": id,
        "name": name(id),
        "authors": authors(id),
        "cover": format!("/static/cover/{id}.jpg"),
    })
}

/// The full record of book `id` (1 ..= BOOKS).
pub fn detail(id: u64) -> Value {
    let price_cents = 500 + mix(id, 4) % 5_000;
    let isbn_body = 978_000_000_000 + mix(id, 5) % 1_000_000_000;
    let tags: Vec<&str> = (0..1 + mix(id, 6) % 3)
        .map(|k| pick(TAGS, id, 30 + k))
        .collect();
    json!({
        "id": id,
        "name": name(id),
        "authors": authors(id),
        "cover": format!("/static/cover/{id}.jpg"),
        "score": (10 + mix(id, 7) % 91) as f64 / 10.0,
        "price": price_cents as f64 / 100.0,
        "currency": "GBP",
        "pages": 80 + mix(id, 8) % 900,
        "isbn": format!("{isbn_body}{}", isbn_body % 10),
        "tags": tags,
        "publisher": pick(PUBLISHERS, id, 9),
        "published": format!("{}-{:02}-{:02}", 1950 + mix(id, 10) % 75, 1 + mix(id, 11) % 12, 1 + mix(id, 12) % 28),
        "description": format!("{} is book number {id} of the loopback catalogue.", name(id)),
    })
}

/// One page of the list: `{count, next, previous, results}`.
pub fn list(limit: u64, offset: u64) -> Value {
    let end = (offset + limit).min(BOOKS);
    let results: Vec<Value> = (offset + 1..=end).map(summary).collect();
    let link = |o: u64| Value::String(format!("/api/book/?limit={limit}&offset={o}"));
    json!({
        "count": BOOKS,
        "next": if end < BOOKS { link(end) } else { Value::Null },
        "previous": if offset > 0 { link(offset.saturating_sub(limit)) } else { Value::Null },
        "results": results,
    })
}

/// Escape text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `/books/?page=N` (20 books a page, from 1): an HTML list with a next link.
pub fn html_list(page: u64) -> Option<String> {
    const PER_PAGE: u64 = 20;
    let pages = BOOKS.div_ceil(PER_PAGE);
    if page == 0 || page > pages {
        return None;
    }
    let mut body = String::new();
    for id in (page - 1) * PER_PAGE + 1..=(page * PER_PAGE).min(BOOKS) {
        let d = detail(id);
        body.push_str(&format!(
            "<article class=\"book\"><h3><a href=\"/books/{id}\" title=\"{t}\">{t}</a></h3>\
             <p class=\"price\">£{:.2}</p></article>\n",
            d["price"].as_f64().unwrap_or_default(),
            t = esc(&name(id))
        ));
    }
    let next = if page < pages {
        format!(
            "<li class=\"next\"><a href=\"?page={}\">next</a></li>",
            page + 1
        )
    } else {
        String::new()
    };
    Some(format!(
        "<!doctype html><html><head><title>Books, page {page}</title></head><body>\
         <section>{body}</section><ul class=\"pager\">{next}</ul></body></html>\n"
    ))
}

/// `/books/{id}`: an HTML detail page.
pub fn html_detail(id: u64) -> Option<String> {
    if !(1..=BOOKS).contains(&id) {
        return None;
    }
    let d = detail(id);
    let rating = ["Zero", "One", "Two", "Three", "Four", "Five"]
        [(d["score"].as_f64().unwrap_or_default() / 2.0).round() as usize % 6];
    let tags: String = d["tags"]
        .as_array()
        .map(|t| {
            t.iter()
                .filter_map(Value::as_str)
                .map(|t| format!("<li>{t}</li>"))
                .collect()
        })
        .unwrap_or_default();
    let authors: String = authors(id)
        .iter()
        .map(|a| format!("<li class=\"author\">{}</li>", esc(a)))
        .collect();
    Some(format!(
        "<!doctype html><html><head><title>{name} | Books</title></head><body>\
         <article class=\"product\"><h1>{name}</h1><ul class=\"authors\">{authors}</ul>\
         <p class=\"price\">£{price:.2}</p><p class=\"star-rating {rating}\"></p>\
         <img src=\"/static/cover/{id}.jpg\" alt=\"cover\">\
         <table class=\"info\"><tr><th>ISBN</th><td>{isbn}</td></tr><tr><th>Pages</th><td>{pages}</td></tr>\
         <tr><th>Published</th><td>{published}</td></tr></table>\
         <ul class=\"tags\">{tags}</ul><p class=\"description\">{desc}</p></article></body></html>\n",
        name = esc(&name(id)),
        price = d["price"].as_f64().unwrap_or_default(),
        isbn = d["isbn"].as_str().unwrap_or_default(),
        pages = d["pages"],
        published = d["published"].as_str().unwrap_or_default(),
        desc = esc(d["description"].as_str().unwrap_or_default()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_is_deterministic_and_complete() {
        assert_eq!(detail(42), detail(42));
        assert_ne!(detail(42)["name"], detail(43)["name"]);
        let d = detail(BOOKS);
        for field in [
            "score",
            "price",
            "pages",
            "isbn",
            "tags",
            "authors",
            "published",
        ] {
            assert!(!d[field].is_null(), "{field}");
        }
        assert_eq!(d["isbn"].as_str().unwrap().len(), 13);
    }

    #[test]
    fn list_pages_cover_every_book_once() {
        let mut seen = 0;
        let mut offset = 0;
        loop {
            let page = list(18, offset);
            let n = page["results"].as_array().unwrap().len() as u64;
            seen += n;
            if page["next"].is_null() {
                break;
            }
            offset += 18;
        }
        assert_eq!(seen, BOOKS);
        assert_eq!(list(18, BOOKS)["results"].as_array().unwrap().len(), 0);
    }

    #[test]
    fn html_pages() {
        let page = html_list(1).unwrap();
        assert!(page.contains("href=\"/books/1\"") && page.contains("class=\"next\""));
        assert!(
            html_list(BOOKS / 20)
                .unwrap()
                .find("class=\"next\"")
                .is_none()
        );
        assert!(html_detail(7).unwrap().contains("star-rating"));
        assert!(html_detail(0).is_none() && html_detail(BOOKS + 1).is_none());
    }
}
