"""Properties of `clean_text` that must hold on any input, not just the five seeds."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import SHARED

from cleaners.layout import CLOSING_PUNCTUATION, is_heading
from cleaners.steps import STEPS_BY_SOURCE, clean_text

GOLD_DIR = SHARED / "gold"
GOLD_PARAGRAPHS = sorted(
    {line for path in sorted(GOLD_DIR.glob("*.txt")) for line in path.read_text("utf-8").splitlines()}
    - {""}
)
SOURCE_TYPES = sorted(STEPS_BY_SOURCE)

CJK_SAMPLE = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所"
    "民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日"
    "那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想"
    "已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指"
    "几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权"
    "收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集"
    "温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支"
    "般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属"
    "圆包火住调满县局照参红细引听该铁价严"
)
NOISE_ALPHABET = CJK_SAMPLE + "abcXYZ0123456789 　，。、“”《》%.-"
WHITESPACE = st.sampled_from(["", " ", "  ", "\t", "\u3000\u3000", "\u00a0", " \u3000 "])
# Anything at all, and text shaped like scraped Chinese pages (CJK, full-width forms, stray
# ASCII punctuation, odd whitespace, control characters and combining marks).
PAGE_ALPHABET = (
    CJK_SAMPLE[:200]
    + "ａＢ１２，。：；（）！？、“”—…·%.,:;()?!-/ \t\u3000\u00a0\u200b\ufeff\r\f\x00\x07\u0301\u0308\u302a"
    + "ⅲé①（一）一、第页\n\n\n"
)
ANY_TEXT = st.one_of(st.text(max_size=300), st.text(alphabet=PAGE_ALPHABET, max_size=400))
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(text=ANY_TEXT, source_type=st.sampled_from(SOURCE_TYPES))
def test_clean_text_is_idempotent(text: str, source_type: str) -> None:
    once = clean_text(text, source_type=source_type)
    assert clean_text(once, source_type=source_type) == once


@SETTINGS
@given(
    text=ANY_TEXT,
    source_type=st.sampled_from(SOURCE_TYPES),
    title=st.text(alphabet=PAGE_ALPHABET, min_size=1, max_size=20),
)
def test_clean_text_with_title_is_idempotent(text: str, source_type: str, title: str) -> None:
    once = clean_text(f"{title}\n{text}", source_type=source_type, title=title)
    assert clean_text(once, source_type=source_type, title=title) == once


@SETTINGS
@given(text=st.text(max_size=500), source_type=st.sampled_from(SOURCE_TYPES))
def test_output_is_canonical_in_shape(text: str, source_type: str) -> None:
    cleaned = clean_text(text, source_type=source_type)
    for line in cleaned.split("\n") if cleaned else []:
        assert line, "no blank lines"
        assert line == line.strip(), "no indentation or trailing whitespace"


def noise_lines(paged: bool) -> st.SearchStrategy[str]:
    """Junk lines; in paged text they end a sentence, or a layout join would be right to take them."""
    line = st.text(alphabet=NOISE_ALPHABET, min_size=4, max_size=40).filter(
        lambda s: s.strip() and s.strip()[0] not in CLOSING_PUNCTUATION and not s.strip().startswith("——")
    )
    return line.map(lambda s: s.rstrip() + "。") if paged else line


@st.composite
def gold_with_noise(draw: st.DrawFn, paged: bool) -> tuple[str, list[str]]:
    paragraphs = draw(st.lists(st.sampled_from(GOLD_PARAGRAPHS), min_size=1, max_size=8, unique=True))
    lines: list[str] = []
    for paragraph in paragraphs:
        lines += draw(st.lists(st.one_of(noise_lines(paged), WHITESPACE), max_size=3))
        lines.append(draw(WHITESPACE) + paragraph + draw(WHITESPACE))
    lines += draw(st.lists(st.one_of(noise_lines(paged), WHITESPACE), max_size=3))
    return "\n".join(lines), paragraphs


@SETTINGS
@given(data=gold_with_noise(paged=False))
def test_canonical_gold_paragraphs_survive_html(data: tuple[str, list[str]]) -> None:
    text, paragraphs = data
    cleaned = clean_text(text, source_type="html").split("\n")
    assert all(paragraph in cleaned for paragraph in paragraphs)


@SETTINGS
@given(data=gold_with_noise(paged=True), source_type=st.sampled_from(["pdf", "docx"]))
def test_canonical_gold_paragraphs_survive_paged(
    data: tuple[str, list[str]], source_type: str
) -> None:
    text, paragraphs = data
    cleaned = clean_text(text, source_type=source_type).split("\n")
    assert all(paragraph in cleaned for paragraph in paragraphs)


def test_gold_paragraphs_include_the_hard_cases() -> None:
    """The survival tests are only worth something if headings and short lines are sampled."""
    assert any(is_heading(p) for p in GOLD_PARAGRAPHS)
    assert "静安区区长王华" in GOLD_PARAGRAPHS and "附件" in GOLD_PARAGRAPHS
