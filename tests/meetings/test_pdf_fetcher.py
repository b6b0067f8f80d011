"""tsumugi.lib.pdf: the URL fetcher serves our static files and refuses everything else."""

from __future__ import annotations

import pytest

from tsumugi.lib.pdf import BASE_URL, RefusedURL, StaticOnlyFetcher, render_pdf, static_url


def test_it_serves_our_fonts() -> None:
    fetcher = StaticOnlyFetcher()
    response = fetcher.fetch(static_url("fonts/BIZUDPGothic-Regular.ttf"))
    assert response.read(4) == b"\x00\x01\x00\x00"  # a TrueType file
    assert fetcher.served == [static_url("fonts/BIZUDPGothic-Regular.ttf")]


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:9/x",
        "https://example.com/static/fonts/BIZUDPGothic-Regular.ttf",
        "data:text/css,body{color:red}",
        f"{BASE_URL}static/../tsumugi/settings.py",
        f"{BASE_URL}static/%2e%2e/tsumugi/settings.py",
        f"{BASE_URL}etc/passwd",
        f"{BASE_URL}static/fonts/missing.ttf",
    ],
)
def test_it_refuses_everything_else(url: str) -> None:
    fetcher = StaticOnlyFetcher()
    with pytest.raises(RefusedURL):
        fetcher.fetch(url)
    assert fetcher.refused == [url] and fetcher.served == []


def test_raw_html_with_remote_resources_renders_without_fetching_them() -> None:
    """Even if unescaped markup reached the renderer, nothing outside static is loaded."""
    fetcher = StaticOnlyFetcher()
    html = (
        '<link rel="stylesheet" href="http://127.0.0.1:9/x.css">'
        '<img src="file:///etc/passwd"><p>本文</p>'
    )
    pdf = render_pdf(html, fetcher=fetcher)
    assert pdf.startswith(b"%PDF")
    assert set(fetcher.refused) == {"http://127.0.0.1:9/x.css", "file:///etc/passwd"}
    assert fetcher.served == []
