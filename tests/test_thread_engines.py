"""Forum threads and comment lists on engines other than Discuz! (cleaners/threads.py, cleaners/page_kind.py).

Each kind of loss found on real forum pages (issue #12) has a small hand-written page here; a few
real pages of ../shared/realworld are read at test time and checked with short snippets.
"""

from __future__ import annotations

import html

from support import SHARED

from cleaners.encoding import decode_html
from cleaners.extract import extract_html
from cleaners.htmltree import parse
from cleaners.page_kind import declares_article
from cleaners.steps import clean_text

REPORT = (SHARED / "gold" / "003.txt").read_text(encoding="utf-8").splitlines()
MAGIC = SHARED / "realworld" / "magic"


def paragraphs(lines: list[str]) -> str:
    return "".join(f"<p>{html.escape(line)}</p>" for line in lines)


def text_of(page: str, **kwargs: object) -> str:
    extracted = extract_html(page, **kwargs)  # type: ignore[arg-type]
    return clean_text(extracted.text, title=extracted.title)


def page(body: str, head: str = "") -> str:
    return f"<html><head><title>讨论帖</title>{head}</head><body><div class='top'><a href='/login'>登录</a></div>{body}</body></html>"


def real_page(name: str, **kwargs: object) -> str:
    extracted = extract_html(decode_html((MAGIC / name).read_bytes(), None).text, **kwargs)  # type: ignore[arg-type]
    return extracted.text


# ---------------------------------------------------------------- a post's chrome and its message


def flarum_post(number: int, user: str, message: str, by_starter: bool) -> str:
    kind = "CommentPost Post Post--by-start-user" if by_starter else "CommentPost Post"
    return f"""<div class="PostStream-item"><article class="{kind}"><header class="Post-header">
    <a href="/u/{user}"><span class="username">{user}</span></a><time datetime="2024-05-{number:02d}">{number} 天前</time>
    </header><div class="Post-body">{message}</div></article></div>"""


def test_a_short_post_whose_class_names_its_author_keeps_its_message() -> None:
    """"Post--by-start-user" says whose post it is; the post is not an author line however short it is."""
    posts = (
        flarum_post(1, "starter", paragraphs(REPORT[:2]), True)
        + flarum_post(2, "reader", "<p>可以试试另一个插件，应该能实现。</p>", False)
        + flarum_post(3, "starter", "<p>好的，谢谢你的建议。</p>", True)
    )
    text = text_of(page(f"<div class='PostStream'>{posts}</div>"))
    assert text == "\n".join([*REPORT[:2], "好的，谢谢你的建议。"])


def tieba_post(user: str, floor: int, message: str) -> str:
    return f"""<div class="l_post j_l_post"><div class="d_author"><a class="p_author_name" href="/home/main?id={user}">{user}</a></div>
    <div class="d_post_content">{message}</div><div class="core_reply_tail"><div class="post-tail-wrap">
    <span class="tail-info">来自Android客户端</span><span class="tail-info">{floor}楼</span>
    <span class="tail-info">2022-11-26 15:{floor:02d}</span><a href="#" class="p_reply">回复</a></div></div></div>"""


def test_a_posts_tail_line_is_chrome() -> None:
    posts = tieba_post("a", 1, paragraphs(REPORT[:2])) + tieba_post("b", 2, "<p>说得对，我也这么觉得。</p>")
    text = text_of(page(f"<div class='p_postlist'>{posts}</div>"), replies=True)
    assert text == "\n".join([*REPORT[:2], "说得对，我也这么觉得。"])
    assert "客户端" not in text and "楼" not in text


def comment(user: str, message: str, extra: str = "", badge: str = "") -> str:
    return f"""<div class="comment"><a class="avatar" href="/users/{user}"><img src="/a.png"></a>
    <a class="name" href="/users/{user}">{user}</a>{badge}<span class="text-mute" title="2024-05-14 16:13:31">1周前</span>
    <div class="comment-body"><p>{message}</p></div>{extra}</div>"""


def test_a_time_or_role_badge_alone_is_chrome_and_a_mention_is_text() -> None:
    comments = comment("lee", "直接使用隧道模式就好了，不用设置代理。", badge="<span>（楼主）</span>") + comment(
        "wang", "<a href='/users/lee'>@lee</a> 要先安装服务模式，再启用隧道模式。"
    )
    text = text_of(page(f"<div class='comments-feed'>{comments}</div>"), replies=True)
    assert text == "直接使用隧道模式就好了，不用设置代理。\n@lee要先安装服务模式，再启用隧道模式。"


def test_replies_nested_in_a_comments_footer_are_kept_with_the_replies() -> None:
    """A comment's sub-replies sit in its footer, beside its time and buttons."""
    nested = """<div class="reply-item"><div class="header-wrap"><a class="user-link" href="/u/zhao">zhao</a></div>
    <div class="content">个人观点，这个需求本身就是小众的。</div><span class="time-item">2023-07-07 03:56</span></div>"""
    footer = f"<div class='comment-footer'><span class='time-item'>2023-07-06 23:19</span><div class='actions'>赞 0</div>{nested}</div>"
    comments = comment("lee", "发展大了的工具毕竟也要受监管，这是必然的。", extra=footer) + comment(
        "wang", "好熟悉的应用啊，之前好像有开源版本。"
    )
    topic = f"<div class='topic'><p>{html.escape(REPORT[0])}</p></div>"
    whole = text_of(page(f"{topic}<ul class='list'>{comments}</ul>"), replies=True)
    assert whole.splitlines() == [
        REPORT[0],
        "发展大了的工具毕竟也要受监管，这是必然的。",
        "个人观点，这个需求本身就是小众的。",
        "好熟悉的应用啊，之前好像有开源版本。",
    ]
    assert "个人观点" not in text_of(page(f"{topic}<ul class='list'>{comments}</ul>"))


# ---------------------------------------------------------------- what is a thread, what is its topic


def test_a_feed_card_beside_the_article_is_not_a_post() -> None:
    """Two cards of one kind, each with a user link and a time: the article, and a box of headlines."""
    feed = "".join(f"<a href='/n/{i}'>{html.escape(line[:20])}</a><span>某报 {i}评论 5天前</span>" for i, line in enumerate(REPORT[5:10]))
    cards = (
        f"<div class='card'><a href='/c/user/1'>某区融媒体</a><span>2024-05-20 14:33</span>{paragraphs(REPORT[:4])}</div>"
        f"<div class='card'><a href='/c/user/2'>推荐</a><span>有 8 条更新</span>{feed}</div>"
    )
    assert text_of(page(f"<div class='main'>{cards}</div>"), replies=True) == "\n".join(REPORT[:4])


def test_comments_beside_a_declared_article_stay_out_even_with_replies() -> None:
    """og:type says the page is an article: a list of posts beside it is its comments, not a thread."""
    comments = comment("reader", "说得好，支持政府的工作，希望明年更好。") + comment("other", "我们小区的加装电梯什么时候能落实？")
    body = f"<div class='article'>{paragraphs(REPORT[:4])}</div><div class='list'>{comments}</div>"
    declared = page(body, head="<meta property='og:type' content='article'>")
    assert text_of(declared, replies=True) == "\n".join(REPORT[:4])
    assert "加装电梯" in text_of(page(body), replies=True)  # undeclared: a topic and its replies


def test_a_page_declares_an_article_by_og_type_or_schema_org() -> None:
    assert declares_article(parse(page("", head="<meta property='og:type' content='news'>")))
    ld = '<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle"}</script>'
    assert declares_article(parse(page("", head=ld)))
    assert declares_article(parse(page("<div itemscope itemtype='https://schema.org/BlogPosting'>x</div>")))
    assert not declares_article(parse(page("", head="<meta property='og:type' content='website'>")))
    assert not declares_article(parse(page("", head='<script type="application/ld+json">{"@type": </script>')))


def answer(user: str, message: str, main: bool = False) -> str:
    prop = "mainEntityOfPage" if main else "answer"
    return f"""<div class="AnswerItem" itemprop="{prop}" itemscope itemtype="http://schema.org/Answer">
    <div class="AuthorInfo" itemprop="author" itemscope itemtype="http://schema.org/Person">
    <a href="//example.com/people/{user}">{user}</a></div>
    <div class="RichContent">{message}</div></div>"""


def test_answers_declared_in_microdata_are_a_thread_wherever_they_stand() -> None:
    """A Q&A page: the answer the page is about, then more answers in a list further down.

    With replies kept they are the thread; without, they are many authors' answers, not one
    starter's posts, and the page's text is what the scoring finds.
    """
    question = f"<div class='QuestionHeader'><h1>{html.escape(REPORT[0])}</h1><p>{html.escape(REPORT[1])}</p></div>"
    more = "".join(f"<div class='List-item'>{answer(u, paragraphs([line]))}</div>" for u, line in (("b", REPORT[4]), ("c", REPORT[5])))
    body = f"{question}<div class='Card'>{answer('a', paragraphs(REPORT[2:4]), main=True)}</div><div class='List'>{more}</div>"
    assert text_of(page(body)) == "\n".join(REPORT[2:4])  # without replies: the answer the scoring finds
    whole = text_of(page(body), replies=True)
    assert all(line in whole for line in REPORT[1:6])


def test_highlighted_code_keeps_its_comment_tokens() -> None:
    """Prism marks a shell comment `token comment`; inside <pre> that names a token, not a comment box."""
    code = (
        "<pre><code><span class='token comment'># 设置代理</span>\nset http_proxy=http:"
        "<span class='token comment'>//127.0.0.1:59727</span>\n</code></pre>"
    )
    body = f"<div class='article-content'>{paragraphs(REPORT[:3])}{code}</div>"
    text = text_of(page(body))
    assert "#设置代理" in text and "http://127.0.0.1:59727" in text


# ---------------------------------------------------------------- real pages


def test_real_flarum_thread_keeps_the_starters_short_posts() -> None:
    text = real_page("forum-3a43c342657c.html")
    assert "这个只能隐藏指定内容" in text and "看来只能找人二开插件了" in text


def test_real_comment_replies_nested_in_a_footer_are_kept_with_replies() -> None:
    text = real_page("forum-20373e03defc.html", replies=True)
    assert "个人观点，端密聊天" in text and "这个是开源的" in text


def test_real_code_keeps_its_comment_tokens() -> None:
    assert "curl -v https://www.google.com" in real_page("forum-7b01ccf33237.html", replies=True)


def test_real_news_comments_stay_out_with_replies() -> None:
    text = real_page("article-1b929fec5b59.html", replies=True)
    assert "被控受贿" in text or "汲斌昌" in text
    assert "人心不足蛇吞象" not in text


def test_one_reply_whose_class_says_so_is_a_thread_of_one() -> None:
    """A topic with a single comment: no list of posts, but the block's class says it is a comment."""
    reply = """<div class="ant-comment"><span class="username"><a>reader</a></span><small class="time">10月前</small>
    <div class="comment-content">花钱就可以解决问题嘛？我觉得不一定。</div></div>"""
    body = f"<div class='topic'>{paragraphs(REPORT[:2])}</div><div class='comments'>{reply}</div>"
    assert text_of(page(body)) == "\n".join(REPORT[:2])
    assert text_of(page(body), replies=True) == "\n".join([*REPORT[:2], "花钱就可以解决问题嘛？我觉得不一定。"])
    lone = (
        "<div class='ant-item'><span class='username'><a>reader</a></span><small class='time'>10月前</small>"
        "<p>一条没有名分的留言内容。</p></div>"
    )
    assert "没有名分" not in text_of(page(f"<div class='topic'>{paragraphs(REPORT[:2])}</div><div>{lone}</div>"), replies=True)


def test_a_one_line_post_beside_a_list_of_links_is_the_text() -> None:
    """Too short to score as paragraphs; the author's latest posts beside it are not the page."""
    latest = "".join(f"<div class='topic-list'><a href='/info/{i}'>{html.escape(line[:24])}</a></div>" for i, line in enumerate(REPORT[:6]))
    body = f"""<div class='left'><div class='title'>审查标准</div>
    <div class='rich-text-content-wrap markdown-body'><p>商标的资料</p>
    <p><a href='/api/download?id=1'>审查标准.pdf 10.12MB</a></p></div></div>
    <div class='right'><div class='card'><div class='head'>最新发布</div>{latest}</div></div>"""
    extracted = extract_html(page(body))
    assert clean_text(extracted.text).splitlines() == ["商标的资料", "审查标准.pdf 10.12MB"]
    bare = body.replace("rich-text-content-wrap markdown-body", "box")
    assert extract_html(page(bare)).link_entries >= 5  # without a body mark: the list is what the page holds


def test_real_one_line_post_is_not_a_list_page() -> None:
    text = real_page("forum-064630183c16.html")
    assert "商标的资料" in text and "实务改写课程" not in text


def test_a_reply_quoted_in_a_posts_footer_is_kept_whole_without_its_header() -> None:
    """A post's footer shows the best answer: its header names an author and a time too, and is not the reply."""
    best = """<li class="item-bestAnswerPost"><div class="CommentPost"><div class="Post-header">
    <a href="/u/lee"><span class="username">lee</span></a><time datetime="2024-05-16">2024年5月16日 16点12分</time>
    <span class="Post--BestAnswer">最佳回复</span></div><div class="Post-body"><p>测试了，可以安装，是免费的。感谢！</p></div></div></li>"""
    footer = f"<footer class='Post-footer'><ul>{best}</ul></footer>"
    first = flarum_post(1, "lee", paragraphs(REPORT[:2]), True).replace("</article>", f"{footer}</article>")
    posts = first + flarum_post(2, "wang", "<p>可以试试另一个插件，应该能实现。</p>", False)
    text = text_of(page(f"<div class='PostStream'>{posts}</div>"), replies=True)
    assert text.splitlines() == [*REPORT[:2], "测试了，可以安装，是免费的。感谢！", "可以试试另一个插件，应该能实现。"]


# ---------------------------------------------------------------- engines not in the real pages


def test_a_phpbb_thread_whose_posts_alternate_their_class() -> None:
    """phpBB writes "post bg2", "post bg1", "post bg2" …: one list, not two."""
    def phpbb(number: int, user: str, message: str) -> str:
        return f"""<div id="p{number}" class="post has-profile bg{2 - number % 2}"><div class="inner">
        <dl class="postprofile"><dt><a href="./memberlist.php?mode=viewprofile&amp;u={number}" class="username">{user}</a></dt>
        <dd class="profile-posts"><strong>帖子:</strong> 12</dd></dl>
        <div class="postbody"><h3><a href="#p{number}">Re: 讨论</a></h3>
        <p class="author"><span class="responsive-hide">由 <strong><a href="./memberlist.php?mode=viewprofile&amp;u={number}"
        class="username">{user}</a></strong> » </span>2024-03-0{number} 10:12</p>
        <div class="content">{message}</div></div></div></div>"""

    posts = (
        phpbb(1, "starter", paragraphs(REPORT[:2]))
        + phpbb(2, "reader", "<p>写得很好，学习了，感谢分享。</p>")
        + phpbb(3, "other", "<p>请问有没有去年的版本？</p>")
    )
    whole = text_of(page(f"<div id='page-body'>{posts}</div>"), replies=True)
    assert whole.splitlines() == [*REPORT[:2], "写得很好，学习了，感谢分享。", "请问有没有去年的版本？"]
    assert text_of(page(f"<div id='page-body'>{posts}</div>")) == "\n".join(REPORT[:2])


def test_a_discourse_thread_in_its_crawler_view() -> None:
    def discourse(number: int, user: str, message: str) -> str:
        kind = "DiscussionForumPosting" if number == 1 else "Comment"
        return f"""<div id="post_{number}" itemscope itemtype="http://schema.org/{kind}" class="topic-body crawler-post">
        <div class="crawler-post-meta"><span class="creator" itemprop="author"><a itemprop="url" href="/u/{user}">
        <span itemprop="name">{user}</span></a></span><span class="crawler-post-infos">
        <time itemprop="datePublished" datetime="2024-03-0{number}T10:00:00Z">2024年3月{number}日 10:00</time>
        <span itemprop="position">#{number}</span></span></div>
        <div class="post" itemprop="text">{message}</div>
        <div itemprop="interactionStatistic"><span class="post-likes">3 个赞</span></div></div>"""

    posts = discourse(1, "starter", paragraphs(REPORT[:2])) + discourse(2, "reader", "<p>感谢分享，很有参考价值。</p>")
    whole = text_of(page(f"<div id='main-outlet'><h1>讨论</h1>{posts}</div>"), replies=True)
    assert whole.splitlines() == [*REPORT[:2], "感谢分享，很有参考价值。"]


def test_a_v2ex_like_topic_with_reply_cells() -> None:
    def cell(number: int, user: str, message: str) -> str:
        return f"""<div id="r_{number}" class="cell"><table><tr><td><img src="/a.png" class="avatar"></td>
        <td><strong><a href="/member/{user}" class="dark">{user}</a></strong>
        <span class="ago" title="2024-03-01 10:00">{number} 天前</span>
        <span class="no">{number}</span><div class="reply_content">{message}</div></td></tr></table></div>"""

    topic = f"<div class='box'><div class='header'><h1>讨论</h1></div><div class='topic_content'>{paragraphs(REPORT[:2])}</div></div>"
    replies = cell(1, "reader", "感谢分享，很有参考价值。") + cell(2, "other", "这个思路不错，我也试试看。")
    whole = text_of(page(f"{topic}<div class='box'>{replies}</div>"), replies=True)
    assert whole.splitlines() == [*REPORT[:2], "感谢分享，很有参考价值。", "这个思路不错，我也试试看。"]
    assert text_of(page(f"{topic}<div class='box'>{replies}</div>")) == "\n".join(REPORT[:2])


def test_comments_under_a_story_naming_its_news_source_stay_out_even_with_replies() -> None:
    """No og:type, but the story names its source (来源：…): news, and the posts under it are comments."""
    comments = comment("reader", "说得好，支持政府的工作，希望明年更好。") + comment("other", "我们小区的加装电梯什么时候能落实？")
    story = f"<div class='article'>{paragraphs(REPORT[:4])}<p>来源 | 某区融媒体中心</p></div>"
    assert "加装电梯" not in text_of(page(f"{story}<div class='list'>{comments}</div>"), replies=True)
    topic = f"<div class='article'>{paragraphs(REPORT[:4])}</div>"
    assert "加装电梯" in text_of(page(f"{topic}<div class='list'>{comments}</div>"), replies=True)


def test_real_news_comments_without_a_declaration_stay_out_with_replies() -> None:
    text = real_page("article-23942aabb8b2.html", replies=True)
    assert "涉事门店的抖音账号" in text and "今天擦边不管" not in text


def test_buttons_and_counts_inside_a_post_are_chrome() -> None:
    buttons = "<div><a class='operate'><small>回复</small></a> <span class='x'>赞12</span> <a>举报</a></div>"
    comments = comment("lee", "直接使用隧道模式就好了，不用设置代理。", extra=buttons)
    comments += comment("wang", "要先安装服务模式，再启用隧道模式。", extra=buttons)
    text = text_of(page(f"<div class='comments-feed'>{comments}</div>"), replies=True)
    assert text == "直接使用隧道模式就好了，不用设置代理。\n要先安装服务模式，再启用隧道模式。"
