"""Every save or delete of what a cached catalogue holds draws the council's catalogue a new
version (``cached.py``), whichever path made it: the admin, the services, the importers,
the demo, a fixture, a test's factory."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.signals import post_delete, post_save

from civicdesk.organisations.models import Organisation, Team

from .cached import catalogue_changed
from .models import CharterTarget, Question, RequestType, ServiceArea


def _organisation_of(instance: models.Model) -> int | None:
    if isinstance(instance, Organisation):
        return int(instance.pk)
    if isinstance(instance, ServiceArea | RequestType | Team):
        return int(instance.organisation_id)
    if isinstance(instance, Question | CharterTarget):
        if type(instance).request_type.is_cached(instance):
            return int(instance.request_type.organisation_id)
        # A service deleted with its questions says so itself, after them.
        return (
            RequestType.objects.filter(pk=instance.request_type_id)
            .values_list("organisation_id", flat=True)
            .first()
        )
    return None


def _changed(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    organisation_id = _organisation_of(instance)
    if organisation_id is not None:
        catalogue_changed(organisation_id=organisation_id)


def connect() -> None:
    for model in (ServiceArea, RequestType, Question, CharterTarget, Team, Organisation):
        post_save.connect(_changed, sender=model, dispatch_uid=f"catalogue-changed-{model}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"catalogue-deleted-{model}")
