import pytest

from core.markdown import render_markdown


def test_markdown_renders_headings_lists_emphasis_code_and_tables():
    html = render_markdown(
        "## Cause\n\n* **bold** and *em*\n\n`code`\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )
    assert "<h2>Cause</h2>" in html
    assert "<li><strong>bold</strong> and <em>em</em></li>" in html
    assert "<code>code</code>" in html
    assert "<table>" in html and "<td>1</td>" in html


def test_script_tags_are_removed():
    html = render_markdown("Hello <script>alert('x')</script> world")
    assert "<script" not in html
    assert "Hello" in html and "world" in html


@pytest.mark.parametrize(
    "source",
    [
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">click</a>',
        '<a href="JaVaScRiPt:alert(1)">click</a>',
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
    ],
)
def test_links_with_unsafe_schemes_lose_their_href(source):
    html = render_markdown(source)
    assert "javascript:" not in html.lower()
    assert "data:" not in html
    assert "click" in html


def test_event_handler_attributes_are_stripped():
    html = render_markdown(
        '<p onclick="steal()">hi</p><img src="https://x.test/a.png" onerror="steal()">'
    )
    assert "onclick" not in html and "onerror" not in html
    assert "steal" not in html


def test_safe_links_are_kept():
    html = render_markdown(
        "[runbook](https://wiki.example.com/runbook), [mail](mailto:oncall@example.com)"
    )
    assert 'href="https://wiki.example.com/runbook"' in html
    assert 'href="mailto:oncall@example.com"' in html


def test_images_are_allowed_only_over_https():
    assert 'src="https://img.example.com/graph.png"' in render_markdown(
        "![graph](https://img.example.com/graph.png)"
    )
    insecure = render_markdown("![graph](http://img.example.com/graph.png)")
    assert "http://img.example.com" not in insecure


def test_style_and_iframe_are_removed():
    html = render_markdown(
        '<style>body{display:none}</style><iframe src="https://evil.test"></iframe>ok'
    )
    assert "<style" not in html and "<iframe" not in html


def test_empty_text_renders_nothing():
    assert render_markdown("") == ""


def test_a_fenced_code_block_keeps_its_language_class():
    html = render_markdown("```python\nprint('hi')\n```")
    assert '<code class="language-python">' in html


@pytest.mark.parametrize(
    "source",
    [
        '<code class="language-x position-fixed top-0 start-0 w-100 h-100">x</code>',
        '<code class="language-x\tposition-fixed">x</code>',
        '<code class="language-">x</code>',
        '<code class="btn language-x">x</code>',
    ],
)
def test_code_keeps_no_class_but_a_single_language_token(source):
    html = render_markdown(source)
    assert "position-fixed" not in html and "btn" not in html and "style" not in html
    assert "class=" not in html
    assert ">x</code>" in html
