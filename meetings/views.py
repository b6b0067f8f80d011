"""Meeting pages: HTTP only. Every view fetches through `Meeting.objects.visible_to`, so a
guessed id is a 404; changes go through model methods that raise MeetingError."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_POST

from cases.audit import record_accesses
from tsumugi.lib.client import client_address
from tsumugi.lib.lookups import plain_id
from tsumugi.lib.partials import page_or_partial, wants_partial
from tsumugi.lib.worker_file import download

from . import agenda
from .confidentiality import STATEMENT, PledgeRequired, needs_pledge, pledge
from .forms import (
    ActionItemForm,
    AttendanceForm,
    CorrectionForm,
    ItemAddForm,
    ItemForm,
    MeetingForm,
    MinutesForm,
    ReasonForm,
)
from .masking import Masker
from .models import (
    ActionItem,
    Attendance,
    Meeting,
    MeetingError,
    MeetingEvent,
    PacketPrint,
    bodies_managed_by,
)
from .packet import item_sections, masked_numbers, minutes_by_item
from .packet_worker import hand_over_if_stalled, packet_for

View = Callable[..., HttpResponse]


class AuthedRequest(HttpRequest):
    """What `login_required` guarantees: a signed-in user."""

    user: User


def _visible(request: AuthedRequest, pk: int) -> Meeting:
    """The meeting, if this user may open it; a 支援会議 only after its 守秘義務 is confirmed
    (PledgeRequired, turned into the confirmation page by `pledge_gate`)."""
    meetings = Meeting.objects.visible_to(request.user).select_related("body__area", "chair__user")
    meeting = get_object_or_404(meetings, pk=pk)
    if needs_pledge(meeting, request.user):
        raise PledgeRequired(meeting)
    return meeting


def pledge_gate(view: View) -> View:
    """Every meeting page: the first visit to a 支援会議's material asks for the 守秘義務 first."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except PledgeRequired as needed:
            url = reverse("meetings:confidentiality", args=[needed.meeting.pk])
            back = request.get_full_path() if request.method == "GET" else ""
            return redirect(f"{url}?{urlencode({'next': back})}" if back else url)

    return wrapper


@login_required
def confidentiality(request: AuthedRequest, pk: int) -> HttpResponse:
    """The 守秘義務 statement: confirm it to open the 支援会議's material; refuse: nothing."""
    meeting = get_object_or_404(
        Meeting.objects.visible_to(request.user).select_related("body"), pk=pk
    )
    back = request.POST.get("next") or request.GET.get("next") or ""
    if not back or not url_has_allowed_host_and_scheme(back, allowed_hosts=None):
        back = reverse("meetings:detail", args=[meeting.pk])
    if request.method == "POST" and request.POST.get("answer") == "agree":
        pledge(request.user, client_address(request))
        messages.success(request, f"守秘義務の確認（第{STATEMENT.version}版）を記録しました。")
        return redirect(back)
    refused = request.method == "POST"
    context = {"body": meeting.body, "statement": STATEMENT, "next": back, "refused": refused}
    return render(request, "meetings/confidentiality.html", context, status=403 if refused else 200)


def managed(view: View) -> View:
    """Fetch the meeting (404 if not visible) and require the right to change it (403)."""

    @wraps(view)
    def wrapper(request: AuthedRequest, pk: int, *args: Any, **kwargs: Any) -> HttpResponse:
        meeting = _visible(request, pk)
        if not meeting.can_manage(request.user):
            raise PermissionDenied(
                "この会議を変更できるのは、コーディネーターと司会・記録の方です。"
            )
        try:
            return view(request, meeting, *args, **kwargs)
        except MeetingError as error:
            messages.error(request, str(error))
            return redirect("meetings:detail", meeting.pk)

    return login_required(wrapper)


def _record_case_reads(request: AuthedRequest, meeting: Meeting, what: str) -> None:
    """Meeting pages show case contents (masked or not): each case read leaves the same
    閲覧記録 row a case page would."""
    cases = [i.case for i in meeting.items.select_related("case") if i.case is not None]
    record_accesses(request, list({c.pk: c for c in cases}.values()), what)


@login_required
def meeting_list(request: AuthedRequest) -> HttpResponse:
    meetings = Meeting.objects.visible_to(request.user).select_related("body__area")
    return render(
        request,
        "meetings/meeting_list.html",
        {
            "meetings": meetings[:200],
            "now": timezone.now(),
            "can_create": bodies_managed_by(request.user).exists(),
        },
    )


@login_required
def meeting_create(request: AuthedRequest) -> HttpResponse:
    bodies = bodies_managed_by(request.user)
    if not bodies.exists():
        raise PermissionDenied("会議を作れるのはコーディネーターです。")
    form = MeetingForm(request.POST or None, bodies=bodies)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            meeting = form.save(commit=False)
            meeting.created_by = request.user
            meeting.save()
            if meeting.chair:
                Attendance.objects.create(
                    meeting=meeting, membership=meeting.chair, role=Attendance.Role.CHAIR
                )
            MeetingEvent.objects.create(
                meeting=meeting,
                kind=MeetingEvent.Kind.CREATED,
                actor=request.user,
                at=timezone.now(),
                text=str(meeting),
            )
        messages.success(request, "会議を作りました。議題を追加してください。")
        return redirect("meetings:detail", meeting.pk)
    return render(request, "meetings/form.html", {"form": form, "title": "会議を作る"})


@managed
def meeting_edit(request: AuthedRequest, meeting: Meeting) -> HttpResponse:
    form = MeetingForm(
        request.POST or None, instance=meeting, bodies=bodies_managed_by(request.user)
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            changed = ", ".join(str(form.fields[f].label or f) for f in form.changed_data)
            meeting.record_agenda_change(request.user, f"日時・場所などを変更: {changed}")
            form.save()
            if meeting.chair:
                Attendance.objects.update_or_create(
                    meeting=meeting,
                    membership=meeting.chair,
                    defaults={"role": Attendance.Role.CHAIR},
                )
        messages.success(request, "会議の情報を保存しました。")
        return redirect("meetings:detail", meeting.pk)
    return render(
        request, "meetings/form.html", {"form": form, "title": "会議の情報", "meeting": meeting}
    )


@login_required
def meeting_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    meeting = _visible(request, pk)
    can_manage = meeting.can_manage(request.user)
    masker = Masker(meeting, request.user)  # on screen: the rule asked for this viewer
    editable = can_manage and not meeting.agenda_frozen and not meeting.minutes_approved
    _record_case_reads(request, meeting, "会議の議題")
    return render(
        request,
        "meetings/meeting_detail.html",
        {
            "meeting": meeting,
            "sections": item_sections(meeting, masker),
            "printed_masked": masked_numbers(item_sections(meeting, Masker(meeting))),
            "attendances": meeting.attendances.select_related(
                "membership__user", "membership__agency"
            ),
            "needed": meeting.needed_members(),
            "carried": masker.actions(meeting.carried_actions()),
            "events": meeting.events.select_related("actor"),
            "suggestions": agenda.suggestions(meeting) if editable else [],
            "can_manage": can_manage,
            "editable": editable,
            "add_form": ItemAddForm(meeting=meeting, user=request.user),
            "attendance_form": AttendanceForm(meeting=meeting),
            "reason_form": ReasonForm(),
            "now": timezone.now(),
            "today": timezone.localdate(),
        },
    )


@require_POST
@managed
def suggestion_add(request: AuthedRequest, meeting: Meeting) -> HttpResponse:
    item = agenda.add_suggestion(meeting, request.POST.get("key", ""), by=request.user)
    if item is None:
        messages.error(
            request, "この提案は今はありません（すでに追加済みか、状況が変わりました）。"
        )
    else:
        messages.success(request, f"「{item.title}」を議題に追加しました。")
    return redirect("meetings:detail", meeting.pk)


@managed
def item_add(request: AuthedRequest, meeting: Meeting) -> HttpResponse:
    form = ItemAddForm(request.POST or None, meeting=meeting, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        item = meeting.add_item(
            by=request.user,
            kind=data["kind"],
            support=data["support"],
            minutes=data["minutes"],
            **form.target,
        )
        messages.success(request, f"「{item.title}」を議題に追加しました。")
        return redirect("meetings:detail", meeting.pk)
    return render(
        request, "meetings/form.html", {"form": form, "title": "議題を追加", "meeting": meeting}
    )


@managed
def item_edit(request: AuthedRequest, meeting: Meeting, item_pk: int) -> HttpResponse:
    item = get_object_or_404(meeting.items, pk=item_pk)
    form = ItemForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            changed = ", ".join(str(form.fields[f].label or f) for f in form.changed_data)
            meeting.record_agenda_change(request.user, f"議題「{item.title}」を変更: {changed}")
            form.save()
        messages.success(request, "議題を保存しました。")
        return redirect("meetings:detail", meeting.pk)
    return render(
        request,
        "meetings/form.html",
        {"form": form, "title": f"議題: {item.title}", "meeting": meeting},
    )


@require_POST
@managed
def item_move(request: AuthedRequest, meeting: Meeting, item_pk: int) -> HttpResponse:
    """上へ/下へ (one place) or a dragged item's new place (`to`, from 1)."""
    item = get_object_or_404(meeting.items, pk=item_pk)
    direction = request.POST.get("direction", "")
    order = list(meeting.items.order_by("order", "id").values_list("pk", flat=True))
    to = order.index(item.pk) + 1 + {"up": -1, "down": 1}.get(direction, 0)
    if request.POST.get("to", "").isdecimal():
        to = int(request.POST["to"])
    took = meeting.move_item(item, to=to, by=request.user)
    messages.success(request, f"「{item.title}」を{took}番目にしました。")
    if not wants_partial(request):
        return redirect(reverse("meetings:detail", args=[meeting.pk]) + f"#item-{item.pk}")
    _record_case_reads(request, meeting, "会議の議題")
    context = {
        "meeting": meeting,
        "sections": item_sections(meeting, Masker(meeting, request.user)),
        "editable": True,  # move_item refused a frozen or approved agenda (MeetingError)
        "moved": item.pk,
        "direction": direction,
    }
    return page_or_partial(request, "meetings/meeting_detail.html", "agenda", context)


@require_POST
@managed
def item_delete(request: AuthedRequest, meeting: Meeting, item_pk: int) -> HttpResponse:
    item = get_object_or_404(meeting.items, pk=item_pk)
    if item.actions.exists():
        raise MeetingError("宿題がある議題は削除できません。")
    with transaction.atomic():
        meeting.record_agenda_change(request.user, f"議題を削除: {item.title}")
        item.delete()
    messages.success(request, "議題を削除しました。")
    return redirect("meetings:detail", meeting.pk)


@require_POST
@managed
def attendance_sync(request: AuthedRequest, meeting: Meeting) -> HttpResponse:
    """Invite the roster members the items need (and presenters as 報告)."""
    presenters = set(meeting.items.exclude(presenter=None).values_list("presenter_id", flat=True))
    have = set(meeting.attendances.values_list("membership_id", flat=True))
    new = [m for m in meeting.needed_members() if m.pk not in have]
    with transaction.atomic():
        if new:
            meeting.record_agenda_change(request.user, f"出席者を追加: {len(new)}名")
        Attendance.objects.bulk_create(
            Attendance(
                meeting=meeting,
                membership=m,
                role=(
                    Attendance.Role.CHAIR
                    if m.pk == meeting.chair_id
                    else Attendance.Role.REPORTER
                    if m.pk in presenters
                    else Attendance.Role.PARTICIPANT
                ),
            )
            for m in new
        )
    messages.success(request, f"議題に必要な機関の構成員 {len(new)}名を出席者に加えました。")
    return redirect("meetings:detail", meeting.pk)


@require_POST
@managed
def attendance_add(request: AuthedRequest, meeting: Meeting) -> HttpResponse:
    chosen = plain_id(request.POST.get("membership", ""))
    existing = meeting.attendances.filter(membership_id=chosen).first() if chosen else None
    form = AttendanceForm(request.POST, instance=existing, meeting=meeting)
    if not form.is_valid():
        messages.error(
            request, "出席者: " + " ".join(str(e) for errs in form.errors.values() for e in errs)
        )
        return redirect("meetings:detail", meeting.pk)
    with transaction.atomic():
        att = form.save(commit=False)
        meeting.record_agenda_change(request.user, f"出席者・役割を変更: {att}")
        att.save()
    messages.success(request, f"{att} を出席者にしました。")
    return redirect("meetings:detail", meeting.pk)


@require_POST
@managed
def attendance_remove(request: AuthedRequest, meeting: Meeting, att_pk: int) -> HttpResponse:
    att = get_object_or_404(meeting.attendances.select_related("membership__user"), pk=att_pk)
    with transaction.atomic():
        meeting.record_agenda_change(request.user, f"出席者から外す: {att}")
        att.delete()
    messages.success(request, f"{att} を出席者から外しました。")
    return redirect("meetings:detail", meeting.pk)


@require_POST
@managed
def distribute(request: AuthedRequest, meeting: Meeting) -> HttpResponse:
    count = meeting.distribute(by=request.user)
    messages.success(
        request, f"議題を配布しました（{count}名に通知）。議題は変更できなくなりました。"
    )
    return redirect("meetings:detail", meeting.pk)


@require_POST
@managed
def reopen(request: AuthedRequest, meeting: Meeting) -> HttpResponse:
    form = ReasonForm(request.POST)
    if not form.is_valid():
        raise MeetingError("議題を変更する理由を書いてください（出席者に伝わります）。")
    meeting.reopen_agenda(by=request.user, reason=form.cleaned_data["reason"])
    messages.info(
        request,
        "議題を変更できるようにしました。変更は記録されます。終わったら再配布してください。",
    )
    return redirect("meetings:detail", meeting.pk)


@login_required
def minutes(request: AuthedRequest, pk: int) -> HttpResponse:
    return _minutes_page(request, _visible(request, pk))


def _minutes_page(
    request: AuthedRequest, meeting: Meeting, bound: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    """The minutes page; `bound` carries a form that failed validation, keyed by its prefix,
    so its errors show next to the item they belong to."""
    bound = bound or {}
    _record_case_reads(request, meeting, "会議の議事録")
    can_manage = meeting.can_manage(request.user)
    writable = can_manage and not meeting.minutes_approved
    masker = Masker(meeting, request.user)
    sections = item_sections(meeting, masker)
    for section in sections:
        pk = section.item.pk
        if writable:
            # The form starts from what this viewer may read (withheld text stays withheld).
            shown = {"discussion": section.discussion, "decisions": section.decisions}
            section.form = bound.get(f"m{pk}") or MinutesForm(
                instance=section.item, prefix=f"m{pk}", initial=shown
            )
            section.action_form = bound.get(f"a{pk}") or ActionItemForm(
                meeting=meeting, item=section.item, prefix=f"a{pk}"
            )
    return render(
        request,
        "meetings/minutes.html",
        {
            "meeting": meeting,
            "sections": sections,
            "can_manage": can_manage,
            "writable": writable,
            "revisions": meeting.revisions.select_related("created_by"),
            "now": timezone.now(),
            "has_errors": bool(bound),
        },
        status=status,
    )


@require_POST
@managed
def minutes_save(request: AuthedRequest, meeting: Meeting, item_pk: int) -> HttpResponse:
    item = get_object_or_404(meeting.items, pk=item_pk)
    if meeting.minutes_approved:
        raise MeetingError(
            "承認済みの議事録は書き換えられません。「訂正」から新しい版を記録してください。"
        )
    form = MinutesForm(request.POST, instance=item, prefix=f"m{item.pk}")
    if not form.is_valid():
        return _minutes_page(request, meeting, {f"m{item.pk}": form})
    # Minutes of a case the audience may not see in person are written without names: the
    # form refused them (guard_masked_item); nothing is scrubbed afterwards.
    form.save()
    messages.success(request, f"「{item.title}」の議事録を保存しました。")
    return redirect("meetings:minutes", meeting.pk)


@require_POST
@managed
def action_add(request: AuthedRequest, meeting: Meeting, item_pk: int) -> HttpResponse:
    item = get_object_or_404(meeting.items, pk=item_pk)
    form = ActionItemForm(request.POST, meeting=meeting, item=item, prefix=f"a{item.pk}")
    if not form.is_valid():
        return _minutes_page(request, meeting, {f"a{item.pk}": form})
    data = form.cleaned_data
    ActionItem.assign(
        item=item,
        text=data["text"],
        owner=data["owner"],
        due_date=data["due_date"],
        by=request.user,
    )
    messages.success(request, "宿題を追加しました。期限が近づくと担当者に通知されます。")
    return redirect("meetings:minutes", meeting.pk)


@require_POST
@login_required
def action_done(request: AuthedRequest, pk: int, action_pk: int) -> HttpResponse:
    meeting = _visible(request, pk)
    action = get_object_or_404(ActionItem.objects.filter(item__meeting=meeting), pk=action_pk)
    if action.owner_user_id != request.user.pk and not meeting.can_manage(request.user):
        raise PermissionDenied("宿題を完了にできるのは担当者とコーディネーターです。")
    try:
        action.mark_done(by=request.user)
        messages.success(request, f"宿題「{action.text}」を完了にしました。")
    except MeetingError as error:
        messages.error(request, str(error))
    if request.POST.get("back") in {"list", "inbox"}:
        return redirect("sheets:inbox" if request.POST["back"] == "inbox" else "meetings:list")
    return redirect("meetings:minutes", meeting.pk)


@require_POST
@managed
def approve(request: AuthedRequest, meeting: Meeting) -> HttpResponse:
    meeting.approve_minutes(by=request.user)
    messages.success(request, "議事録を承認しました。これ以降の訂正は新しい版として記録されます。")
    return redirect("meetings:minutes", meeting.pk)


@managed
def correct(request: AuthedRequest, meeting: Meeting) -> HttpResponse:
    form = CorrectionForm(request.POST or None, meeting=meeting, current=minutes_by_item(meeting))
    if request.method == "POST" and form.is_valid():
        revision = meeting.correct_minutes(
            by=request.user, reason=form.cleaned_data["reason"], drafts=form.drafts()
        )
        messages.success(request, f"訂正を第{revision.number}版として記録しました。")
        return redirect("meetings:minutes", meeting.pk)
    return render(
        request, "meetings/form.html", {"form": form, "title": "議事録の訂正", "meeting": meeting}
    )


@login_required
def packet(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """The packet is made by the worker: this asks for it, shows progress (the page refreshes
    itself) and, once the file is there, serves it with the print record."""
    meeting = _visible(request, pk)
    packet, _ = packet_for(meeting)
    if packet.is_ready:
        with transaction.atomic():
            # The log says what this file printed, from the decision that rendered it.
            _, first = PacketPrint.objects.get_or_create(
                packet=packet,
                user=request.user,
                defaults={
                    "meeting": meeting,
                    "masked": bool(packet.masked_cases),
                    "masked_cases": packet.masked_cases,
                    "ip": client_address(request),
                },
            )
            if first:
                _record_case_reads(request, meeting, "会議資料PDF")
        return download(packet, f"meeting-{meeting.pk}-{meeting.date:%Y%m%d}.pdf")
    hand_over_if_stalled(packet)
    context = {"meeting": meeting, "packet": packet, "finished": packet.status == "failed"}
    response = render(request, "meetings/packet_status.html", context)
    response["Cache-Control"] = "no-store"
    return response
