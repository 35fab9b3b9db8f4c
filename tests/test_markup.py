"""`lib.present.markup.escape_markdown`: typed text as Markdown that shows exactly that text.

What Streamlit's renderer does with the result is checked in Chromium (tests/test_browser_text.py);
here, what the escaped text holds: CommonMark consumes a backslash before ASCII punctuation, so
"unescaping" is what a reader sees, and it must equal what was typed.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.core.i18n import set_language
from lib.present.markup import WORD_JOINER, escape_markdown, t_md

OUTSIDE = "http://203.0.113.9"
# CommonMark's block starts that escaping must break: an ATX heading, a bullet or ordered list item,
# a setext underline, a thematic break of dashes (`*`, `_`, `>`, `|`, `<`, backticks and `~` are
# escaped wherever they stand).
BLOCK_START = re.compile(
    r"(?m)^(?:#{1,6}(?:[ \t]|$)|[+-](?:[ \t]|$)|[0-9]{1,9}[.)](?:[ \t]|$)|=+[ \t]*$|(?:-[ \t]*){2,}$)"
)


def read(markdown: str) -> str:
    """The text a reader sees: backslash escapes consumed, word joiners invisible."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace(WORD_JOINER, "")


def unescaped(markdown: str, characters: str) -> list[str]:
    """The `characters` that stand in `markdown` without a backslash before them."""
    found = []
    escaped = False
    for char in markdown:
        if not escaped and char in characters:
            found.append(char)
        escaped = not escaped and char == "\\"
    return found


@pytest.mark.parametrize(
    "text",
    [
        f"![p]({OUTSIDE}/x.png)",
        f'<img src="{OUTSIDE}/y.png">',
        f"[Sign in again]({OUTSIDE}/)",
        f"<{OUTSIDE}/auto>",
        ":red[red] :blue-background[b] :orange-badge[badge] :rainbow[r]",
        ":material/home: :material_home: :smile: :+1: :streamlit:",
        "$x^2$ and $$y$$ and \\$5",
        "back\\slash \\* \\\\ and a trailing \\",
        "**bold** *it* _it_ ~~gone~~ ~x~ `code` ```fence```",
        "&amp; &lt;img&gt; &#60; &#x3C;",
        "a <- b -> c <-> d -- e >= f <= g ~= h",
        f"see {OUTSIDE}/z, www.example.com and a@b.example",
        "| a | b |\n|---|---|\n| 1 | 2 |",
    ],
)
def test_payloads_read_as_typed_and_lose_their_syntax(text: str) -> None:
    escaped = escape_markdown(text)
    assert read(escaped) == text
    assert not unescaped(escaped, "`*~[]<>|$")
    assert ":material/" not in escaped  # Streamlit rewrites this spelling in the source, escapes and all
    parsed = escaped.replace("\\", "")  # what Streamlit's text rewrites see
    for pattern in ("://", "www.", "@b", ":material_", ":smile:", ":streamlit:", " -> ", " -- "):
        assert pattern not in parsed  # each is broken by a word joiner


def test_chinese_and_plain_text_are_left_alone() -> None:
    for text in [
        "甲镇（一村一品）·茶叶：高山云雾茶",
        "Jia Town",
        "HAND0004",
        "A3 Village (Jia Town)",
        "12:30",
    ]:
        assert escape_markdown(text) == text


def test_block_syntax_at_the_start_of_a_line_is_escaped() -> None:
    escaped = escape_markdown("# title\n- item\n+ item\n1. first\n2) second\n===\n---\n> quote\n    code")
    assert escaped == "\\# title\n\\- item\n\\+ item\n1\\. first\n2\\) second\n\\===\n\\---\n\\> quote\ncode"


def test_what_cannot_start_a_block_is_left_alone() -> None:
    for text in ["#5 street", "-5 degrees", "+1", "12.5 mu", "=a", "####### x"]:
        assert escape_markdown(text) == text


def test_underscores_inside_words_stay_as_they_are() -> None:
    assert escape_markdown("town_editor_1") == "town_editor_1"
    assert escape_markdown("_a_ and b_") == "\\_a\\_ and b\\_"


def test_directives_need_a_colon_before_a_letter() -> None:
    assert escape_markdown("note:red[x]") == "note\\:red\\[x\\]"
    assert escape_markdown(":material/home:") == "\\:material\\/home:"
    assert escape_markdown(":smile:") == f":{WORD_JOINER}smile:"


def test_non_text_values_are_shown_as_their_text() -> None:
    assert escape_markdown(12.5) == "12.5"
    assert escape_markdown(None) == "None"


def test_t_md_escapes_the_parameters_and_keeps_the_label_markdown() -> None:
    set_language("en")
    try:
        line = t_md("village.industry.signature", product=f"![p]({OUTSIDE}/x.png)")
    finally:
        set_language("zh")
    assert line.startswith("One village, one product: **") and line.endswith("**")
    assert read(line) == f"One village, one product: **![p]({OUTSIDE}/x.png)**"
    assert "![" not in line


@given(st.text())
def test_any_text_reads_as_typed(text: str) -> None:
    """Whatever is typed reads back the same (leading spaces of a line aside: Markdown never shows
    them) and keeps no character that could open Markdown, HTML, LaTeX or a directive.

    20,000 examples over ASCII, Chinese, word joiners and newlines also passed (run by hand)."""
    escaped = escape_markdown(text)
    expected = re.sub(r"(?m)^[ \t]+", "", text.replace("\r\n", "\n").replace("\r", "\n"))
    expected = expected.replace(WORD_JOINER, "")  # invisible whether typed or inserted
    assert read(escaped) == expected
    assert not unescaped(escaped, "`*~[]<>|$")
    assert not re.search(r"(?<!\\):[A-Za-z]", escaped)
    assert not BLOCK_START.search(escaped)
