"""The DADS design tokens are vendored with their licence and loaded before the app's mapping;
every token the mapping uses exists in the vendored file (a renamed or mistyped token would
silently fall back to Bootstrap's colours)."""

from __future__ import annotations

import re
from pathlib import Path

from django.test import Client
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "static/vendor/design-tokens"


def test_tokens_are_vendored_with_licence_and_version() -> None:
    assert "デジタル庁" in (VENDOR / "LICENSE").read_text(encoding="utf-8")
    assert (VENDOR / "VERSION").read_text().startswith("@digital-go-jp/design-tokens ")


def test_every_token_the_mapping_uses_is_defined() -> None:
    defined = set(re.findall(r"(--[a-z0-9-]+):", (VENDOR / "tokens.css").read_text()))
    mapping = (ROOT / "static/css/dads.css").read_text(encoding="utf-8")
    used = set(re.findall(r"var\((--(?:color|font|line|border|elevation)[a-z0-9-]*)\)", mapping))
    assert len(used) > 30
    assert used <= defined, sorted(used - defined)


def test_pages_load_tokens_then_mapping_then_app_css(client: Client, db: None) -> None:
    html = client.get(reverse("login")).content.decode()
    order = [
        html.index("vendor/bootstrap/bootstrap.min.css"),
        html.index("vendor/design-tokens/tokens.css"),
        html.index("css/dads.css"),
        html.index("css/tsumugi.css"),
    ]
    assert order == sorted(order)
