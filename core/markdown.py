"""The one Markdown pipeline: every Markdown field in Hindsight is rendered and sanitised here."""

import re
from urllib.parse import urlparse

import bleach
import markdown as markdown_lib
from bleach.linkifier import LinkifyFilter
from django.db import models
from django.utils.safestring import SafeString, mark_safe

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


def render_markdown(text: str) -> SafeString:
    """Render Markdown to HTML that is safe to put in a page: nothing outside the allow-list survives."""
    if not text:
        return mark_safe("")
    html = markdown_lib.markdown(text, extensions=_EXTENSIONS, output_format="html")
    return mark_safe(_cleaner.clean(html))


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
