"""htmx is vendored with its licence (no CDN) and configured for the strict CSP before it loads."""

from __future__ import annotations

import json
import re
from pathlib import Path

from django.test import Client
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "static/vendor/htmx"


def test_htmx_is_vendored_with_licence_and_version() -> None:
    assert "Zero-Clause BSD" in (VENDOR / "LICENSE").read_text()
    assert re.match(r"htmx\.org 2\.0\.\d+ ", (VENDOR / "VERSION").read_text())
    assert (VENDOR / "htmx.min.js").stat().st_size > 40_000


def test_pages_configure_htmx_for_the_csp_before_loading_it(client: Client, db: None) -> None:
    html = client.get(reverse("login")).content.decode()
    meta = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", html)
    assert meta is not None
    config = json.loads(meta.group(1))
    # eval would need 'unsafe-eval', the indicator <style> 'unsafe-inline'; the history cache
    # would keep a copy of a page with personal data in localStorage on a shared PC.
    assert config["allowEval"] is False and config["includeIndicatorStyles"] is False
    assert config["historyCacheSize"] == 0 and config["allowScriptTags"] is False
    assert html.index("htmx-config") < html.index("vendor/htmx/htmx.min.js")
