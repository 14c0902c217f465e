"""Residents' own accounts: signing up and in, their cases, documents and preferences, and
staff setting up an account with a resident at reception.

Views only read the request, call the customers and cases services and selectors, and render.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from civicdesk.accounts.services import (
    ACCOUNT_LINK_MINUTES,
    account_check_password,
    account_from_link,
    account_record_sign_in,
    account_request_link,
    account_save_preferences,
    account_set_password,
    account_sign_up,
    account_sign_up_assisted,
    account_use_link,
)
from civicdesk.cases.choices import CaseStatus
from civicdesk.cases.customer_messages import expectation
from civicdesk.cases.documents import MAX_DOCUMENT_BYTES, Upload
from civicdesk.cases.resident_actions import (
    MAX_STILL_WRONG_CHARACTERS,
    case_add_information,
    case_resident_confirm,
)
from civicdesk.cases.selectors import (
    access_resident_case,
    access_resident_document,
    case_timeline,
    cases_of_customer,
    public_documents,
    reopen_deadline,
)
from civicdesk.core.audit import Actor
from civicdesk.core.errors import DomainError, NotFound, NotPermitted, ValidationFailed
from civicdesk.core.text import describe_deadline
from civicdesk.customers.choices import PreferredChannel, SignInMethod
from civicdesk.customers.selectors import (
    account_contact_details,
    account_history_from,
    resident_account,
)
from civicdesk.customers.services import PostalAddress
from civicdesk.feedback.selectors import rating_link_if_wanted
from civicdesk.notifications.links import public_page_link
from civicdesk.organisations.selectors import is_staff_of, is_staff_user
from civicdesk.privacy.choices import ERASURE_SERVICE, SUBJECT_ACCESS_SERVICE
from civicdesk.privacy.requests import (
    open_privacy_request,
    privacy_request_raise,
    privacy_service_offered,
)
from civicdesk.web.councils import council_for
from civicdesk.web.form_pages import fields_or_message, form_page
from civicdesk.web.http import client_address
from civicdesk.web.pages import FEEDBACK_THANKS, render_page
from civicdesk.web.staff import signed_in_staff

if TYPE_CHECKING:
    from civicdesk.cases.models import Case
    from civicdesk.customers.models import Customer
    from civicdesk.organisations.models import Organisation

SENT_TO = "account_link_sent_to"
AUTH_BACKEND = "django.contrib.auth.backends.ModelBackend"
MAX_INFORMATION_CHARACTERS = 5000

ResidentView = Callable[..., HttpResponseBase]


def resident_required(view: ResidentView) -> Callable[..., HttpResponseBase]:
    """Pages for a signed-in resident of this council; anyone else is asked to sign in."""

    @wraps(view)
    @never_cache
    def wrapped(request: HttpRequest, council: str, **kwargs: Any) -> HttpResponseBase:
        organisation = council_for(council)
        customer = resident_account(user=request.user, organisation_id=organisation.pk)
        if customer is None:
            return redirect("portal:account-sign-in", organisation.slug)
        return view(request, organisation, customer, **kwargs)

    return wrapped


# Signing up, in and out


def sign_in(request: HttpRequest, council: str) -> HttpResponse:
    organisation = council_for(council)
    email = request.POST.get("email", "").strip()[:254]

    def send_link() -> HttpResponse:
        account_request_link(
            organisation=organisation, email=email, link_for=_link_for(request, organisation)
        )
        return _to_check_email(request, organisation, email)

    return form_page(
        request,
        "portal/account/sign_in.html",
        render=render_page,
        submit=send_link,
        council=organisation,
        title="Sign in to your account",
        email=email,
    )


def create_account(request: HttpRequest, council: str) -> HttpResponse:
    organisation = council_for(council)
    form = _fields(request, "first_name", "last_name", "email")

    def sign_up() -> HttpResponse:
        account_sign_up(
            organisation=organisation,
            email=form["email"],
            first_name=form["first_name"],
            last_name=form["last_name"],
            link_for=_link_for(request, organisation),
        )
        return _to_check_email(request, organisation, form["email"])

    return form_page(
        request,
        "portal/account/create.html",
        render=render_page,
        submit=sign_up,
        council=organisation,
        title="Create an account",
        form=form,
    )


def check_email(request: HttpRequest, council: str) -> HttpResponse:
    organisation = council_for(council)
    email = request.session.get(SENT_TO)
    if not email:
        return redirect("portal:account-sign-in", organisation.slug)
    return render_page(
        request,
        "portal/account/check_email.html",
        council=organisation,
        title="Check your email",
        email=email,
        minutes=ACCOUNT_LINK_MINUTES,
    )


@never_cache
def link(request: HttpRequest, council: str, token: str) -> HttpResponse:
    """A sign-in link. Opening it only shows a button, so that email scanners that follow
    links cannot use it up; pressing the button signs in and uses the link."""
    organisation = council_for(council)
    if is_staff_user(request.user):
        return render_page(
            request,
            "portal/account/staff_signed_in.html",
            council=organisation,
            title="You are signed in as staff",
            status=403,
        )
    try:
        if request.method == "POST":
            with transaction.atomic():
                customer = account_use_link(organisation=organisation, token=token)
                assert customer.user is not None  # links are only for accounts
                login(request, customer.user, backend=AUTH_BACKEND)
            return redirect("portal:account", organisation.slug)
        account_from_link(organisation=organisation, token=token)
    except ValidationFailed:
        return render_page(
            request,
            "portal/account/link_expired.html",
            council=organisation,
            title="The link has expired or has already been used",
            minutes=ACCOUNT_LINK_MINUTES,
            status=400,
        )
    return render_page(
        request, "portal/account/link.html", council=organisation, title="Sign in to your account"
    )


def sign_in_password(request: HttpRequest, council: str) -> HttpResponse:
    organisation = council_for(council)
    email = request.POST.get("email", "").strip()[:254]
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            customer = account_check_password(
                organisation=organisation,
                email=email,
                password=request.POST.get("password", ""),
                address=client_address(request),
            )
        except NotPermitted as problem:
            errors, status = problem.fields, 429
        except ValidationFailed as problem:
            errors, status = problem.fields, 400
        else:
            if is_staff_user(request.user):
                logout(request)
            return _sign_in(request, organisation, customer, SignInMethod.PASSWORD)
    return render_page(
        request,
        "portal/account/sign_in_password.html",
        council=organisation,
        title="Sign in with a password",
        errors=errors,
        email=email,
        status=status,
    )


@require_POST
def sign_out(request: HttpRequest, council: str) -> HttpResponse:
    """Signs out whoever is signed in, whichever council's pages they are on."""
    organisation = council_for(council)
    logout(request)
    return redirect("portal:account-signed-out", organisation.slug)


def signed_out(request: HttpRequest, council: str) -> HttpResponse:
    organisation = council_for(council)
    return render_page(
        request, "portal/account/signed_out.html", council=organisation, title="You have signed out"
    )


# The account


@resident_required
def account_home(
    request: HttpRequest, organisation: Organisation, customer: Customer
) -> HttpResponse:
    cases = list(cases_of_customer(customer))
    return render_page(
        request,
        "portal/account/home.html",
        council=organisation,
        title="Your account",
        customer=customer,
        notices=_notices(request),
        rows=[_case_row(case) for case in cases],
        history_from=account_history_from(customer),
        offers_copy=privacy_service_offered(
            organisation=organisation, service_key=SUBJECT_ACCESS_SERVICE
        )
        is not None,
        offers_deletion=privacy_service_offered(
            organisation=organisation, service_key=ERASURE_SERVICE
        )
        is not None,
    )


@resident_required
def case_detail(
    request: HttpRequest, organisation: Organisation, customer: Customer, reference: str
) -> HttpResponse:
    case = _resident_case(customer, reference)
    deadline = reopen_deadline(case)
    return render_page(
        request,
        "portal/account/case.html",
        council=organisation,
        title=f"Your request {case.reference}",
        case=case,
        notices=_notices(request),
        status_label=CaseStatus(case.status).label,
        due=describe_deadline(case.due_at) if case.due_at and case.is_open else "",
        timeline=case_timeline(case, include_internal=False),
        documents=list(public_documents(case)),
        can_confirm=case.status == CaseStatus.RESOLVED,
        reopen_until=deadline,
        rating_link=rating_link_if_wanted(case),
    )


@resident_required
def document(
    request: HttpRequest,
    organisation: Organisation,
    customer: Customer,
    reference: str,
    document_id: int,
) -> FileResponse:
    try:
        attachment = access_resident_document(
            customer=customer, reference=reference, document_id=document_id
        )
        content = attachment.file.open("rb")
    except (NotFound, FileNotFoundError):
        raise Http404("No such document") from None
    response = FileResponse(
        content,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response


@resident_required
def add_information(
    request: HttpRequest, organisation: Organisation, customer: Customer, reference: str
) -> HttpResponse:
    case = _resident_case(customer, reference)
    text = request.POST.get("information", "")

    def add() -> HttpResponse:
        upload = _upload(request.FILES.get("document"))
        case_add_information(
            case=case,
            customer=customer,
            text=_information(text, upload),
            upload=upload,
            actor=_actor(customer),
        )
        messages.success(request, "Thank you. We have added your information to the request.")
        return redirect("portal:account-case", organisation.slug, case.reference)

    return form_page(
        request,
        "portal/account/add_information.html",
        render=render_page,
        submit=add,
        refused=DomainError,
        errors_of=_information_errors,
        council=organisation,
        title=f"Add information to request {case.reference}",
        case=case,
        information=text,
        limit=MAX_INFORMATION_CHARACTERS,
    )


@resident_required
def confirm_fixed(
    request: HttpRequest, organisation: Organisation, customer: Customer, reference: str
) -> HttpResponse:
    case = _resident_case(customer, reference)
    answer = request.POST.get("fixed", "")
    still_wrong = request.POST.get("still_wrong", "")
    errors: dict[str, str] = {}
    too_late = ""
    status = 200
    if request.method == "POST" and case.status == CaseStatus.RESOLVED:
        if answer not in ("yes", "no"):
            errors["fixed"] = "Select yes if the problem is fixed"
            status = 400
        else:
            try:
                case_resident_confirm(
                    case=case,
                    customer=customer,
                    fixed=answer == "yes",
                    still_wrong=still_wrong if answer == "no" else "",
                    actor=_actor(customer),
                )
            except ValidationFailed as problem:
                errors, status = problem.fields, 400
            except DomainError as problem:
                # Too late to reopen, or answered already (perhaps a moment ago in another
                # tab): the page then says what has happened to the request.
                case = _resident_case(customer, reference)
                if case.status == CaseStatus.RESOLVED:
                    too_late, status = problem.message, 400
            else:
                messages.success(
                    request,
                    "Thank you for telling us. We have closed your request."
                    if answer == "yes"
                    else "We have reopened your request and will look at it again.",
                )
                return redirect("portal:account-case", organisation.slug, case.reference)
    return render_page(
        request,
        "portal/account/confirm_fixed.html",
        council=organisation,
        title=f"Is the problem fixed? Request {case.reference}",
        errors=errors,
        case=case,
        answer=answer,
        still_wrong=still_wrong,
        still_wrong_limit=MAX_STILL_WRONG_CHARACTERS,
        too_late=too_late,
        status=status,
    )


@resident_required
def preferences(
    request: HttpRequest, organisation: Organisation, customer: Customer
) -> HttpResponse:
    form = _fields(
        request,
        "preferred_channel",
        "phone",
        "address_line_1",
        "address_line_2",
        "town",
        "postcode",
    )

    def save() -> HttpResponse:
        account_save_preferences(
            customer=customer,
            channel=form["preferred_channel"],
            phone=form["phone"],
            address=PostalAddress(
                line_1=form["address_line_1"],
                line_2=form["address_line_2"],
                town=form["town"],
                postcode=form["postcode"],
            ),
            actor=_actor(customer),
        )
        messages.success(request, "Your contact preferences have been saved.")
        return redirect("portal:account", organisation.slug)

    return form_page(
        request,
        "portal/account/preferences.html",
        render=render_page,
        submit=save,
        refused=DomainError,
        errors_of=fields_or_message("preferred_channel"),
        council=organisation,
        title="Your contact preferences",
        form=form,
        current=form["preferred_channel"] or customer.preferred_channel,
        channels=PreferredChannel.choices,
        customer=customer,
        details=account_contact_details(customer),
        confirmed=customer.account_confirmed_at is not None,
        address_lines=customer.address_lines if customer.account_confirmed_at else [],
    )


@resident_required
def set_password(
    request: HttpRequest, organisation: Organisation, customer: Customer
) -> HttpResponse:

    def save() -> HttpResponse:
        account_set_password(
            customer=customer,
            password=request.POST.get("password", ""),
            confirm=request.POST.get("confirm", ""),
        )
        assert customer.user is not None  # resident_account found the user
        update_session_auth_hash(request, customer.user)
        messages.success(request, "You can now sign in with your password.")
        return redirect("portal:account", organisation.slug)

    return form_page(
        request,
        "portal/account/password.html",
        render=render_page,
        submit=save,
        council=organisation,
        title="Set a password",
    )


# Asking for a copy of their information, or for it to be deleted (ADR 29)


@resident_required
def information_copy(
    request: HttpRequest, organisation: Organisation, customer: Customer
) -> HttpResponse:
    return _privacy_request(
        request,
        organisation,
        customer,
        service_key=SUBJECT_ACCESS_SERVICE,
        template="portal/account/information_copy.html",
        title="Ask for a copy of your information",
    )


@resident_required
def information_delete(
    request: HttpRequest, organisation: Organisation, customer: Customer
) -> HttpResponse:
    return _privacy_request(
        request,
        organisation,
        customer,
        service_key=ERASURE_SERVICE,
        template="portal/account/information_delete.html",
        title="Delete my account and my details",
    )


def _privacy_request(
    request: HttpRequest,
    organisation: Organisation,
    customer: Customer,
    *,
    service_key: str,
    template: str,
    title: str,
) -> HttpResponse:
    """A page that says what will happen and by when, and a button that raises the request
    (or, if the same request is still open, goes to it)."""
    service = privacy_service_offered(organisation=organisation, service_key=service_key)
    if service is None:
        raise Http404("This council does not take these requests online.")
    if request.method == "POST":
        try:
            made = privacy_request_raise(
                customer=customer, service_key=service_key, actor=_actor(customer)
            )
        except DomainError as problem:
            # A council's own catalogue may ask questions this page does not.
            messages.info(
                request,
                f"We could not take your request online: {problem.message} Please contact us.",
            )
            return redirect("portal:account", organisation.slug)
        opening = "We have your request." if made.raised else "You have already asked us."
        messages.success(request, f"{opening} {expectation(made.case)}")
        return redirect("portal:account-case", organisation.slug, made.case.reference)
    return render_page(
        request,
        template,
        council=organisation,
        title=title,
        service=service,
        due=describe_deadline(service.due_if_asked_now) if service.due_if_asked_now else "",
        existing=open_privacy_request(customer=customer, service_key=service_key),
    )


# Setting up an account with a resident at reception


@never_cache
def assisted(request: HttpRequest, council: str) -> HttpResponse:
    organisation = council_for(council)
    staff = signed_in_staff(request)
    if staff is None and (
        not request.user.is_authenticated or is_staff_of(request.user, organisation)
    ):
        # Staff use this page after the workspace's sign-in, with both factors (ADR 9).
        sign_in = reverse("portal:staff-sign-in", args=[organisation.slug])
        return redirect(f"{sign_in}?next={request.path}")
    if staff is None or staff.organisation_id != organisation.pk:
        return render_page(
            request,
            "portal/account/assisted_refused.html",
            council=organisation,
            title="You cannot use this page",
            status=403,
        )
    form = _fields(request, "first_name", "last_name", "email")

    def set_up() -> HttpResponse:
        result = account_sign_up_assisted(
            staff=staff,
            email=form["email"],
            first_name=form["first_name"],
            last_name=form["last_name"],
            link_for=_link_for(request, organisation),
        )
        return render_page(
            request,
            "portal/account/assisted_done.html",
            council=organisation,
            title="Account set up",
            created=result.created,
            email=form["email"],
            minutes=ACCOUNT_LINK_MINUTES,
        )

    return form_page(
        request,
        "portal/account/assisted.html",
        render=render_page,
        submit=set_up,
        council=organisation,
        title="Set up an account with a resident",
        form=form,
    )


# Helpers


def _link_for(request: HttpRequest, organisation: Organisation) -> Callable[[str], str]:
    def build(token: str) -> str:
        return public_page_link("portal:account-link", organisation.slug, token)

    return build


def _to_check_email(request: HttpRequest, organisation: Organisation, email: str) -> HttpResponse:
    request.session[SENT_TO] = email
    return redirect("portal:account-check-email", organisation.slug)


def _sign_in(
    request: HttpRequest, organisation: Organisation, customer: Customer, method: str
) -> HttpResponse:
    assert customer.user is not None  # only accounts with a user reach here
    with transaction.atomic():
        login(request, customer.user, backend=AUTH_BACKEND)
        account_record_sign_in(customer=customer, method=method)
    return redirect("portal:account", organisation.slug)


def _resident_case(customer: Customer, reference: str) -> Case:
    try:
        return access_resident_case(customer=customer, reference=reference)
    except NotFound:
        raise Http404("No such request") from None


def _case_row(case: Case) -> dict[str, Any]:
    return {
        "case": case,
        "status": CaseStatus(case.status).label,
        "due": case.due_at if case.due_at and case.is_open else None,
    }


def _actor(customer: Customer) -> Actor:
    if customer.user is None:
        return Actor(label=customer.display_name or "resident")
    return Actor(label=customer.display_name or "resident", user=customer.user)


def _fields(request: HttpRequest, *names: str) -> dict[str, str]:
    return {name: request.POST.get(name, "").strip()[:254] for name in names}


def _information_errors(problem: DomainError) -> dict[str, str]:
    """A refusal shown on the add information page, where the file's field is "document"."""
    errors = fields_or_message("information")(problem)
    return {"document" if key == "file" else key: value for key, value in errors.items()}


def _upload(file: UploadedFile | None) -> Upload | None:
    if file is None:
        return None
    return Upload(name=file.name or "document", content=file.read(MAX_DOCUMENT_BYTES + 1))


def _information(text: str, upload: Upload | None) -> str:
    """What the resident wrote, checked against the limit. A document sent on its own is
    recorded as a note naming it, so the case history shows what arrived."""
    if len(text.replace("\r\n", "\n")) > MAX_INFORMATION_CHARACTERS:
        problem = f"Information must be {MAX_INFORMATION_CHARACTERS:,} characters or less"
        raise ValidationFailed(problem, fields={"information": problem})
    if not text.strip() and upload is None:
        problem = "Enter the information you want to add, or choose a document"
        raise ValidationFailed(problem, fields={"information": problem})
    if not text.strip() and upload is not None:
        return "Sent a document."
    return text


def _notices(request: HttpRequest) -> list[str]:
    return [
        str(message.message)
        for message in messages.get_messages(request)
        if message.message != FEEDBACK_THANKS
    ]
