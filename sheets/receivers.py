"""Which agency should receive a sheet: the sheet form's list, ordered by fit (issue 10, point 4).

Three groups, in this order:
1. the agencies the case's legal basis names (cases/privacy.py decides; nothing here re-derives
   it): they receive the sheet with names;
2. agencies whose fields match the case's issue tags and whose districts include the case's
   district;
3. the rest, behind a disclosure.
Within a group, more matching fields first, then serving the district, then the roster's order.
Under 緊急 every receiver gets names, so there is no first group.

`search` narrows the list by name or field (folded like every search here: width, kana, case);
the page hides what does not match, in HTML without JavaScript and by script as one types.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from areas.models import Agency
from cases.models import Case
from tsumugi.lib.text import search_key

NAMED = "named"
FIT = "fit"
REST = "rest"


@dataclass(frozen=True)
class Card:
    """One agency on the form: the checkbox's label is its name; the card describes it."""

    agency: Agency
    field_names: tuple[str, ...]
    matched_fields: tuple[str, ...]
    serves_district: bool
    search_text: str  # folded name and fields, what the filter compares
    shown: bool  # matches the search (or is chosen already)
    checked: bool

    @property
    def dom_id(self) -> str:
        return f"receiver-{self.agency.pk}"


@dataclass(frozen=True)
class Group:
    key: str
    title: str
    note: str  # how the sheet goes to this group: with names, or anonymised
    cards: tuple[Card, ...]
    is_open: bool  # the disclosure of the rest starts open (a match or a choice inside)

    @property
    def heading(self) -> str:
        return f"{self.title}（{self.note}）" if self.note else self.title

    @property
    def shown_count(self) -> int:
        return sum(card.shown for card in self.cards)


TITLES = {
    NAMED: "共有の根拠が名指す機関",
    FIT: "相談の分野と地区に合う機関",
    REST: "その他の機関",
}


def notes(covered: frozenset[int] | None) -> dict[str, str]:
    # Said once per group instead of 「（匿名で送付）」 after every name.
    anonymous = "" if covered is None else "匿名シートになります"
    return {NAMED: "氏名などを含めて送ります", FIT: anonymous, REST: anonymous}


def matches(search: str, text: str) -> bool:
    words = [search_key(w) for w in search.split()]
    return all(w in text for w in words if w)


def receiver_groups(
    case: Case,
    agencies: Iterable[Agency],
    covered: frozenset[int] | None,
    tag_field_ids: Collection[int],
    *,
    search: str = "",
    checked: Collection[int] = (),
) -> list[Group]:
    """`agencies` come with their fields and districts prefetched, in the roster's order;
    `covered` is privacy.named_agency_ids(case) (None under 緊急)."""
    wanted = set(tag_field_ids)
    ranked: dict[str, list[tuple[tuple[int, int, int], Card]]] = {NAMED: [], FIT: [], REST: []}
    for position, agency in enumerate(agencies):
        fields = list(agency.fields.all())
        names = tuple(f.name for f in fields)
        matched = tuple(f.name for f in fields if f.pk in wanted)
        serves = any(d.pk == case.district_id for d in agency.districts.all())
        text = search_key(agency.name + " " + " ".join(names))
        is_checked = agency.pk in checked
        card = Card(
            agency=agency,
            field_names=names,
            matched_fields=matched,
            serves_district=serves,
            search_text=text,
            shown=is_checked or matches(search, text),
            checked=is_checked,
        )
        if covered is not None and agency.pk in covered:
            key = NAMED
        elif matched and serves:
            key = FIT
        else:
            key = REST
        ranked[key].append(((-len(matched), 0 if serves else 1, position), card))
    how = notes(covered)
    groups = []
    for key, rows in ranked.items():
        if not rows:
            continue
        cards = tuple(card for _, card in sorted(rows, key=lambda row: row[0]))
        inside = any(c.checked for c in cards) or (
            bool(search.strip()) and any(c.shown for c in cards)
        )
        groups.append(Group(key, TITLES[key], how[key], cards, is_open=key != REST or inside))
    return groups
