"""Erase a customer's personal data (the right to erasure).

python manage.py erase_customer --customer 42 --dry-run   # say what would be erased
python manage.py erase_customer --customer 42             # erase it

Refused, changing nothing, when it was done already or a legal hold applies (an open case or
complaint, an Ombudsman referral). Works a kind of record at a time in small transactions; if
it stops part-way, run it again to finish.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicdesk.core.errors import DomainError
from civicdesk.customers.models import Customer
from civicdesk.privacy.registry import erase_description
from civicdesk.privacy.services import customer_erase

from ._officer import officer_actor


def records(count: int) -> str:
    return "1 record" if count == 1 else f"{count} records"


class Command(BaseCommand):
    help = "Erase a customer's personal data; --dry-run says what would be erased."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customer", type=int, required=True, help="The customer's id.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be erased; change nothing."
        )
        parser.add_argument("--officer", help="Your staff username, for the audit trail.")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = officer_actor(options["officer"])
        customer = (
            Customer.objects.select_related("organisation").filter(pk=options["customer"]).first()
        )
        if customer is None:
            raise CommandError(f"There is no customer {options['customer']}.")
        try:
            result = customer_erase(customer=customer, actor=actor, dry_run=options["dry_run"])
        except DomainError as problem:
            raise CommandError(problem.message) from problem
        verb = "Would erase" if result.dry_run else "Erased"
        self.stdout.write(f"{verb} the personal data of customer {customer.pk}:")
        for item in result.plan:
            if not item.rows:
                continue
            if not item.kind.personal:
                self.stdout.write(f"  {item.kind.title} ({records(item.rows)}): kept as they are")
                continue
            self.stdout.write(
                f"  {item.kind.title} ({records(item.rows)}): {erase_description(item.kind)}"
            )
        if result.dry_run:
            self.stdout.write("Nothing was changed (dry run).")
        else:
            self.stdout.write("Counts and dates were kept, so the council's figures do not change.")
