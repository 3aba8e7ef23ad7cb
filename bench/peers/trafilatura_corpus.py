"""trafilatura on the article-extraction corpus, for bench/content.sh.

  python trafilatura_corpus.py DIR [ROUNDS]

Reads and gunzips every page once, then for ROUNDS extracts each page's main
text with trafilatura.extract (the bytes as fetched: trafilatura decodes them
itself). Prints the page count and time spent extracting."""
import gzip, json, os, sys, time

import trafilatura

d = sys.argv[1]
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
truth = json.load(open(os.path.join(d, 'ground-truth.json'), encoding='utf-8'))
pages = [(v.get('url'), gzip.open(os.path.join(d, 'html', k + '.html.gz')).read()) for k, v in truth.items()]
start = time.perf_counter()
chars = 0
for _ in range(rounds):
    for url, body in pages:
        chars += len(trafilatura.extract(body, url=url) or '')
elapsed = time.perf_counter() - start
n = len(pages) * rounds
print(f'trafilatura {trafilatura.__version__}: {n} pages in {elapsed:.2f} s, {n / elapsed:.1f} pages/s, {chars} chars out')
