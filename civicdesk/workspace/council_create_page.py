"""Adding a council, or changing one, from the platform administrator's admin pages: the same
as ``manage.py council_create`` (ADR 27), through the same service, with the boundary uploaded
as a GeoJSON file. Only the installation's superusers may; a council's own administrators
manage their council's details in the admin as before."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from civicdesk.core.audit import Actor
from civicdesk.core.errors import ValidationFailed
from civicdesk.organisations.boundaries import Boundary, boundary_read
from civicdesk.organisations.choices import OrganisationKind
from civicdesk.organisations.services import CouncilDetails, council_save

TEMPLATE = "admin/council_create.html"
# What the page asks, as CouncilDetails names them; the boundary is the uploaded file.
FIELDS = (
    "name",
    "slug",
    "kind",
    "nation",
    "code",
    "phone",
    "emergency_phone",
    "website",
    "email_from",
    "opens",
    "closes",
    "boundary_attribution",
)
NATION_CHOICES = [
    ("england", "England"),
    ("wales", "Wales"),
    ("scotland", "Scotland"),
    ("northern-ireland", "Northern Ireland"),
]
# Far larger than a simplified council boundary; a bigger upload is the wrong file.
LARGEST_BOUNDARY = 20 * 1024 * 1024


def council_create_page(request: HttpRequest) -> HttpResponse:
    if not request.user.is_superuser:
        raise PermissionDenied("Only the installation's administrators add councils.")
    form = {name: request.POST.get(name, "").strip()[:300] for name in FIELDS}
    errors: dict[str, str] = {}
    if request.method == "POST":
        boundary, boundary_problem = _boundary_uploaded(request)
        if boundary_problem:
            errors["boundary"] = boundary_problem
        else:
            try:
                given = {name: form[name] or None for name in FIELDS if name != "slug"}
                saved = council_save(
                    details=CouncilDetails(slug=form["slug"], boundary=boundary, **given),
                    actor=Actor.for_user(request.user),
                )
            except ValidationFailed as problem:
                errors = problem.fields or {"slug": problem.message}
            else:
                council = saved.organisation
                done = "Added" if saved.created else "Updated" if saved.changed else "No change to"
                summary = f" Boundary: {boundary.summary}." if boundary is not None else ""
                messages.success(request, f"{done} {council.name} ({council.slug}).{summary}")
                return HttpResponseRedirect(
                    reverse("admin:organisations_organisation_change", args=[council.pk])
                )
    return render(
        request,
        TEMPLATE,
        {
            **admin.site.each_context(request),
            "title": "Add or update a council",
            "form": form,
            "errors": errors,
            "kinds": OrganisationKind.choices,
            "nations": NATION_CHOICES,
        },
        status=400 if errors else 200,
    )


def _boundary_uploaded(request: HttpRequest) -> tuple[Boundary | None, str]:
    upload = request.FILES.get("boundary")
    if upload is None:
        return None, ""
    if upload.size is None or upload.size > LARGEST_BOUNDARY:
        return None, "The boundary file is larger than 20 MB: choose a simplified GeoJSON file"
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, f"{upload.name} is not GeoJSON: it is not UTF-8 text"
    try:
        return boundary_read(text, file_name=upload.name or "boundary.geojson"), ""
    except ValidationFailed as problem:
        return None, problem.message
