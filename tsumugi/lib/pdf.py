"""HTML to PDF, the one place that imports WeasyPrint.

Rendering must never reach outside the server: a packet holds people's circumstances, and a
free-text field could carry `<img src="file:///etc/passwd">` or a URL to an internal host. The
HTML is escaped by Django templates, and, as a second wall, the URL fetcher below serves only
files from our own static directory (fonts, print CSS) and refuses every other URL — file:,
http(s):, data: and paths that climb out of the directory.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

# A made-up origin: templates link `{% static %}` paths, resolved against it, so every URL our
# own documents use starts with this prefix and nothing else does by accident.
BASE_URL = "https://tsumugi.pdf.invalid/"

CONTENT_TYPES = {
    ".css": "text/css",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}


class RefusedURL(ValueError):
    """A URL outside our static files; WeasyPrint logs it and renders without the resource."""


def static_roots() -> list[Path]:
    return [Path(p).resolve() for p in settings.STATICFILES_DIRS]


@lru_cache(maxsize=16)
def _read(path: Path) -> bytes:
    return path.read_bytes()


def static_file_for(url: str) -> Path:
    """The file inside our static directory that `url` names, or RefusedURL."""
    parts = urlsplit(url)
    origin = urlsplit(BASE_URL)
    if (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc):
        raise RefusedURL(f"外部の資源は読み込みません: {url[:80]}")
    prefix = settings.STATIC_URL
    path = unquote(parts.path)
    if not path.startswith(prefix):
        raise RefusedURL(f"静的ファイル以外は読み込みません: {url[:80]}")
    relative = path.removeprefix(prefix)
    for root in static_roots():
        candidate = (root / relative).resolve()
        if candidate.is_relative_to(root) and candidate.is_file():
            return candidate
    raise RefusedURL(f"静的ファイルが見つかりません: {url[:80]}")


class StaticOnlyFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint ships no types
    """Serves our static files; refuses everything else. Keeps a log for tests and audits."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=["https"], allow_redirects=False)
        self.served: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        try:
            path = static_file_for(url)
        except RefusedURL:
            self.refused.append(url)
            raise
        self.served.append(url)
        content_type = CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")
        return URLFetcherResponse(url, body=_read(path), headers={"Content-Type": content_type})


def static_url(relative: str) -> str:
    """The URL a PDF template uses for one of our static files. Not `{% static %}`: in
    production that names hashed copies, and the fetcher serves the source directory."""
    return f"{BASE_URL.rstrip('/')}{settings.STATIC_URL}{relative}"


def render_pdf(html: str, *, fetcher: StaticOnlyFetcher | None = None) -> bytes:
    fetcher = fetcher or StaticOnlyFetcher()
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher)
    pdf: bytes | None = document.write_pdf()
    assert pdf is not None
    return pdf
