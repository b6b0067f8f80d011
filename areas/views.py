from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .models import Agency, Membership
from .scope import scope_of


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


@login_required
def agency_list(request: HttpRequest) -> HttpResponse:
    require_admin(request)
    agencies = Agency.objects.prefetch_related("fields", "districts")
    return render(request, "areas/agency_list.html", {"agencies": agencies})
