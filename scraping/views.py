"""Import pages: start an import, follow its progress live, read its errors, retry or cancel it.

The start view limits the upload size *before* Django reads the body: it is CSRF-exempt at the
outside only so that the counting upload handler can be installed first (Django's documented
pattern), and checks the CSRF token itself right after (``csrf_protect`` on the inner view).
"""

from __future__ import annotations

import re

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from personas import selectors as panel_selectors
from scraping import selectors, services
from scraping.forms import AudienceForm, ImportForm, RetryForm
from scraping.sources import CONNECTORS
from scraping.sources.tabular import COLUMNS, SCHEMA_DOC, TEMPLATE_CSV
from scraping.storage import UploadTooLarge, install_upload_limit, upload_limit
from simnet.tenancy import roles
from simnet.tenancy.audit import client_ip
from simnet.tenancy.mixins import org_view
from simnet.web import actor, can_write, post_only, submit_form, submit_or_message

JOBS_PAGE_SIZE = 25
_CODE = re.compile(r"`([^`]+)`")


def _schema_paragraphs() -> list[str]:
    """The prose of the schema doc (our own text) with `code` spans; the table is rendered from COLUMNS."""
    prose = [block for block in SCHEMA_DOC.split("\n\n") if not block.lstrip().startswith("|")]
    return [mark_safe(_CODE.sub(r"<code>\1</code>", escape(block))) for block in prose]


@org_view()
def import_list(request):
    page = Paginator(selectors.import_list(organization=request.organization), JOBS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "nav": "panels",
        "page": page,
        "refresh": selectors.has_active_imports(page.object_list),
        "can_write": can_write(request),
    }
    template = "scraping/import_list.html#jobs" if request.htmx else "scraping/import_list.html"
    return render(request, template, context)


def _form_context(request, form: ImportForm) -> dict:
    return {
        "nav": "panels",
        "form": form,
        "connectors": CONNECTORS.values(),
        "chosen": form["connector"].value() or "x_archive",
        "schema_paragraphs": _schema_paragraphs(),
        "schema_columns": COLUMNS,
        "upload_limit": upload_limit(),
    }


def _new_form(request, data=None, files=None) -> ImportForm:
    panels = panel_selectors.panel_editable_list(organization=request.organization)
    initial = {}
    if request.GET.get("panel", "").isdigit():
        initial["panel"] = int(request.GET["panel"])
    if request.GET.get("connector") in CONNECTORS:
        initial["connector"] = request.GET["connector"]
    return ImportForm(data, files, panels=panels, initial=initial)


@csrf_exempt
@org_view(roles.WRITE)
def import_create(request):
    try:
        if request.method == "POST":
            install_upload_limit(request)
        return _import_create(request)
    except UploadTooLarge as exc:
        form = _new_form(request)
        form.refuse_unread(exc)
        return render(request, "scraping/import_form.html", _form_context(request, form), status=exc.status)


@csrf_protect
def _import_create(request):
    if request.method != "POST":
        return render(request, "scraping/import_form.html", _form_context(request, _new_form(request)))
    form = _new_form(request, request.POST, request.FILES)
    if form.is_valid():
        job = submit_form(
            form,
            services.import_start,
            organization=request.organization,
            actor=actor(request),
            ip=client_ip(request),
            **services.import_start_arguments(form.cleaned_data),
        )
        if job is not None:
            messages.success(request, "Import started; this page updates as it goes.")
            return redirect("import_detail", job_id=job.pk)
    return render(request, "scraping/import_form.html", _form_context(request, form), status=400)


@org_view(roles.WRITE)
def audience_create(request):
    """Build an audience: one background job that lists, samples and imports accounts into a new panel."""
    form = AudienceForm(request.POST or None, initial={"connector": request.GET.get("connector", "bluesky")})
    if request.method == "POST" and form.is_valid():
        job = submit_form(
            form,
            services.audience_start,
            organization=request.organization,
            actor=actor(request),
            ip=client_ip(request),
            **services.audience_start_arguments(form.cleaned_data),
        )
        if job is not None:
            messages.success(
                request, "Audience started; this page updates as accounts are listed and imported."
            )
            return redirect("import_detail", job_id=job.pk)
    status = 400 if request.method == "POST" else 200
    context = {"nav": "panels", "form": form, "connectors": CONNECTORS}
    return render(request, "scraping/audience_form.html", context, status=status)


@org_view()
def import_template(request):
    """The CSV template: the documented columns with example rows."""
    response = HttpResponse(TEMPLATE_CSV, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="simnet-history-template.csv"'
    return response


@org_view()
def import_detail(request, job_id: int):
    job = selectors.import_get(organization=request.organization, job_id=job_id)
    context = {
        "nav": "panels",
        "job": job,
        "personas": selectors.import_personas(job=job) if job.status == job.Status.COMPLETED else [],
        "can_write": can_write(request),
        "retry_form": RetryForm(),
        "credential_help": CONNECTORS[job.connector].credential_help if job.connector in CONNECTORS else "",
        "takes_credential": job.connector in CONNECTORS and CONNECTORS[job.connector].credential != "none",
    }
    if request.htmx and request.htmx.target == "import-progress":
        return render(request, "scraping/import_detail.html#progress", context)
    return render(request, "scraping/import_detail.html", context)


@org_view(roles.WRITE)
def import_retry(request, job_id: int):
    job = selectors.import_get(organization=request.organization, job_id=job_id)
    if refused := post_only(request):
        return refused
    form = RetryForm(request.POST)
    credential = form.cleaned_data["credential"] if form.is_valid() else ""
    retried = submit_or_message(
        request,
        services.import_retry,
        job=job,
        organization=request.organization,
        actor=actor(request),
        credential=credential,
    )
    if retried is not None:
        messages.success(request, "Import queued again; it continues where it stopped.")
    return redirect("import_detail", job_id=job.pk)


@org_view(roles.WRITE)
def import_cancel(request, job_id: int):
    job = selectors.import_get(organization=request.organization, job_id=job_id)
    if refused := post_only(request):
        return refused
    cancelled = submit_or_message(
        request, services.import_cancel, job=job, organization=request.organization, actor=actor(request)
    )
    if cancelled is not None:
        messages.success(request, "Import cancelled; nothing from it was added.")
    return redirect("import_detail", job_id=job.pk)
