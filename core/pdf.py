"""Pages as PDF documents (WeasyPrint), laid out with the page's own print styles."""

import mimetypes
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

_BASE_URL = "https://hindsight.invalid/"  # resolves the page's root-relative links


class _StaticFilesOnly(URLFetcher):
    """Reads the site's own static files from disk; fetches nothing else, so rendering never
    waits on the network or reaches an address a writer put in an image."""

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        static = "/" + settings.STATIC_URL.lstrip("/")
        if f"{parts.scheme}://{parts.netloc}/" == _BASE_URL and parts.path.startswith(static):
            found = finders.find(parts.path.removeprefix(static))
            if found:
                with open(found, "rb") as file:
                    media_type = mimetypes.guess_type(found)[0] or "application/octet-stream"
                    return URLFetcherResponse(url, file.read(), {"Content-Type": media_type})
        raise ValueError(f"Not fetched for a PDF: {url}")


def html_as_pdf(html: str) -> bytes:
    return HTML(
        string=html, base_url=_BASE_URL, url_fetcher=_StaticFilesOnly(), media_type="print"
    ).write_pdf()
