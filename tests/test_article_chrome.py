"""Chrome inside an article's own container (cleaners/rules/sites.toml chrome_lines), TEXT_SPEC rule 1."""

from __future__ import annotations

import html

import pytest
from support import SHARED

from cleaners.extract import extract_html
from cleaners.steps import clean_text

REPORT = (SHARED / "gold" / "003.txt").read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize(
    "notice",
    [
        "某某网（www.example.com）专稿，未经书面授权请勿转载。",
        "本文为本站原创，未经许可，禁止转载。",
        "未经授权不得转载",
    ],
)
def test_a_reprint_notice_at_the_end_of_the_article_is_chrome(notice: str) -> None:
    body = "".join(f"<p>{html.escape(line)}</p>" for line in REPORT[:3]) + f"<p>{html.escape(notice)}</p>"
    extracted = extract_html(f"<html><head><title>t</title></head><body><div class='article'>{body}</div></body></html>")
    assert clean_text(extracted.text) == "\n".join(REPORT[:3])


def test_a_sentence_about_reprints_is_body() -> None:
    line = "对未经许可擅自转载、复制政府信息的行为，依法追究责任，并在全区范围内开展专项整治，维护权利人合法权益。"
    body = "".join(f"<p>{html.escape(x)}</p>" for x in [*REPORT[:3], line])
    extracted = extract_html(f"<html><head><title>t</title></head><body><div class='article'>{body}</div></body></html>")
    assert line in clean_text(extracted.text)
