//! Pages built to be hard: deep nesting.

use ferrocrawl_content::extract;

use super::base;

#[test]
fn a_deeply_nested_page_is_extracted() {
    // Readability's time grows with depth × size: before nesting was capped
    // at 512, as browsers cap it, 2,000 nested divs took 1.2 s and 8,000 took
    // 18 s (release); with the cap 8,000 take 0.57 s, most of it html5ever's
    // own parse, which is also superlinear in depth.
    let n = 3000;
    let html = format!(
        "<html><body><article><p>The committee met on Tuesday to review the results of \
         the survey, which covered more than four thousand households.</p>{}deep{}</article></body></html>",
        "<div>".repeat(n),
        "</div>".repeat(n)
    );
    let started = std::time::Instant::now();
    let c = extract(&html, &base());
    assert!(c.text.contains("four thousand households"), "{}", c.text);
    eprintln!("3,000 nested divs: {:?}", started.elapsed());
}
