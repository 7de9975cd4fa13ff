"""Change histories (the audit trail, django-simple-history) as the pages show them: newest first,
each entry with who, when, what and, per field, the old and the new value.

A page lists its sources: the historical records of a model narrowed to what the page is about
(and the user may see), what to call a row, and the fields to show. See the contract page
(contracts/contract_page.py) for the first user; `templates/includes/change_history.html` draws
the list. Histories are read-only everywhere: no page edits them and the admin's history view
(turnaround.admin.ReadOnlyHistoryAdmin) shows past versions without reverting to them."""

from dataclasses import dataclass, field

from django.core.exceptions import ObjectDoesNotExist
from django.db import models

# A page shows this many of the latest changes.
HISTORY_LIMIT = 40
ACTIONS = {"+": "created", "~": "changed", "-": "removed"}


@dataclass
class Source:
    """One kind of row whose history a page shows.

    `records`: the historical records (Model.history.filter(...)), narrowed to the page's object;
    `kind`: the badge; `name_of(record)`: names the row; `fields`: the fields shown; `related`:
    select_related of the records; `labels`: per field, a function giving a value's label where the
    default (str of the value or related object) would say too much (an object outside the user's
    scope); `created_values`: whether a created row lists its values (a new contract's terms are
    on its page already)."""

    records: models.QuerySet
    kind: str
    name_of: object
    fields: list
    related: list = field(default_factory=list)
    labels: dict = field(default_factory=dict)
    created_values: bool = True


def _model_field(record, name):
    return record.instance_type._meta.get_field(name)


def _raw(record, name):
    """What to compare: the id for a foreign key, the sorted ids for a many-to-many field."""
    model_field = _model_field(record, name)
    if model_field.many_to_many:
        through_field = model_field.m2m_reverse_field_name()
        return tuple(sorted(getattr(record, name).values_list(f"{through_field}_id", flat=True)))
    if model_field.is_relation:
        return getattr(record, model_field.attname)
    return getattr(record, name)


def _label(source, record, name, raw):
    if raw is None or raw == "" or raw == ():
        return "—"
    if name in source.labels:
        return source.labels[name](raw)
    model_field = _model_field(record, name)
    if model_field.many_to_many:
        related = model_field.related_model._base_manager.in_bulk(list(raw))
        return ", ".join(sorted(str(related.get(pk, f"#{pk}")) for pk in raw))
    if model_field.is_relation:
        try:
            return str(getattr(record, name))
        except ObjectDoesNotExist:
            return f"#{raw} (deleted)"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(raw, raw))
    if isinstance(model_field, models.BooleanField):
        return "yes" if raw else "no"
    return str(raw)


def _verbose(record, name):
    return str(_model_field(record, name).verbose_name)


def history_entries(sources, limit=HISTORY_LIMIT):
    """The latest changes of all sources (`limit` None: all), newest first: [{when, who, kind, what,
    action, changes, record}], `changes` a list of "field: old → new" (a created row: its values; a
    removed row: the values it had). A save that changed none of the shown fields is left out."""
    entries = []
    for source in sources:
        records = list(
            source.records.select_related("history_user", *source.related).order_by(
                "-history_date", "-history_id"
            )[:limit]
        )
        # Compare each record with the one before it of the same row, when that one is at hand.
        previous = {}
        for record in reversed(records):
            before = previous.get(record.id)
            changes = []
            if record.history_type == "~" and before is not None:
                for name in source.fields:
                    old, new = _raw(before, name), _raw(record, name)
                    if old != new:
                        changes.append(
                            f"{_verbose(record, name)}: {_label(source, before, name, old)} → "
                            f"{_label(source, record, name, new)}"
                        )
                if not changes:
                    previous[record.id] = record
                    continue  # a save that changed nothing the page shows
            elif record.history_type != "+" or source.created_values:
                # Created, removed (the values it had), or the first change at hand (what it says
                # now).
                for name in source.fields:
                    raw = _raw(record, name)
                    if raw not in (None, "", ()):
                        changes.append(f"{_verbose(record, name)}: {_label(source, record, name, raw)}")
            previous[record.id] = record
            entries.append(
                {
                    "when": record.history_date,
                    "who": record.history_user,
                    "kind": source.kind,
                    "what": source.name_of(record),
                    "action": ACTIONS[record.history_type],
                    "changes": changes,
                    "record": record,
                }
            )
    entries.sort(key=lambda e: e["when"], reverse=True)
    return entries[:limit]


def shown_fields(model, exclude=()):
    """The fields of a model a history shows: all but the id and the automatic timestamps."""
    return [
        f.name
        for f in model._meta.get_fields()
        if (f.concrete or f.many_to_many)
        and not f.auto_created
        and not getattr(f, "auto_now", False)
        and not getattr(f, "auto_now_add", False)
        and f.name not in ("id", *exclude)
        and (not f.many_to_many or hasattr(model.history.model, f.name))
    ]
