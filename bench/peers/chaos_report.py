"""The figures of bench/distributed-peer.sh, from a run's work directory
(hits.json from the counting proxy, fingerprints.txt from scrapy-redis's
dupefilter, the workers' items.*.jsonl):

    python chaos_report.py WORK PAGES WALL_S KILLS QUEUE_LEFT FINGERPRINTS GAVE_UP VERSIONS RAW_JSON SITE_URL

Prints a markdown table and writes the figures to RAW_JSON. Lost pages are
split by cause: popped from Redis (fingerprint recorded) but never fetched;
children of a page that was fetched but whose response was never parsed
(killed first: no item, its links never pushed); descendants of lost pages
(never discovered).
"""
import glob, json, os, sys
work, pages, wall, killed, queue_left, fps, gave_up, versions, raw, site = sys.argv[1:]
pages = int(pages)
hits = json.load(open(os.path.join(work, "hits.json")))
prefix = site.split("://", 1)[1].split("/", 1)[1]
per = [hits.get(f"/{prefix}/{i}", 0) for i in range(pages)]
fetched = sum(1 for h in per if h > 0)
lost = [i for i, h in enumerate(per) if h == 0]
dup_fetches = sum(per) - fetched
other = sum(v for k, v in hits.items() if not k.startswith(f"/{prefix}/")) - 1  # less the readiness check
lines, torn, bad_title = 0, 0, 0
seen, twice = set(), []
per_file = {}
for path in sorted(glob.glob(os.path.join(work, "items.*.jsonl"))):
    n = 0
    for line in open(path, encoding="utf-8"):
        try:
            item = json.loads(line)
        except ValueError:
            torn += 1
            continue
        n += 1
        page = int(item["url"].rsplit("/", 1)[1])
        if item.get("title") != f"Page {page}":
            bad_title += 1
        if page in seen:
            twice.append(page)
        seen.add(page)
    per_file[os.path.basename(path)] = n
    lines += n
no_item = pages - len(seen)
# Are the lost pages' fingerprints in scrapy-redis's dupefilter (recorded,
# never fetched)?
lost_in_df = None
in_df = set()
try:
    from scrapy import Request
    from scrapy_redis.dupefilter import RFPDupeFilter
    df = RFPDupeFilter(server=None, key="x")
    recorded = set(open(os.path.join(work, "fingerprints.txt")).read().split())
    in_df = {i for i in lost if df.request_fingerprint(Request(f"{site}/{i}")) in recorded}
    lost_in_df = len(in_df)
except Exception as e:  # noqa: BLE001 - only a note
    print(f"(could not check the lost pages' fingerprints: {e})", file=sys.stderr)
lost_set = set(lost)
parent = lambda i: (i - 1) // 10
fetched_unparsed = {i for i in range(pages) if per[i] > 0 and i not in seen}
direct = lost_in_df
undiscovered = [i for i in lost if i not in in_df and i]
orphans = sum(1 for i in undiscovered if parent(i) in fetched_unparsed)
under_lost = sum(1 for i in undiscovered if parent(i) in lost_set)
partly = sum(1 for i in undiscovered if parent(i) not in lost_set and parent(i) not in fetched_unparsed)
res = dict(lost_direct=direct, lost_children_of_unparsed=orphans, lost_under_lost=under_lost, lost_links_partly_pushed=partly,
           fetched_unparsed=len(fetched_unparsed),
           pages=pages, fetched=fetched, lost=len(lost), lost_pages=lost[:50],
           dup_fetches=dup_fetches, dup_pct=round(dup_fetches * 100 / pages, 2),
           items=lines, distinct_items=len(seen), dup_items=len(twice), dup_item_pages=twice[:50], pages_without_item=no_item,
           torn_lines=torn, bad_titles=bad_title, items_per_file=per_file,
           other_requests=other, kills=int(killed), wall_s=float(wall),
           queue_left=int(queue_left), fingerprints=int(fps), lost_in_dupefilter=lost_in_df,
           gave_up=gave_up or None, versions=versions)
json.dump(res, open(raw, "w"), indent=1)
print(f"\n{versions}; {res['kills']} kills; raw figures in {raw}")
if gave_up:
    print(f"\n**Gave up**: {gave_up}")
print()
print("| pages in the site | fetched at least once | **lost** (never fetched) | duplicate fetches | items written | duplicate items | pages with no item | wall s |")
print("|---|---|---|---|---|---|---|---|")
print(f"| {pages:,} | {fetched:,} | **{len(lost):,}** ({len(lost) * 100 / pages:.2f}%) | {dup_fetches:,} ({res['dup_pct']:.2f}%) | {lines:,} | {len(twice):,} | {no_item:,} | {res['wall_s']:.1f} |")
print()
print(f"Left in Redis: {res['queue_left']} queued requests, {res['fingerprints']:,} fingerprints in the dupefilter"
      + (f"; of the {len(lost)} lost pages, {lost_in_df} have their fingerprint there (recorded as seen, never fetched)" if lost_in_df is not None else ""))
print(f"Lost pages by cause: {direct} popped from Redis and never fetched; {orphans} children of the "
      f"{len(fetched_unparsed)} pages fetched but never parsed (no item, links never pushed); "
      f"{under_lost} under a lost page (never discovered); {partly} children of a page whose item was "
      f"written but whose links were not all pushed before the kill")
print(f"Lost pages (first 50): {lost[:50]}")
print(f"Pages with two items (first 50): {twice[:50]}")
print(f"Items per file: {per_file}; torn lines {torn}; wrong titles {bad_title}; requests off the site {other}")
