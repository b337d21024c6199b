"""Rendering stays fast whatever is typed: the work Markdown does is bounded, not timed.

Python-Markdown scans ahead from every "[" (8,000 of them took 17 s in the preview); such text
is rendered on a guarded path whose output is the same for everything a writer would type.
"""

import bleach
import markdown
import pytest
from django.urls import reverse
from markdown.inlinepatterns import LinkInlineProcessor

from core import markdown as hindsight_markdown
from core.markdown import is_costly_to_render, is_too_costly_for_markdown, render_markdown

LIMIT = 50_000


def _filled(pattern: str, length: int = LIMIT) -> str:
    return (pattern * (length // len(pattern) + 1))[:length]


@pytest.fixture
def scanned(monkeypatch):
    """How many characters Markdown's link patterns scan while rendering."""
    counter = {"characters": 0}
    original = LinkInlineProcessor.getText

    def counting(self, data, index):
        text, end, handled = original(self, data, index)
        counter["characters"] += end - index
        return text, end, handled

    monkeypatch.setattr(LinkInlineProcessor, "getText", counting)
    return counter


PATHOLOGICAL = [
    "[",
    "![",
    "[a](",
    '[a]("x) ',
    "[`]`",
    "<a ",
    "[[]",
    "(",
    "``a`",
    "*a** ",
    "& ",
    "# a\n",
    "a\n-\n",
    "|a|b|\n",
]


@pytest.mark.parametrize("pattern", PATHOLOGICAL)
def test_pathological_text_is_rendered_with_bounded_work_and_nothing_lost(pattern, scanned):
    text = _filled(pattern)
    html = render_markdown(text)
    assert is_costly_to_render(text) or is_too_costly_for_markdown(text)
    assert scanned["characters"] <= 20 * len(text)
    visible = bleach.clean(str(html), tags=set(), strip=True)
    assert visible.count("a") >= text.count("a") // 2 or not text.count("a")


def test_eight_thousand_brackets_are_shown_as_typed(scanned):
    html = render_markdown("[" * 8000)
    assert "[" * 8000 in html
    assert scanned["characters"] == 0


def test_the_preview_of_eight_thousand_brackets_takes_the_guarded_path(author_client, scanned):
    response = author_client.post(
        reverse("postmortems:preview"), {"field": "summary", "summary": "[" * 8000}
    )
    assert response.status_code == 200
    assert "[" * 8000 in response.content.decode()
    assert scanned["characters"] == 0


def test_the_preview_refuses_text_over_the_section_limit_without_rendering_it(
    author_client, scanned, monkeypatch
):
    monkeypatch.setattr(
        hindsight_markdown, "_markdown_to_html", lambda text: pytest.fail("rendered")
    )
    response = author_client.post(
        reverse("postmortems:preview"), {"field": "summary", "summary": "x" * (LIMIT + 1)}
    )
    assert response.status_code == 200
    assert "Too long to preview" in response.content.decode()


ORDINARY = [
    "## Cause\n\nThe cache (redis) expired early; see [runbook](https://x.example/r) and "
    "![graph](https://img.example/g.png).\n",
    "Use `a[0] < b` in code, and <kbd>Ctrl</kbd>+<kbd>C</kbd>.\n\n```python\nx = [1, 2] < [3]\n```\n",
    "| Step | Link |\n|---|---|\n| 1 | [one](https://x.example/1) |\n| 2 | [two][ref] |\n\n"
    "[ref]: https://x.example/2\n",
    '- [ ] a checkbox-like item\n- see [docs](https://x.example/d "Title (v2)")\n',
    "An unclosed [bracket and a lone < sign, (parenthesis too.\n",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_renders_exactly_as_markdown_renders_it(text):
    assert not is_costly_to_render(text) and not is_too_costly_for_markdown(text)
    expected = hindsight_markdown._cleaner.clean(
        markdown.markdown(text, extensions=hindsight_markdown._EXTENSIONS, output_format="html")
    )
    assert render_markdown(text) == expected


def test_ordinary_text_at_the_section_limit_keeps_its_formatting():
    text = _filled(
        "## Heading\n\nThe cache (redis) timed out; see [runbook](https://x.example/r) "
        "and `kubectl get pods`.\n\n"
    )
    text = text[:20_000]
    html = render_markdown(text)
    assert not is_too_costly_for_markdown(text)
    assert '<a href="https://x.example/r"' in html and "<h2>Heading</h2>" in html


def test_the_guarded_path_keeps_code_exact_and_shows_links_as_typed(monkeypatch):
    monkeypatch.setattr(hindsight_markdown, "SCAN_BUDGET", 0)
    html = render_markdown("Use `a[0] < b` and [docs](https://x.example/d).\n\n    y = [<]\n")
    assert "<code>a[0] &lt; b</code>" in html
    assert "[docs](https://x.example/d)" in html
    assert "<pre><code>y = [&lt;]\n</code></pre>" in html


def test_characters_used_internally_by_the_guard_cannot_be_smuggled_in(monkeypatch):
    monkeypatch.setattr(hindsight_markdown, "SCAN_BUDGET", 0)
    text = "[ \ue001script>alert(1)\ue001/script> \ue000x"
    assert is_costly_to_render(text)
    html = render_markdown(text)
    assert "<script" not in html and "\ue000" not in html and "\ue001" not in html
    assert "[ \ufffdscript&gt;" in html


@pytest.mark.parametrize("pattern", ["[", "# a\n"])
def test_template_prompts_stay_hidden_on_the_guarded_paths(pattern):
    text = "<!-- Describe the impact. -->\nCustomers saw errors.\n\n" + _filled(pattern, 20_000)
    html = render_markdown(text)
    assert "Describe the impact" not in html and "Customers saw errors." in html


def test_an_unclosed_comment_opener_repeated_is_shown_not_scanned_forever():
    html = render_markdown(_filled("<!--", 20_000))
    assert "&lt;!--" in html
