"""A source's report policy: which titles name the kind of report a crawl is after.

Used twice with the same rule: on link texts, to decide which links are worth following
(crawler/links.py), and on a built document's title, as the last filter before it is stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from cleaners.document import Document, Rejected
from cleaners.reasons import Reason

# Without a title, a document's opening stands in for it.
TITLE_STAND_IN_CHARS = 200


@dataclass(frozen=True)
class ReportPolicy:
    """`keywords`: a title must name one (none configured: everything passes); `exclude`: and none of these."""

    keywords: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def admits(self, title: str) -> bool:
        """Whether `title` names a report kind and is not news about one (召开…讨论…)."""
        return is_report_title(title, self.keywords, self.exclude)

    def names_report(self, text: str) -> bool:
        """Positive evidence: keywords are configured and `text` names one (and no excluded word)."""
        return bool(self.keywords) and self.admits(text)

    def check(self, doc: Document) -> Document:
        """The document, or Rejected(not_report) when its title names no report kind of this source."""
        if not self.admits(doc.title or doc.text[:TITLE_STAND_IN_CHARS]):
            raise Rejected(Reason.NOT_REPORT, f"title {doc.title!r} does not name a report (source's report filter)")
        return doc


def is_report_title(title: str, keywords: tuple[str, ...], exclude: tuple[str, ...] = ()) -> bool:
    """The report filter on one title: it names a keyword and no excluded word; no keywords: True."""
    if not keywords:
        return True
    return any(keyword in title for keyword in keywords) and not any(word in title for word in exclude)
