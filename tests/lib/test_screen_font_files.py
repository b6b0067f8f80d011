"""fonts.css and the committed WOFF2 slices agree: each face's file exists, no file is orphaned,
every face swaps, and each weight covers kana and the kanji the app writes."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_slice_is_declared_and_present() -> None:
    css = (ROOT / "static/css/fonts.css").read_text(encoding="utf-8")
    faces = re.findall(r"@font-face\{[^}]*\}", css)
    files = {m for f in faces for m in re.findall(r'url\("../fonts/screen/([^"]+)"\)', f)}
    on_disk = {p.name for p in (ROOT / "static/fonts/screen").glob("*.woff2")}
    assert files == on_disk and len(files) == len(faces) > 2
    assert all("font-display:swap" in f and "unicode-range:" in f for f in faces)
    app = [f for f in faces if "-app.woff2" in f]
    assert len(app) == 2  # regular and bold
    for face in app:
        covered = set()
        for lo, hi in re.findall(
            r"U\+([0-9A-F]+)(?:-([0-9A-F]+))?", face.split("unicode-range:")[1]
        ):
            covered |= set(range(int(lo, 16), int(hi or lo, 16) + 1))
        assert {ord(c) for c in "受理期限切れ"} - set(range(0x3000, 0x3100)) <= covered
