"""Every page names the app's own icon, served from static (no /favicon.ico 404 in the logs of
an isolated network's proxy, and a recognisable tab among a counter's many)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse


def test_pages_link_the_svg_favicon_that_exists(client: Client, db: None) -> None:
    html = client.get(reverse("login")).content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    path = finders.find("favicon.svg")
    assert path, "static/favicon.svg is missing"
    root = ET.parse(str(path)).getroot()
    assert root.tag.endswith("svg") and root.get("viewBox") == "0 0 32 32"
