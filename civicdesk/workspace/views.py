"""The adviser's desktop: one search box for every way a caller can be found."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponse

from civicdesk.cases.selectors import cases_with_reference, customer_search
from civicdesk.web.pages import render_staff_page
from civicdesk.web.staff import staff_required

if TYPE_CHECKING:
    from civicdesk.organisations.models import StaffMember

# The search shows this many; a name as common as "Smith" needs more of it, or the postcode.
SEARCH_RESULTS_SHOWN = 25


@staff_required
def home(request: HttpRequest, staff: StaffMember) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    # One more than is shown, to know whether there are more matches than the page lists.
    found = (
        customer_search(staff=staff, query=query, limit=SEARCH_RESULTS_SHOWN + 1) if query else []
    )
    return render_staff_page(
        request,
        "workspace/home.html",
        title="Find a customer",
        staff=staff,
        query=query,
        cases=cases_with_reference(staff=staff, query=query) if query else [],
        results=found[:SEARCH_RESULTS_SHOWN],
        more_found=len(found) > SEARCH_RESULTS_SHOWN,
    )
