"""User text is never trusted: Markdown is rendered, then sanitised."""

import pytest

from archive.markup import render_markdown


@pytest.mark.parametrize(
    ("source", "forbidden"),
    [
        ("<script>alert(1)</script>", "<script"),
        ('<img src="https://example.com/x.png" onerror="alert(1)">', "onerror"),
        ("[click](javascript:alert(1))", 'href="javascript'),
        ("[click](JaVaScRiPt:alert(1))", "href="),
        ('<a href="javascript:alert(1)">x</a>', "javascript:"),
        ('<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>', "data:"),
        ("![x](data:image/svg+xml;base64,PHN2Zz4=)", 'src="data'),
        ("<iframe src=https://example.com></iframe>", "<iframe"),
        ('<p style="background:url(x)" onclick="x()">hi</p>', "onclick"),
        ("<svg><script>alert(1)</script></svg>", "<script"),
    ],
)
def test_dangerous_markup_is_removed(source, forbidden):
    assert forbidden not in render_markdown(source).lower()


def test_safe_markdown_survives():
    html = render_markdown(
        "* **FP16不适合做大模型优化**\n  * [文档](https://hatch.pypa.io/latest/intro/)\n"
        "* [mail](mailto:editor@example.com) `code`"
    )
    assert "<strong>FP16不适合做大模型优化</strong>" in html
    assert 'href="https://hatch.pypa.io/latest/intro/"' in html
    assert 'href="mailto:editor@example.com"' in html
    assert "<code>code</code>" in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_empty_text_renders_nothing():
    assert render_markdown("") == ""
    assert render_markdown("   \n") == ""
