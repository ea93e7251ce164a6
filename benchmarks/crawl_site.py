"""Generate a loopback site of report pages for the crawl benchmark: lists, HTML articles, GBK pages, PDFs.

`generate(out_dir, pages)` writes `routes.json` and files for `govcorpus.sitefixture.serve_site`:
`/bg/index.html`, `/bg/index_1.html` … list pages of 50 links each with 上一页/下一页 and page
numbers, and `pages` report documents behind them: HTML articles (about 5 % in GBK) and PDFs
(about 3 %). Article bodies are paragraphs of the gold texts, sampled and shuffled per page so
that no two pages are the same. Deterministic: same arguments, same bytes.

`generate_realworld(out_dir, pages)` writes the second benchmark site: the same kind of list pages
(`/rw/index.html` …) linking `pages` articles that are the real HTML pages of ../shared/realworld,
their bytes as they are, served without a charset in the Content-Type (real markup, lying and
missing `<meta>` charsets, GB-family bytes), cycled when `pages` exceeds the 74 real pages.
"""

from __future__ import annotations

import html
import io
import json
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLD_DIR = ROOT.parent / "shared" / "gold"

LINKS_PER_LIST = 50
GBK_EVERY = 20  # 5 %
PDF_EVERY = 33  # 3 %
DISTINCT_PDFS = 24  # reportlab is slow: a few dozen PDFs, their bytes reused
DISTRICTS = ["静安区", "长宁区", "徐汇区", "黄浦区", "普陀区", "虹口区", "杨浦区", "闵行区", "宝山区", "嘉定区"]
KINDS = ["政府工作报告", "工作总结", "国民经济和社会发展统计公报"]


def gold_paragraphs() -> list[str]:
    lines: list[str] = []
    for path in sorted(GOLD_DIR.glob("*.txt")):
        lines += [line for line in path.read_text(encoding="utf-8").splitlines() if len(line) > 20]
    return lines


def title_of(number: int) -> str:
    district = DISTRICTS[number % len(DISTRICTS)]
    return f"{district}{2010 + number % 15}年{KINDS[number % len(KINDS)]}（第{number}号）"


def article_html(title: str, paragraphs: list[str], charset: str, prev_href: str, next_href: str) -> str:
    body = "\n".join(f"<p>\u3000\u3000{html.escape(p)}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="{charset}">
<title>{html.escape(title)}_区人民政府</title>
<meta name="ArticleTitle" content="{html.escape(title)}">
</head>
<body>
<div class="header"><a href="/bg/index.html">首页</a> <a href="/bg/index.html">政务公开</a></div>
<div class="location">当前位置：<a href="/bg/index.html">首页</a> &gt; 政府工作报告</div>
<div class="article">
<table class="xxgk-meta"><tr><th>索引号：</th><td>0001/2024-00001</td><th>发布机构：</th><td>区人民政府办公室</td></tr></table>
<h1 class="article-title">{html.escape(title)}</h1>
<div class="article-content" id="zoom">
{body}
</div>
<div class="article-tools"><a href="javascript:window.print()">【打印本页】</a> <a href="javascript:window.close()">【关闭窗口】</a></div>
<p>上一篇：<a href="{prev_href}">上一篇文章</a></p><p>下一篇：<a href="{next_href}">下一篇文章</a></p>
</div>
<div class="footer"><p>主办单位：区人民政府办公室　网站标识码：3101050001</p></div>
</body>
</html>
"""


def list_html(page: int, pages: int, items: list[tuple[str, str]], root: str = "/bg") -> str:
    def name(n: int) -> str:
        return "index.html" if n == 0 else f"index_{n}.html"

    lis = "\n".join(f'<li><a href="{href}" target="_blank">{html.escape(title)}</a><span>2024-01-17</span></li>' for href, title in items)
    pager = [f'<a href="{name(0)}">首页</a>']
    if page > 0:
        pager.append(f'<a href="{name(page - 1)}">上一页</a>')
    pager += [f'<a href="{name(n)}">{n + 1}</a>' for n in range(max(0, page - 3), min(pages, page + 4)) if n != page]
    if page + 1 < pages:
        pager.append(f'<a href="{name(page + 1)}">下一页</a>')
    pager.append(f'<a href="{name(pages - 1)}">尾页</a>')
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>政府工作报告_区人民政府</title></head>
<body>
<div class="location">当前位置：<a href="{root}/index.html">首页</a> &gt; 政府工作报告</div>
<ul class="list">
{lis}
</ul>
<div class="page">共{pages}页 {" ".join(pager)}</div>
</body>
</html>
"""


def make_pdfs(paragraphs: list[str], rng: random.Random) -> list[bytes]:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle("body", fontName="STSong-Light", fontSize=12, leading=20, firstLineIndent=24, wordWrap="CJK")
    title_style = ParagraphStyle("title", parent=style, fontSize=18, leading=30, alignment=1, firstLineIndent=0)
    pdfs = []
    for number in range(DISTINCT_PDFS):
        out = io.BytesIO()
        doc = SimpleDocTemplate(out, pagesize=A4, invariant=True, title=title_of(number))
        chosen = rng.sample(paragraphs, 8)
        doc.build([Paragraph(html.escape(title_of(number)), title_style), *(Paragraph(html.escape(p), style) for p in chosen)])
        pdfs.append(out.getvalue())
    return pdfs


def generate(out_dir: Path, pages: int, seed: int = 2024) -> dict[str, int]:
    """Write the site; return counts of what it holds (lists, html, gbk, pdf)."""
    rng = random.Random(seed)
    paragraphs = gold_paragraphs()
    pdfs = make_pdfs(paragraphs, rng)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "art").mkdir(exist_ok=True)
    (out_dir / "bg").mkdir(exist_ok=True)
    routes = []
    items: list[tuple[str, str]] = []
    counts = {"lists": 0, "html": 0, "gbk": 0, "pdf": 0}
    for number in range(pages):
        title = title_of(number)
        if number % PDF_EVERY == PDF_EVERY - 1:
            path, file = f"/art/P{number:06d}.pdf", f"art/P{number:06d}.pdf"
            (out_dir / file).write_bytes(pdfs[number % len(pdfs)])
            routes.append({"path": path, "file": file, "headers": {"Content-Type": "application/pdf"}})
            counts["pdf"] += 1
        else:
            path, file = f"/art/t20240117_{number}.html", f"art/t20240117_{number}.html"
            chosen = rng.sample(paragraphs, rng.randint(8, 20))
            gbk = number % GBK_EVERY == GBK_EVERY - 1
            charset = "gbk" if gbk else "utf-8"
            previous = items[-1][0] if items else "/bg/index.html"
            page = article_html(title, chosen, charset, previous, "/bg/index.html")
            (out_dir / file).write_bytes(page.encode(charset, "xmlcharrefreplace"))
            routes.append({"path": path, "file": file, "headers": {"Content-Type": f"text/html; charset={charset}"}})
            counts["gbk" if gbk else "html"] += 1
        items.append((path, title))
    list_count = (pages + LINKS_PER_LIST - 1) // LINKS_PER_LIST
    for number in range(list_count):
        name = "index.html" if number == 0 else f"index_{number}.html"
        body = list_html(number, list_count, items[number * LINKS_PER_LIST : (number + 1) * LINKS_PER_LIST])
        (out_dir / "bg" / name).write_text(body, encoding="utf-8")
        routes.append({"path": f"/bg/{name}", "file": f"bg/{name}", "headers": {"Content-Type": "text/html; charset=utf-8"}})
    counts["lists"] = list_count
    (out_dir / "routes.json").write_text(json.dumps(routes, ensure_ascii=False), encoding="utf-8")
    return counts


# ---------------------------------------------------------------- the real-markup site

REALWORLD_DIR = ROOT.parent / "shared" / "realworld"
REALWORLD_HTML_KINDS = frozenset({"html-gold", "html-ref", "html-expect"})
# Where the real-markup site puts its pages: what both crawlers are told to follow (the pages'
# own relative links resolve onto loopback too, and would only be 404s for both).
REALWORLD_FOLLOW = r"/rw/(index(_\d+)?|art/a\d+)\.html$"


def realworld_pages(data_dir: Path = REALWORLD_DIR) -> list[Path]:
    """The HTML pages of ../shared/realworld (every folder), in index.json order."""
    index = json.loads((data_dir / "index.json").read_text(encoding="utf-8"))
    return [data_dir / entry["path"] for entry in index["files"] if entry["kind"] in REALWORLD_HTML_KINDS]


def generate_realworld(out_dir: Path, pages: int, data_dir: Path = REALWORLD_DIR) -> dict[str, int]:
    """Write a site whose `pages` articles are the real HTML pages of `data_dir`, cycled; return counts.

    Each article is a real page's bytes as they are, served as `text/html` without a charset: the
    saved pages come without their HTTP headers, so the decoder meets their lying and missing
    `<meta>` charsets as a crawler would (../shared/realworld/README.md). With more articles than
    real pages a page is served under several URLs (exact duplicates, as reprints are). List pages
    `/rw/index.html`, `/rw/index_1.html` … link 50 articles each, as `generate` does.
    """
    sources = realworld_pages(data_dir)
    if not sources:
        raise FileNotFoundError(f"no HTML pages listed in {data_dir / 'index.json'}")
    (out_dir / "rw" / "art").mkdir(parents=True, exist_ok=True)
    routes = []
    items: list[tuple[str, str]] = []
    for number in range(pages):
        source = sources[number % len(sources)]
        path, file = f"/rw/art/a{number:06d}.html", f"rw/art/a{number:06d}.html"
        if number < len(sources):
            (out_dir / file).write_bytes(source.read_bytes())
        else:  # a later copy of the same page: the same file, served under another URL
            file = f"rw/art/a{number % len(sources):06d}.html"
        routes.append({"path": path, "file": file, "headers": {"Content-Type": "text/html"}})
        items.append((path, f"{title_of(number)}（{source.stem}）"))
    list_count = (pages + LINKS_PER_LIST - 1) // LINKS_PER_LIST
    for page in range(list_count):
        name = "index.html" if page == 0 else f"index_{page}.html"
        body = list_html(page, list_count, items[page * LINKS_PER_LIST : (page + 1) * LINKS_PER_LIST], "/rw")
        (out_dir / "rw" / name).write_text(body, encoding="utf-8")
        routes.append({"path": f"/rw/{name}", "file": f"rw/{name}", "headers": {"Content-Type": "text/html; charset=utf-8"}})
    (out_dir / "routes.json").write_text(json.dumps(routes, ensure_ascii=False), encoding="utf-8")
    return {"lists": list_count, "html": pages, "distinct": min(pages, len(sources))}
