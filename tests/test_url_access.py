"""Every URL pattern of the URLconf, asked by the people who must not get in (STYLE.md "Access").

The patterns come from `django.urls.get_resolver()`, not from a hand list: a pattern without a
row in ACCESS below fails `test_every_url_pattern_has_a_row`, so a new view cannot ship without
saying what an outsider gets. Each pattern is requested by GET and by POST as

- charlie, staff of agency C, which has nothing to do with the world's case, sheet or meeting;
- the world's admin (名簿管理, a member of no agency that holds the case): reads no case contents;
- an anonymous visitor: sent to sign in.

Nothing any of them sends may change a row of the apps, and no answer may carry the world's
personal details or case and sheet numbers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import Account
from areas.models import Closure, RosterEntry
from cases.models import Case
from meetings.models import ActionItem, Meeting
from plans import council
from plans.models import Assessment, AssessmentItem, Plan, PlanAgendaItem
from reminders.models import Export
from sheets.models import Phrase, PhraseUse, Sheet
from tests.conftest import World, make_case, make_sheet
from tests.meetings.conftest import Bodies, add_theme, attend, make_bodies, make_meeting, member
from tests.plans.conftest import draft, make_council

NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
# (Birth years are left out: a year picker lists 1944 for everyone.)
PERSONAL = ["山田", "花子", "一郎", "やまだ", "はなこ", "いちろう"]
# Apps whose rows no outsider's request may change (sessions, axes, the sign-in log may; of the
# users, only their last sign-in, and of the accounts only their own pending factor).
APPS = ("areas", "cases", "sheets", "meetings", "plans", "insight", "reminders")


@dataclass
class Things:
    """One object of each kind a URL can name, all belonging to alice's and bob's agencies."""

    world: World
    bodies: Bodies
    case: Case
    sheet: Sheet
    meeting: Meeting
    action: ActionItem
    notification: Any
    closure: Closure
    entry: RosterEntry
    plan: Plan
    assessment: Assessment
    plan_agenda_item: PlanAgendaItem
    export: Export  # bob's, done: neither its page nor its file exists for anyone else

    @property
    def item_pk(self) -> int:
        return self.action.item_id

    @property
    def attendance_pk(self) -> int:
        first = self.meeting.attendances.first()
        assert first is not None
        return first.pk


@dataclass(frozen=True)
class Answer:
    """What a viewer may get, by GET and by POST (405: the method is not the view's)."""

    codes: frozenset[int]
    must: int | None = None  # at least one of GET/POST answers this (not only 405)
    location: str | None = None  # a redirect must go here (prefix)


def answer(*codes: int, must: int | None = None, location: str | None = None) -> Answer:
    return Answer(frozenset(codes), must, location)


HIDDEN = answer(404, 405, must=404)  # the object does not exist for this viewer
FORBIDDEN = answer(403, 405, must=403)  # the page exists, the viewer may not use it
REFUSED = answer(403, 404, 405)  # either: a page for other roles, not for this viewer
# A page of every signed-in user, scoped to them (leak-checked); 400: the form refused the input.
OPEN = answer(200, 302, 400, 405)
TO_LOGIN = answer(302, 405, must=302, location="/login/")
ADMIN_SITE = answer(302, 405, must=302, location="/django-admin/login/")
ADMIN_LOGIN = answer(200, 302, 405)
PASSKEY_API = answer(200, 400, 401, 403, 405, 422)
PUBLIC = answer(200, 405, must=200)  # the same for everyone (the script's messages)


@dataclass(frozen=True)
class Row:
    kwargs: Callable[[Things], dict[str, Any]]
    charlie: Answer
    admin: Answer
    anonymous: Answer = TO_LOGIN


def none(t: Things) -> dict[str, Any]:
    return {}


def pk(get: Callable[[Things], Any]) -> Callable[[Things], dict[str, Any]]:
    return lambda t: {"pk": get(t).pk}


def case_pk(t: Things) -> dict[str, Any]:
    return {"case_pk": t.case.pk}


def goal_pk(t: Things) -> dict[str, Any]:
    goal = t.plan.goals.first()
    assert goal is not None
    return {"pk": t.plan.pk, "goal_pk": goal.pk}


def forged_link(t: Things) -> dict[str, Any]:
    return {"uidb64": urlsafe_base64_encode(force_bytes(t.world.bob.pk)), "token": "abc-123"}


def b_phrase(t: Things) -> Phrase:
    return Phrase.objects.get(agency=t.world.b)


PUBLIC_PAGE = answer(200, 405, must=200)
BAD_LINK = answer(200, must=200)  # "このリンクは使えません" and no form


# pattern name -> how to build its URL from the world, what an outsider and an admin get.
# Adding a view? Add its row here in the same commit (STYLE.md "Tests").
ACCESS: dict[str, Row] = {
    # site
    "home": Row(none, OPEN, OPEN),
    "login": Row(none, OPEN, OPEN, anonymous=answer(200, 302, 403)),
    "logout": Row(none, OPEN, OPEN, anonymous=answer(200, 302, 405)),
    # single sign-on: off in the tests' settings, so there is nothing to reach (tests/accounts/
    # test_sso.py walks it against a real provider)
    "accounts:keepalive": Row(none, OPEN, OPEN),
    "accounts:passkeys": Row(none, OPEN, OPEN),
    # passkey ceremonies (JSON; a ceremony needs a signed-in user who has passed the app's code)
    "otp_webauthn:credential-registration-begin": Row(none, PASSKEY_API, PASSKEY_API, PASSKEY_API),
    "otp_webauthn:credential-registration-complete": Row(
        none, PASSKEY_API, PASSKEY_API, PASSKEY_API
    ),
    "otp_webauthn:credential-authentication-begin": Row(
        none, PASSKEY_API, PASSKEY_API, PASSKEY_API
    ),
    "otp_webauthn:credential-authentication-complete": Row(
        none, PASSKEY_API, PASSKEY_API, PASSKEY_API
    ),
    "otp_webauthn:js-i18n-catalog": Row(none, PUBLIC, PUBLIC, PUBLIC),
    "accounts:sso_start": Row(none, HIDDEN, HIDDEN, anonymous=HIDDEN),
    "accounts:sso_callback": Row(none, HIDDEN, HIDDEN, anonymous=HIDDEN),
    # areas: one's own page, then the roster (admins only)
    "areas:me": Row(none, OPEN, OPEN),
    "areas:agency_list": Row(none, FORBIDDEN, OPEN),
    "areas:agency_create": Row(none, FORBIDDEN, OPEN),
    "areas:agency_edit": Row(pk(lambda t: t.world.b), FORBIDDEN, OPEN),
    "areas:area_list": Row(none, FORBIDDEN, OPEN),
    "areas:area_create": Row(none, FORBIDDEN, OPEN),
    "areas:area_edit": Row(pk(lambda t: t.world.kutsuki), FORBIDDEN, OPEN),
    "areas:membership_list": Row(none, FORBIDDEN, OPEN),
    "areas:membership_create": Row(none, FORBIDDEN, OPEN),
    "areas:membership_edit": Row(pk(lambda t: member(t.world.bob)), FORBIDDEN, OPEN),
    "areas:body_list": Row(none, FORBIDDEN, OPEN),
    "areas:body_create": Row(none, FORBIDDEN, OPEN),
    "areas:body_detail": Row(pk(lambda t: t.bodies.kutsuki), FORBIDDEN, OPEN),
    "areas:body_edit": Row(pk(lambda t: t.bodies.kutsuki), FORBIDDEN, OPEN),
    "areas:roster_remove": Row(
        lambda t: {"pk": t.bodies.kutsuki.pk, "entry_pk": t.entry.pk}, FORBIDDEN, OPEN
    ),
    "areas:closure_list": Row(none, FORBIDDEN, OPEN),
    "areas:closure_create": Row(none, FORBIDDEN, OPEN),
    "areas:closure_edit": Row(pk(lambda t: t.closure), FORBIDDEN, OPEN),
    "areas:csv": Row(none, FORBIDDEN, OPEN),
    # 人事異動: only the agency's own admin (the world's admin administers くらし連携支援室, not B)
    "areas:handover": Row(pk(lambda t: member(t.world.bob)), HIDDEN, HIDDEN),
    "areas:handover_home": Row(none, HIDDEN, OPEN),
    "areas:handover_csv": Row(none, HIDDEN, OPEN),
    "areas:csv_import": Row(lambda t: {"kind": "agencies"}, FORBIDDEN, OPEN),
    "areas:csv_export": Row(lambda t: {"kind": "agencies"}, FORBIDDEN, OPEN),
    # cases
    "cases:list": Row(none, OPEN, OPEN),
    "cases:new": Row(none, OPEN, HIDDEN),
    "cases:search": Row(none, OPEN, OPEN),
    "cases:detail": Row(pk(lambda t: t.case), HIDDEN, HIDDEN),
    "cases:edit": Row(pk(lambda t: t.case), HIDDEN, HIDDEN),
    "cases:close": Row(pk(lambda t: t.case), HIDDEN, HIDDEN),
    "cases:accesses": Row(pk(lambda t: t.case), HIDDEN, HIDDEN),
    # residents (issue 10 item 5): candidates while typing are POST only and scoped to what the
    # poster may see with names; a resident page is opened from a person of a named case; the
    # 名寄せ候補 are the くらし連携支援室's alone (charlie and the admin: 404)
    "cases:match": Row(none, OPEN, HIDDEN),
    "cases:resident": Row(pk(lambda t: t.case.people.first()), HIDDEN, HIDDEN),
    "cases:resident_link": Row(pk(lambda t: t.case.people.first()), HIDDEN, HIDDEN),
    "cases:resident_unlink": Row(pk(lambda t: t.case.people.first()), HIDDEN, HIDDEN),
    "cases:duplicates": Row(none, HIDDEN, HIDDEN),
    "cases:duplicates_confirm": Row(none, HIDDEN, HIDDEN),
    "cases:duplicates_dismiss": Row(none, HIDDEN, HIDDEN),
    # sheets
    "sheets:inbox": Row(none, OPEN, OPEN),
    "sheets:outbox": Row(none, OPEN, OPEN),
    "sheets:new": Row(lambda t: {"case_pk": t.case.pk}, HIDDEN, HIDDEN),
    "sheets:detail": Row(pk(lambda t: t.sheet), HIDDEN, HIDDEN),
    "sheets:acknowledge": Row(pk(lambda t: t.sheet), HIDDEN, HIDDEN),
    "sheets:progress": Row(pk(lambda t: t.sheet), HIDDEN, HIDDEN),
    "sheets:close": Row(pk(lambda t: t.sheet), HIDDEN, HIDDEN),
    "sheets:redirect": Row(pk(lambda t: t.sheet), HIDDEN, HIDDEN),
    "sheets:withdraw": Row(pk(lambda t: t.sheet), HIDDEN, HIDDEN),
    # 定型文: one's own agencies' list; B's phrases are kept by B's 管理者/責任者 only
    "sheets:phrases": Row(none, OPEN, OPEN),
    "sheets:phrase_new": Row(lambda t: {"agency_pk": t.world.b.pk}, HIDDEN, HIDDEN),
    "sheets:phrase_edit": Row(pk(b_phrase), HIDDEN, HIDDEN),
    "sheets:phrase_delete": Row(pk(b_phrase), HIDDEN, HIDDEN),
    "sheets:reassign": Row(pk(lambda t: t.sheet), HIDDEN, HIDDEN),
    "sheets:hand_over": Row(lambda t: {"case_pk": t.case.pk}, HIDDEN, HIDDEN),
    "sheets:outside_acknowledge": Row(pk(lambda t: t.sheet), HIDDEN, HIDDEN),
    "sheets:outside_progress": Row(pk(lambda t: t.sheet), HIDDEN, HIDDEN),
    "sheets:outside_close": Row(pk(lambda t: t.sheet), HIDDEN, HIDDEN),
    "sheets:print": Row(pk(lambda t: t.sheet), HIDDEN, HIDDEN),
    "sheets:print_file": Row(pk(lambda t: t.sheet), HIDDEN, HIDDEN),
    # notifications (bob's notification: nobody else's to read)
    "notifications:list": Row(none, OPEN, OPEN),
    # The badge's poll: a signed-out one is told to stop polling (286), not sent to sign in.
    "notifications:badge": Row(none, OPEN, OPEN, anonymous=answer(286, 405, must=286)),
    "notifications:read": Row(pk(lambda t: t.notification), HIDDEN, HIDDEN),
    "notifications:read_all": Row(none, OPEN, OPEN),
    "notifications:read_group": Row(lambda t: {"kind": "sheet", "pk": t.sheet.pk}, HIDDEN, HIDDEN),
    "notifications:preferences": Row(none, OPEN, OPEN),
    "exports:detail": Row(pk(lambda t: t.export), HIDDEN, HIDDEN),
    "exports:file": Row(pk(lambda t: t.export), HIDDEN, HIDDEN),
    # meetings (朽木's district meeting: charlie sits on 今津's roster only)
    "meetings:list": Row(none, OPEN, OPEN),
    "meetings:create": Row(none, FORBIDDEN, FORBIDDEN),
    "meetings:detail": Row(pk(lambda t: t.meeting), HIDDEN, HIDDEN),
    "meetings:edit": Row(pk(lambda t: t.meeting), HIDDEN, HIDDEN),
    "meetings:suggestion_add": Row(pk(lambda t: t.meeting), HIDDEN, HIDDEN),
    "meetings:item_add": Row(pk(lambda t: t.meeting), HIDDEN, HIDDEN),
    "meetings:item_edit": Row(lambda t: {"pk": t.meeting.pk, "item_pk": t.item_pk}, HIDDEN, HIDDEN),
    "meetings:item_delete": Row(
        lambda t: {"pk": t.meeting.pk, "item_pk": t.item_pk}, HIDDEN, HIDDEN
    ),
    "meetings:item_move": Row(lambda t: {"pk": t.meeting.pk, "item_pk": t.item_pk}, HIDDEN, HIDDEN),
    "meetings:attendance_sync": Row(pk(lambda t: t.meeting), HIDDEN, HIDDEN),
    "meetings:attendance_add": Row(pk(lambda t: t.meeting), HIDDEN, HIDDEN),
    "meetings:attendance_remove": Row(
        lambda t: {"pk": t.meeting.pk, "att_pk": t.attendance_pk}, HIDDEN, HIDDEN
    ),
    "meetings:distribute": Row(pk(lambda t: t.meeting), HIDDEN, HIDDEN),
    "meetings:reopen": Row(pk(lambda t: t.meeting), HIDDEN, HIDDEN),
    "meetings:minutes": Row(pk(lambda t: t.meeting), HIDDEN, HIDDEN),
    "meetings:minutes_save": Row(
        lambda t: {"pk": t.meeting.pk, "item_pk": t.item_pk}, HIDDEN, HIDDEN
    ),
    "meetings:action_add": Row(
        lambda t: {"pk": t.meeting.pk, "item_pk": t.item_pk}, HIDDEN, HIDDEN
    ),
    "meetings:action_done": Row(
        lambda t: {"pk": t.meeting.pk, "action_pk": t.action.pk}, HIDDEN, HIDDEN
    ),
    "meetings:approve": Row(pk(lambda t: t.meeting), HIDDEN, HIDDEN),
    "meetings:correct": Row(pk(lambda t: t.meeting), HIDDEN, HIDDEN),
    "meetings:packet": Row(pk(lambda t: t.meeting), HIDDEN, HIDDEN),
    "meetings:confidentiality": Row(pk(lambda t: t.meeting), HIDDEN, HIDDEN),
    # insight (coordinators only; a district chart only for its coordinators)
    "insight:figures": Row(none, HIDDEN, HIDDEN),
    "insight:figures_csv": Row(none, HIDDEN, HIDDEN),
    "insight:failures": Row(none, HIDDEN, HIDDEN),
    "insight:karte": Row(lambda t: {"key": t.world.kutsuki.code}, HIDDEN, HIDDEN),
    "insight:indicators": Row(none, HIDDEN, HIDDEN),
    "insight:indicators_csv": Row(none, HIDDEN, HIDDEN),
    # areas: the roster's change history (admins only)
    "areas:history": Row(none, FORBIDDEN, OPEN),
    # cases: consents are recorded and withdrawn by the receiving counter of a visible case
    "cases:consent_new": Row(pk(lambda t: t.case), HIDDEN, HIDDEN),
    "cases:consent_withdraw": Row(pk(lambda t: t.case), HIDDEN, HIDDEN),
    # accounts: one's own password and factor; the admins' invitation and sign-in pages. Reset
    # and invitation links are asked with bob's uid and a token nobody was sent.
    "accounts:password_change": Row(none, OPEN, OPEN),
    "accounts:password_reset": Row(none, OPEN, OPEN, anonymous=answer(200, must=200)),
    "accounts:password_reset_done": Row(none, OPEN, OPEN, anonymous=PUBLIC_PAGE),
    "accounts:password_reset_confirm": Row(forged_link, OPEN, OPEN, anonymous=BAD_LINK),
    "accounts:password_reset_complete": Row(none, OPEN, OPEN, anonymous=PUBLIC_PAGE),
    "accounts:invitation": Row(forged_link, OPEN, OPEN, anonymous=BAD_LINK),
    "accounts:invitations": Row(none, FORBIDDEN, OPEN),
    "accounts:invite": Row(none, FORBIDDEN, OPEN),
    "accounts:events": Row(none, FORBIDDEN, OPEN),
    "accounts:two_factor_verify": Row(none, OPEN, OPEN),
    "accounts:two_factor_setup": Row(none, OPEN, OPEN),
    "accounts:two_factor_reset": Row(none, FORBIDDEN, OPEN),
    "accounts:reauth": Row(none, OPEN, OPEN),
    # the operator's 市町村の管理: neither charlie nor a city's admin is the operator
    "accounts:municipalities": Row(none, FORBIDDEN, FORBIDDEN),
    "accounts:municipality_create": Row(none, FORBIDDEN, FORBIDDEN),
    "accounts:municipality_edit": Row(pk(lambda t: t.world.a.municipality), FORBIDDEN, FORBIDDEN),
    "accounts:municipality_admin": Row(pk(lambda t: t.world.a.municipality), FORBIDDEN, FORBIDDEN),
    # plans (the world's case, taken into 多機関協働 and its plan submitted to 重層的支援会議)
    "plans:list": Row(none, OPEN, REFUSED),
    "plans:decide": Row(case_pk, HIDDEN, HIDDEN),
    "plans:assessment_new": Row(case_pk, HIDDEN, HIDDEN),
    "plans:new": Row(case_pk, HIDDEN, HIDDEN),
    "plans:assessment": Row(pk(lambda t: t.assessment), HIDDEN, HIDDEN),
    "plans:detail": Row(pk(lambda t: t.plan), HIDDEN, HIDDEN),
    "plans:edit": Row(pk(lambda t: t.plan), HIDDEN, HIDDEN),
    "plans:goal_add": Row(pk(lambda t: t.plan), HIDDEN, HIDDEN),
    "plans:task_add": Row(goal_pk, HIDDEN, HIDDEN),
    "plans:goal_evaluate": Row(goal_pk, HIDDEN, HIDDEN),
    "plans:agenda_add": Row(pk(lambda t: t.plan), HIDDEN, HIDDEN),
    "plans:decision_add": Row(
        lambda t: {"pk": t.plan.pk, "item_pk": t.plan_agenda_item.pk}, HIDDEN, HIDDEN
    ),
    "plans:move": Row(lambda t: {"pk": t.plan.pk, "move": "start"}, HIDDEN, HIDDEN),
    "plans:pdf": Row(pk(lambda t: t.plan), HIDDEN, HIDDEN),
    "insight:results": Row(none, HIDDEN, HIDDEN),
    "insight:results_csv": Row(none, HIDDEN, HIDDEN),
    "insight:results_xlsx": Row(none, HIDDEN, HIDDEN),
    "insight:targets": Row(none, HIDDEN, HIDDEN),
}

# Django's admin site: its own staff check (nobody here is staff), one rule for all its patterns.
ADMIN_NAMESPACE = "admin"
ADMIN_SAMPLES = {
    "app_label": "areas",
    "object_id": "1",
    "id": "1",
    "pk": "1",
    "content_type_id": "1",
    "url": "x",
}


@dataclass(frozen=True)
class Pattern:
    name: str
    converters: tuple[str, ...] = field(default=())


def url_patterns() -> Iterator[Pattern]:
    """Every named pattern of the URLconf, with the names of the arguments it takes."""

    def walk(patterns: list[Any], namespace: str, groups: tuple[str, ...]) -> Iterator[Pattern]:
        for p in patterns:
            own = tuple(re.compile(p.pattern.regex.pattern).groupindex)
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                yield from walk(p.url_patterns, ns, groups + own)
            elif isinstance(p, URLPattern):
                if not p.name and namespace == f"{ADMIN_NAMESPACE}:":
                    continue  # the admin's old-style change URL: a redirect to the named one
                assert p.name, f"unnamed URL pattern {p.pattern}: name it (and add its row)"
                yield Pattern(f"{namespace}{p.name}", groups + own)

    yield from walk(get_resolver().url_patterns, "", ())


def admin_url(pattern: Pattern) -> str:
    return reverse(pattern.name, kwargs={k: ADMIN_SAMPLES[k] for k in pattern.converters})


def test_every_url_pattern_has_a_row() -> None:
    missing = [
        p.name
        for p in url_patterns()
        if p.name not in ACCESS and not p.name.startswith(f"{ADMIN_NAMESPACE}:")
    ]
    assert not missing, (
        f"URL patterns without a row in tests/test_url_access.py ACCESS: {missing}. Add one per "
        "pattern: how to build its URL from the world, and what charlie (an outsider agency), "
        "the admin (no membership in the case's agencies) and an anonymous visitor get."
    )
    stale = set(ACCESS) - {p.name for p in url_patterns()}
    assert not stale, f"rows in ACCESS for patterns that no longer exist: {sorted(stale)}"


@pytest.fixture
def things(world: World) -> Things:
    bodies = make_bodies(world)
    case = make_case(world, now=NOW)
    sheet = make_sheet(world, case, now=NOW)
    meeting = make_meeting(world, bodies.kutsuki)
    item = add_theme(world, meeting)
    meeting.add_item(by=world.coordinator, kind="case", case=case)
    attend(meeting, world.alice)
    action = item.actions.create(
        text="訪問",
        owner_user=world.bob,
        owner_agency=world.b,
        due_date=date(2026, 12, 10),
        due_at=NOW,
        created_by=world.coordinator,
    )
    notification_model = next(m for m in apps.get_models() if m.__name__ == "Notification")
    notification = notification_model._default_manager.create(
        user=world.bob, title=f"シート {sheet.number} の督促", url="/sheets/", created_at=NOW
    )
    closure = Closure.objects.create(date=date(2026, 12, 25), reason="庁舎の点検")
    Phrase.objects.create(agency=world.b, use=PhraseUse.PROGRESS, text="自宅を訪問しました。")
    entry = RosterEntry.objects.get(body=bodies.kutsuki, membership=member(world.bob))
    plan = draft(world, case, now=NOW)
    plan.submit(by=world.coordinator, now=NOW)
    on_agenda = council.put_on_agenda(
        plan, meeting=make_council(world).meeting, by=world.coordinator, now=NOW
    )
    question = AssessmentItem.objects.first()
    assert question is not None
    assessment = Assessment.record(case, by=world.coordinator, answers={question.pk: (True, "")})
    export = Export.objects.create(
        user=world.bob,
        kind="insight.indicators_csv",
        params={"year": 2026},
        key="k",
        requested_at=NOW,
        filename="重層的支援体制整備事業_指標_2026年度.csv",
        content_type="text/csv; charset=utf-8",
    )
    export.file.save("bob.csv", ContentFile(b"\xef\xbb\xbf"), save=False)
    export.status, export.finished_at = Export.Status.DONE, NOW
    export.save()
    return Things(
        world,
        bodies,
        case,
        sheet,
        meeting,
        action,
        notification,
        closure,
        entry,
        plan,
        assessment,
        on_agenda,
        export,
    )


def snapshot(who: str) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {}
    for config in apps.get_app_configs():
        # The roster is the admin's own job (their POSTs may change it); nothing else.
        if config.label in APPS and not (who == "admin" and config.label == "areas"):
            for model in config.get_models():
                found = model._default_manager.order_by("pk")
                if who == "admin" and model is Export:
                    # The admin may ask for the roster CSV (their own export, their own job).
                    found = found.exclude(user__username="admin")
                rows[model._meta.label] = list(found.values())
    # Nobody's password, activity or forced change may move (a forged reset link, a POST to
    # someone else's invitation).
    users = User.objects.order_by("pk").values("pk", "password", "is_active", "email", "username")
    rows["auth.User"] = [dict(u) for u in users]
    rows["accounts.Account"] = [dict(a) for a in Account.objects.order_by("pk").values()]
    return rows


# Every POST carries plausible fields, so a view that forgot its scoped fetch would act on them.
def post_data(t: Things) -> dict[str, Any]:
    return {
        "note": "x",
        "reason": "x",
        "text": "x",
        "roles": "x",
        "assignee": t.world.charlie.pk,
        "to": t.world.c.pk,
        "summary": "x",
        "version": 1,
        "theme": "x",
        "discussion": "x",
        "decisions": "x",
        "membership": member(t.world.charlie).pk,
        "owner": member(t.world.charlie).pk,
        "due_date": "2026-12-10",
    }


LOGOUTS = ("logout", f"{ADMIN_NAMESPACE}:logout")


def check(client: Client, viewer: User | None, who: str, t: Things) -> list[str]:
    secrets = [*PERSONAL, t.case.number, t.sheet.number, t.plan.wish]
    if viewer is not None:
        client.force_login(viewer)
    problems: list[str] = []
    data = post_data(t)
    for pattern in url_patterns():
        if pattern.name.startswith(f"{ADMIN_NAMESPACE}:"):
            try:
                url = admin_url(pattern)
            except NoReverseMatch:
                continue  # an admin pattern with positional groups (simple_history's views)
            expected = (
                ADMIN_LOGIN if pattern.name in ("admin:login", "admin:logout") else ADMIN_SITE
            )
        else:
            row = ACCESS[pattern.name]
            url = reverse(pattern.name, kwargs=row.kwargs(t))
            expected = {"charlie": row.charlie, "admin": row.admin, "anonymous": row.anonymous}[who]
        codes = []
        for method in ("get", "post"):
            response = getattr(client, method)(url, data) if method == "post" else client.get(url)
            if viewer is not None and pattern.name in LOGOUTS:
                client.force_login(viewer)  # signed out by that request: sign in again
            code = response.status_code
            codes.append(code)
            if code not in expected.codes:
                problems.append(f"{who} {method.upper()} {url} ({pattern.name}): {code}")
            location = response.get("Location", "")
            if (
                code in (301, 302)
                and expected.location
                and not location.startswith(expected.location)
            ):
                problems.append(f"{who} {method.upper()} {url}: to {location}")
            body = b"" if response.streaming else response.content
            text = body.decode("utf-8", "replace")
            leaked = [s for s in secrets if s in text]
            if leaked:
                problems.append(f"{who} {method.upper()} {url}: shows {leaked}")
        if expected.must is not None and expected.must not in codes:
            problems.append(f"{who} {url} ({pattern.name}): {codes}, expected {expected.must}")
    return problems


@pytest.mark.parametrize("who", ["charlie", "admin", "anonymous"])
def test_outsiders_get_nothing_from_any_url(client: Client, things: Things, who: str) -> None:
    viewer = {"charlie": things.world.charlie, "admin": things.world.admin, "anonymous": None}[who]
    before = snapshot(who)

    problems = check(client, viewer, who, things)

    assert problems == [], "\n".join(problems)
    after = snapshot(who)
    changed = [label for label in before if before[label] != after[label]]
    assert changed == [], f"{who}'s requests changed rows of {changed}"


def test_the_table_covers_the_urlconf() -> None:
    names = [p.name for p in url_patterns()]
    ours = [n for n in names if not n.startswith(f"{ADMIN_NAMESPACE}:")]
    assert len(ours) == len(ACCESS)
    assert len(names) > len(ours)  # the admin site's patterns are requested too
