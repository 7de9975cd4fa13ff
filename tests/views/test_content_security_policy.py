"""The Content Security Policy (django-csp, settings.py; docs/operations.md): every page carries it,
no template holds what it would refuse (inline script, inline style, event handler attributes,
javascript: links), the API docs load their script and styles as files, and the evidence pack PDF
still gets its styles, now from a static file. The browser check is tests/browser/test_csp.py."""

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from pypdf import PdfReader

from tests.views.test_pages import get_as

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def policy_of(response):
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


@pytest.mark.parametrize(
    "name, user_key",
    [("home", "district_a"), ("contracts:list", "program_p"), ("login", None), ("api:docs", None)],
)
def test_every_page_carries_the_strict_policy(client, world, name, user_key):
    if user_key:
        client.force_login(world.users[user_key])
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert policy_of(response) == POLICY
    assert "unsafe" not in response["Content-Security-Policy"]


def test_api_responses_and_errors_carry_it_too(client, world):
    client.force_login(world.users["district_a"])
    assert policy_of(client.get("/api/v1/contracts/")) == POLICY
    assert policy_of(client.get(reverse("contracts:detail", args=[world.contract_c.pk]))) == POLICY  # 404


def test_a_report_uri_is_added_when_configured(client, world, settings):
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {**settings.CONTENT_SECURITY_POLICY["DIRECTIVES"], "report-uri": ["/csp-reports/"]}
    }
    assert policy_of(client.get(reverse("login")))["report-uri"] == "/csp-reports/"


# What a strict policy refuses in a template: a <script> with a body (json_script's data blocks are
# made by a filter, not written in templates), <style>, style="", on...= handlers, javascript: URLs.
REFUSED = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "style element": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def project_templates():
    roots = [Path(d) for d in settings.TEMPLATES[0]["DIRS"]]
    roots += [
        Path(settings.BASE_DIR) / app / "templates"
        for app in ("contracts", "indicators", "partners", "schools", "turnaround")
    ]
    return sorted(path for root in roots if root.exists() for path in root.rglob("*.html"))


def test_no_template_holds_what_the_policy_refuses():
    templates = project_templates()
    assert len(templates) > 50
    found = [
        f"{path.relative_to(settings.BASE_DIR)}: {what}"
        for path in templates
        for what, pattern in REFUSED.items()
        if pattern.search(path.read_text())
    ]
    assert found == []


def test_the_api_docs_load_their_script_and_styles_as_files(db, client):
    html = client.get(reverse("api:docs")).content.decode()
    for what, pattern in REFUSED.items():
        assert not pattern.search(html), what
    script_url = re.search(r'<script src="([^"]*\?[^"]*script=[^"]*)"', html).group(1)
    script = client.get(script_url.replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
    assert "css/api-docs.css" in html


def test_the_evidence_pack_pdf_gets_its_styles_from_the_static_file(client, world):
    """Letter pages with the running head and the page numbers: all from the stylesheet (WeasyPrint's
    own default is A4 with empty margins)."""
    response = get_as(
        client, world.users["admin"], reverse("dashboard:evidence_pack", args=[world.contract_a.pk])
    )
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) >= 2
    for number, page in enumerate(reader.pages, start=1):
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (612, 792)
        text = " ".join(page.extract_text().split())
        assert "Evidence pack · as of" in text, number
        assert f"Page {number} of {len(reader.pages)}" in text
        assert world.contract_a.name in text  # the running title (string-set from the h1)


def test_without_its_stylesheet_the_pack_answers_503_not_500(client, world, monkeypatch):
    from turnaround.dashboard import evidence

    monkeypatch.setattr(evidence, "STYLESHEET", "css/no-such-file.css")
    response = get_as(
        client, world.users["admin"], reverse("dashboard:evidence_pack", args=[world.contract_a.pk])
    )
    assert response.status_code == 503
    assert "stylesheet" in response.content.decode()
