"""A small generated portal whose reports have copies, longer versions and excerpts: dedup re-points mid-run.

`generate(out_dir)` writes `routes.json` and pages for `govcorpus.sitefixture.serve_site`, in the
gov_portal layout of benchmarks/crawl_site.py: two list pages (`/bg/index.html`, `/bg/index_1.html`)
linking 22 URLs. Report texts are paragraphs of ../shared/gold, sampled per report:

- 10 reports, each on its own page;
- exact copies of 3 of them (the same paragraphs under another URL);
- longer versions of 3 (two more paragraphs: the better version, so the shorter one becomes its
  duplicate), linked from the second list page so that they tend to arrive after the shorter ones
  and re-point them;
- excerpts of 2 (the first 60 % of the paragraphs: fragments of the report);
- a page too short to be a report and a link that answers 404.

Deterministic: the same output every time. `EXPECTED` gives the outcome of each URL path in a crawl of a
fresh store, as the tests expect it.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from benchmarks.crawl_site import article_html, gold_paragraphs, list_html, title_of

REPORTS = 10
COPIES = (0, 1, 2)
LONGER = (3, 4, 5)
EXCERPTS = (6, 7)


def _path(kind: str, number: int) -> str:
    return f"/art/t2024{kind}_{number}.html"


def generate(out_dir: Path, seed: int = 14, slow_list: float = 0.0) -> dict[str, str]:
    """Write the site into `out_dir`; return the expected outcome per URL path (stored, duplicate, skipped, failed).

    `slow_list` delays the second list page's answer by that many seconds (a crawl that lasts).
    """
    rng = random.Random(seed)
    paragraphs = gold_paragraphs()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "art").mkdir(exist_ok=True)
    (out_dir / "bg").mkdir(exist_ok=True)
    routes: list[dict[str, object]] = []
    first: list[tuple[str, str]] = []  # (path, title) on the first list page
    second: list[tuple[str, str]] = []
    expected: dict[str, str] = {}

    def page(path: str, title: str, body: list[str], listing: list[tuple[str, str]], outcome: str) -> None:
        file = path.lstrip("/")
        (out_dir / file).write_text(article_html(title, body, "utf-8", "/bg/index.html", "/bg/index.html"), encoding="utf-8")
        routes.append({"path": path, "file": file, "headers": {"Content-Type": "text/html; charset=utf-8"}})
        listing.append((path, title))
        expected[path] = outcome

    reports = [rng.sample(paragraphs, rng.randint(10, 14)) for _ in range(REPORTS)]
    for number, body in enumerate(reports):
        shorter = number in LONGER
        page(_path("0117", number), title_of(number), body, first, "duplicate" if shorter else "stored")
    for number in COPIES:  # exact copies: one of each pair is canonical, which one is the rank's tie-break
        page(_path("0118", number), title_of(number), reports[number], second, "copy")
    for number in LONGER:
        extra = rng.sample([p for p in paragraphs if p not in reports[number]], 2)
        page(_path("0119", number), title_of(number), reports[number] + extra, second, "stored")
    for number in EXCERPTS:
        body = reports[number][: int(len(reports[number]) * 0.6)]
        page(_path("0120", number), title_of(number), body, second, "duplicate")
    page("/art/t20240121_99.html", title_of(99), ["政府工作报告。"], second, "skipped")
    second.append(("/art/t20240122_404.html", title_of(404)))
    expected["/art/t20240122_404.html"] = "failed"
    lists = [first, second]
    for number, items in enumerate(lists):
        name = "index.html" if number == 0 else f"index_{number}.html"
        (out_dir / "bg" / name).write_text(list_html(number, len(lists), items), encoding="utf-8")
        route: dict[str, object] = {"path": f"/bg/{name}", "file": f"bg/{name}", "headers": {"Content-Type": "text/html; charset=utf-8"}}
        if number == 1 and slow_list:
            route["delay"] = slow_list
        routes.append(route)
        expected[f"/bg/{name}"] = "skipped"
    (out_dir / "routes.json").write_text(json.dumps(routes, ensure_ascii=False), encoding="utf-8")
    return expected


def sources_toml(base_url: str) -> str:
    """A config crawling the site from its first list page."""
    return f'[[sources]]\nname = "dupsite"\nfamily = "gov_portal"\nstart_urls = ["{base_url}/bg/index.html"]\n'
