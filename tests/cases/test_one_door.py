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
    "cases/_people_print.html",
}
FOR_LOOP = re.compile(r"{%\s*for\s+(\w+)\s+in\s+([\w.]+)[^%]*%}")
# A loop is over people if its source is named so or its body reads a person's attributes.
PEOPLE_SOURCE = re.compile(r"(people|persons|matched|existing|household|residents)$")
PERSON_ATTRS = "name|kana|birth_year|relation|is_primary"
# Attributes only a person has (Agency, Tag, Body have a .name too, none has these).
IDENTITY_ATTRS = re.compile(r"\b[\w.]+\.(kana|birth_year)\b")
PERSON_VARS = re.compile(r"\b(person|primary|resident|p)\.(name|kana|birth_year)\b")
SUMMARY = re.compile(r"\b[\w.]*\.summary\b")
RAW_SOURCES = re.compile(r"\bcase\.(people|summary)\b|\.people\.all\b")
# The intake/edit formset of people: input fields, not a display of anyone.
INPUT_FORMS = {"cases/_people_table.html"}


# The resident pages' lists (cases/residents.py Seen, GroupRow): each item carries a PersonView
# built by cases/privacy.py for this viewer, from named consultations only; the loop body may
# read only the view's own labels (`.person.line`), as the checks below enforce.
RESIDENT_LISTS = {"page.seen", "page.household", "page.candidates", "c.seen", "g.rows"}


def from_view(source: str) -> bool:
    """`view.people`, `v.people`, `panel.view.people`, `row.view.people`: a view object's."""
    return (
        source in {"v.people", "view.people"}
        or source.endswith(".view.people")
        or source in RESIDENT_LISTS
    )


def offences(path: Path, text: str) -> list[str]:
    found = []
    name = path.relative_to(TEMPLATES).as_posix()
    if name in INPUT_FORMS:
        return []
    partial = name in VIEW_PARTIALS
    for match in FOR_LOOP.finditer(text):
        var, source = match.groups()
        body = text[match.end() :]
        reads_person = re.search(rf"\b{var}\.({PERSON_ATTRS})\b", body)
        if not (PEOPLE_SOURCE.search(source) or (reads_person and var in {"p", "person"})):
            continue
        if not from_view(source):
            found.append(f"{name}: loops over {source} (not a view object's people)")
        if not partial and re.search(rf"\b{var}\.(name|kana|birth_year)\b", body):
            found.append(f"{name}: reads {var}.name/kana/birth_year outside the view partials")
    if not partial:
        for match in IDENTITY_ATTRS.finditer(text):
            found.append(f"{name}: reads {match.group(0)} outside the view partials")
        for match in PERSON_VARS.finditer(text):
            found.append(f"{name}: reads {match.group(0)} outside the view partials")
    for match in SUMMARY.finditer(text):
        expr = match.group(0)
        if expr in {"v.summary", "view.summary", "view.shared_summary"} or expr.endswith(
            (".view.summary", ".view.shared_summary")
        ):
            continue  # the view object's text, already chosen for the viewer
        found.append(f"{name}: reads {expr}")
    for match in RAW_SOURCES.finditer(text):
        found.append(f"{name}: reads {match.group(0)}")
    return list(dict.fromkeys(found))


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
    assert offences(fake, "{% for p in existing %}{{ p.line }}{{ p.relation }}{% endfor %}")
    assert offences(fake, "{{ primary.name }}（{{ primary.kana }}）")
    assert offences(fake, "{% for p in s.case.people.all %}{{ p.line }}{% endfor %}")
    assert offences(fake, "{{ row.person.birth_year }}")
    assert not offences(fake, "{% for p in view.people %}{{ p.line }}{% endfor %}")
    assert not offences(fake, "{% for a in agencies %}{{ a.name }}{% endfor %}")
    assert not offences(fake, "{{ primary.name_and_kana }}")
    # the resident pages: their lists hold PersonViews, read only through the view's labels
    assert offences(fake, "{% for s in page.household %}{{ s.name }}{% endfor %}")
    assert offences(fake, "{% for s in page.seen %}{{ s.person.kana }}{% endfor %}")
    assert offences(fake, "{% for r in page.residents %}{{ r.line }}{% endfor %}")
    assert offences(fake, "{{ resident.name }}")
    assert not offences(fake, "{% for s in page.seen %}{{ s.person.line }}{% endfor %}")
