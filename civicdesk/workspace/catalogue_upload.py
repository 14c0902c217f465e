"""Uploading a council's service catalogue in the admin: the two files catalogue_import reads
(docs/catalogue-format.md), a preview of what they would change, and then applying it.

The preview is the importer's own dry run (``catalogue_plan``) and writes nothing. The files
travel from the preview to "Apply" inside the page, signed, so that what is applied is what
was previewed; if the catalogue changed in between, the new preview is shown instead. Like the
channels checklist, the pages are the admin's own, for a council's administrators and the
installation's superusers.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.contrib import admin, messages
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from civicdesk.cases.selectors import catalogue_case_use
from civicdesk.catalogue.exchange import (
    CataloguePlan,
    catalogue_plan,
    catalogue_replace,
    catalogue_texts_read,
)
from civicdesk.catalogue.importing import RequestTypeSpec
from civicdesk.core.audit import Actor
from civicdesk.core.errors import ValidationFailed

from .council_admin_pages import administered_council_or_404, council_choice

TEMPLATE = "admin/catalogue_upload.html"
PREVIEW, APPLY = "preview", "apply"
# How long a preview can be applied for: long enough to read it, short enough that it is not
# applied days later over changes made since (those are caught anyway, and shown again).
PREVIEW_SECONDS = 60 * 60
_SALT = "civicdesk.catalogue-upload"
# Larger than any real catalogue (the starter's two files are about 60 KB): a bigger upload is
# the wrong file.
LARGEST_FILE = 2 * 1024 * 1024


def catalogue_upload_index(request: HttpRequest) -> HttpResponse:
    """An administrator's own council's upload page; for a superuser, the councils to choose."""
    return council_choice(
        request, template=TEMPLATE, title="Upload a service catalogue", url_for=catalogue_upload_url
    )


def catalogue_upload_page(request: HttpRequest, council: str) -> HttpResponse:
    organisation = administered_council_or_404(request, council)
    context: dict[str, Any] = {
        **admin.site.each_context(request),
        "title": f"Upload a service catalogue: {organisation.name}",
        "organisation": organisation,
        "preview": PREVIEW,
        "apply": APPLY,
    }
    if request.method != "POST":
        return render(request, TEMPLATE, context)
    action = request.POST.get("action")
    try:
        if action == APPLY:
            files = _previewed_files(request.POST.get("files", ""), organisation.pk)
        else:
            files = _uploaded_files(request)
        rows, spec = catalogue_texts_read(
            csv_data=files["csv"].encode(),
            csv_name=files["csv_name"],
            json_data=files["json"].encode(),
            json_name=files["json_name"],
        )
        case_use = catalogue_case_use(organisation_id=organisation.pk)
        plan = catalogue_plan(organisation=organisation, rows=rows, spec=spec, case_use=case_use)
        if action == APPLY and asdict(plan) == files["plan"]:
            catalogue_replace(
                organisation=organisation,
                rows=rows,
                spec=spec,
                case_use=case_use,
                actor=Actor.for_user(request.user),  # type: ignore[arg-type]
            )
            messages.success(request, _applied_message(organisation.name, plan))
            return HttpResponseRedirect(reverse("admin:catalogue_requesttype_changelist"))
    except ValidationFailed as refused:
        context.update(refused=refused.message, problems=list(refused.fields.items()))
        return render(request, TEMPLATE, context, status=400)
    context.update(
        plan=plan,
        changed_since=action == APPLY,
        added=_added(plan, rows, spec),
        files=signing.dumps(
            {**files, "organisation": organisation.pk, "plan": asdict(plan)},
            salt=_SALT,
            compress=True,
        ),
    )
    return render(request, TEMPLATE, context)


def catalogue_upload_url(slug: str) -> str:
    return reverse("admin:catalogue-upload", kwargs={"council": slug})


def _uploaded_files(request: HttpRequest) -> dict[str, Any]:
    uploads = [(kind, request.FILES.get(kind)) for kind in ("csv", "json")]
    chosen = [(kind, upload) for kind, upload in uploads if upload is not None and upload.size]
    if len(chosen) < len(uploads):
        raise ValidationFailed(
            "Choose both files: the CSV of services and the JSON of questions and targets.",
            fields={
                kind: f"Choose the {kind.upper()} file"
                for kind, _ in uploads
                if kind not in dict(chosen)
            },
        )
    files: dict[str, Any] = {"plan": None}
    for kind, upload in chosen:
        file_name = upload.name or f"catalogue.{kind}"
        if (upload.size or 0) > LARGEST_FILE:
            raise ValidationFailed(
                f"{file_name} is too big to be a catalogue: choose the {kind.upper()} file.",
                fields={kind: f"{file_name} is larger than 2 MB"},
            )
        try:
            files[kind] = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationFailed(
                f"{file_name} is not UTF-8 text. Save it as "
                f"'{'CSV UTF-8' if kind == 'csv' else 'UTF-8'}' and upload it again.",
                fields={kind: f"{file_name} is not UTF-8 text"},
            ) from None
        files[f"{kind}_name"] = file_name
    return files


def _previewed_files(token: str, organisation_id: int) -> dict[str, Any]:
    try:
        files: dict[str, Any] = signing.loads(token, salt=_SALT, max_age=PREVIEW_SECONDS)
    except signing.BadSignature:
        raise ValidationFailed(
            "The preview is more than an hour old, so nothing was changed. Upload the files "
            "again to see a fresh preview.",
            fields={"csv": "Upload the files again"},
        ) from None
    if files.get("organisation") != organisation_id:
        raise ValidationFailed(
            "That preview was for another council: nothing was changed.",
            fields={"csv": "Upload the files again"},
        )
    return files


def _added(
    plan: CataloguePlan, rows: list[dict[str, str]], spec: dict[str, RequestTypeSpec]
) -> list[dict[str, Any]]:
    names = {row["key"]: row["name"] for row in rows}
    return [
        {
            "key": key,
            "name": names[key],
            "questions": len(spec[key].questions),
            "targets": len(spec[key].targets),
        }
        for key in plan.added
    ]


def _applied_message(council: str, plan: CataloguePlan) -> str:
    parts = [
        f"{count} {what}"
        for count, what in (
            (len(plan.added), "added"),
            (len(plan.changed), "changed"),
            (len(plan.retired), "retired"),
        )
        if count
    ]
    done = f"services {', '.join(parts)}" if parts else "nothing needed changing"
    return f"{council}'s catalogue is now the uploaded one: {done}."
