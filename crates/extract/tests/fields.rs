//! Field extraction on realistic pages: CSS on a book shop's detail and list pages,
//! JSONPath on an API response, regexes, every processor, and bad input.

use ferrocrawl_extract::fields::{Document, Processor, Selector, apply};
use serde_json::{Value, json};
use url::Url;

const DETAIL_URL: &str = "https://books.example/catalogue/a-light-in-the-attic_1000/index.html";

const DETAIL_PAGE: &str = r#"<!DOCTYPE html>
<html lang="en-us">
<head>
  <title> A Light in the Attic | Books to Scrape </title>
  <meta name="description" content="
    It's hard to imagine a world without A Light in the Attic.
  ">
</head>
<body>
  <ul class="breadcrumb">
    <li><a href="../../index.html">Home</a></li>
    <li><a href="../category/books/poetry_23/index.html">Poetry</a></li>
    <li class="active">A Light in the Attic</li>
  </ul>
  <article class="product_page">
    <div class="item active"><img src="../../media/cache/fe/72/fe72.jpg" alt="A Light in the Attic"></div>
    <div class="col-sm-6 product_main">
      <h1>A Light in the
          Attic</h1>
      <p class="price_color">£51.77</p>
      <p class="instock availability">
        <i class="icon-ok"></i>
            In stock (22 available)
      </p>
      <p class="star-rating Three">
        <i class="icon-star"></i>
      </p>
    </div>
    <table class="table table-striped">
      <tr><th>UPC</th><td>a897fe39b1053632</td></tr>
      <tr><th>Number of reviews</th><td>0</td></tr>
      <tr><th>Published</th><td>14 Sep 2016</td></tr>
    </table>
  </article>
</body>
</html>"#;

const LIST_URL: &str = "https://books.example/catalogue/page-2.html";

const LIST_PAGE: &str = r#"<html><body>
<ol class="row">
  <li><article class="product_pod">
    <h3><a href="tipping-the-velvet_999/index.html" title="Tipping the Velvet">Tipping the ...</a></h3>
    <p class="star-rating One"></p>
    <div class="product_price"><p class="price_color">£53.74</p></div>
  </article></li>
  <li><article class="product_pod">
    <h3><a href="soumission_998/index.html" title="Soumission">Soumission</a></h3>
    <p class="star-rating Five"></p>
    <div class="product_price"><p class="price_color">£50.10</p></div>
  </article></li>
  <li><article class="product_pod">
    <h3><a href="sharp-objects_997/index.html" title="Sharp Objects">Sharp Objects</a></h3>
    <p class="star-rating Four"></p>
    <div class="product_price"><p class="price_color">£1,047.60</p></div>
  </article></li>
</ol>
<ul class="pager">
  <li class="previous"><a href="page-1.html">previous</a></li>
  <li class="current">Page 2 of 50</li>
  <li class="next"><a href="page-3.html">next</a></li>
</ul>
</body></html>"#;

const API_URL: &str = "https://api.example/v1/books?page=1";

const API_RESPONSE: &str = r#"{
  "count": 2,
  "next": null,
  "results": [
    {"id": 1, "name": "A", "price": "£51.77", "authors": [{"name": "X"}, {"name": "Y"}]},
    {"id": 2, "name": "B", "price": 12.5, "authors": [{"name": "Z"}]}
  ]
}"#;

fn doc(text: &str, url: &str) -> Document {
    Document::new(text, &Url::parse(url).expect("test URLs are valid"))
}

fn select(expr: &str, doc: &Document) -> Vec<Value> {
    Selector::css(expr).expect("valid selector").select(doc)
}

fn jsonpath(expr: &str, doc: &Document) -> Vec<Value> {
    Selector::jsonpath(expr)
        .expect("valid JSONPath")
        .select(doc)
}

fn regex(expr: &str, doc: &Document) -> Vec<Value> {
    Selector::regex(expr).expect("valid regex").select(doc)
}

/// Selects and processes in one go, as a spider field does.
fn field(selector: &Selector, doc: &Document, processors: &[Processor]) -> Value {
    apply(selector.select(doc), processors, doc.base_url())
}

// ===== CSS =====

#[test]
fn css_all_text_collapses_whitespace_and_text_keeps_it() {
    let page = doc(DETAIL_PAGE, DETAIL_URL);
    // `::text` is the text nodes as parsel gives them; `::all-text` is for people.
    assert_eq!(
        select("h1::text", &page),
        [json!("A Light in the\n          Attic")]
    );
    assert_eq!(
        select("h1::all-text", &page),
        [json!("A Light in the Attic")]
    );
    assert_eq!(
        select("title::all-text", &page),
        [json!("A Light in the Attic | Books to Scrape")]
    );
    assert_eq!(
        select(".product_main .availability::all-text", &page),
        [json!("In stock (22 available)")]
    );
    // Text of all descendants, in document order.
    assert_eq!(
        select("ul.breadcrumb::all-text", &page),
        [json!("Home Poetry A Light in the Attic")]
    );
    assert_eq!(
        select("ul.breadcrumb li::all-text", &page),
        [
            json!("Home"),
            json!("Poetry"),
            json!("A Light in the Attic")
        ]
    );
    // An element without text gives nothing rather than an empty string.
    assert_eq!(
        select("p.star-rating::all-text", &page),
        Vec::<Value>::new()
    );
}

#[test]
fn css_attr_returns_raw_attribute_values() {
    let page = doc(DETAIL_PAGE, DETAIL_URL);
    assert_eq!(
        select("p.star-rating::attr(class)", &page),
        [json!("star-rating Three")]
    );
    assert_eq!(
        select("ul.breadcrumb a::attr(href)", &page),
        [
            json!("../../index.html"),
            json!("../category/books/poetry_23/index.html")
        ]
    );
    // Elements without the attribute are skipped; names are case-insensitive.
    assert_eq!(select("li::attr(CLASS)", &page), [json!("active")]);
    assert_eq!(select("h1::attr(id)", &page), Vec::<Value>::new());
}

#[test]
fn css_without_pseudo_element_gives_outer_html() {
    let page = doc(DETAIL_PAGE, DETAIL_URL);
    assert_eq!(
        select("p.price_color", &page),
        [json!(r#"<p class="price_color">£51.77</p>"#)]
    );
    assert_eq!(select("article > table tr > th", &page).len(), 3);
    assert_eq!(select("blink", &page), Vec::<Value>::new());
}

#[test]
fn css_detail_page_item() {
    let page = doc(DETAIL_PAGE, DETAIL_URL);
    let title = Selector::css("h1::text").unwrap();
    let price = Selector::css("p.price_color::text").unwrap();
    let stock = Selector::css(".availability::text").unwrap();
    let rating = Selector::css("p.star-rating::attr(class)").unwrap();
    let image = Selector::css("#nonexistent, .item img::attr(src)").unwrap();
    let published = Selector::css("table tr:nth-child(3) td::text").unwrap();
    let reviews = Selector::css("table tr:nth-child(2) td::text").unwrap();
    let description = Selector::css("meta[name=description]::attr(content)").unwrap();

    // The text node as written; `normalize` makes it what a reader sees.
    assert_eq!(
        field(&title, &page, &[Processor::First, Processor::Normalize]),
        json!("A Light in the Attic")
    );
    assert_eq!(
        field(&price, &page, &[Processor::ParseNumber, Processor::First]),
        json!(51.77)
    );
    assert_eq!(
        field(&stock, &page, &[Processor::ParseNumber, Processor::First]),
        json!(22)
    );
    assert_eq!(
        field(&rating, &page, &[Processor::First]),
        json!("star-rating Three")
    );
    assert_eq!(
        field(&image, &page, &[Processor::AbsoluteUrl, Processor::First]),
        json!("https://books.example/media/cache/fe/72/fe72.jpg")
    );
    assert_eq!(
        field(
            &published,
            &page,
            &[Processor::ParseDate(None), Processor::First]
        ),
        json!("2016-09-14")
    );
    assert_eq!(
        field(&reviews, &page, &[Processor::ParseNumber, Processor::First]),
        json!(0)
    );
    assert_eq!(
        field(&description, &page, &[Processor::Trim, Processor::First]),
        json!("It's hard to imagine a world without A Light in the Attic.")
    );
}

#[test]
fn css_list_page_items_and_pagination() {
    let page = doc(LIST_PAGE, LIST_URL);
    let titles = Selector::css("article.product_pod h3 a::attr(title)").unwrap();
    let links = Selector::css("article.product_pod h3 a::attr(href)").unwrap();
    let prices = Selector::css(".product_pod .price_color::text").unwrap();
    let next = Selector::css("li.next > a::attr(href)").unwrap();

    assert_eq!(
        field(&titles, &page, &[]),
        json!(["Tipping the Velvet", "Soumission", "Sharp Objects"])
    );
    assert_eq!(
        field(&links, &page, &[Processor::AbsoluteUrl]),
        json!([
            "https://books.example/catalogue/tipping-the-velvet_999/index.html",
            "https://books.example/catalogue/soumission_998/index.html",
            "https://books.example/catalogue/sharp-objects_997/index.html",
        ])
    );
    assert_eq!(
        field(&prices, &page, &[Processor::ParseNumber]),
        json!([53.74, 50.10, 1047.60])
    );
    assert_eq!(
        field(&next, &page, &[Processor::First, Processor::AbsoluteUrl]),
        json!("https://books.example/catalogue/page-3.html")
    );
}

#[test]
fn absolute_url_honours_base_href() {
    let page = doc(
        r#"<head><base href="https://static.example/v2/"></head><a href="img/x.png">x</a>"#,
        "https://books.example/a/b.html",
    );
    let href = Selector::css("a::attr(href)").unwrap();
    assert_eq!(
        field(&href, &page, &[Processor::AbsoluteUrl, Processor::First]),
        json!("https://static.example/v2/img/x.png")
    );
}

// ===== JSONPath =====

#[test]
fn jsonpath_on_an_api_response() {
    let api = doc(API_RESPONSE, API_URL);
    assert_eq!(jsonpath("$.count", &api), [json!(2)]);
    assert_eq!(jsonpath("$.results[*].id", &api), [json!(1), json!(2)]);
    assert_eq!(
        jsonpath("$.results[*].authors[*].name", &api),
        [json!("X"), json!("Y"), json!("Z")]
    );
    assert_eq!(
        jsonpath("$..authors[0].name", &api),
        [json!("X"), json!("Z")]
    );
    assert_eq!(jsonpath("$.results[?@.id > 1].name", &api), [json!("B")]);
    assert_eq!(
        jsonpath("$.results[0]", &api)[0]["authors"],
        json!([{"name": "X"}, {"name": "Y"}])
    );
    assert_eq!(jsonpath("$.next", &api), [Value::Null]);
    assert_eq!(jsonpath("$.missing", &api), Vec::<Value>::new());
    // Surrounding whitespace from a TOML string is tolerated.
    assert_eq!(jsonpath("  $.count\n", &api), [json!(2)]);
}

#[test]
fn jsonpath_fields_with_processors() {
    let api = doc(API_RESPONSE, API_URL);
    let prices = Selector::jsonpath("$.results[*].price").unwrap();
    let names = Selector::jsonpath("$.results[*].authors[*].name").unwrap();
    let next = Selector::jsonpath("$.next").unwrap();
    assert_eq!(
        field(&prices, &api, &[Processor::ParseNumber]),
        json!([51.77, 12.5])
    );
    assert_eq!(
        field(&names, &api, &[Processor::Join(", ".into())]),
        json!("X, Y, Z")
    );
    // A JSON null that is selected is a value; First keeps it.
    assert_eq!(field(&next, &api, &[Processor::First]), Value::Null);
    assert_eq!(
        field(
            &next,
            &api,
            &[Processor::AbsoluteUrl, Processor::Default(json!("none"))]
        ),
        json!("none")
    );
}

// ===== regex =====

#[test]
fn regex_with_and_without_groups() {
    let page = doc(DETAIL_PAGE, DETAIL_URL);
    // No group: whole matches, all of them.
    assert_eq!(regex(r"£[0-9.]+", &page), [json!("£51.77")]);
    assert_eq!(regex(r"\d+ available", &page), [json!("22 available")]);
    // Groups: the first group of every match.
    assert_eq!(
        regex(r#"<th>([^<]+)</th><td>([^<]*)</td>"#, &page),
        [json!("UPC"), json!("Number of reviews"), json!("Published")]
    );
    assert_eq!(regex(r#"star-rating (\w+)"#, &page), [json!("Three")]);
    // A match in which the first group did not take part gives nothing.
    assert_eq!(regex(r"(zzz)?UPC", &page), Vec::<Value>::new());
    // Named groups count as groups.
    assert_eq!(regex(r"In stock \((?<n>\d+)", &page), [json!("22")]);
    assert_eq!(regex("nothing-like-this", &page), Vec::<Value>::new());
}

#[test]
fn regex_works_on_json_text_too() {
    let api = doc(API_RESPONSE, API_URL);
    assert_eq!(regex(r#""id": (\d+)"#, &api), [json!("1"), json!("2")]);
    let ids = Selector::regex(r#""id": (\d+)"#).unwrap();
    assert_eq!(field(&ids, &api, &[Processor::ParseNumber]), json!([1, 2]));
}

// ===== processors =====

fn base() -> Url {
    Url::parse("https://books.example/catalogue/page-2.html").expect("valid URL")
}

#[test]
fn no_processors_keep_the_list_and_nothing_is_null() {
    assert_eq!(
        apply(vec![json!("a"), json!("b")], &[], &base()),
        json!(["a", "b"])
    );
    assert_eq!(apply(vec![json!("a")], &[], &base()), json!(["a"]));
    // Issue 17: an empty list is `[]`, not null (an `all = true` field).
    assert_eq!(apply(vec![], &[], &base()), json!([]));
}

#[test]
fn trim() {
    let values = vec![json!("  a "), json!("\n b\t"), json!(3)];
    assert_eq!(
        apply(values, &[Processor::Trim], &base()),
        json!(["a", "b", 3])
    );
}

#[test]
fn join() {
    let values = vec![
        json!("a"),
        json!(1),
        json!(true),
        json!(null),
        json!(["x"]),
        json!("b"),
    ];
    assert_eq!(
        apply(values, &[Processor::Join("|".into())], &base()),
        json!("a|1|true|b")
    );
    assert_eq!(
        apply(vec![], &[Processor::Join(" ".into())], &base()),
        Value::Null
    );
}

#[test]
fn first() {
    assert_eq!(
        apply(vec![json!(1), json!(2)], &[Processor::First], &base()),
        json!(1)
    );
    assert_eq!(apply(vec![], &[Processor::First], &base()), Value::Null);
}

#[test]
fn absolute_url() {
    let values = vec![
        json!("page-3.html"),
        json!("/"),
        json!("mailto:x@y.z"),
        json!("https://o.example/q?a=1"),
    ];
    assert_eq!(
        apply(values, &[Processor::AbsoluteUrl], &base()),
        json!([
            "https://books.example/catalogue/page-3.html",
            "https://books.example/",
            "https://o.example/q?a=1",
        ])
    );
}

#[test]
fn parse_number() {
    let values = vec![
        json!("£51.77"),
        json!("1,234"),
        json!("3.5 stars"),
        json!("free"),
    ];
    assert_eq!(
        apply(values, &[Processor::ParseNumber], &base()),
        json!([51.77, 1234, 3.5])
    );
    // A single value that does not parse makes the field null, not an error.
    assert_eq!(
        apply(
            vec![json!("n/a")],
            &[Processor::ParseNumber, Processor::First],
            &base()
        ),
        Value::Null
    );
}

#[test]
fn parse_date() {
    let values = vec![
        json!("14 Sep 2016"),
        json!("2016-09-14T08:00:00Z"),
        json!("soon"),
    ];
    assert_eq!(
        apply(values, &[Processor::ParseDate(None)], &base()),
        json!(["2016-09-14", "2016-09-14T08:00:00+00:00"])
    );
    let us = Processor::ParseDate(Some("%m/%d/%Y".into()));
    assert_eq!(
        apply(vec![json!("09/14/2016")], &[us, Processor::First], &base()),
        json!("2016-09-14")
    );
}

#[test]
fn default_applies_only_when_nothing_is_left() {
    let default = Processor::Default(json!("unknown"));
    assert_eq!(
        apply(vec![], std::slice::from_ref(&default), &base()),
        json!("unknown")
    );
    assert_eq!(
        apply(vec![json!("x")], std::slice::from_ref(&default), &base()),
        json!(["x"])
    );
    // Order matters: a Default after the step that drops the only value fills the field,
    // one before it does not.
    assert_eq!(
        apply(
            vec![json!("x")],
            &[Processor::ParseNumber, default.clone()],
            &base()
        ),
        json!("unknown")
    );
    assert_eq!(
        apply(
            vec![json!("x")],
            &[default, Processor::ParseNumber],
            &base()
        ),
        json!([]),
        "a list emptied by a later step is an empty list"
    );
    // A default is itself processed by later steps.
    assert_eq!(
        apply(
            vec![],
            &[Processor::Default(json!("0 items")), Processor::ParseNumber],
            &base()
        ),
        json!(0)
    );
    assert_eq!(
        apply(vec![], &[Processor::Default(json!([]))], &base()),
        json!([])
    );
}

// ===== invalid expressions =====

#[test]
fn invalid_expressions_are_clear_errors() {
    let cases: [(Result<Selector, _>, &str); 12] = [
        (
            Selector::css(""),
            "invalid CSS selector ``: the expression is empty",
        ),
        (Selector::css("h1["), "invalid CSS selector `h1[`"),
        (Selector::css("div >"), "invalid CSS selector `div >`"),
        (Selector::css("::attr(href)"), "needs a selector before it"),
        (Selector::css("h1::text > b"), "go at the end of a selector"),
        (Selector::css("a::attr()"), "needs one attribute name"),
        (Selector::css("p:bogus"), "invalid CSS selector `p:bogus`"),
        (
            Selector::jsonpath(""),
            "invalid JSONPath ``: the expression is empty",
        ),
        (
            Selector::jsonpath("$.results[*"),
            "invalid JSONPath `$.results[*`",
        ),
        (Selector::jsonpath("results.id"), "starts with `$`"),
        (
            Selector::regex("(unclosed"),
            "invalid regex `(unclosed`: unclosed group",
        ),
        (Selector::regex(r"\w{1000}{1000}"), "invalid regex"),
    ];
    for (result, expected) in cases {
        let err = result.expect_err(expected);
        let message = err.to_string();
        assert!(
            message.contains(expected),
            "{message:?} should contain {expected:?}"
        );
        assert!(
            !message.contains("report this to the developer"),
            "{message}"
        );
        assert!(!message.contains('\n'), "one line: {message:?}");
    }
    let err = Selector::regex("a(").unwrap_err();
    assert!(err.is_regex() && !err.is_css() && !err.is_jsonpath());
    assert_eq!(err.expression(), "a(");
}

#[test]
fn valid_expressions_keep_their_text() {
    assert_eq!(
        Selector::css("h1 ::text").unwrap().expression(),
        "h1 ::text"
    );
    assert_eq!(Selector::jsonpath("$.a").unwrap().expression(), "$.a");
    assert_eq!(Selector::regex("a+").unwrap().expression(), "a+");
}

// ===== malformed input =====

#[test]
fn malformed_html_yields_what_is_there_or_nothing() {
    let pages = [
        "",
        "not html at all",
        "<<<>>><p",
        "<div><p class=x>unclosed <b>bold",
        "</html></body><h1>",
        "\u{0}\u{feff}<h1>\u{fffd}</h1>",
    ];
    let selectors = ["h1::text", "p.x::text", "a::attr(href)", "div", "*::text"];
    for text in pages {
        let page = doc(text, DETAIL_URL);
        for expr in selectors {
            let _ = select(expr, &page); // must not panic
        }
    }
    let page = doc("<div><p class=x>unclosed <b>bold", DETAIL_URL);
    assert_eq!(select("p.x::text", &page), [json!("unclosed ")]);
    assert_eq!(
        select("p.x ::text", &page),
        [json!("unclosed "), json!("bold")]
    );
    assert_eq!(select("p.x::all-text", &page), [json!("unclosed bold")]);
    assert_eq!(select("a::attr(href)", &page), Vec::<Value>::new());
}

#[test]
fn deeply_nested_html_does_not_overflow() {
    // html5ever's tree builder is quadratic in nesting depth (about 5 s for 10,000 levels
    // in a debug build), so this checks for stack overflows at a depth that stays fast.
    let text = "<div>".repeat(3_000) + "deep" + &"</div>".repeat(3_000);
    let page = doc(&text, DETAIL_URL);
    assert_eq!(select("body > div ::text", &page), [json!("deep")]);
    assert_eq!(select("body > div::all-text", &page), [json!("deep")]);
    assert_eq!(select("body > div", &page).len(), 1);
}

#[test]
fn malformed_json_yields_nothing() {
    for text in [
        "",
        "{",
        r#"{"results": [1, 2"#,
        "<html></html>",
        "not json",
        "[1,]",
    ] {
        let page = doc(text, API_URL);
        assert_eq!(jsonpath("$..*", &page), Vec::<Value>::new(), "{text:?}");
        assert_eq!(jsonpath("$", &page), Vec::<Value>::new(), "{text:?}");
    }
    // Nesting past serde_json's recursion limit is an error there, so nothing here.
    let deep = "[".repeat(10_000) + &"]".repeat(10_000);
    assert_eq!(jsonpath("$..*", &doc(&deep, API_URL)), Vec::<Value>::new());
    // A CSS selector on a JSON page finds no elements.
    assert_eq!(
        select("h1::text", &doc(API_RESPONSE, API_URL)),
        Vec::<Value>::new()
    );
}
