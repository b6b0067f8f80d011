"""Each request works for the signed-in user's municipality: the app's own scoping reads it
(`request.municipality_id`, `tenancy.scope.current_id()`), and on PostgreSQL the request runs in
one transaction whose `tsumugi.municipality` setting (SET LOCAL) the row-level security policies
read, so that even a raw query cannot reach another municipality's rows."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse

from . import rls, scope


class MunicipalityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        municipality_id = scope.for_request(request)
        request.municipality_id = municipality_id  # type: ignore[attr-defined]
        with scope.using(scope.NOWHERE if municipality_id is None else municipality_id):
            if connection.vendor != "postgresql":
                return self.get_response(request)
            value = rls.scope_value(municipality_id)
            if connection.in_atomic_block:
                # Already inside a transaction (a test's): the setting is put back afterwards,
                # so that what runs after this request in that transaction is not narrowed.
                previous = rls.set_scope(value)
                try:
                    return self.get_response(request)
                finally:
                    if rls.usable():  # (an aborted transaction is rolled back whole anyway)
                        rls.set_scope(previous)
            with transaction.atomic():
                rls.set_scope(value)
                response = self.get_response(request)
                if response.status_code >= 500:
                    # The view failed after the handler turned its exception into a page:
                    # nothing it wrote is kept.
                    transaction.set_rollback(True)
                return response
