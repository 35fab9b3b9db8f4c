"""Text that people typed, shown as text wherever Streamlit reads Markdown.

`st.markdown`, `st.caption`, `st.error`/`info`/`success`/`warning`, `st.title`, `st.metric`, widget
labels and help, expander and tab labels, radio options, `st.table` cells and image captions all
render Markdown: `![p](http://host/x.png)` in a village's product would make every viewer's browser
fetch that address, and `[Sign in again](http://host/)` would show a link to another host. Every
name, comment, place, product, code or query parameter that reaches one of those goes through
`escape_markdown` (or `t_md`, which escapes a label's parameters and keeps its own Markdown).

Pure (no streamlit), so the `lib/*_view.py` modules that compose Markdown lines can use it;
lib.ui exports the same two functions for the widgets.

What it neutralises (Streamlit 1.67's renderer: GitHub-flavoured Markdown plus its own extensions):
- Markdown syntax: the characters that open inline constructs are backslash-escaped everywhere
  (`\\ ` * _ ~ [ ] < > | $`, and `&` where it would start an entity), and those that open a block
  only at the start of a line (a heading's `#`, a list's `+` or `-`, an ordered list's `1.`, a
  setext underline or a thematic break); leading spaces, which would make a code block, are dropped
  (Markdown never shows them).
- Raw HTML (`<img src=…>`, `<a href=…>`): `<` and `>` are escaped, so the tag shows as typed.
- LaTeX (`$x$`, `$$x$$`): `$` is escaped.
- Streamlit's directives (`:red[…]`, `:orange-badge[…]`, `:material/icon:`): a colon before a letter
  is escaped, and the `/` of `:material/` too (Streamlit rewrites that spelling before parsing).
- What Streamlit and GFM rewrite in the parsed text, where no escape reaches: bare URLs and
  e-mail addresses made into links (`http://…`, `www.…`, `a@b.c`), shortcodes (`:smile:`,
  `:material_home:`, `:streamlit:`) and arrows (` -> ` becomes →). These get an invisible U+2060
  WORD JOINER inside the pattern: the page shows the same characters, but as text.
"""

from __future__ import annotations

import re

from lib.core.i18n import t

WORD_JOINER = "\u2060"  # invisible and zero-width; breaks a pattern without changing what shows

# Inline syntax: escaped wherever it stands. `_` between two letters or digits never emphasises.
_INLINE = re.compile(r"[\\`*~\[\]<>|$]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_ENTITY = re.compile(r"&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)")
_DIRECTIVE = re.compile(r":(?=[A-Za-z])")  # :red[…], :orange-badge[…], :material/…:
_MATERIAL_SLASH = re.compile(r"(?<=:material)/")
# Block syntax at the start of a line: a heading, a list item, an ordered list item, a setext
# underline or a thematic break (`*`, `_`, `>` and the rest are escaped wherever they stand).
_LINE_START = re.compile(
    r"^(?:(#)(?=#{0,5}(?:[ \t]|$))|([+-])(?=[ \t]|$)|(=)(?==*[ \t]*$)|(-)(?=[- \t]*$)"
    r"|([0-9]{1,9})([.)])(?=[ \t]|$))",
    re.MULTILINE,
)
_LEADING_SPACE = re.compile(r"^[ \t]+", re.MULTILINE)
# Rewritten in the parsed text (escapes are gone by then): break each with a word joiner.
_URL = re.compile(r"(?i)(?<=:)(?=//)|(?<=www)(?=\.)")  # http://…, www.…
_EMAIL = re.compile(r"(?<=[-.\w+]@)(?=[-\w])")  # a@b.c
_SHORTCODE = re.compile(r":(?=[A-Za-z0-9_+\-]+:)")  # :smile:, :material_home:, :streamlit:
_ARROW = re.compile(r"(?<!\S)(<->|->|<-|--|>=|<=|~=)(?!\S)")  # <-> -> <- -- >= <= ~= between spaces


def escape_markdown(text: object) -> str:
    """`text` (a name, a comment, a query parameter…) as Markdown that shows exactly that text.

    For any Streamlit element that renders Markdown. Not for `st.text`, `st.code`, dataframe cells
    or downloads, which show text as it is (escaping would show the backslashes), nor for
    `st.html` (use `html.escape`).
    """
    value = str(text).replace("\r\n", "\n").replace("\r", "\n")
    value = _LEADING_SPACE.sub("", value)
    value = _URL.sub(WORD_JOINER, value)
    value = _EMAIL.sub(WORD_JOINER, value)
    value = _SHORTCODE.sub(":" + WORD_JOINER, value)
    value = _ARROW.sub(lambda m: m.group(1)[0] + WORD_JOINER + m.group(1)[1:], value)
    value = _INLINE.sub(lambda m: "\\" + m.group(0), value)
    value = _ENTITY.sub(r"\\&", value)
    value = _DIRECTIVE.sub(r"\\:", value)
    value = _MATERIAL_SLASH.sub(r"\\/", value)
    return _LINE_START.sub(_escape_line_start, value)


def _escape_line_start(match: re.Match[str]) -> str:
    if match.group(5):
        return f"{match.group(5)}\\{match.group(6)}"
    return "\\" + match.group(0)


def t_md(key: str, /, **params: object) -> str:
    """`t(key, **params)` for a Markdown element: the label's own Markdown (`**{name}**`) stays,
    every text parameter is escaped (`escape_markdown`); numbers are filled in as they are."""
    return t(key, **{name: escape_markdown(v) if isinstance(v, str) else v for name, v in params.items()})
