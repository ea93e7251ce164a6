"""Forum threads and comment lists on any engine: repeated post blocks with an author and a time.

Discuz! has its own extractor (cleaners/extract.py); every other forum, Q&A or comment engine
(Flarum, phpBB, Tieba, Ruby China, a news site's comments …) is recognised by its shape, not
by its name: siblings of the same tag and class, at least `min_posts` of them, each of which
names an author (an element whose class says author/user/nick …, or a link to a user page) and
shows a time (a date, a clock time, "3 天前", a <time> element), and holds some text of its own.

What such a list is depends on what stands outside it: when the page has an article of its
own beside the list (a topic body, a news story), the list is its comments; otherwise the list
is the thread, and its first post is the starter's. Either way other users' posts are not the
document (TEXT_SPEC rule 1); the starter's later posts in the thread are.

Patterns are data (`[threads]` in rules/content.toml).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from typing import Any

from lxml import etree

from cleaners.content import RULES_PATH, TreeStats
from cleaners.htmltree import remove_keeping_tail


@dataclass(frozen=True)
class ThreadRules:
    author_class: re.Pattern[str]
    author_href: re.Pattern[str]
    time_text: re.Pattern[str]
    time_class: re.Pattern[str]
    min_posts: int
    min_post_chars: int
    max_author_chars: int
    min_headline_chars: int
    alternating_class: re.Pattern[str]
    reply_class: re.Pattern[str]
    post_schema_types: frozenset[str]
    role_badge: re.Pattern[str]
    stamp_words: re.Pattern[str]
    post_chrome: re.Pattern[str]


@cache
def thread_rules() -> ThreadRules:
    """The `[threads]` rules of rules/content.toml, compiled once."""
    with RULES_PATH.open("rb") as fh:
        data: dict[str, Any] = tomllib.load(fh)["threads"]
    return ThreadRules(
        author_class=re.compile(data["author_class"], re.IGNORECASE),
        author_href=re.compile(data["author_href"], re.IGNORECASE),
        time_text=re.compile(data["time_text"], re.IGNORECASE),
        time_class=re.compile(data["time_class"], re.IGNORECASE),
        min_posts=data["min_posts"],
        min_post_chars=data["min_post_chars"],
        max_author_chars=data["max_author_chars"],
        min_headline_chars=data["min_headline_chars"],
        alternating_class=re.compile(data["alternating_class"], re.IGNORECASE),
        reply_class=re.compile(data["reply_class"], re.IGNORECASE),
        post_schema_types=frozenset(data["post_schema_types"]),
        role_badge=re.compile(data["role_badge"], re.IGNORECASE),
        stamp_words=re.compile(data["stamp_words"], re.IGNORECASE),
        post_chrome=re.compile(data["post_chrome"], re.IGNORECASE),
    )


@dataclass(frozen=True)
class Thread:
    """A list of posts, in page order, with each post's author key (a user link's address, or a name)."""

    posts: list[etree._Element]
    authors: list[str | None]

    @property
    def starter(self) -> str | None:
        return self.authors[0]

    def starter_posts(self, starter: str | None = None) -> list[etree._Element]:
        """The posts of `starter` (default: the first post's author); the first post alone if it names none."""
        starter = starter or self.starter
        if starter is None:
            return self.posts[:1]
        return [post for post, author in zip(self.posts, self.authors, strict=True) if author == starter]


def _marks(el: etree._Element) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''}"


def author_key(post: etree._Element) -> str | None:
    """Who wrote a post: the address of its first user link, else the name its author element shows."""
    rules = thread_rules()
    for el in post.iter(etree.Element):
        if el.tag == "a" and rules.author_href.search(el.get("href") or ""):
            name = "".join(el.itertext()).strip()
            if 0 < len(name) <= rules.max_author_chars or el.get("title"):
                return el.get("href")
        if not rules.author_class.search(_marks(el)):
            continue
        name = " ".join("".join(el.itertext()).split())
        if not name:
            continue  # an avatar: the name comes next
        inner_names = (inner for inner in el.iterdescendants(etree.Element) if rules.author_class.search(_marks(inner)))
        if any("".join(inner.itertext()).strip() for inner in inner_names):
            continue  # a user card: the name is in an element of its own inside it
        link = next((a for a in el.iter("a") if "".join(a.itertext()).strip()), None)
        if link is not None and link.get("href"):
            return link.get("href")
        return name if len(name) <= rules.max_author_chars else None
    return None


def shows_time(post: etree._Element) -> bool:
    """Whether a post shows when it was written: a <time>, a time-classed element, or a date in its text."""
    rules = thread_rules()
    for el in post.iter(etree.Element):
        if el.tag == "time" or (el.tag == "abbr" and el.get("title")) or rules.time_class.search(_marks(el)):
            return True
    return bool(rules.time_text.search("".join(post.itertext())))


def find_thread(root: etree._Element, stats: TreeStats, declared: bool = False) -> Thread | None:
    """The largest list of posts below `root` (by the characters its posts hold), or None.

    With `declared`, the posts the page declares in microdata (`declared_thread`) are a candidate too.
    """
    rules = thread_rules()
    best: tuple[int, Thread] | None = None
    single: tuple[int, Thread] | None = None  # the largest reply that stands alone: believed only without a list
    for parent_index, parent in enumerate(stats.els):
        if stats.chars[stats.block[parent_index]] < rules.min_posts * rules.min_post_chars:
            continue
        groups: dict[tuple[str, str], list[etree._Element]] = {}
        for child in parent.iterchildren(etree.Element):
            groups.setdefault((str(child.tag), _kind_of(child)), []).append(child)
        for (_, kind), members in groups.items():
            # One post alone is a list of replies only when its class says it is a reply.
            wanted = 1 if rules.reply_class.search(kind) else rules.min_posts
            if len(members) < wanted or (not kind and members[0].tag not in ("li", "article", "tr")):
                continue
            thread = _posts_of(members, stats, wanted)
            if thread is None:
                continue
            size = sum(stats.block_totals(stats.index[post])[0] for post in thread.posts)
            if len(members) == 1:
                if single is None or size > single[0]:
                    single = size, thread
            elif best is None or size > best[0]:
                best = size, thread
    listed = declared_thread(root, stats) if declared else None
    if listed is not None:
        size = sum(stats.block_totals(stats.index[post])[0] for post in listed.posts)
        if best is None or size > best[0]:
            best = size, listed
    best = best or single
    return best[1] if best else None


def _kind_of(el: etree._Element) -> str:
    """An element's class names, sorted, without those engines alternate ("post bg1" / "post bg2": "post")."""
    alternating = thread_rules().alternating_class
    return " ".join(sorted(name for name in (el.get("class") or "").split() if not alternating.fullmatch(name)))


def declared_thread(root: etree._Element, stats: TreeStats) -> Thread | None:
    """The posts the page declares in schema.org microdata (an `itemtype` of `post_schema_types`:
    Answer, Comment, DiscussionForumPosting …), outermost ones, wherever they stand; None if fewer
    than `min_posts` hold `min_post_chars` of text outside links.
    """
    rules = thread_rules()
    found = [
        el
        for el in root.iterdescendants(etree.Element)
        if el.get("itemtype") and _schema_name(el.get("itemtype") or "") in rules.post_schema_types
    ]
    posts = []
    for el in found:
        if any(other is not el and other in el.iterancestors() for other in found):
            continue
        chars, links, _ = stats.block_totals(stats.index[el])
        if chars - links >= rules.min_post_chars:
            posts.append(el)
    if len(posts) < rules.min_posts:
        return None
    return Thread(posts, [author_key(post) for post in posts])


def _schema_name(itemtype: str) -> str:
    """The type name of a microdata itemtype URL ("http://schema.org/Answer" -> "Answer"); the first of several."""
    first = itemtype.split()[0] if itemtype.split() else ""
    return first.rstrip("/").rsplit("/", 1)[-1]


def _posts_of(members: list[etree._Element], stats: TreeStats, wanted: int) -> Thread | None:
    """The members that are posts, if `wanted` or more of them are, and at least half of all members."""
    rules = thread_rules()
    posts: list[etree._Element] = []
    authors: list[str | None] = []
    for member in members:
        chars, links, _ = stats.block_totals(stats.index[member])
        if chars - links < rules.min_post_chars or _is_link_list(member, chars):
            continue
        author = author_key(member)
        if author is None or not shows_time(member):
            continue
        posts.append(member)
        authors.append(author)
    if len(posts) < wanted or 2 * len(posts) < len(members):
        return None
    return Thread(posts, authors)


def _is_link_list(member: etree._Element, chars: int) -> bool:
    """Whether most of a member's text is in headline links (a feed card, a "more stories" box), not a post."""
    rules = thread_rules()
    headlines = [c for c in (len("".join("".join(a.itertext()).split())) for a in member.iter("a")) if c >= rules.min_headline_chars]
    return len(headlines) >= rules.min_posts + 1 and 2 * sum(headlines) > chars


def message_of(post: etree._Element, nested: bool = False) -> etree._Element:
    """A post with its author line, time, header, footer and action links removed (in place): its message.

    With `nested`, replies nested in the post's chrome (a comment's sub-replies in its footer) are
    kept, each as a message of its own, in place of the chrome that held them.

    What goes is what the post's markup names as such: author-classed elements and user links
    with a name-length text (not "@name" mentions), <time> and time-classed elements,
    <header>/<footer>/<aside>, blocks whose class names post chrome (`post_chrome`: footer,
    actions, toolbar, signature, profile …), elements that hold nothing but a time, a role badge
    or a floor number ("1周前", "（楼主）", "#3": `time_text`, `role_badge`), and a heading that
    only links to the post itself ("Re: subject").
    """
    rules = thread_rules()
    doomed = []
    for el in post.iterdescendants(etree.Element):
        marks = _marks(el)
        text = "".join("".join(el.itertext()).split())
        short = len(text) <= 2 * rules.max_author_chars
        if (
            el.tag in ("header", "footer", "aside", "time")
            or rules.post_chrome.search(marks)
            or rules.time_class.search(marks)
            or (short and rules.author_class.search(marks) and not _holds_message(el))
            or (short and el.tag == "a" and rules.author_href.search(el.get("href") or "") and not text.startswith("@"))
            or (short and _is_stamp(text))
            or (short and _is_permalink_heading(el, text))
        ):
            doomed.append(el)
    for el in doomed:
        if el.getparent() is not None and not any(ancestor in doomed for ancestor in el.iterancestors()):
            for reply in _nested_posts(el) if nested else []:
                message_of(reply, nested=True)
                reply.tail = None
                el.addprevious(reply)
            remove_keeping_tail(el)
    return post


def is_post(el: etree._Element) -> bool:
    """Whether an element, on its own, is a post: it names an author, shows a time and holds text outside links."""
    rules = thread_rules()
    chars = sum(len("".join(t.split())) for t in el.itertext())
    links = sum(len("".join(t.split())) for a in el.iter("a") for t in a.itertext())
    return chars - links >= rules.min_post_chars and author_key(el) is not None and shows_time(el)


def _nested_posts(chrome: etree._Element) -> list[etree._Element]:
    """The outermost elements below `chrome` that are posts of their own (replies nested in a post), in order.

    Outermost: a list of sub-replies is taken whole (its replies' chrome goes with `message_of`),
    so that a reply's header, which names an author and a time too, is never taken for the reply.
    """
    found: list[etree._Element] = []
    for el in chrome.iterdescendants(etree.Element):
        if found and any(ancestor is found[-1] for ancestor in el.iterancestors()):
            continue
        if is_post(el):
            found.append(el)
    return found


def _is_stamp(text: str) -> bool:
    """Whether a (whitespace-free) text is only a time or a role badge: "1周前", "2024-05-14 16:13", "（楼主）"."""
    rules = thread_rules()
    if not text:
        return False
    if rules.role_badge.fullmatch(text):
        return True
    rest = rules.time_text.sub("", text)
    return rest != text and len(rules.stamp_words.sub("", rest)) == 0


def _is_permalink_heading(el: etree._Element, text: str) -> bool:
    """A heading that is nothing but a link to the post itself ("Re: subject" linking to #p2)."""
    if el.tag not in ("h1", "h2", "h3", "h4", "h5", "h6") or not text:
        return False
    anchors = [a for a in el.iter("a") if (a.get("href") or "").startswith("#")]
    return "".join("".join("".join(a.itertext()).split()) for a in anchors) == text


def _holds_message(el: etree._Element) -> bool:
    """Whether an author-classed element holds a message of its own beside the author's name and the time.

    Such an element is around the author and the text (a whole short post whose class says whose
    it is, "Post--by-start-user"), not an author line ("由 name » 2024-03-02 10:12"): its parts are
    judged one by one.
    """
    rules = thread_rules()
    names = [
        inner
        for inner in el.iterdescendants(etree.Element)
        if rules.author_class.search(_marks(inner)) or (inner.tag == "a" and rules.author_href.search(inner.get("href") or ""))
    ]
    if not names:
        return False
    text = "".join("".join(el.itertext()).split())
    for name in names:
        text = text.replace("".join("".join(name.itertext()).split()), "", 1)
    rest = rules.stamp_words.sub("", rules.time_text.sub("", text))
    return len(rest) >= rules.min_post_chars
