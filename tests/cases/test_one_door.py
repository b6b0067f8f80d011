"""One door for case data: templates and PDF sources never read Person fields or Case.summary
directly; they receive the view object (cases/privacy.py CaseView / PersonView) and only its
partials read names, readings, birth years and summaries."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# The partials that render a CaseView / PersonView (and nothing else).
VIEW_PARTIALS = {
    "cases/_people.html",
    "cases/_case_summary.html",
}
FOR_PEOPLE = re.compile(r"{%\s*for\s+(\w+)\s+in\s+([\w.]*(?:people|matched|persons)[\w.]*)\s*%}")
SUMMARY = re.compile(r"\b[\w.]*\.summary\b")
RAW_SOURCES = re.compile(r"\bcase\.(people|summary)\b|\.people\.all\b")
# The intake/edit formset of people: input fields, not a display of anyone.
INPUT_FORMS = {"cases/_people_table.html"}


def offences(path: Path, text: str) -> list[str]:
    found = []
    name = path.relative_to(TEMPLATES).as_posix()
    partial = name in VIEW_PARTIALS
    for match in FOR_PEOPLE.finditer(text) if name not in INPUT_FORMS else ():
        var, source = match.groups()
        if not source.startswith(("view.people", "v.people", "panel.view.people")):
            found.append(f"{name}: loops over {source} (not a view object's people)")
        if not partial and re.search(rf"\b{var}\.(name|kana|birth_year)\b", text):
            found.append(f"{name}: reads {var}.name/kana/birth_year outside the view partials")
    for match in SUMMARY.finditer(text):
        expr = match.group(0)
        if expr in {"v.summary", "view.summary", "view.shared_summary", "panel.view.summary"}:
            continue  # the view object's text, already chosen for the viewer
        found.append(f"{name}: reads {expr}")
    for match in RAW_SOURCES.finditer(text):
        found.append(f"{name}: reads {match.group(0)}")
    return found


def test_no_template_reads_person_fields_or_the_summary_directly() -> None:
    problems: list[str] = []
    files = sorted(p for p in TEMPLATES.rglob("*") if p.suffix in {".html", ".txt", ".css"})
    assert len(files) > 30  # the scan sees the real templates (PDF sources included)
    for path in files:
        problems += offences(path, path.read_text(encoding="utf-8"))
    assert problems == []


def test_the_scan_catches_what_it_is_for() -> None:
    fake = TEMPLATES / "x/fake.html"
    assert offences(fake, "{% for p in case.people.all %}{{ p.name }}{% endfor %}")
    assert offences(fake, "{{ case.summary }}")
    assert offences(fake, "{% for p in people %}{{ p.kana }}{% endfor %}")
    assert offences(fake, "{% for p in s.case.people.all %}{{ p.birth_year }}{% endfor %}")
    assert not offences(fake, "{% for p in view.people %}{{ p.line }}{% endfor %}")
