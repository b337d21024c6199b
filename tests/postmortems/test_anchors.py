"""Finding a quote in rendered text and highlighting it in sanitised HTML, kept well formed."""

from html.parser import HTMLParser

from postmortems.anchors import Anchor, highlight, locate, plain_text, source_span


class _Nesting(HTMLParser):
    """Fails on any end tag that does not close the innermost open element."""

    VOID = {"br", "hr", "img"}

    def __init__(self):
        super().__init__()
        self.stack = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack.pop() == tag


def _well_formed(fragment):
    parser = _Nesting()
    parser.feed(fragment)
    assert parser.stack == []


def test_plain_text_reads_as_a_selection_does_across_blocks_and_entities():
    html = "<p>A &amp; B</p>\n<ul>\n<li>one</li><li>two</li>\n</ul>"
    assert plain_text(html) == "A & B one two"


def test_the_surroundings_pick_the_occurrence_meant():
    text = "The cache expired. The cache refilled."
    assert locate(text, "The cache") == 0
    assert locate(text, "The cache", prefix="expired. ", suffix=" refilled") == 19
    assert locate(text, "The cache", prefix="changed words ", suffix=" refilled") == 19
    assert locate(text, "gone") is None


def test_overlapping_highlights_across_tags_stay_well_formed():
    html = (
        "<p>The <em>cache</em> expired &lt;here&gt;.</p>\n"
        "<table>\n<tr>\n<td>a</td>\n<td>b</td>\n</tr>\n</table>"
    )
    marked, found = highlight(
        html,
        [Anchor(1, "cache expired"), Anchor(2, "expired <here>. a b"), Anchor(3, "nowhere")],
    )
    assert found == {1, 2}
    _well_formed(marked)
    assert '<mark class="comment-anchor" data-comments="1 2">expired</mark>' in marked
    assert '<mark class="comment-anchor" data-comments="2"> &lt;here&gt;.</mark>' in marked
    assert "<tr>\n<td>" in marked  # nothing marked between table cells
    assert plain_text(marked) == plain_text(html)


def test_a_quote_is_found_in_the_markdown_white_space_aside_exactly_or_not():
    assert source_span("The cache\n  expired.", "cache expired") == [(4, 19)]
    assert source_span("The **cache** expired.", "cache expired") == []
    assert len(source_span("a b and a b", "a b")) == 2


def test_a_quote_never_lands_inside_a_tag():
    html = '<p><a href="https://example.com/?a>b" rel="nofollow">b" rel</a> text</p>'
    marked, found = highlight(html, [Anchor(1, 'b" rel')])
    assert found == {1}
    assert marked == (
        '<p><a href="https://example.com/?a>b" rel="nofollow">'
        '<mark class="comment-anchor" data-comments="1">b" rel</mark></a> text</p>'
    )
