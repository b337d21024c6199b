"""The one Markdown pipeline: every Markdown field in Hindsight is rendered and sanitised here."""

import re
from html.parser import HTMLParser
from urllib.parse import urlparse

import bleach
import markdown as markdown_lib
from bleach.linkifier import LinkifyFilter
from django.db import models
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "blockquote", "pre", "code", "span",
        "h1", "h2", "h3", "h4", "h5", "h6",
        "ul", "ol", "li", "dl", "dt", "dd",
        "strong", "em", "b", "i", "del", "s", "sup", "sub", "kbd",
        "table", "thead", "tbody", "tr", "th", "td",
        "a", "img",
    }
)  # fmt: skip
LINK_PROTOCOLS = frozenset({"http", "https", "mailto"})
_TABLE_ALIGN = frozenset({"left", "right", "center"})
# Fenced code blocks mark their language with one class; anything more could restyle the page
# (Bootstrap's utility classes can pin an element over everything else).
_CODE_LANGUAGE_CLASS = re.compile(r"language-[A-Za-z0-9_+#.-]{1,40}")


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    if tag == "a":
        return name in {"href", "title", "rel"}
    if tag == "img":
        if name == "src":
            return urlparse(value).scheme == "https"
        return name in {"alt", "title"}
    if tag in {"th", "td"}:
        return name == "align" and value in _TABLE_ALIGN
    if tag == "code":
        return name == "class" and _CODE_LANGUAGE_CLASS.fullmatch(value) is not None
    return False


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=_allowed_attribute,
    protocols=LINK_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[lambda *args, **kwargs: LinkifyFilter(*args, skip_tags={"pre", "code"}, **kwargs)],
)
_EXTENSIONS = ["tables", "fenced_code", "sane_lists"]


# Python-Markdown scans ahead from every "[" for its "]" (and from "](" for the ")"), and from
# every "<" for a ">": text with thousands of unclosed ones costs time growing with the square
# of its length (8,000 "[" took 17 seconds). Text whose estimated scanning passes this budget
# (about 0.1 s of work; ordinary prose with many links stays far below it) is rendered with
# "[" and "<" as plain characters: its links, images and inline HTML show as typed, bare URLs
# are still linked, and the request stays fast.
SCAN_BUDGET = 200_000
_SCAN_TOKENS = re.compile(r"\\.|`+|[\[\]()<>\"']|\n[ \t]*\n")
_PLAIN_BRACKET, _PLAIN_ANGLE = "\ue000", "\ue001"  # private-use characters


def _scan_estimate(text: str, *, code_spans_hide_brackets: bool) -> int:
    """How many characters Markdown's link and HTML patterns would scan, roughly: for each
    "[", "<" and link "(", the distance to what closes it, or to the end of its paragraph."""
    work = 0
    brackets, angles, parens, open_to_the_end = [], [], [], []
    code_run = ""
    for token in _SCAN_TOKENS.finditer(text):
        kind, at = token.group(), token.start()
        if kind.startswith("\n"):  # a blank line: nothing is scanned past a paragraph
            work += sum(at - start for start in (*brackets, *angles, *parens, *open_to_the_end))
            brackets, angles, parens, open_to_the_end = [], [], [], []
            code_run = ""
        elif kind.startswith("`"):
            if code_spans_hide_brackets:
                code_run = "" if kind == code_run else (code_run or kind)
        elif code_run or kind.startswith("\\"):
            pass
        elif kind == "[":
            brackets.append(at)
        elif kind == "]" and brackets:
            work += at - brackets.pop()
        elif kind == "<":
            angles.append(at)
        elif kind == ">":
            work += sum(at - start for start in angles)
            angles = []
        elif kind == "(" and (parens or text[at - 1 : at] == "]"):
            parens.append(at)
        elif kind == ")" and parens:
            work += at - parens.pop()
        elif kind in "\"'" and parens:
            # In a link title Markdown may scan on to the end of the paragraph.
            open_to_the_end += parens
            parens = []
    return work + sum(
        len(text) - start for start in (*brackets, *angles, *parens, *open_to_the_end)
    )


def is_costly_to_render(text: str) -> bool:
    return any(
        _scan_estimate(text, code_spans_hide_brackets=hide) > SCAN_BUDGET for hide in (False, True)
    )


# Past these, Python-Markdown's block parser or the sanitiser slow down faster than the text
# grows (one 50,000-character block of headings took 20 s, a run of 20,000 "(" 10 s in the
# linkifier), so such text is shown as plain paragraphs. No ordinary writing comes close: a
# 1,000-character "word", a paragraph of many headings, or thousands of list or table lines.
LONGEST_WORD = 1_000
SPLIT_BLOCK_BUDGET = 1_000_000  # heading and rule lines × their block's length, summed
MOST_MARKUP_LINES = 1_500  # lines outside fenced code
MOST_MARKUP_CHARACTERS = 8_000  # outside fenced code: each may open an element to sanitise
_MARKUP_CHARACTER = re.compile(r"[*_`&<\[|>#]")
_LONG_WORD = re.compile(rf"\S{{{LONGEST_WORD + 1}}}")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
# Lines that make Python-Markdown split their block in two and parse the rest again.
_SPLITTING_LINE = re.compile(r"^ {0,3}(#{1,6}(\s|$)|([-*_=])(\s*\3){2,}\s*$)")


def is_too_costly_for_markdown(text: str) -> bool:
    if _LONG_WORD.search(text):
        return True
    markup_lines, markup_characters, split_work, in_fence = 0, 0, 0, False
    for block in re.split(r"\n[ \t]*\n", text):
        splitting = 0
        for line in block.splitlines():
            if _FENCE.match(line):
                in_fence = not in_fence
            elif not in_fence:
                markup_lines += 1
                markup_characters += len(_MARKUP_CHARACTER.findall(line))
                splitting += bool(_SPLITTING_LINE.match(line))
        split_work += splitting * len(block)
    return (
        markup_lines > MOST_MARKUP_LINES
        or markup_characters > MOST_MARKUP_CHARACTERS
        or split_work > SPLIT_BLOCK_BUDGET
    )


def _without_html_comments(text: str) -> str:
    """The text without <!-- comments --> (templates' prompts, hidden from readers), found
    without a regular expression: "<!--" repeated and never closed would make one quadratic."""
    kept, position = [], 0
    while (start := text.find("<!--", position)) != -1:
        end = text.find("-->", start + 4)
        if end == -1:
            break
        kept.append(text[position:start])
        position = end + 3
    kept.append(text[position:])
    return "".join(kept)


def _plain_paragraphs(text: str) -> str:
    text = _without_html_comments(text)
    paragraphs = (part.strip("\n") for part in re.split(r"\n[ \t]*\n", text))
    return "".join(
        f"<p>{escape(part).replace(chr(10), '<br>')}</p>" for part in paragraphs if part.strip()
    )


def _markdown_to_html(text: str) -> str:
    if not is_costly_to_render(text):
        return markdown_lib.markdown(text, extensions=_EXTENSIONS, output_format="html")
    text = _without_html_comments(text)
    text = text.replace(_PLAIN_BRACKET, "\ufffd").replace(_PLAIN_ANGLE, "\ufffd")
    text = text.replace("[", _PLAIN_BRACKET).replace("<", _PLAIN_ANGLE)
    html = markdown_lib.markdown(text, extensions=_EXTENSIONS, output_format="html")
    # Markdown writes a "<" that opens nothing as "&lt;", in text and in code alike.
    return html.replace(_PLAIN_BRACKET, "[").replace(_PLAIN_ANGLE, "&lt;")


def render_markdown(text: str) -> SafeString:
    """Render Markdown to HTML that is safe to put in a page: nothing outside the allow-list survives."""
    if not text:
        return mark_safe("")
    if is_too_costly_for_markdown(text):
        return mark_safe(_plain_paragraphs(text))  # every character escaped: nothing to clean
    return mark_safe(_cleaner.clean(_markdown_to_html(text)))


# Markdown's own table alignment: its style is dropped quietly, the text is not affected.
_MARKDOWNS_OWN_ATTRIBUTES = frozenset({("th", "style"), ("td", "style")})


class _RemovalFinder(HTMLParser):
    """Walks Markdown's HTML as the sanitiser will, noting what it will take out."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.removed: dict[str, None] = {}  # in order of first appearance, once each

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.removed[_("the <%(tag)s> tag") % {"tag": tag}] = None
            return
        for name, value in attrs:
            value = value or ""
            if (tag, name) in _MARKDOWNS_OWN_ATTRIBUTES:
                continue
            if tag == "a" and name == "href":
                scheme = urlparse(value.strip()).scheme.lower()
                if scheme and scheme not in LINK_PROTOCOLS:
                    self.removed[_("a link using %(scheme)s") % {"scheme": scheme}] = None
            elif not _allowed_attribute(tag, name, value):
                self.removed[
                    _("the %(attribute)s attribute of <%(tag)s>") % {"attribute": name, "tag": tag}
                ] = None


def render_markdown_for_writer(text: str) -> tuple[SafeString, list[str]]:
    """``render_markdown``, and what the sanitiser took out (tags, attributes, links) for the
    writer's preview. HTML comments are left out on purpose and are not listed."""
    if not text or is_too_costly_for_markdown(text):
        return render_markdown(text), []  # plain paragraphs: every character kept, escaped
    html = _markdown_to_html(text)
    finder = _RemovalFinder()
    finder.feed(html)
    finder.close()
    return mark_safe(_cleaner.clean(html)), list(finder.removed)


class MarkdownRenderedModel(models.Model):
    """Stores the sanitised HTML of each Markdown field beside it, so pages render it once, on write.

    A subclass lists its Markdown fields in ``markdown_fields``; each needs a ``<field>_html``
    TextField companion.
    """

    markdown_fields: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        rendered = self.render_markdown_fields()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, *rendered}
        super().save(*args, **kwargs)

    def render_markdown_fields(self) -> list[str]:
        rendered = []
        for field in self.markdown_fields:
            setattr(self, f"{field}_html", str(render_markdown(getattr(self, field))))
            rendered.append(f"{field}_html")
        return rendered
