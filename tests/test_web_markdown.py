"""Markdown bodies become safe HTML: no script, no event handlers, no javascript: links."""

import re

from kmsearch.web.markdown import render_markdown


def test_markdown_is_rendered_with_tables():
    html = render_markdown("## Results\n\n- one\n- **two**\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert "<h2>Results</h2>" in html
    assert "<strong>two</strong>" in html
    assert "<td>1</td>" in html


def test_raw_html_is_escaped_not_passed_through():
    html = render_markdown('<script>alert(1)</script>\n\n<b onclick="x()">bold</b>')
    assert "<script" not in html and "<b" not in html
    assert "&lt;script&gt;" in html


def test_only_http_https_and_mailto_links_survive():
    html = render_markdown(
        "[web](https://unece.org) [mail](mailto:pmu@un.org) [js](javascript:alert(1)) "
        "[data](data:text/html,<b>x</b>) [vb](vbscript:msgbox)"
    )
    assert 'href="https://unece.org"' in html
    assert 'href="mailto:pmu@un.org"' in html
    assert re.findall(r'href="([^"]*)"', html) == ["https://unece.org", "mailto:pmu@un.org"]


def test_links_get_noopener_nofollow():
    assert 'rel="noopener nofollow"' in render_markdown("[web](https://unece.org)")


def test_images_become_links_so_nothing_is_loaded_from_elsewhere():
    html = render_markdown("![chart](https://example.org/tracker.png)")
    assert "<img" not in html
    assert 'href="https://example.org/tracker.png"' in html


def test_headings_start_at_h2_without_gaps():
    html = render_markdown("# Top\n\n### Skipped a level\n\n###### Deep")
    assert "<h2>Top</h2>" in html
    assert "<h3>Skipped a level</h3>" in html
    assert "<h4>Deep</h4>" in html


def test_empty_body_renders_nothing():
    assert render_markdown("") == ""
