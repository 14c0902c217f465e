"""Export everything held about a customer, for a subject access request.

python manage.py subject_access --customer 42 --out /secure/sar-42

writes subject-access.json (everything, by kind of record), subject-access.html (a readable
copy for the resident), documents/ (copies of their documents) and redact-before-release.json
(values naming other people, for the officer to consider before release). The export is
recorded in the audit trail.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicdesk.core.errors import DomainError
from civicdesk.privacy.selectors import customer_for_privacy
from civicdesk.privacy.services import (
    HTML_NAME,
    JSON_NAME,
    REDACTIONS_NAME,
    subject_access_export,
)

from ._officer import officer_actor


class Command(BaseCommand):
    help = "Export everything held about a customer, for a subject access request."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customer", type=int, required=True, help="The customer's id.")
        parser.add_argument("--out", required=True, help="The directory to write to.")
        parser.add_argument("--officer", help="Your staff username, for the audit trail.")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = officer_actor(options["officer"])
        try:
            customer = customer_for_privacy(options["customer"])
        except DomainError as problem:
            raise CommandError(problem.message) from problem
        if customer.pk != options["customer"]:
            self.stdout.write(
                f"Customer {options['customer']} was merged into customer {customer.pk}: "
                "exporting that record, which holds both."
            )
        result = subject_access_export(
            customer=customer, directory=Path(options["out"]), actor=actor
        )
        self.stdout.write(
            f"Exported {result.records} records and {result.documents} documents for customer "
            f"{customer.pk} to {result.directory}."
        )
        self.stdout.write(f"For the resident: {HTML_NAME}, {JSON_NAME} and documents/.")
        self.stdout.write(
            f"Before release: {REDACTIONS_NAME} lists {result.third_party_values} values that "
            "name other people (staff, other customers). It is not for the resident."
        )
        if result.missing_documents:
            self.stderr.write(
                f"{result.missing_documents} documents were not found in storage; the export "
                "says which."
            )
