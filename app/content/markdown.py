"""Lesson Markdown to safe HTML.

markdown-it-py renders CommonMark plus tables; nh3 then keeps only an allow-list of
tags, attributes and URL schemes, so a lesson can never carry script into a page even
if someone pastes raw HTML into it. Every link gets rel="noopener noreferrer"; links
that leave the site (absolute http(s) URLs) also open in a new tab, so a volunteer
reading a source does not lose their place in the lesson.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {
        "h1", "h2", "h3", "h4", "h5", "h6",
        "p", "br", "hr", "blockquote", "pre", "code",
        "ul", "ol", "li",
        "em", "strong", "del", "sup", "sub", "abbr",
        "a", "img",
        "table", "thead", "tbody", "tr", "th", "td",
        "details", "summary",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "target"},
    "img": {"src", "alt", "title"},
    "abbr": {"title"},
    "ol": {"start"},
    "code": {"class"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer"

_EXTERNAL = re.compile(r"^(?:https?:)?//", re.IGNORECASE)


def is_external(href: str) -> bool:
    return bool(_EXTERNAL.match(href.strip()))


def _link_open(self, tokens, idx, options, env):  # type: ignore[no-untyped-def]
    token = tokens[idx]
    href = token.attrGet("href")
    if isinstance(href, str) and is_external(href):
        token.attrSet("target", "_blank")
    return self.renderToken(tokens, idx, options, env)


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "a" and attribute == "target":
        return value if value == "_blank" else None
    if tag == "code" and attribute == "class":
        # markdown-it marks fenced code as "language-xyz"; nothing else is kept.
        return value if re.fullmatch(r"language-[\w+-]+", value) else None
    return value


_md = MarkdownIt("commonmark", {"html": True}).enable("table")
_md.add_render_rule("link_open", _link_open)


def render_markdown(text: str) -> str:
    """Render lesson Markdown to sanitised HTML."""
    return nh3.clean(
        _md.render(text),
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        attribute_filter=_attribute_filter,
    )
