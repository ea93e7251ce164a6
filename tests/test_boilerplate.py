"""Residual chrome at the edges of a text (rule 1) and the title line at its head."""

from __future__ import annotations

import pytest
from support import SHARED

from cleaners.boilerplate import (
    drop_leading_title,
    edge_chrome,
    edge_rules,
    strip_edge_boilerplate,
)
from cleaners.steps import clean_text

BODY = "一、2023年工作回顾\n全年实现地区生产总值2846.03亿元，同比增长7.0%。\n各位代表，征程万里阔，奋斗正当时。"

CHROME_LINES = [
    "本文仅代表作者观点，不代表本站立场。",
    "本文地址：/baogao/huadong/9817.html",
    "上一篇：关于印发某某方案的通知",
    "下一篇：2022年工作总结",
    "责任编辑：张三",
    "【打印本页】【关闭窗口】",
    "打印本页|关闭窗口",
    "分享到：微信 微博",
    "当前位置：首页>政务公开>工作报告",
    "沪ICP备12345678号-1",
    "网站标识码：3100000001",
    "上海市静安区人民政府版权所有",
    "版权所有：上海市静安区人民政府",
    "Copyright © 2024 上海市静安区人民政府",
    "您需要登录后才可以回帖登录|立即注册",
    "快速回复返回顶部返回列表",
    "留言与评论（共有条评论）",
    "验证码：",
    "网站地图",
    "Powered by Discuz! X3.4 Licensed",
    "发布日期：2024-02-02",
    "•发文机构：上海市长宁区人民政府新华路街道办事处",
    "字号：大中小",
    "【大】【中】【小】",
    "发表于2023-5-23 17:06:50|显示全部楼层|阅读模式",
    "查看：541|回复：0",
    "相关阅读",
    "本词条缺少概述图，补充相关内容使词条更完整，还能快速升级，赶紧来编辑吧！",
    "本词条内容不足，欢迎各位编辑词条，额外获取5个积分。",
    "更多“怎么投诉举报”的相关经验资讯请关注www.example.com",
    "欢迎访问 https://www.example.gov.cn/",
]


def test_rules_load_once_and_every_pattern_has_a_name() -> None:
    rules = edge_rules()
    assert rules is edge_rules()
    assert rules.patterns and all(p.name for p in rules.patterns)


@pytest.mark.parametrize("line", CHROME_LINES)
def test_chrome_line_is_recognised(line: str) -> None:
    assert edge_rules().reason(line) is not None


@pytest.mark.parametrize("line", CHROME_LINES)
def test_chrome_is_stripped_at_head_and_tail(line: str) -> None:
    assert strip_edge_boilerplate(f"{line}\n{BODY}\n{line}") == BODY


@pytest.mark.parametrize("line", CHROME_LINES)
def test_same_line_inside_the_body_survives(line: str) -> None:
    text = f"{BODY}\n{line}\n{BODY}"
    assert strip_edge_boilerplate(text) == text


@pytest.mark.parametrize(
    "sentence",
    [
        "依法保护著作权人版权所有的合法权益，严厉打击侵权盗版行为。",
        "上一篇章已经写完，下一篇章由我们共同书写。",
        "完善网站地图与导航服务，提升政务网站的可用性。",
        "全面推行验证码等安全措施，守牢网络安全底线。",
        "具体办理指南请访问www.example.gov.cn查询",
    ],
)
def test_body_sentences_with_chrome_words_survive_even_at_the_edges(sentence: str) -> None:
    text = f"{sentence}\n{BODY}\n{sentence}"
    assert strip_edge_boilerplate(text) == text


def test_short_fillers_between_chrome_go_but_not_before_the_innermost_chrome() -> None:
    tail = ["本版积分规则", "客服中心", "在线时间：", "周一~周五", "9:00-18:00", "客服中心"]
    signature = ["上海市静安区人民政府", "2024年1月17日"]
    lines = [*BODY.split("\n"), *signature, *tail]
    assert strip_edge_boilerplate("\n".join(lines)) == "\n".join([*BODY.split("\n"), *signature])


def test_edge_chrome_gives_reasons() -> None:
    reasons = edge_chrome(["当前位置：首页", *BODY.split("\n"), "网站地图"])
    assert reasons == {0: "breadcrumb", 4: "footer"}


def test_title_line_at_the_head_is_dropped_with_chrome_above_it() -> None:
    text = f"设为首页收藏本站\n[上海]某某报告\n某某报告\n{BODY}"
    assert drop_leading_title(text, "某某报告") == BODY


def test_title_after_body_has_started_stays() -> None:
    text = f"{BODY}\n政府工作报告"
    assert drop_leading_title(text, "政府工作报告") == text


def test_title_is_compared_after_normalisation() -> None:
    assert clean_text(f"２０２４年 政府工作报告\n{BODY}", title="2024年政府工作报告") == BODY


def test_seed_004_tail_chrome_is_stripped() -> None:
    seed = next((SHARED / "seeds").glob("004_*.txt")).read_text("utf-8")
    cleaned = clean_text(seed)
    for chrome in ("本文仅代表作者观点", "本文地址", "留言与评论", "验证码", "网站地图"):
        assert chrome not in cleaned
    assert cleaned.endswith("不断增强城区安全韧性。" + cleaned.rsplit("不断增强城区安全韧性。", 1)[1])


def test_seed_001_forum_chrome_is_stripped() -> None:
    seed = next((SHARED / "seeds").glob("001_*.txt")).read_text("utf-8")
    cleaned = clean_text(seed, title="2023年上海市静安区政府工作报告")
    assert cleaned.startswith("——2023年1月5日在静安区第二届人民代表大会第三次会议上\n")
    assert cleaned.endswith("而不懈奋斗！")
