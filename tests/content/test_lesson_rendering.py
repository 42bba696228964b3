"""Lesson Markdown renders to sanitised HTML with safe links."""

from __future__ import annotations

from app.content.lessons import extract_sources
from app.content.markdown import render_markdown


def test_basic_markdown_and_tables() -> None:
    html = render_markdown("# Title\n\nSome *text*.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert "<h1>Title</h1>" in html
    assert "<em>text</em>" in html
    assert "<table>" in html and "<td>1</td>" in html


def test_script_and_event_handlers_are_removed() -> None:
    html = render_markdown('Hello <script>alert(1)</script><img src="x.png" onerror="alert(2)">\n')
    assert "<script" not in html and "alert(1)" not in html
    assert "onerror" not in html
    assert '<img src="x.png">' in html


def test_external_links_open_in_a_new_tab_with_safe_rel() -> None:
    html = render_markdown("[IFAW](https://www.ifaw.org/) and <https://cites.org>\n")
    assert html.count('target="_blank"') == 2
    assert html.count('rel="noopener noreferrer"') == 2


def test_internal_links_stay_in_the_tab_but_get_rel() -> None:
    html = render_markdown("[next lesson](/training/safety)\n")
    assert 'href="/training/safety"' in html
    assert "target=" not in html
    assert 'rel="noopener noreferrer"' in html


def test_dangerous_link_schemes_are_dropped() -> None:
    html = render_markdown('[click](javascript:alert(1)) <a href="data:text/html,x" target="_top">y</a>\n')
    assert 'href="javascript' not in html
    assert "data:text" not in html
    assert 'target="_top"' not in html


def test_sources_section_is_found_and_its_urls_listed() -> None:
    body = (
        "Text with a link <https://not-a-source.example>.\n\n"
        "## Sources\n\n- A: <https://a.example/x>\n- B: [b](https://b.example/y?q=1).\n"
        "```\n## not a heading\n```\n\n## Quiz\n\n<https://after.example>\n"
    )
    found, urls = extract_sources(body)
    assert found is True
    assert urls == ("https://a.example/x", "https://b.example/y?q=1")


def test_no_sources_heading() -> None:
    assert extract_sources("# Title\n\nNo sources here <https://x.example>.\n") == (False, ())
