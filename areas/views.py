from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.forms import ModelForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from reminders.exports import request_export
from tsumugi.lib.lookups import plain_id
from tsumugi.lib.reauth import reauthentication_required

from . import csvio, handover, handover_csv
from . import history as roster_history
from .exports import roster_export_name
from .forms import (
    AgencyForm,
    AreaForm,
    BodyForm,
    ClosureForm,
    CsvUploadForm,
    HandOverCommitForm,
    HandOverForm,
    MembershipForm,
    RosterEntryForm,
)
from .hooks import roster_columns
from .models import (
    Agency,
    Area,
    Body,
    Closure,
    HandOver,
    HandOverError,
    Membership,
    Role,
    RosterEntry,
    display_name,
)
from .scope import scope_of

if TYPE_CHECKING:
    from django.contrib.auth.models import User

MEMBERSHIPS_PER_PAGE = 100
View = Callable[..., HttpResponse]


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "areas/home.html")


@login_required
def me(request: HttpRequest) -> HttpResponse:
    memberships = Membership.objects.of(request.user).select_related("agency")
    return render(request, "areas/me.html", {"memberships": memberships})


def require_admin(request: HttpRequest) -> None:
    if not scope_of(request.user).is_admin:
        raise PermissionDenied("名簿管理は管理者のみが行えます。")


def admin_only(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        require_admin(request)
        return view(request, *args, **kwargs)

    return wrapped


def posted(request: HttpRequest) -> Any:
    # An empty POST must still bind the form, so it re-renders with "required" errors.
    return request.POST if request.method == "POST" else None


def form_page(
    request: HttpRequest,
    form_class: type[ModelForm[Any]],
    instance: Any,
    *,
    tab: str,
    title: str,
    back: str,
    **form_kwargs: Any,
) -> HttpResponse:
    """Create or edit one roster record: GET shows the form, a valid POST saves and goes back."""
    form = form_class(posted(request), instance=instance, **form_kwargs)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, f"「{saved}」を保存しました。")
        return redirect(back)
    context = {"form": form, "title": title, "roster_tab": tab, "back": reverse(back)}
    return render(request, "areas/roster_form.html", context)


# --- agencies ---------------------------------------------------------------------------------


@admin_only
def agency_list(request: HttpRequest) -> HttpResponse:
    agencies = Agency.objects.prefetch_related("fields", "districts").annotate(
        member_count=Count("memberships", filter=Q(memberships__is_active=True))
    )
    return render(
        request, "areas/agency_list.html", {"agencies": agencies, "roster_tab": "agencies"}
    )


@admin_only
def agency_create(request: HttpRequest) -> HttpResponse:
    return form_page(
        request, AgencyForm, None, tab="agencies", title="機関の登録", back="areas:agency_list"
    )


@admin_only
def agency_edit(request: HttpRequest, pk: int) -> HttpResponse:
    agency = get_object_or_404(Agency, pk=pk)
    return form_page(
        request,
        AgencyForm,
        agency,
        tab="agencies",
        title=f"機関の編集: {agency}",
        back="areas:agency_list",
    )


# --- districts --------------------------------------------------------------------------------


@admin_only
def area_list(request: HttpRequest) -> HttpResponse:
    areas = Area.objects.select_related("parent").annotate(agency_count=Count("agencies"))
    return render(request, "areas/area_list.html", {"areas": areas, "roster_tab": "areas"})


@admin_only
def area_create(request: HttpRequest) -> HttpResponse:
    return form_page(
        request, AreaForm, None, tab="areas", title="区域の登録", back="areas:area_list"
    )


@admin_only
def area_edit(request: HttpRequest, pk: int) -> HttpResponse:
    area = get_object_or_404(Area, pk=pk)
    return form_page(
        request, AreaForm, area, tab="areas", title=f"区域の編集: {area}", back="areas:area_list"
    )


# --- memberships ------------------------------------------------------------------------------


@admin_only
def membership_list(request: HttpRequest) -> HttpResponse:
    memberships = Membership.objects.select_related("user", "agency")
    agency_id = plain_id(request.GET.get("agency", ""))
    if agency_id is not None:
        memberships = memberships.filter(agency_id=agency_id)
    query = request.GET.get("q", "").strip()
    if query:
        memberships = memberships.filter(
            Q(user__username__icontains=query)
            | Q(user__last_name__icontains=query)
            | Q(user__first_name__icontains=query)
            | Q(position__icontains=query)
        )
    page = Paginator(memberships, MEMBERSHIPS_PER_PAGE).get_page(request.GET.get("page"))
    everywhere = bool(getattr(request.user, "is_superuser", False))
    context = {
        "page": page,
        # Where this admin may open 人事異動 (the agency's own admins): a link on those rows.
        "handover_all": everywhere,
        "handover_agency_ids": scope_of(request.user).admin_agency_ids,
        "agencies": Agency.objects.only("id", "name"),
        "agency_id": agency_id,
        "query": query,
        "roster_tab": "memberships",
    }
    return render(request, "areas/membership_list.html", context)


@admin_only
def membership_create(request: HttpRequest) -> HttpResponse:
    return form_page(
        request,
        MembershipForm,
        None,
        tab="memberships",
        title="所属の登録",
        back="areas:membership_list",
        actor=request.user,
    )


@admin_only
def membership_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = get_object_or_404(Membership.objects.select_related("user", "agency"), pk=pk)
    return form_page(
        request,
        MembershipForm,
        membership,
        tab="memberships",
        title=f"所属の編集: {membership}",
        back="areas:membership_list",
        actor=request.user,
    )


# --- bodies and rosters -----------------------------------------------------------------------


@admin_only
def body_list(request: HttpRequest) -> HttpResponse:
    bodies = Body.objects.select_related("area").annotate(member_count=Count("roster"))
    return render(request, "areas/body_list.html", {"bodies": bodies, "roster_tab": "bodies"})


@admin_only
def body_create(request: HttpRequest) -> HttpResponse:
    return form_page(
        request, BodyForm, None, tab="bodies", title="会議体の登録", back="areas:body_list"
    )


@admin_only
def body_edit(request: HttpRequest, pk: int) -> HttpResponse:
    body = get_object_or_404(Body, pk=pk)
    return form_page(
        request, BodyForm, body, tab="bodies", title=f"会議体の編集: {body}", back="areas:body_list"
    )


@admin_only
def body_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The roster of one body; POST adds a member."""
    body = get_object_or_404(Body.objects.select_related("area"), pk=pk)
    form = RosterEntryForm(posted(request), body=body, actor=request.user)
    if request.method == "POST" and form.is_valid():
        entry = form.save()
        messages.success(request, f"{entry.membership}を構成員に加えました。")
        return redirect("areas:body_detail", pk=body.pk)
    entries = list(body.roster.select_related("membership__user", "membership__agency"))
    headers, cells = roster_columns(body, entries)
    context = {
        "body": body,
        "rows": list(zip(entries, cells, strict=True)),
        "extra_headers": headers,
        "form": form,
        "roster_tab": "bodies",
    }
    return render(request, "areas/body_detail.html", context)


@require_POST
@admin_only
def roster_remove(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    # Leaving a body is the one thing that is really deleted: the roster is who sits there now.
    entry = get_object_or_404(
        RosterEntry.objects.select_related("membership__user"), pk=entry_pk, body_id=pk
    )
    entry.delete()
    messages.success(request, f"{entry.membership}を構成員から外しました。")
    return redirect("areas:body_detail", pk=pk)


# --- change history ---------------------------------------------------------------------------

HISTORY_PER_PAGE = 50


@admin_only
def history(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "memberships")
    if kind not in roster_history.KINDS:
        kind = "memberships"
    label, model = roster_history.KINDS[kind]
    records = model.history.select_related("history_user").order_by(  # type: ignore[attr-defined]
        "-history_date", "-history_id"
    )
    page = Paginator(records, HISTORY_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "kinds": [(k, v[0]) for k, v in roster_history.KINDS.items()],
        "kind": kind,
        "label": label,
        "page": page,
        "rows": roster_history.rows_for(model, list(page)),
        "roster_tab": "history",
    }
    return render(request, "areas/history.html", context)


# --- closures ---------------------------------------------------------------------------------


@admin_only
def closure_list(request: HttpRequest) -> HttpResponse:
    closures = Closure.objects.all()
    return render(
        request, "areas/closure_list.html", {"closures": closures, "roster_tab": "closures"}
    )


@admin_only
def closure_create(request: HttpRequest) -> HttpResponse:
    return form_page(
        request,
        ClosureForm,
        None,
        tab="closures",
        title="臨時の閉庁日の登録",
        back="areas:closure_list",
    )


@admin_only
def closure_edit(request: HttpRequest, pk: int) -> HttpResponse:
    closure = get_object_or_404(Closure, pk=pk)
    return form_page(
        request,
        ClosureForm,
        closure,
        tab="closures",
        title=f"閉庁日の編集: {closure}",
        back="areas:closure_list",
    )


# --- CSV --------------------------------------------------------------------------------------

CSV_KINDS: dict[str, tuple[str, Callable[..., csvio.ImportResult]]] = {
    "agencies": ("機関", csvio.import_agencies),
    "memberships": ("所属", csvio.import_memberships),
}


@admin_only
def csv_page(request: HttpRequest) -> HttpResponse:
    return render(request, "areas/csv.html", csv_context())


def csv_context(**extra: Any) -> dict[str, Any]:
    return {
        "forms": {
            kind: extra.pop(f"{kind}_form", CsvUploadForm(prefix=kind)) for kind in CSV_KINDS
        },
        "agency_columns": csvio.AGENCY_COLUMNS,
        "membership_columns": csvio.MEMBERSHIP_COLUMNS,
        "role_choices": Role.choices,
        "roster_tab": "csv",
        **extra,
    }


@require_POST
@admin_only
def csv_import(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in CSV_KINDS:
        raise Http404
    label, importer = CSV_KINDS[kind]
    form = CsvUploadForm(request.POST, request.FILES, prefix=kind)
    if not form.is_valid():
        return render(request, "areas/csv.html", csv_context(**{f"{kind}_form": form}), status=400)
    result = importer(form.cleaned_data["file"], by=request.user)
    if not result.ok:
        context = csv_context(errors=result.errors, error_kind=label)
        return render(request, "areas/csv.html", context, status=400)
    messages.success(
        request,
        f"{label}のCSVを取り込みました（新規 {result.created} 件、更新 {result.updated} 件、"
        f"変更なし {result.unchanged} 件）。",
    )
    return redirect("areas:csv")


@admin_only
@reauthentication_required
def csv_export(request: HttpRequest, kind: str) -> HttpResponse:
    """The worker writes the file (areas/exports.py); the admin waits on its page."""
    if kind not in CSV_KINDS:
        raise Http404
    export = request_export(request.user.pk, roster_export_name(kind), {})
    return redirect("exports:detail", export.pk)


# --- 人事異動 ---------------------------------------------------------------------------------
# The agency's own 管理者 moves a leaving member's open work; for anyone else the pages do not
# exist (404), like a case outside one's scope.

HANDOVERS_SHOWN = 50


def handover_tab(request: HttpRequest) -> QuerySet[Agency]:
    agencies = handover.administered_agencies(request.user)
    if not agencies.exists():
        raise Http404
    return agencies


@login_required
def handover_home(request: HttpRequest) -> HttpResponse:
    """The bulk CSV form and the record of hand-overs in the agencies this admin administers."""
    agencies = handover_tab(request)
    return render(request, "areas/handover_home.html", handover_context(agencies))


def handover_context(agencies: QuerySet[Agency], **extra: Any) -> dict[str, Any]:
    records = HandOver.objects.filter(agency__in=agencies).select_related(
        "agency", "leaving_user", "successor", "by"
    )[:HANDOVERS_SHOWN]
    return {
        "records": records,
        "form": extra.pop("form", None) or CsvUploadForm(prefix="handover"),
        "columns": handover_csv.HANDOVER_COLUMNS,
        "role_choices": Role.choices,
        "roster_tab": "handover",
        **extra,
    }


@require_POST
@login_required
def handover_csv_view(request: HttpRequest) -> HttpResponse:
    """Upload → preview (the whole file run and rolled back) → commit of the signed same file."""
    agencies = handover_tab(request)
    if "payload" in request.POST:
        commit = HandOverCommitForm(request.POST)
        try:
            data = signing.loads(commit.data.get("payload", ""), salt=HANDOVER_SALT)
        except signing.BadSignature:
            messages.error(
                request, "確認画面の内容を読み取れません。もう一度ファイルを選んでください。"
            )
            return redirect("areas:handover_home")
        result = handover_csv.import_hand_overs(
            data.encode(), by=cast("User", request.user), commit=True
        )
        if result.committed:
            moved = sum(row.total for row in result.rows)
            messages.success(
                request, f"{len(result.rows)}名の人事異動を行い、{moved}件を引き継ぎました。"
            )
            return redirect("areas:handover_home")
        context = handover_context(agencies, errors=result.errors)
        return render(request, "areas/handover_home.html", context, status=400)
    form = CsvUploadForm(request.POST, request.FILES, prefix="handover")
    if not form.is_valid():
        context = handover_context(agencies, form=form)
        return render(request, "areas/handover_home.html", context, status=400)
    data = form.cleaned_data["file"]
    result = handover_csv.import_hand_overs(data, by=cast("User", request.user), commit=False)
    if result.errors:
        context = handover_context(agencies, form=form, errors=result.errors)
        return render(request, "areas/handover_home.html", context, status=400)
    payload = signing.dumps(csvio.decode(data), salt=HANDOVER_SALT, compress=True)
    context = {
        "result": result,
        "moved": sum(row.total for row in result.rows),
        "commit_form": HandOverCommitForm(initial={"payload": payload}),
        "roster_tab": "handover",
    }
    return render(request, "areas/handover_preview.html", context)


HANDOVER_SALT = "areas.handover.csv"


@login_required
def handover_member(request: HttpRequest, pk: int) -> HttpResponse:
    """One leaving member: what they hold in the agency (numbers, no names) and who takes over."""
    leaving = get_object_or_404(Membership.objects.select_related("user", "agency"), pk=pk)
    if not handover.administers(request.user, leaving.agency_id):
        raise Http404
    form = HandOverForm(posted(request), leaving=leaving)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            record = handover.hand_over(
                leaving,
                form.cleaned_data["successor"],
                by=cast("User", request.user),
                deactivate=form.cleaned_data["deactivate"],
            )
        except HandOverError as error:
            messages.error(request, str(error))
            status = 400
        else:
            messages.success(
                request,
                f"{display_name(leaving.user)}さんの{record.total}件を"
                f"{display_name(record.successor)}さんに引き継ぎました。",
            )
            return redirect("areas:handover_home")
    elif request.method == "POST":
        status = 400
    context = {
        "leaving": leaving,
        "held": handover.held_by(leaving.user_id, leaving.agency_id),
        "seats": RosterEntry.objects.filter(
            membership__user_id=leaving.user_id, membership__agency_id=leaving.agency_id
        ).select_related("body"),
        "form": form,
        "roster_tab": "handover",
    }
    return render(request, "areas/handover_member.html", context, status=status)
