"""Bad input everywhere (issue 13, requirement 7): every form and every API write of the portal
sent script in its text fields, numbers at and past their limits, dates far in the past and future
and malformed, bodies of the wrong types; every list sent huge page numbers and sizes and
100,000-character filters. Nothing answers 500; a refused write writes nothing; an accepted one
stores the value safely and the pages showing it render it escaped.

How it works
- The write routes are read from the URL resolver at run time, as the access walk does
  (tests/security/test_access_walk.py, whose world this module reuses: two tenants, built once).
  Every non-admin route serving POST, PUT, PATCH or DELETE needs an entry in CASES (who sends it,
  at which object, with what base body): a write route without one fails
  `test_every_write_route_has_a_case`, naming it.
- A page form is read from its own GET (every input, textarea and select of the form posting to
  the page, hidden management fields included), so a field added to a form is sent bad input
  without a change here: text inputs and textareas get SCRIPT, number inputs the NUMBERS, date
  inputs the DATES. An API write's fields come from DRF's OPTIONS metadata (string, float,
  integer, decimal, date), its base body from the object's JSON (PUT, PATCH) or the case's body
  (POST). Each variant is sent in a savepoint rolled back after it.
- Expectations per variant: never a 500; "refuse" (non-finite or huge numbers, past an
  indicator's range, malformed dates, dates outside the portal's range on the fields the engine
  computes with, wrong JSON types): a 400 (API) or the form shown again (page), and not one row
  written; "any": either, but an accepted script must render escaped on the object's pages.
- Every base body is checked first: a case whose valid body is not accepted tests nothing, and
  fails.
"""

import json
import math
import re
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse

from indicators.engine import recompute_contracts
from indicators.models import IndicatorStatus
from tests.security import test_access_walk
from tests.security.test_access_walk import (
    ADMIN,
    ANON,
    DISTRICT,
    FIELD,
    PROGRAM,
    ROUTES,
    STATE,
    measurements_fingerprint,
    object_of,
    rows_written,
    served_methods,
)
from turnaround.api.pagination import MAX_PAGE_SIZE

world = test_access_walk.world  # the walk's world (a module-scoped fixture): built once here too

SCRIPT = "<script>alert(1)</script>\"'><img src=x onerror=alert(1)>"
RAW_MARKERS = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")
HUGE = ("1e308", "-1e308", "nan", "inf", "-inf", str(10**400))
DATES_FAR = ("0001-01-01", "9999-12-31", "1900-01-01", "2999-12-31")
MALFORMED_DATE = "2026-02-30"
LONG = "x" * 100_000


# The cases ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """How one write route is sent bad input.

    role: who sends it (allowed to write); obj: the kind of object its URL names (tenant A's);
    body: the base body, a function of the world (a page without a GET of its own, an API POST);
    form: read the base body from the page's own form; ranged: {field: indicator code} of fields
    that must lie in the indicator's range; engine_dates: date fields the engine computes with
    (refused outside the portal's range); shows: the pages (functions of the world) showing what
    the write stored, searched for raw script; base_ok: whether the base body is accepted (False:
    the route refuses it by design, e.g. an answer to a value not disputed); fields: False for a
    write without fields of its own (a button), with the reason; refusal_writes: a refused request
    that writes by design (a failed sign-in is recorded), with the reason."""

    role: str
    obj: str | None = None
    body: object = None
    form: bool = True
    ranged: dict = field(default_factory=dict)
    engine_dates: tuple = ()
    shows: tuple = ()
    base_ok: bool = True  # False: any answer but a 500 (e.g. the grids as shown: nothing changes)
    fields: bool | str = True
    refusal_writes: str = ""
    multipart: bool = False
    fill: object = None
    guard: object = None


def url(name, *args):
    return lambda w: reverse(name, args=[a(w) if callable(a) else a for a in args])


contract_pages = (url("contracts:detail", lambda w: w.a.contract.pk), url("contracts:list"), url("home"))
rfp_pages = (url("contracts:rfp_detail", lambda w: w.a.rfp.pk), url("contracts:rfps"))
visit_pages = (url("partners:visits"), url("partners:follow_ups"), url("partners:barriers"))
measurement_pages = (
    url("indicators:measurement_detail", lambda w: w.a.measurement.pk),
    url("indicators:measurements"),
)
TARGET_RANGE = {"baseline": "attendance_rate", "target": "attendance_rate"}
CONTRACT_DATES = ("start_date", "end_date")


def csv_body(values):
    def body(w):
        row = {
            "school_id": w.a.school.state_id,
            "indicator": "attendance_rate",
            "period_start": "2026-09-01",
            "period_end": "2026-09-30",
            "value": "90",
        }
        row.update(values)
        text = ",".join(row) + "\n" + ",".join(row.values()) + "\n"
        return {"file": SimpleUploadedFile("bad.csv", text.encode(), "text/csv")}

    return body


def measurement_row(w, **values):
    row = {
        "school_id": w.a.school.state_id,
        "indicator": "attendance_rate",
        "period_start": "2026-09-01",
        "period_end": "2026-09-30",
        "value": 90,
    }
    row.update(values)
    return row


CASES = {
    # Pages ---------------------------------------------------------------------------------------
    ("contracts:rfp_create", "POST"): Case(
        DISTRICT, shows=rfp_pages, fill=lambda w: {"title": "New RFP", "schools": [str(w.a.school.pk)]}
    ),
    ("contracts:rfp_edit", "POST"): Case(DISTRICT, "rfp", shows=rfp_pages),
    ("contracts:proposal_create", "POST"): Case(
        DISTRICT,
        "rfp",
        shows=rfp_pages,
        fill=lambda w: {"summary": "A plan.", "organization": str(w.b.organization.pk)},
    ),
    ("contracts:proposal_edit", "POST"): Case(DISTRICT, "proposal", shows=rfp_pages),
    ("contracts:proposal_select", "POST"): Case(
        DISTRICT,
        "proposal",
        engine_dates=CONTRACT_DATES,
        shows=rfp_pages,
        fill=lambda w: {"reference": "NEW-2"},
    ),
    ("contracts:edit", "POST"): Case(DISTRICT, "contract", engine_dates=CONTRACT_DATES, shows=contract_pages),
    ("contracts:schools", "POST"): Case(DISTRICT, "contract", shows=contract_pages, base_ok=False),
    ("contracts:autonomies", "POST"): Case(DISTRICT, "contract", shows=contract_pages, base_ok=False),
    ("contracts:responsibilities", "POST"): Case(DISTRICT, "contract", shows=contract_pages, base_ok=False),
    ("contracts:checklist", "POST"): Case(DISTRICT, "contract", shows=contract_pages, base_ok=False),
    ("contracts:targets", "POST"): Case(
        DISTRICT,
        "contract",
        ranged="targets",  # every number of the grid: baseline or target of its row's indicator
        base_ok=False,
        shows=contract_pages + (url("contracts:statuses", lambda w: w.a.contract.pk),),
    ),
    ("contracts:transition", "POST"): Case(
        DISTRICT, "contract", shows=contract_pages, fill=lambda w: {"reason": "Why."}
    ),
    ("contracts:review_create", "POST"): Case(
        DISTRICT,
        "contract",
        shows=contract_pages,
        fill=lambda w: {"findings": "Found.", "recommendation": "continue"},
    ),
    ("contracts:review_edit", "POST"): Case(DISTRICT, "review", shows=contract_pages),
    ("contracts:decision_create", "POST"): Case(
        DISTRICT, "contract", shows=contract_pages, fill=lambda w: {"rationale": "Because."}
    ),
    ("schools:calendar", "POST"): Case(
        DISTRICT, engine_dates=("first_day", "last_day", "date"), shows=(url("schools:calendar"),)
    ),
    ("partners:designation_new", "POST"): Case(
        STATE,
        "organization",
        shows=(url("partners:detail", lambda w: w.a.organization.pk),),
        fill=lambda w: {"designated_on": "2026-01-05", "service_areas": ["1"], "evidence": "Vetted."},
    ),
    ("partners:designation_edit", "POST"): Case(
        STATE, "designation", shows=(url("partners:detail", lambda w: w.a.organization.pk),)
    ),
    ("partners:edit_window", "POST"): Case(
        PROGRAM, form=False, body=lambda w: {"visit_edit_window_days": "9"}, shows=(url("partners:visits"),)
    ),
    ("partners:visit_new", "POST"): Case(
        FIELD,
        shows=visit_pages,
        fill=lambda w: {"duration_minutes": "60", "focus": ["instructional_support"]},
    ),
    ("partners:visit_edit", "POST"): Case(FIELD, "visit", shows=visit_pages),
    ("partners:visit_delete", "POST"): Case(FIELD, "visit", fields="a confirmation button"),
    ("partners:follow_up_close", "POST"): Case(
        FIELD, "follow_up", form=False, body=lambda w: {"closing_note": "Done."}, shows=visit_pages
    ),
    ("indicators:bulk_verify", "POST"): Case(
        DISTRICT, form=False, body=lambda w: {"ids": [str(w.a.measurement.pk)]}, shows=measurement_pages
    ),
    ("indicators:verify", "POST"): Case(DISTRICT, "measurement", form=False, fields="a button"),
    ("indicators:dispute", "POST"): Case(
        DISTRICT,
        "measurement",
        form=False,
        body=lambda w: {"text": "Please check this value."},
        shows=measurement_pages,
    ),
    ("indicators:answer", "POST"): Case(
        PROGRAM,
        "measurement",
        form=False,
        body=lambda w: {"comment": "Checked.", "value": "91"},
        ranged={"value": "attendance_rate"},
        shows=measurement_pages,
        base_ok=False,  # the value is not disputed: nothing to answer (refused, writes nothing)
    ),
    ("indicators:import_new", "POST"): Case(
        DISTRICT,
        form=False,
        multipart=True,
        body=csv_body({}),
        guard=measurements_fingerprint,
        refusal_writes="the import's record, saying why",
    ),
    ("token_create", "POST"): Case(
        DISTRICT,
        form=False,
        body=lambda w: {"name": "Dashboard", "lifetime_days": "90", "scope": "read_only"},
        shows=(url("profile"),),
    ),
    ("token_revoke", "POST"): Case(DISTRICT, "token", form=False, fields="a button"),
    ("login", "POST"): Case(
        ANON, base_ok=False, refusal_writes="a failed sign-in is recorded (django-axes, security log)"
    ),
    ("logout", "POST"): Case(ANON, form=False, fields="a button", base_ok=False),
    ("password_change", "POST"): Case(DISTRICT, base_ok=False),  # the old password is not known
    # Answers the same (a redirect, writing nothing) whether the address is known or not.
    ("password_reset", "POST"): Case(ANON, base_ok=False, fill=lambda w: {"email": "someone@example.org"}),
    ("password_reset_confirm", "POST"): Case(ANON, fields="an invalid link: no form", base_ok=False),
    # The API ----------------------------------------------------------------------------------------
    ("api:token", "POST"): Case(
        ANON,
        body=lambda w: {"username": "nobody", "password": "wrong"},
        base_ok=False,
        refusal_writes="a failed sign-in is recorded (django-axes, security log)",
    ),
    ("api:district-list", "POST"): Case(
        ADMIN, body=lambda w: {"name": "New District", "state": w.a.state.code}, shows=(url("schools:list"),)
    ),
    ("api:district-detail", "PUT"): Case(DISTRICT, "district", shows=(url("schools:list"),)),
    ("api:district-detail", "PATCH"): Case(DISTRICT, "district", shows=(url("schools:list"),)),
    ("api:school-list", "POST"): Case(
        DISTRICT,
        body=lambda w: {
            "district": w.a.district.pk,
            "state_id": "NEWSCHOOL1",
            "name": "New School",
            "level": "elementary",
            "grade_low": 0,
            "grade_high": 5,
            "enrolment": 300,
        },
        shows=(url("schools:list"),),
    ),
    ("api:school-detail", "PUT"): Case(
        DISTRICT, "school", shows=(url("schools:detail", lambda w: w.a.school.pk), url("schools:list"))
    ),
    ("api:school-detail", "PATCH"): Case(
        DISTRICT, "school", shows=(url("schools:detail", lambda w: w.a.school.pk), url("schools:list"))
    ),
    ("api:cluster-list", "POST"): Case(
        DISTRICT,
        body=lambda w: {"district": w.a.district.pk, "name": "New cluster", "schools": [w.a.school.pk]},
        shows=(url("schools:list"),),
    ),
    ("api:cluster-detail", "PUT"): Case(DISTRICT, "cluster", shows=contract_pages),
    ("api:cluster-detail", "PATCH"): Case(DISTRICT, "cluster", shows=contract_pages),
    ("api:partner-list", "POST"): Case(
        DISTRICT,
        body=lambda w: {"name": "New Partner", "kind": "school_management"},
        shows=(url("partners:list"),),
    ),
    ("api:partner-detail", "PUT"): Case(
        DISTRICT,
        "organization",
        shows=(url("partners:detail", lambda w: w.a.organization.pk), url("partners:list")),
    ),
    ("api:partner-detail", "PATCH"): Case(
        DISTRICT,
        "organization",
        shows=(url("partners:detail", lambda w: w.a.organization.pk), url("partners:list")),
    ),
    ("api:contract-list", "POST"): Case(
        DISTRICT,
        body=lambda w: {
            "reference": "NEW-1",
            "name": "New contract",
            "district": w.a.district.pk,
            "lead_partner": w.a.organization.pk,
            "cluster": w.a.cluster.pk,
            "start_date": "2027-07-01",
            "end_date": "2030-06-30",
        },
        engine_dates=CONTRACT_DATES,
        shows=(url("contracts:list"),),
    ),
    ("api:contract-detail", "PUT"): Case(
        DISTRICT, "contract", engine_dates=CONTRACT_DATES, shows=contract_pages
    ),
    ("api:contract-detail", "PATCH"): Case(
        DISTRICT, "contract", engine_dates=CONTRACT_DATES, shows=contract_pages
    ),
    ("api:indicator-list", "POST"): Case(
        ADMIN,
        body=lambda w: {
            "code": "new_rate",
            "name": "New rate",
            "kind": "leading",
            "unit": "percent",
            "direction": "higher",
            "aggregation": "mean",
            "min_value": 0,
            "max_value": 100,
        },
        shows=(url("indicators:measurements"),),
    ),
    ("api:indicator-detail", "PUT"): Case(ADMIN, "indicator", shows=contract_pages),
    ("api:indicator-detail", "PATCH"): Case(ADMIN, "indicator", shows=contract_pages),
    ("api:indicator-detail", "DELETE"): Case(
        ADMIN,
        "indicator",
        fields="no body",
        base_ok=False,  # in use: protected
    ),
    ("api:target-list", "POST"): Case(
        DISTRICT,
        body=lambda w: {
            "contract": w.a.contract.pk,
            "indicator": "attendance_rate",
            "contract_year": 2,
            "baseline": 80,
            "target": 90,
        },
        ranged=TARGET_RANGE,
        shows=contract_pages,
    ),
    ("api:target-detail", "PUT"): Case(DISTRICT, "target", ranged=TARGET_RANGE, shows=contract_pages),
    ("api:target-detail", "PATCH"): Case(DISTRICT, "target", ranged=TARGET_RANGE, shows=contract_pages),
    ("api:target-detail", "DELETE"): Case(DISTRICT, "target", fields="no body"),
    ("api:measurement-list", "POST"): Case(
        DISTRICT,  # any period (program staff: only their contract's periods)
        body=lambda w: measurement_row(w),
        ranged={"value": "attendance_rate"},
        engine_dates=("period_start", "period_end"),
        shows=measurement_pages,
    ),
    ("api:import-list", "POST"): Case(
        DISTRICT,
        multipart=True,
        body=csv_body({}),
        guard=measurements_fingerprint,
        refusal_writes="the import's record, saying why",
    ),
    ("api:field-visit-list", "POST"): Case(
        FIELD,
        body=lambda w: {
            "school": w.a.school.pk,
            "visit_date": "2026-10-14",
            "mode": "on_site",
            "duration_minutes": 60,
            "focus": ["instructional_support"],
            "progress": "Good.",
        },
        shows=visit_pages,
    ),
    ("api:field-visit-detail", "PUT"): Case(FIELD, "visit", shows=visit_pages),
    ("api:field-visit-detail", "PATCH"): Case(FIELD, "visit", shows=visit_pages),
    ("api:field-visit-detail", "DELETE"): Case(FIELD, "visit", fields="no body"),
}


# Routes -----------------------------------------------------------------------------------------
def write_routes():
    """(route, method) of every non-admin route's write methods, read from the resolver."""
    return [
        (route, method)
        for route in ROUTES
        if not route.is_admin
        for method in served_methods(route)
        if method != "GET"
    ]


WRITES = write_routes()
LISTS = [r for r in ROUTES if not r.is_admin and r.key.startswith("api:") and r.key.endswith("-list")]


def is_api(route):
    return route.key.startswith("api:")


# Reading a page's form ------------------------------------------------------------------------------
class FormReader(HTMLParser):
    """The forms of a page: action, method and fields (name, kind, value) in document order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self.form = None
        self.textarea = None
        self.select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.form = {
                "action": a.get("action") or "",
                "method": (a.get("method") or "get").lower(),
                "fields": [],
            }
            self.forms.append(self.form)
        if self.form is None or "name" not in a and tag not in ("option",):
            return
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.form["fields"].append([a["name"], kind, a.get("value", "on" if kind == "checkbox" else "")])
        elif tag == "textarea":
            self.textarea = [a["name"], "textarea", ""]
            self.form["fields"].append(self.textarea)
        elif tag == "select":
            self.select = {"name": a["name"], "first": None, "chosen": False}
        elif tag == "option" and self.select is not None:
            value = a.get("value", "")
            if self.select["first"] is None and value:
                self.select["first"] = value
            if "selected" in a:
                self.form["fields"].append([self.select["name"], "select", value])
                self.select["chosen"] = True

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[2] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self.textarea = None
        elif tag == "select" and self.select is not None:
            # A choice left blank: the first real option (a required choice the page leaves open).
            if not self.select["chosen"] and self.select["first"] is not None:
                self.form["fields"].append([self.select["name"], "select", self.select["first"]])
            self.select = None
        elif tag == "form":
            self.form = None


def page_form(client, page_url):
    """The fields [name, kind, value] of the form of `page_url` that posts to it."""
    response = client.get(page_url)
    assert response.status_code == 200, f"GET {page_url}: {response.status_code}"
    reader = FormReader()
    reader.feed(response.content.decode())
    forms = [f for f in reader.forms if f["method"] == "post" and f["action"] in ("", page_url, ".")]
    assert forms, f"no form posting to {page_url}"
    return max(forms, key=lambda f: len(f["fields"]))["fields"]


def as_data(fields):
    data = {}
    for name, _kind, value in fields:
        data.setdefault(name, []).append(value)
    return data


# Sending -------------------------------------------------------------------------------------------
def client_for(world, role):
    if role == ANON:
        return Client()
    return world.clients[role]


def target_url(world, route, case):
    if case.obj is None:
        if route.key == "password_reset_confirm":
            return reverse(route.name, kwargs={"uidb64": "MQ", "token": "set-password"})
        return reverse(route.name)
    thing = object_of(world, case.obj, "A", case.role)
    if case.obj == "token":
        return reverse(route.name, kwargs={"token_key": thing.token_key})
    if case.obj == "review":
        return reverse(route.name, kwargs={"pk": thing.contract_id, "review_pk": thing.pk})
    if route.key == "partners:designation_edit":
        return reverse(route.name, kwargs={"designation": thing.pk})
    return reverse(route.name, kwargs={"pk": thing.pk})


def send(client, method, path, data, api, multipart=False):
    if not api or multipart:
        if multipart:
            data = {k: (v() if callable(v) else v) for k, v in data.items()}
        return client.post(path, data)
    body = data if isinstance(data, str) else json.dumps(data)
    return getattr(client, method.lower())(path, data=body, content_type="application/json")


def escaped_everywhere(client, pages):
    """The pages (paths) that show a raw marker."""
    shown = []
    for path in pages:
        response = client.get(path, follow=True)
        if response.status_code >= 500:
            shown.append(f"{path} answered {response.status_code}")
            continue
        if "html" not in response.get("Content-Type", ""):
            continue
        text = response.content.decode("utf-8", "replace")
        if any(marker in text for marker in RAW_MARKERS):
            shown.append(f"{path} shows the script unescaped")
    return shown


@dataclass
class Variant:
    label: str
    data: object
    want: str  # "refuse", "accept" or "any"
    script: bool = False


def attempt(world, route, method, case, path, variant, problems):
    """Send one variant in a savepoint rolled back after it; record what differs."""
    client = client_for(world, case.role)
    api = is_api(route)
    with transaction.atomic():
        before = rows_written()
        guarded = case.guard() if case.guard else None
        try:
            response = send(client, method, path, variant.data, api, case.multipart)
        except Exception as error:  # noqa: BLE001  a 500: reported
            problems.append(
                f"{method} {route.key} [{variant.label}]: raised {type(error).__name__}: {error}"[:400]
            )
            transaction.set_rollback(True)
            return
        status = response.status_code
        wrote = rows_written() != before if case.guard is None else case.guard() != guarded
        if api:
            accepted = status in (200, 201, 204)
            refused = status in (400, 401, 403, 404, 409, 413, 415, 422)
        else:
            # A page refuses by showing the form again (200, 400, 422) or by a redirect with a
            # message (302): either way, writing nothing.
            accepted = status in (200, 302) and wrote
            refused = status in (200, 302, 400, 403, 404, 413, 422) and not accepted
        label = f"{method} {route.key} [{variant.label}]"
        if status >= 500 or not (accepted or refused):
            problems.append(f"{label}: answered {status}")
        elif variant.want == "refuse" and not refused:
            problems.append(f"{label}: accepted ({status}), expected a refusal")
        elif variant.want == "accept" and not accepted:
            text = response.content.decode("utf-8", "replace")
            detail = (
                text[:300]
                if api
                else " ".join(
                    re.findall(
                        r'class="(?:errorlist|invalid-feedback)[^"]*"[^>]*>(.*?)</(?:ul|div)>', text, re.S
                    )
                )[:400]
            )
            problems.append(f"{label}: refused ({status}), expected the base body accepted {detail}")
        elif refused and wrote and not case.refusal_writes:
            problems.append(f"{label}: refused ({status}), but wrote")
        elif accepted and variant.script:
            pages = [p(world) for p in case.shows]
            if not api and status == 302:
                pages.append(response.headers["Location"])
            if not api:
                pages.append(path)
            problems.extend(f"{label}: {shown}" for shown in escaped_everywhere(client, pages))
        transaction.set_rollback(True)


# Variants ------------------------------------------------------------------------------------------
def indicator_range(world, code):
    found = object_of(world, "indicator", "A", ADMIN).__class__.objects.get(code=code)
    return found.min_value, found.max_value


def range_values(low, high):
    """(value, want) at and just past an indicator's range."""
    values = []
    if low is not None:
        values += [(low, "any"), (low - 0.01, "refuse")]
    if high is not None:
        values += [(high, "any"), (high + 0.01, "refuse")]
    return values


def form_variants(world, case, fields):
    base = {**as_data(fields), **(case.fill(world) if case.fill else {})}
    text = [n for n, kind, _ in fields if kind in ("text", "textarea", "email", "search", "url", "tel")]
    numbers = [n for n, kind, _ in fields if kind == "number"]
    dates = [n for n, kind, _ in fields if kind == "date"]
    variants = [Variant("base", base, "accept" if case.base_ok else "any")]
    if text:
        variants.append(
            Variant(
                f"script in {', '.join(sorted(set(text)))}",
                {**base, **{n: SCRIPT for n in text}},
                "any",
                True,
            )
        )
    shapes = set()
    for name in numbers:
        # A grid's fields differ by their row and column numbers only: every value to the first of
        # a shape, the largest to the others.
        shape = re.sub(r"\d+", "#", name)
        for value in HUGE if shape not in shapes else HUGE[:1]:
            variants.append(Variant(f"{name}={value[:12]}", {**base, name: value}, "refuse"))
        if shape not in shapes:
            variants.append(Variant(f"{name}=list", {**base, name: ["1", "2", "x"]}, "any"))
        shapes.add(shape)
    ranges = range_fields(world, case, fields)
    for name, (low, high) in ranges.items():
        for value, want in range_values(low, high):
            variants.append(Variant(f"{name}={value:g}", {**base, name: repr(value)}, want))
    for name in dates:
        variants.append(Variant(f"{name}={MALFORMED_DATE}", {**base, name: MALFORMED_DATE}, "refuse"))
        for value in DATES_FAR:
            want = "refuse" if name.rsplit("-", 1)[-1] in case.engine_dates else "any"
            variants.append(Variant(f"{name}={value}", {**base, name: value}, want))
    return variants


def range_fields(world, case, fields):
    """{field: (min, max)} of the ranged fields of a form or body."""
    if case.ranged == "targets":
        # The targets grid: baseline-<indicator id> and target-<indicator id>-<year>; each
        # indicator's baseline and year-1 target are sent its range's ends.
        found = {}
        for name, kind, _ in fields:
            match = re.fullmatch(r"(?:baseline-(\d+)|target-(\d+)-1)", name)
            if kind == "number" and match:
                found[name] = indicator_range_by(world, match.group(1) or match.group(2))
        return found
    return {name: indicator_range(world, code) for name, code in case.ranged.items()}


def indicator_range_by(world, ident):
    from indicators.models import Indicator

    row = Indicator.objects.filter(pk=ident).first() if str(ident).isdigit() else None
    row = row or Indicator.objects.get(code=ident)
    return row.min_value, row.max_value


API_TEXT = ("string", "email", "url", "slug")
API_NUMBER = ("float", "integer", "decimal")


def api_fields(client, path, method):
    response = client.options(path)
    assert response.status_code == 200, f"OPTIONS {path}: {response.status_code}"
    actions = response.json().get("actions", {})
    described = actions.get("PUT" if method in ("PUT", "PATCH") else method) or {}
    return {name: spec for name, spec in described.items() if not spec.get("read_only")}


def api_variants(world, route, method, case, path, client):
    fields = api_fields(client, path, method)
    if case.body is not None:
        base = case.body(world)
    else:
        current = client.get(path).json()
        base = {name: current[name] for name in fields if name in current}
    text = [n for n, s in fields.items() if s.get("type") in API_TEXT and "choices" not in s and n in base]
    numbers = [n for n, s in fields.items() if s.get("type") in API_NUMBER and n in base or n in case.ranged]
    dates = [
        n for n, s in fields.items() if s.get("type") == "date" and (n in base or n in case.engine_dates)
    ]
    variants = [Variant("base", base, "accept" if case.base_ok else "any")]
    if text:
        variants.append(
            Variant(f"script in {', '.join(text)}", {**base, **{n: SCRIPT for n in text}}, "any", True)
        )
        for name in text:
            variants.append(Variant(f"{name}=list", {**base, name: [SCRIPT, "x"]}, "refuse"))
            variants.append(Variant(f"{name}=100k", {**base, name: LONG}, "any"))
    for name in numbers:
        for value in (1e308, -1e308, "nan", "inf", "-inf", 10**400, "1e308"):
            variants.append(Variant(f"{name}={str(value)[:12]}", {**base, name: value}, "refuse"))
        variants.append(Variant(f"{name}=object", {**base, name: {"value": 1}}, "refuse"))
        variants.append(Variant(f"{name}=list", {**base, name: [1, 2]}, "refuse"))
    for name, (low, high) in range_fields(world, case, fields).items():
        for value, want in range_values(low, high):
            variants.append(Variant(f"{name}={value:g}", {**base, name: value}, want))
    for name in dates:
        variants.append(Variant(f"{name}={MALFORMED_DATE}", {**base, name: MALFORMED_DATE}, "refuse"))
        variants.append(Variant(f"{name}=object", {**base, name: {"y": 2026}}, "refuse"))
        for value in DATES_FAR:
            want = "refuse" if name in case.engine_dates else "any"
            variants.append(Variant(f"{name}={value}", {**base, name: value}, want))
    variants.append(
        Variant("a list for the body", [base] if route.key != "api:measurement-list" else "[[1]]", "refuse")
    )
    variants.append(Variant("a string for the body", json.dumps("x"), "refuse"))
    return variants


def import_variants(world, case):
    variants = [Variant("base", case.body(world), "accept")]
    variants.append(
        Variant(
            "script in every column",
            csv_body(
                dict.fromkeys(("school_id", "indicator", "period_start", "period_end", "value"), SCRIPT)
            )(world),
            "refuse",
        )
    )
    for value in HUGE + ("-0.01", "100.01"):
        variants.append(Variant(f"value={value[:12]}", csv_body({"value": value})(world), "refuse"))
    for value in ("0", "100"):
        variants.append(Variant(f"value={value}", csv_body({"value": value})(world), "accept"))
    for column in ("period_start", "period_end"):
        for value in DATES_FAR + (MALFORMED_DATE,):
            variants.append(Variant(f"{column}={value}", csv_body({column: value})(world), "refuse"))
    return variants


def measurement_variants(world):
    """The measurements API takes one object or a list: each bad value, in a list with a good row
    too (all or nothing)."""
    good = measurement_row(world, period_start="2026-10-01", period_end="2026-10-31")
    variants = []
    for value in (1e308, -1e308, "nan", "inf", 10**400, -0.01, 100.01, {"v": 1}, [1]):
        variants.append(
            Variant(f"[good, value={str(value)[:12]}]", [good, measurement_row(world, value=value)], "refuse")
        )
    for value in DATES_FAR + (MALFORMED_DATE,):
        variants.append(
            Variant(f"[good, period_end={value}]", [good, measurement_row(world, period_end=value)], "refuse")
        )
    variants.append(Variant("script in school_id", [measurement_row(world, school_id=SCRIPT)], "refuse"))
    return variants


def variants_for(world, route, method, case, path):
    client = client_for(world, case.role)
    if case.fields is not True:
        return [Variant("base", case.body(world) if case.body else {}, "accept" if case.base_ok else "any")]
    if route.key in ("indicators:import_new", "api:import-list"):
        return import_variants(world, case)
    if is_api(route):
        found = api_variants(world, route, method, case, path, client)
        if route.key == "api:measurement-list":
            found += measurement_variants(world)
        return found
    if case.form:
        return form_variants(world, case, page_form(client, path))
    body = case.body(world)
    variants = [Variant("base", body, "accept" if case.base_ok else "any")]
    variants.append(Variant("script", {k: SCRIPT for k in body}, "any", True))
    for name in case.ranged:
        for value in HUGE:
            variants.append(Variant(f"{name}={value[:12]}", {**body, name: value}, "refuse"))
    for name in body:
        variants.append(Variant(f"{name}=100k", {**body, name: LONG}, "any"))
    if "visit_edit_window_days" in body:
        for value in HUGE + ("-1", str(10**9)):
            variants.append(
                Variant(
                    f"visit_edit_window_days={value[:12]}",
                    {**body, "visit_edit_window_days": value},
                    "refuse",
                )
            )
    return variants


# The tests ------------------------------------------------------------------------------------------
def test_every_write_route_has_a_case():
    keys = {(r.key, m) for r, m in WRITES}
    missing = sorted(f"{k} {m}" for k, m in keys if (k, m) not in CASES)
    stale = sorted(f"{k} {m}" for k, m in CASES if (k, m) not in keys)
    assert not missing, f"write routes without a case in CASES: {missing}"
    assert not stale, f"CASES for writes that no longer exist: {stale}"


@pytest.mark.parametrize("group", ["pages", "api"])
def test_bad_input_to_every_write(group, world, db):
    """Every write route (pages, then the API) sent every variant: all failures reported at once."""
    problems = []
    sent = 0
    for route, method in WRITES:
        if is_api(route) != (group == "api") or (route.key, method) not in CASES:
            continue
        case = CASES[(route.key, method)]
        path = target_url(world, route, case)
        try:
            variants = variants_for(world, route, method, case, path)
        except AssertionError as error:
            problems.append(f"{method} {route.key}: {error}")
            continue
        for variant in variants:
            attempt(world, route, method, case, path, variant, problems)
            sent += 1
    assert sent > 100
    assert not problems, f"{len(problems)} of {sent} requests:\n" + "\n".join(problems)


# Lists -----------------------------------------------------------------------------------------------
def list_params(route):
    """The query parameters a list reads: its filters (django-filter), search and ordering."""
    view = route.callback.cls
    names = {"search", "ordering", "q"}
    if getattr(view, "filterset_class", None):
        names |= set(view.filterset_class.base_filters)
    return sorted(names)


def page_lists():
    """The pages without an object in their URL that serve GET only (lists, dashboards)."""
    return [
        r
        for r in ROUTES
        if not r.is_admin
        and not is_api(r)
        and served_methods(r) == ["GET"]
        and "<" not in r.pattern
        and not r.key.startswith("password_")
    ]


def test_huge_pages_and_long_filters_on_every_list(world, db):
    """Every API list and every list page: page sizes and numbers far past any data, negative
    ones, and each filter (the page's own GET form's fields) 100,000 characters long. A size
    past the maximum is served at the maximum; nothing answers 500."""
    problems = []
    client = world.clients[DISTRICT]
    paging = [
        {"page_size": str(10**9)},
        {"page": str(10**12)},
        {"page": "-1"},
        {"page_size": "-5"},
        {"page": "1e308", "page_size": "nan"},
    ]
    for route in LISTS:
        path = reverse(route.name)
        queries = paging + [{name: LONG} for name in list_params(route)]
        for query in queries:
            response = client.get(path, query)
            label = f"GET {route.key} {', '.join(f'{k}={v[:12]}' for k, v in query.items())}"
            if response.status_code >= 500 or response.status_code not in (200, 400, 404):
                problems.append(f"{label}: {response.status_code}")
            elif (
                response.status_code == 200
                and query.get("page_size") == str(10**9)
                and len(response.json()["results"]) > MAX_PAGE_SIZE
            ):
                problems.append(f"{label}: more than {MAX_PAGE_SIZE} rows")
    for route in page_lists():
        path = reverse(route.name)
        response = client.get(path)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        reader = FormReader()
        reader.feed(response.content.decode())
        names = {n for f in reader.forms if f["method"] == "get" for n, _kind, _value in f["fields"]}
        for query in paging + [{name: LONG} for name in sorted(names | {"q"})]:
            response = client.get(path, query)
            if response.status_code >= 500 or response.status_code not in (200, 302, 400, 404):
                label = f"GET {route.key} {', '.join(f'{k}={v[:12]}' for k, v in query.items())}"
                problems.append(f"{label}: {response.status_code}")
    assert not problems, "\n".join(problems)


# The nightly recompute with the worst values accepted -----------------------------------------------
def test_recompute_with_the_worst_accepted_values_still_computes_the_others(world, db):
    """The largest values every write path accepts (a count's target and values at the portal's
    limit, either sign; the thresholds and margin at their ends; a contract at the far end of the
    contract dates) in one batch with tenant B's contract: the batch runs, and tenant B's statuses
    are what they are when computed alone."""
    from contracts.models import LATEST_CONTRACT_DATE, PerformanceContract
    from indicators.imports import MAX_ABS_VALUE
    from tests.factories import ClusterFactory, ContractFactory, SchoolFactory, cluster_target, report

    a = world.a
    contract_b = world.b.contract
    as_of = date(2026, 10, 14)
    recompute_contracts([contract_b.pk], as_of)
    alone = sorted(
        IndicatorStatus.objects.filter(contract=contract_b).values_list(
            "indicator_id", "school_id", "contract_year", "status", "value", "progress"
        )
    )
    assert alone, "tenant B's contract has statuses of its own"

    PerformanceContract.objects.filter(pk=a.contract.pk).update(
        on_track_threshold=1.0, at_risk_threshold=0.0, improvement_margin=1.0
    )
    for year in (1, 2):
        cluster_target(a.contract, "discipline_incidents", year, -MAX_ABS_VALUE, MAX_ABS_VALUE)
        cluster_target(a.contract, "enrolment", year, MAX_ABS_VALUE, -MAX_ABS_VALUE)
    schools = list(a.cluster.schools.all())
    start = a.contract.start_date
    report(schools, "discipline_incidents", start, start.replace(day=28), MAX_ABS_VALUE)
    report(schools, "enrolment", start, start.replace(day=28), MAX_ABS_VALUE)
    report(schools, "attendance_rate", start, start.replace(day=28), 100.0)
    far = ContractFactory(
        reference="FAR-1",
        district=a.district,
        cluster=ClusterFactory(district=a.district, schools=[SchoolFactory(district=a.district)]),
        lead_partner=a.organization,
        start_date=date(LATEST_CONTRACT_DATE.year - 4, 1, 1),
        end_date=LATEST_CONTRACT_DATE,
        lifecycle_status="active",
    )
    cluster_target(far, "discipline_incidents", 5, MAX_ABS_VALUE, -MAX_ABS_VALUE)
    early = ContractFactory(
        reference="EARLY-1",
        district=a.district,
        cluster=ClusterFactory(district=a.district, schools=[SchoolFactory(district=a.district)]),
        lead_partner=a.organization,
        start_date=date(1990, 1, 1),
        end_date=date(1994, 12, 31),
        lifecycle_status="completed",
    )
    cluster_target(early, "attendance_rate", 5, 0, 100)
    ids = [a.contract.pk, far.pk, early.pk, contract_b.pk, world.contract_old.pk]
    recompute_contracts(ids, as_of)
    batch = sorted(
        IndicatorStatus.objects.filter(contract=contract_b).values_list(
            "indicator_id", "school_id", "contract_year", "status", "value", "progress"
        )
    )
    assert batch == alone
    extreme = IndicatorStatus.objects.filter(contract=a.contract)
    assert extreme.exists()
    for row in extreme.values("value", "progress", "target", "baseline"):
        assert all(v is None or math.isfinite(v) for v in row.values()), row


def test_the_refusals_say_why(world, db):
    """The fixes' messages, at the field at fault: a target past the portal's limit, a contract
    date outside 1990-2100 (page and API), a search past its length."""
    district = world.clients[DISTRICT]
    contract = world.a.contract
    with transaction.atomic():
        response = district.patch(
            reverse("api:target-detail", args=[world.a.target.pk]),
            data=json.dumps({"target": 1e308, "baseline": 100.5}),
            content_type="application/json",
        )
        assert response.status_code == 400
        assert "1,000,000,000" in response.json()["target"][0]
        assert "above the largest attendance rate, 100" in response.json()["baseline"][0]

        response = district.patch(
            reverse("api:contract-detail", args=[contract.pk]),
            data=json.dumps({"start_date": "9999-01-01", "end_date": "9999-12-31"}),
            content_type="application/json",
        )
        assert response.status_code == 400
        message = "A contract's dates lie between 1990-01-01 and 2100-12-31."
        assert response.json()["start_date"] == [message]

        form = as_data(page_form(district, reverse("contracts:edit", args=[contract.pk])))
        form.update(start_date="9999-01-01", end_date="9999-12-31")
        response = district.post(reverse("contracts:edit", args=[contract.pk]), form)
        assert response.status_code in (200, 422)
        assert message.replace("'", "&#x27;") in response.content.decode()

        response = district.get(reverse("home"), {"q": "x" * 201})
        assert response.status_code == 200
        assert "at most 200 characters" in response.content.decode()
        transaction.set_rollback(True)
