"""The table-driven privacy test (issue 9, "Tests that must exist"): probe residents whose
identity is easy to leak — a one-character given name, a katakana-only reading, a 昭和 birth
year — and every place a viewer without basis can look, on the three paths of the issue:

1. a roster member of a meeting the basis does not name (the くらし連携支援室's coordinator);
2. an anonymised receiver that issues a sheet from the case itself (charlie at C);
3. a redirect to an agency the basis does not name (bob at B forwards to charlie at C).

No name part, reading (hiragana, katakana, half-width) or birth year (西暦, 和暦) may appear.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from areas.models import RosterEntry
from cases.intake import PersonData, open_case
from cases.models import Basis, Case, Channel
from meetings.models import AgendaItem
from meetings.packet import render_packet
from reminders.engine import sweep
from reminders.outbox import send_pending
from sheets.models import Handover, Sheet
from tests.conftest import World, fetch_export, make_tags
from tests.meetings.conftest import NOW, Bodies, attend, make_bodies, make_meeting, member
from tests.sheets.printing import pdf_text, printed


@pytest.fixture
def bodies(world: World) -> Bodies:
    return make_bodies(world)


PEOPLE = [
    PersonData("朽網 澪", "くさみ みお", 1999, "本人", True),  # 平成11年
    PersonData("湖東 凛", "コトウ リン", 1980, "母"),  # katakana only, 昭和55年
]


# Every probe string: name parts, readings in three scripts, birth years in 西暦 and 和暦.
PROBES = [
    "朽網", "澪", "湖東", "凛",
    "くさみ", "みお", "クサミ", "ミオ", "ｸｻﾐ", "ﾐｵ",
    "ことう", "りん", "コトウ", "ｺﾄｳ", "ﾘﾝ",
    "1999", "１９９９", "平成11", "H11", "1980", "１９８０", "昭和55", "S55",
]  # fmt: skip
# "リン" alone also spells ordinary words (リンク); its half-width and hiragana forms stand in.

SUMMARY = (
    "朽網 澪さん（くさみ みお、平成11年生まれ）と母の湖東 凛さん（コトウ リン、昭和55年"
    "生まれ）。澪さんは1999年生まれで、凛さんは電話で相談してきた。"
)
SHARED = "20代の本人と40代の母の世帯。本人は長く外出していない。"


def leaks(text: str) -> list[str]:
    return [p for p in PROBES if p in text]


def make_probe_case(world: World, basis: str, consent_to: list) -> Case:  # type: ignore[type-arg]
    tags = make_tags(world)
    return open_case(
        agency=world.a,
        by=world.alice,
        district=world.kutsuki,
        channel=Channel.WINDOW,
        summary=SUMMARY,
        shared_summary=SHARED,
        basis=basis,
        tags=[tags["8050"], tags["hikikomori"]],
        people=PEOPLE,
        consent_agencies=consent_to,
        consent_scope="生活の状況" if consent_to else "",
        now=NOW,
        received_at=NOW,
    )


@dataclass
class Path:
    viewer: User
    places: dict[str, Callable[[Client], str]]


# A CSP nonce or a CSRF token is random text: "S55" turned up in one by chance (a probe for
# 昭和55). They are nobody's data; everything else on the page is checked.
RANDOM_TOKENS = re.compile(r'nonce="[^"]*"|name="csrfmiddlewaretoken" value="[^"]*"')


def without_random_tokens(html: str) -> str:
    return RANDOM_TOKENS.sub("", html)


def page(url: str, **params: str) -> Callable[[Client], str]:
    def get(client: Client) -> str:
        response = client.get(url, params)
        assert response.status_code in (200, 302, 403, 404), (url, response.status_code)
        return without_random_tokens(response.content.decode())

    return get


def search(typed: str) -> Callable[[Client], str]:
    def get(client: Client) -> str:
        html = client.get(reverse("cases:search"), {"q": typed}).content.decode()
        assert "見つかりませんでした" in html, typed  # the name finds nothing
        return html.replace(typed, "")  # the viewer's own query, echoed back: not a leak

    return get


def matches(person: PersonData) -> Callable[[Client], str]:
    """「同じ人の相談」 while typing the probe person at intake (the endpoint's fragment only:
    the typed input is not echoed there)."""

    def post(client: Client) -> str:
        data = {
            "people-TOTAL_FORMS": "1",
            "people-INITIAL_FORMS": "0",
            "people-0-name": person.name,
            "people-0-kana": person.kana,
            "people-0-birth_year": str(person.birth_year),
        }
        response = client.post(reverse("cases:match"), data)
        assert response.status_code == 200
        html = response.content.decode()
        assert 'data-testid="resident-candidates"' not in html
        return html

    return post


def resident_places(case: Case) -> dict[str, Callable[[Client], str]]:
    """The resident pages of the probe people, the 名寄せ候補 and the candidates at intake."""
    people = list(case.people.all())
    return {
        "resident page (1st)": page(reverse("cases:resident", args=[people[0].pk])),
        "resident page (2nd)": page(reverse("cases:resident", args=[people[1].pk])),
        "名寄せ候補": page(reverse("cases:duplicates")),
        "intake candidates (1st)": matches(PEOPLE[0]),
        "intake candidates (2nd)": matches(PEOPLE[1]),
    }


def pdf_of(meeting_pk: int) -> Callable[[Client], str]:
    def text(client: Client) -> str:
        from meetings.models import Meeting

        pdf = render_packet(Meeting.objects.get(pk=meeting_pk), NOW)
        return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)

    return text


def csv_of(name: str) -> Callable[[Client], str]:
    def text(client: Client) -> str:
        # through the worker, as the person gets it (reminders/exports.py)
        return bytes(fetch_export(client, reverse(name), {"year": 2026}).content).decode(
            "utf-8-sig"
        )

    return text


def weeks_of_reminders() -> None:
    """Nobody answers for four weeks: every rung of every ladder is sent (notices and mails)."""
    for day in range(1, 29):
        sweep(NOW + timedelta(days=day), enqueue=False)


def mails_to(user: User) -> Callable[[Client], str]:
    """Every mail the viewer is owed, rendered and sent as the worker would: subject, text and
    HTML. Whatever kinds exist (reminders, agenda, move notices), all of them are read."""

    def text(client: Client) -> str:
        send_pending()
        mine = [m for m in mail.outbox if user.email in m.to]
        assert mine, f"no mail reached {user.username}: the place would prove nothing"
        parts: list[str] = []
        for message in mine:
            parts += [str(message.subject), str(message.body)]
            parts += [str(content) for content, _ in getattr(message, "alternatives", [])]
        return "\n".join(parts)

    return text


def printed_sheet(sheet_pk: int) -> Callable[[Client], str]:
    """The printed つむぎあいシート: asked for, made by the worker, downloaded, read by poppler."""

    def text(client: Client) -> str:
        return pdf_text(printed(client, Sheet.objects.get(pk=sheet_pk), NOW))

    return text


def roster_member_path(world: World, bodies: Bodies) -> Path:
    # The consent names B; the coordinator is on the 朽木 roster and may open the meeting.
    case = make_probe_case(world, Basis.CONSENT, [world.b])
    # The same people again: the 名寄せ候補 show the office this group, de-identified.
    make_probe_case(world, Basis.CONSENT, [world.b])
    meeting = make_meeting(world, bodies.kutsuki)
    meeting.add_item(by=world.coordinator, kind=AgendaItem.Kind.CASE, case=case, minutes=10)
    attend(meeting, world.alice)  # the only attendee is named (the counter): issue 9 point 1
    sheet = Sheet.issue(
        case=case,
        by=world.alice,
        sender_agency=world.a,
        receiver_agency=world.b,
        request="澪さんの通院の付き添いをお願いします。",  # named: B is named by the consent
        sender_continuing="支所で訪問を続けます。",
        now=NOW,
    )
    return Path(
        world.coordinator,
        {
            "agenda page": page(reverse("meetings:detail", args=[meeting.pk])),
            "minutes": page(reverse("meetings:minutes", args=[meeting.pk])),
            "packet PDF text": pdf_of(meeting.pk),
            "case page": page(reverse("cases:detail", args=[case.pk])),
            "case list": page(reverse("cases:list")),
            "search (name)": search("朽網"),
            "search (kana)": search("ｸｻﾐ"),
            "sheet page": page(reverse("sheets:detail", args=[sheet.pk])),
            # The receiver is named: the coordinator may not print what it may not see.
            "printed sheet (refused)": page(reverse("sheets:print", args=[sheet.pk])),
            "insight drill-down": page(reverse("insight:failures"), mode="holding"),
            "insight drill-down (sheets)": page(reverse("insight:failures"), mode="no_response"),
            "notifications": page(reverse("notifications:list")),
            "mails": mails_to(world.coordinator),
            "home": page(reverse("home")),
            "figures CSV": csv_of("insight:figures_csv"),
            "indicators CSV": csv_of("insight:indicators_csv"),
            "results CSV": csv_of("insight:results_csv"),
        },
    )


def roster_seat_path(world: World, bodies: Bodies) -> Path:
    # The consent names B and the coordination office: every attendee and coordinator is named.
    # Only a seat on the roster (charlie at C, not attending) is not, and it alone must mask the
    # printed material. Minutes written with names before C took its seat are withheld, whole.
    case = make_probe_case(world, Basis.CONSENT, [world.b, world.office])
    meeting = make_meeting(world, bodies.kutsuki)
    item = meeting.add_item(by=world.coordinator, kind=AgendaItem.Kind.CASE, case=case, minutes=10)
    attend(meeting, world.alice)
    AgendaItem.objects.filter(pk=item.pk).update(discussion=SUMMARY, decisions="凛さんに電話する")
    RosterEntry.objects.create(body=bodies.kutsuki, membership=member(world.charlie))
    return Path(
        world.charlie,
        {
            "agenda page": page(reverse("meetings:detail", args=[meeting.pk])),
            "minutes": page(reverse("meetings:minutes", args=[meeting.pk])),
            "packet PDF text": pdf_of(meeting.pk),
            "case page (404)": page(reverse("cases:detail", args=[case.pk])),
            "notifications": page(reverse("notifications:list")),
            "home": page(reverse("home")),
            **resident_places(case),
        },
    )


def anonymised_receiver_path(world: World, bodies: Bodies) -> Path:
    # The consent names B only; an anonymised sheet goes to C; C issues a sheet to B itself.
    case = make_probe_case(world, Basis.CONSENT, [world.b])
    anonymous = Sheet.issue(
        case=case,
        by=world.alice,
        sender_agency=world.a,
        receiver_agency=world.c,
        request="本人の就労の相談をお願いします。",
        sender_continuing="支所で訪問を続けます。",
        now=NOW,
    )
    assert anonymous.is_anonymised
    onward = Sheet.issue(
        case=case,
        by=world.charlie,
        sender_agency=world.c,
        receiver_agency=world.b,
        request="本人の生活の相談をお願いします。",
        sender_continuing="就労の相談を続けます。",
        now=NOW,
    )
    return Path(
        world.charlie,
        {
            "sheet page": page(reverse("sheets:detail", args=[anonymous.pk])),
            "printed sheet": printed_sheet(anonymous.pk),
            "its own sheet's page": page(reverse("sheets:detail", args=[onward.pk])),
            "inbox": page(reverse("sheets:inbox")),
            "outbox": page(reverse("sheets:outbox")),
            "case page": page(reverse("cases:detail", args=[case.pk])),
            "case list": page(reverse("cases:list")),
            "search (name)": search("湖東"),
            "search (katakana)": search("コトウ"),
            "new sheet form": page(reverse("sheets:new", args=[case.pk])),
            "notifications": page(reverse("notifications:list")),
            "mails": mails_to(world.charlie),
            "home": page(reverse("home")),
            **resident_places(case),
        },
    )


def redirect_path(world: World, bodies: Bodies) -> Path:
    # A named sheet to B (named by the consent); B forwards it to C, which the basis does not name.
    case = make_probe_case(world, Basis.CONSENT, [world.b])
    parent = Sheet.issue(
        case=case,
        by=world.alice,
        sender_agency=world.a,
        receiver_agency=world.b,
        request="朽網 澪さん（くさみ みお）の通院と、凛さんの介護の相談をお願いします。",
        sender_continuing="支所で訪問を続けます。",
        shared_info="澪さんは1999年生まれ。",
        now=NOW,
    )
    child = parent.redirect(
        by=world.bob, to=world.c, reason="就労の相談が中心のため", request="本人の就労の相談"
    )
    return Path(
        world.charlie,
        {
            "sheet page": page(reverse("sheets:detail", args=[child.pk])),
            "printed sheet": printed_sheet(child.pk),
            "parent sheet (404)": page(reverse("sheets:detail", args=[parent.pk])),
            "inbox": page(reverse("sheets:inbox")),
            "case page": page(reverse("cases:detail", args=[case.pk])),
            "case list": page(reverse("cases:list")),
            "search (name)": search("澪"),
            "notifications": page(reverse("notifications:list")),
            "mails": mails_to(world.charlie),
            "home": page(reverse("home")),
            **resident_places(case),
        },
    )


def paper_path(world: World, bodies: Bodies) -> Path:
    # The counter sees every name on screen; what it prints for a receiver the basis does not
    # name — an agency, or a body outside the list reached by phone — is the receiver's view.
    case = make_probe_case(world, Basis.CONSENT, [world.b])
    anonymous = Sheet.issue(
        case=case,
        by=world.alice,
        sender_agency=world.a,
        receiver_agency=world.c,
        request="本人の就労の相談をお願いします。",
        sender_continuing="支所で訪問を続けます。",
        now=NOW,
    )
    by_phone = Sheet.hand_over(
        case=case,
        by=world.alice,
        sender_agency=world.a,
        handover=Handover.PHONE,
        handed_at=NOW,
        outside_receiver="朽木地区 民生委員",
        outside_contact="民生委員 木村様",
        request="週1回の見守りをお願いします。",
        sender_continuing="支所で訪問を続けます。",
        now=NOW,
    )
    return Path(
        world.alice,
        {
            "printed sheet to an agency the basis does not name": printed_sheet(anonymous.pk),
            "printed sheet handed over by phone": printed_sheet(by_phone.pk),
        },
    )


PATHS = {
    "roster member of a meeting": roster_member_path,
    "a roster seat is the only one not named": roster_seat_path,
    "anonymised receiver issuing a sheet": anonymised_receiver_path,
    "redirect to an uncovered agency": redirect_path,
    "the sender prints for a receiver without basis": paper_path,
}


@pytest.mark.parametrize("path_name", list(PATHS))
def test_no_place_shows_the_probe_people_to_a_viewer_without_basis(
    client: Client, world: World, bodies: Bodies, path_name: str
) -> None:
    with time_machine.travel(NOW, tick=False):
        path = PATHS[path_name](world, bodies)
        weeks_of_reminders()
        client.force_login(path.viewer)
        found = {place: leaks(read(client)) for place, read in path.places.items()}
    assert {place: hits for place, hits in found.items() if hits} == {}


def test_the_probes_would_be_seen_by_a_viewer_the_basis_names(
    client: Client, world: World, bodies: Bodies
) -> None:
    # The check can fail: the receiving counter reads every probe on its own case page.
    with time_machine.travel(NOW, tick=False):
        case = make_probe_case(world, Basis.CONSENT, [world.b])
        client.force_login(world.alice)
        html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert {"朽網", "澪", "湖東", "凛", "くさみ", "コトウ", "1999", "1980"} <= set(leaks(html))
    # And the printed sheet to the agency the consent names carries them.
    with time_machine.travel(NOW, tick=False):
        sheet = Sheet.issue(
            case=case,
            by=world.alice,
            sender_agency=world.a,
            receiver_agency=world.b,
            request="通院の付き添いをお願いします。",
            sender_continuing="支所で訪問を続けます。",
            now=NOW,
        )
    paper = printed_sheet(sheet.pk)(client)
    assert {"朽網", "澪", "湖東", "凛", "くさみ", "コトウ", "1999", "平成11", "昭和55"} <= set(
        leaks(paper)
    )


def test_the_resident_places_would_show_the_probes_to_the_receiving_counter(
    client: Client, world: World
) -> None:
    # The new places can fail the check too: alice reads the probes on the resident page and
    # gets her earlier case as a candidate when she types the same person again.
    with time_machine.travel(NOW, tick=False):
        case = make_probe_case(world, Basis.CONSENT, [world.b])
        client.force_login(world.alice)
        person = case.people.order_by("pk").first()
        assert person is not None
        page_html = client.get(reverse("cases:resident", args=[person.pk])).content.decode()
        data = {
            "people-TOTAL_FORMS": "1",
            "people-INITIAL_FORMS": "0",
            "people-0-name": "朽網　澪",
            "people-0-kana": "ｸｻﾐ ﾐｵ",
            "people-0-birth_year": "平成11",
        }
        fragment = client.post(reverse("cases:match"), data).content.decode()
    assert {"朽網", "澪", "くさみ", "1999"} <= set(leaks(page_html))
    assert case.number in fragment and {"朽網", "澪", "くさみ"} <= set(leaks(fragment))
