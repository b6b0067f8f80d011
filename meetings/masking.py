"""How a case appears in a meeting's agenda page, minutes and packet.

Outside a 支援会議, a case whose legal basis does not cover every attending agency shows its
people as "Aさん（80代）": no names, kana, birth years. In a 支援会議 the registered members
are bound to confidentiality (社会福祉法第106条の6) and see the case as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from areas.models import Agency
from cases.models import Case, Person, alias

from .models import Meeting


@dataclass(frozen=True)
class PersonView:
    label: str
    relation: str
    is_primary: bool


@dataclass(frozen=True)
class CaseView:
    case: Case
    masked: bool
    people: list[PersonView]
    summary: str


class Masker:
    """Decides once per meeting which cases are masked, and renders them accordingly."""

    def __init__(self, meeting: Meeting) -> None:
        self.meeting = meeting
        self.confidential = meeting.body.is_confidential
        self.agencies: list[Agency] = [] if self.confidential else meeting.attending_agencies()
        self.year = meeting.date.year
        self._decided: dict[int, bool] = {}

    def masks(self, case: Case) -> bool:
        if self.confidential:
            return False
        if case.pk not in self._decided:
            # No attendees yet means nobody's basis has been checked: mask until they are known.
            self._decided[case.pk] = not self.agencies or not all(
                case.covers(agency) for agency in self.agencies
            )
        return self._decided[case.pk]

    def view(self, case: Case) -> CaseView:
        people = list(case.people.all())
        masked = self.masks(case)
        if not masked:
            shown = [PersonView(self.full(p), p.relation, p.is_primary) for p in people]
            return CaseView(case, False, shown, case.summary)
        labels = [alias(i) for i in range(len(people))]
        shown = [
            PersonView(f"{label}（{p.age_band(self.year)}）", p.relation, p.is_primary)
            for label, p in zip(labels, people, strict=True)
        ]
        return CaseView(case, True, shown, scrub(case.summary, people, labels))

    def full(self, person: Person) -> str:
        kana = f"（{person.kana}）" if person.kana else ""
        born = f" {person.birth_year}年生" if person.birth_year else ""
        return f"{person.name}{kana}{born}"

    def text(self, case: Case | None, value: str) -> str:
        """Free text about a case (minutes, sheet requests) with its people's names scrubbed
        when the case is masked here."""
        if case is None or not self.masks(case):
            return value
        people = list(case.people.all())
        return scrub(value, people, [alias(i) for i in range(len(people))])


def scrub(text: str, people: list[Person], labels: list[str]) -> str:
    """Replace each person's full name, kana and the parts of them (surname, given name) with
    their label; longest first so "山田 花子" goes before "山田"."""
    pairs: list[tuple[str, str]] = []
    for person, label in zip(people, labels, strict=True):
        for source in (person.name, person.kana):
            if not source:
                continue
            pairs.append((source, label))
            pairs.append((source.replace(" ", "").replace("\u3000", ""), label))
            pairs += [(part, label) for part in re.split(r"[ \u3000]+", source) if len(part) >= 2]
        if person.birth_year:
            pairs.append((f"{person.birth_year}年", "生年非表示"))
    for source, label in sorted(set(pairs), key=lambda p: -len(p[0])):
        text = text.replace(source, label)
    for label in set(labels):
        for honorific in ("さん", "様", "氏"):
            text = text.replace(label + honorific, label)
    return text
