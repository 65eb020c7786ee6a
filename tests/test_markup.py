"""User text is never trusted: Markdown is rendered, then sanitised."""

import pytest

from archive.publishing.markup import render_markdown, sanitize_html


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


def test_images_load_lazily_and_over_https():
    html = render_markdown("![chart](http://img.example.com/a.png) [site](http://example.com/)")
    assert '<img src="https://img.example.com/a.png" alt="chart" loading="lazy"' in html
    assert 'href="http://example.com/"' in html  # links are left as written


def test_relative_addresses_become_absolute_for_feeds():
    html = sanitize_html(
        '<a href="/issues/3/">3</a><img src="cover.png">', base="https://x.example/"
    )
    assert 'href="https://x.example/issues/3/"' in html
    assert 'src="https://x.example/cover.png"' in html


def test_rendering_is_the_same_every_time():
    # Pages and feeds carry ETags: the same text must give the same bytes.
    source = '![a](http://i.example/a.png) <img src="b.png" alt="b" title="t" width="3">'
    assert len({render_markdown(source) for _ in range(50)}) == 1
