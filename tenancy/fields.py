"""The municipality key on every row that belongs to one.

`TenantKey(parent="case")` fills itself, when a row is inserted without it, from the row it
belongs to (a sheet from its case, an event from its case, a membership from its agency), so a
child can never be keyed to another municipality than its parent; a row with no parent (a
municipality's areas, agencies, closures, tags) takes the municipality the code works for
(`tenancy.scope.using`, set per request), or the only one when the deployment has one. Anything
else is refused rather than guessed. On PostgreSQL a composite foreign key (municipality_id,
parent_id) → parent (municipality_id, id) refuses a mismatch too (tenancy/rls.py).

A many-to-many relation between rows of a municipality is a `TenantManyToManyField` with an
explicit `through` model keyed like any child (an agency's districts, a case's tags): Django's
own join table would carry no key."""

from __future__ import annotations

from functools import cache
from typing import Any, cast

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Q
from django.db.models.fields.related_descriptors import (
    ManyToManyDescriptor,
    create_forward_many_to_many_manager,
)
from django.db.models.signals import class_prepared
from django.db.models.sql import Query
from django.utils.functional import cached_property

from . import scope

MUNICIPALITY = "tenancy.Municipality"


class MunicipalityUnknown(ImproperlyConfigured):
    """A row was written with no municipality and nothing to take it from."""


class TenantKey(models.ForeignKey[Any, Any]):
    """Models declare it with `db_index=False` (and histories with `no_db_index`): the unique
    (municipality_id, id) index that rls.install adds on PostgreSQL leads with the column and
    serves every lookup by it (a municipality's PROTECT check among them), so an index of its
    own would only be written again on every insert; on SQLite (one city) it would select
    every row. The default stays True because the migrations written before it rely on it."""

    def __init__(
        self,
        to: Any = MUNICIPALITY,
        on_delete: Any = models.PROTECT,
        parent: str | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("verbose_name", "市町村")
        kwargs.setdefault("related_name", "+")
        kwargs.setdefault("editable", False)
        self.parent = parent
        super().__init__(to, on_delete, **kwargs)

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        if self.parent:
            kwargs["parent"] = self.parent
        for key, default in (
            ("verbose_name", "市町村"),
            ("related_name", "+"),
            ("editable", False),
        ):
            if kwargs.get(key) == default:
                kwargs.pop(key)
        return name, "tenancy.fields.TenantKey", args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = getattr(model_instance, self.attname)
        if value is None and add:
            value = self.derive(model_instance)
            setattr(model_instance, self.attname, value)
        elif add and self.parent:
            parent = self.parent_value(model_instance, fetch=False)
            if parent is not None and parent != value:
                raise MunicipalityUnknown(
                    f"{model_instance._meta.label}: municipality {value} differs from its "
                    f"{self.parent}'s ({parent})"
                )
        return value

    def parent_value(self, instance: models.Model, *, fetch: bool) -> int | None:
        assert self.parent is not None
        related = instance._meta.get_field(self.parent)
        assert isinstance(related, models.ForeignKey)
        if related.is_cached(instance):
            cached = related.get_cached_value(instance)
            return None if cached is None else getattr(cached, "municipality_id", None)
        parent_id = getattr(instance, related.attname)
        if parent_id is None or not fetch:
            return None
        found: int | None = (
            related.related_model._base_manager.filter(pk=parent_id)
            .values_list("municipality_id", flat=True)
            .first()
        )
        return found

    def derive(self, instance: models.Model) -> int:
        if self.parent:
            found = self.parent_value(instance, fetch=True)
            if found is not None:
                return found
        try:
            return scope.here()
        except MunicipalityUnknown as unknown:
            raise MunicipalityUnknown(
                f"{instance._meta.label}: no municipality given and none to take it from "
                "(name it, or work for one: tenancy.scope.using)"
            ) from unknown


class TenantManyToManyField(models.ManyToManyField[Any, Any]):
    """A many-to-many relation whose `through` model carries a TenantKey. add() and set() (a
    form's save, the CSV import, seed_demo) name each new join row's municipality from the row
    they are called on, so the key need not ask the parent once per row; called from a row of no
    municipality (an 分野, a national reference) the key fills itself from its parent."""

    def contribute_to_class(
        self, cls: type[models.Model], name: str, private_only: bool = False, **kwargs: Any
    ) -> None:
        super().contribute_to_class(cls, name, private_only=private_only, **kwargs)
        setattr(cls, self.name, KeyedJoinDescriptor(self.remote_field, reverse=False))

    def contribute_to_related_class(self, cls: type[models.Model], related: Any) -> None:
        super().contribute_to_related_class(cls, related)
        if not self.remote_field.hidden and not related.related_model._meta.swapped:
            descriptor = KeyedJoinDescriptor(self.remote_field, reverse=True)
            setattr(cls, related.accessor_name, descriptor)


class KeyedJoinDescriptor(ManyToManyDescriptor[Any, Any]):
    @cached_property
    def related_manager_cls(self) -> Any:
        related_model = self.rel.related_model if self.reverse else self.rel.model
        plain: Any = create_forward_many_to_many_manager(
            related_model._default_manager.__class__, self.rel, reverse=self.reverse
        )

        class KeyedJoinManager(plain):  # type: ignore[misc, valid-type]
            # add(), set(), create() and get_or_create() all insert through _add_base, a private
            # method: tests/tenancy/test_joins.py fails if a Django upgrade moves it.
            def _add_base(self, *objs: Any, through_defaults: Any = None, **kwargs: Any) -> None:
                municipality_id = getattr(self.instance, "municipality_id", None)
                if municipality_id is not None:
                    named = {"municipality_id": municipality_id}
                    through_defaults = {**named, **(through_defaults or {})}
                super()._add_base(*objs, through_defaults=through_defaults, **kwargs)

        return KeyedJoinManager


def fill_municipality(instance: models.Model) -> int:
    """Key an unsaved row now (as saving it would) and return its municipality."""
    field = instance._meta.get_field("municipality")
    assert isinstance(field, TenantKey)
    value: int | None = getattr(instance, field.attname)
    if value is None:
        value = field.derive(instance)
        setattr(instance, field.attname, value)
    return value


@cache
def tenant_models() -> tuple[type[models.Model], ...]:
    """Every model with a municipality key (the historical tables of django-simple-history
    included). The registry is fixed once Django is set up, so it is read once."""
    from django.apps import apps

    return tuple(
        model
        for model in apps.get_models()
        if any(isinstance(f, TenantKey) for f in model._meta.local_concrete_fields)
    )


class TenantQuery(Query):
    """Reads of a tenant table keep to the municipality the code works for: the filter is added
    when the query is compiled, so a queryset built before the request (a form field's choices
    at import time) or used as a subquery is narrowed as well."""

    tenant_scoped = False

    def get_compiler(
        self, using: Any = None, connection: Any = None, elide_empty: bool = True
    ) -> Any:
        current = scope.current_id()
        if current is None or self.tenant_scoped or self.combinator or self.trimmed():
            return super().get_compiler(using, connection, elide_empty)
        narrowed = cast(TenantQuery, self.clone())
        narrowed.tenant_scoped = True
        narrowed.add_q(Q(municipality_id=current))
        return narrowed.get_compiler(using, connection, elide_empty)

    def trimmed(self) -> bool:
        """A subquery Django built for exclude() across a relation starts at the related table
        (Query.trim_start): its rows are the outer query's, which is narrowed itself."""
        first = next(iter(self.alias_map), None)
        return first is not None and len(self.alias_map) > 1 and not self.alias_refcount[first]

    def chain(self, klass: Any = None) -> Any:
        # update() and delete() turn the query into another class: narrow it on the way.
        chained = super().chain(klass)
        current = scope.current_id()
        narrow = klass is not None and not isinstance(chained, TenantQuery)
        if narrow and current is not None and not self.tenant_scoped:
            chained.add_q(Q(municipality_id=current))
        return chained


class TenantQuerySetMixin:
    def __init__(self, model: Any = None, query: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(model, query or TenantQuery(model), *args, **kwargs)  # type: ignore[call-arg]


_scoped_classes: dict[type[Any], type[Any]] = {}


def scoped_queryset_class(queryset_class: type[Any]) -> type[Any]:
    if issubclass(queryset_class, TenantQuerySetMixin):
        return queryset_class
    if queryset_class not in _scoped_classes:
        _scoped_classes[queryset_class] = type(
            queryset_class.__name__, (TenantQuerySetMixin, queryset_class), {}
        )
    return _scoped_classes[queryset_class]


def scope_managers(sender: type[models.Model], **kwargs: Any) -> None:
    """Every manager of a tenant model builds its querysets on `TenantQuery` (saves and related
    lookups through `_base_manager` are not narrowed; PostgreSQL's policies still are)."""
    if not any(isinstance(f, TenantKey) for f in sender._meta.local_fields):
        return
    # Both the declared managers and the copies Django's Options may already have made (the
    # history of django-simple-history reads them while the class is being prepared).
    for manager in [*sender._meta.local_managers, *sender._meta.managers]:
        queryset_class = getattr(manager, "_queryset_class")  # noqa: B009 (not in the stubs)
        setattr(manager, "_queryset_class", scoped_queryset_class(queryset_class))  # noqa: B010


# One receiver for every class, not one per class with a key: a migration renders its models
# tens of thousands of times, and each receiver connected per class made every later class's
# preparation scan all of them (a migrate from zero spent a fifth of its time there).
class_prepared.connect(scope_managers, weak=False, dispatch_uid="tenancy.scope_managers")
