"""Staff pages for insight: the KPI dashboard, definitions, CSV exports, comment themes,
surveys at places (with their QR posters) and benchmark survey rounds."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, timedelta
from functools import wraps
from typing import TYPE_CHECKING, Concatenate, ParamSpec

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from civicdesk.core.choices import Channel
from civicdesk.core.errors import NotFound, ValidationFailed
from civicdesk.core.numbers import whole_number
from civicdesk.feedback.analysis import sentiment_label, themes_find
from civicdesk.feedback.choices import RATING_REASONS, Rating, RatingSource, SurveyKind
from civicdesk.feedback.selectors import (
    COMMENT_SOURCES,
    Comment,
    access_micro_survey,
    access_survey_round,
    comments_in,
    micro_survey_by_month,
    micro_surveys_of,
)
from civicdesk.feedback.services import (
    contact_rating_record,
    micro_survey_create,
    micro_survey_set_active,
    survey_columns,
    survey_responses_import,
    survey_round_create,
)
from civicdesk.insight.charts import bar_chart
from civicdesk.insight.definitions import DEFINITIONS
from civicdesk.insight.posters import poster_of, poster_pdf, poster_svg
from civicdesk.insight.selectors.access import may_edit_insight, may_see_insight
from civicdesk.insight.selectors.benchmark import benchmark_rounds
from civicdesk.insight.selectors.common import Filters, Table, service_area_choices
from civicdesk.insight.selectors.dashboard import DASHBOARD
from civicdesk.notifications.links import public_page_link
from civicdesk.web.pages import render_staff_page
from civicdesk.web.staff import staff_required
from civicdesk.web.templating import uk_date

if TYPE_CHECKING:
    from civicdesk.feedback.models import MicroSurvey
    from civicdesk.organisations.models import StaffMember

P = ParamSpec("P")
DEFAULT_DAYS = 365
# Periods the dashboard can show: the summaries start this century, and ten years is twice the
# longest period the benchmark measures.
EARLIEST_DATE = date(2000, 1, 1)
MAX_DAYS_AHEAD = 366
MAX_PERIOD_DAYS = 3653
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def insight_required(
    view: Callable[Concatenate[HttpRequest, StaffMember, P], HttpResponse],
) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
    """Signed-in staff with two factors (staff_required), in a role that may see insight."""

    @staff_required
    @wraps(view)
    def wrapped(
        request: HttpRequest, staff: StaffMember, *args: P.args, **kwargs: P.kwargs
    ) -> HttpResponse:
        if not may_see_insight(staff):
            return render_staff_page(
                request,
                "insight/not_allowed.html",
                title="You cannot use this page",
                staff=staff,
                status=403,
            )
        return view(request, staff, *args, **kwargs)

    return wrapped


def _editor_only(staff: StaffMember) -> None:
    if not may_edit_insight(staff):
        raise Http404("Not available to this role")


# Filters


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _filters(request: HttpRequest, staff: StaffMember) -> tuple[Filters, dict[str, str], dict]:
    today = timezone.localdate()
    chosen = {
        "start": request.GET.get("start", "").strip(),
        "end": request.GET.get("end", "").strip(),
        "channel": request.GET.get("channel", ""),
        "service": request.GET.get("service", ""),
    }
    errors: dict[str, str] = {}
    start = _date(chosen["start"]) if chosen["start"] else today - timedelta(days=DEFAULT_DAYS - 1)
    end = _date(chosen["end"]) if chosen["end"] else today
    if start is None:
        errors["start"] = "Enter the start date as a real date, like 2026-04-01"
    if end is None:
        errors["end"] = "Enter the end date as a real date, like 2027-03-31"
    if start and start < EARLIEST_DATE:
        errors["start"] = "The start date must be on or after 1 January 2000"
    if end and end > today + timedelta(days=MAX_DAYS_AHEAD):
        errors["end"] = "The end date must be within a year from today"
    if start and end and not errors:
        if start > end:
            errors["end"] = "The end date must be the same as or after the start date"
        elif (end - start).days >= MAX_PERIOD_DAYS:
            errors["end"] = "Choose a period of 10 years or less"
    services = dict(service_area_choices(staff.organisation))
    service_id = whole_number(chosen["service"])
    if chosen["service"] and service_id not in services:
        errors["service"] = "Select a service from the list"
        service_id = None
    channel = chosen["channel"] if chosen["channel"] in Channel.values else ""
    if errors:
        start, end = today - timedelta(days=DEFAULT_DAYS - 1), today
    assert start is not None and end is not None
    chosen["start"], chosen["end"] = (
        chosen["start"] or start.isoformat(),
        chosen["end"] or end.isoformat(),
    )
    filters = Filters(
        organisation=staff.organisation,
        start=start,
        end=end,
        channel=channel,
        service_area_id=service_id,
    )
    chosen["period"] = _period_wording(start, end, today)
    return filters, errors, chosen


def _period_wording(start: date, end: date, today: date) -> str:
    """The period in words, saying when it is the default and that today is not over."""
    days = (end - start).days + 1
    wording = f"{uk_date(start)} to {uk_date(end)} ({days} day{'s' if days != 1 else ''}"
    wording += ", the last 365 days)." if end == today and days == DEFAULT_DAYS else ")."
    if start <= today <= end:
        wording += " Today is counted up to the last refresh of the figures."
    return wording


def _query(filters: Filters) -> str:
    return urlencode(
        {
            "start": filters.start.isoformat(),
            "end": filters.end.isoformat(),
            "channel": filters.channel,
            "service": filters.service_area_id or "",
        }
    )


# The dashboard


@insight_required
def dashboard(request: HttpRequest, staff: StaffMember) -> HttpResponse:
    filters, errors, chosen = _filters(request, staff)
    tables = [build(filters) for build in DASHBOARD.values()]
    return render_staff_page(
        request,
        "insight/dashboard.html",
        title="Insight",
        staff=staff,
        errors=errors,
        status=400 if errors else 200,
        figures=[(table, bar_chart(table)) for table in tables],
        chosen=chosen,
        query=_query(filters),
        channel_items=[{"value": "", "text": "All channels"}]
        + [
            {"value": value, "text": label, "selected": chosen["channel"] == value}
            for value, label in Channel.choices
        ],
        service_items=[{"value": "", "text": "All services"}]
        + [
            {"value": str(pk), "text": name, "selected": chosen["service"] == str(pk)}
            for pk, name in service_area_choices(staff.organisation)
        ],
        may_edit=may_edit_insight(staff),
    )


@insight_required
def definitions(request: HttpRequest, staff: StaffMember) -> HttpResponse:
    return render_staff_page(
        request,
        "insight/definitions.html",
        title="How the figures are worked out",
        staff=staff,
        definitions=DEFINITIONS,
    )


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: object) -> object:
    # A spreadsheet must not run text from a comment or a page address as a formula.
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return f"'{value}"
    return "" if value is None else value


def table_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.columns)
    writer.writerows([_csv_cell(cell) for cell in row] for row in table.rows)
    return out.getvalue()


@insight_required
def export(request: HttpRequest, staff: StaffMember, key: str) -> HttpResponse:
    build = DASHBOARD.get(key)
    if build is None:
        raise Http404("No such table")
    filters, errors, _ = _filters(request, staff)
    if errors:
        return HttpResponse(
            " ".join(errors.values()), status=400, content_type="text/plain; charset=utf-8"
        )
    name = f"{key}-{filters.start.isoformat()}-to-{filters.end.isoformat()}.csv"
    return _csv_response(build(filters), name)


def _csv_response(table: Table, name: str) -> HttpResponse:
    response = HttpResponse(table_csv(table), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# Comments: sentiment and themes


def _comments(
    request: HttpRequest, staff: StaffMember
) -> tuple[list[Comment], Filters, dict, dict]:
    filters, errors, chosen = _filters(request, staff)
    comments = comments_in(organisation=staff.organisation, start=filters.start, end=filters.end)
    return comments, filters, errors, chosen


@insight_required
def themes(request: HttpRequest, staff: StaffMember) -> HttpResponse:
    comments, filters, errors, chosen = _comments(request, staff)
    found = themes_find([comment.text for comment in comments])
    sentiment = _sentiment_table(comments)
    theme_rows = []
    for theme in found:
        scores = [s for i in theme.members if (s := comments[i].sentiment) is not None]
        average = round(sum(scores) / len(scores), 2) if scores else None
        theme_rows.append((theme, average))
    return render_staff_page(
        request,
        "insight/themes.html",
        title="Comments: sentiment and themes",
        staff=staff,
        errors=errors,
        chosen=chosen,
        query=_query(filters),
        comment_count=len(comments),
        sentiment=sentiment,
        sentiment_chart=bar_chart(sentiment),
        themes=theme_rows,
    )


def _sentiment_table(comments: list[Comment]) -> Table:
    table = Table(
        "sentiment",
        "Sentiment of comments by source",
        ["Source", "Comments", "Positive", "Neutral", "Negative"],
        [],
        chart=1,
        definition="themes",
    )
    for source, label in COMMENT_SOURCES.items():
        labels = [sentiment_label(c.sentiment) for c in comments if c.source == source]
        table.rows.append(
            [
                label,
                len(labels),
                labels.count("positive"),
                labels.count("neutral"),
                labels.count("negative"),
            ]
        )
    return table


@insight_required
def sentiment_export(request: HttpRequest, staff: StaffMember) -> HttpResponse:
    comments, filters, errors, _ = _comments(request, staff)
    if errors:
        return HttpResponse(
            " ".join(errors.values()), status=400, content_type="text/plain; charset=utf-8"
        )
    return _csv_response(
        _sentiment_table(comments), f"sentiment-{filters.start}-to-{filters.end}.csv"
    )


@insight_required
def theme(request: HttpRequest, staff: StaffMember, number: int) -> HttpResponse:
    """A theme's comments. Themes are addressed by their place in the list for the period, not
    by their word: the word comes from what residents wrote and may be someone's name, which
    must not reach addresses and server logs."""
    comments, filters, _, chosen = _comments(request, staff)
    found = themes_find([comment.text for comment in comments])
    if not 1 <= number <= len(found):
        raise Http404("No such theme in this period")
    chosen_theme = found[number - 1]
    members = [comments[index] for index in chosen_theme.members]
    return render_staff_page(
        request,
        "insight/theme.html",
        title=f"Theme: {chosen_theme.key}",
        staff=staff,
        theme=chosen_theme,
        comments=[(c, COMMENT_SOURCES[c.source], sentiment_label(c.sentiment)) for c in members],
        query=_query(filters),
        chosen=chosen,
    )


# Surveys at places


def _survey_address(request: HttpRequest, staff: StaffMember, code: str) -> str:
    return public_page_link("portal:feedback-place", staff.organisation.slug, code)


@insight_required
def places(request: HttpRequest, staff: StaffMember) -> HttpResponse:
    errors: dict[str, str] = {}
    if request.method == "POST":
        _editor_only(staff)
        try:
            survey = micro_survey_create(
                organisation=staff.organisation,
                place=request.POST.get("place", ""),
                question=request.POST.get("question", ""),
                created_by=staff.user,
            )
        except ValidationFailed as problem:
            errors = problem.fields
        else:
            return redirect("insight:place", survey.pk)
    return render_staff_page(
        request,
        "insight/places.html",
        title="Surveys at places",
        staff=staff,
        errors=errors,
        status=400 if errors else 200,
        surveys=micro_surveys_of(staff),
        place=request.POST.get("place", ""),
        question=request.POST.get("question", "How was your visit today?"),
        may_edit=may_edit_insight(staff),
    )


def _survey_or_404(staff: StaffMember, survey_id: int) -> MicroSurvey:
    try:
        return access_micro_survey(staff=staff, survey_id=survey_id)
    except NotFound:
        raise Http404("No such survey") from None


@insight_required
def place(request: HttpRequest, staff: StaffMember, survey_id: int) -> HttpResponse:
    survey = _survey_or_404(staff, survey_id)
    table = _place_table(survey)
    return render_staff_page(
        request,
        "insight/place.html",
        title=f"Survey at {survey.place}",
        staff=staff,
        survey=survey,
        address=_survey_address(request, staff, survey.code),
        table=table,
        chart=bar_chart(table),
        may_edit=may_edit_insight(staff),
    )


def _place_table(survey: MicroSurvey) -> Table:
    return Table(
        "place-months",
        f"Answers at {survey.place} by month",
        ["Month", "Answers", "Good", "Average", "Poor", "Net satisfaction (%)"],
        [
            [
                month.label,
                month.total,
                month.good,
                month.average,
                month.poor,
                round(month.net, 1) if month.net is not None else None,
            ]
            for month in micro_survey_by_month(survey)
        ],
        chart=5,
        definition="place-surveys",
    )


@insight_required
def place_export(request: HttpRequest, staff: StaffMember, survey_id: int) -> HttpResponse:
    survey = _survey_or_404(staff, survey_id)
    return _csv_response(_place_table(survey), f"survey-{survey.code}-by-month.csv")


@require_POST
@insight_required
def place_active(request: HttpRequest, staff: StaffMember, survey_id: int) -> HttpResponse:
    _editor_only(staff)
    survey = _survey_or_404(staff, survey_id)
    micro_survey_set_active(survey=survey, active=request.POST.get("active") == "yes")
    return redirect("insight:place", survey.pk)


@insight_required
def place_poster(
    request: HttpRequest, staff: StaffMember, survey_id: int, kind: str
) -> HttpResponse:
    survey = _survey_or_404(staff, survey_id)
    poster = poster_of(survey, _survey_address(request, staff, survey.code))
    if kind == "svg":
        body, content_type = poster_svg(poster), "image/svg+xml"
    elif kind == "pdf":
        body, content_type = poster_pdf(poster), "application/pdf"
    else:
        raise Http404("Posters are SVG or PDF")
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="survey-{survey.code}.{kind}"'
    return response


# Benchmark surveys


@insight_required
def surveys(request: HttpRequest, staff: StaffMember) -> HttpResponse:
    errors: dict[str, str] = {}
    if request.method == "POST":
        _editor_only(staff)
        try:
            survey_round = survey_round_create(
                organisation=staff.organisation,
                kind=request.POST.get("kind", ""),
                name=request.POST.get("name", ""),
                held_on=_date(request.POST.get("held_on", "").strip()),
            )
        except ValidationFailed as problem:
            errors = problem.fields
        else:
            return redirect("insight:survey-import", survey_round.pk)
    table = benchmark_rounds(staff.organisation)
    return render_staff_page(
        request,
        "insight/surveys.html",
        title="Benchmark surveys",
        staff=staff,
        errors=errors,
        status=400 if errors else 200,
        table=table,
        chart=bar_chart(table),
        kinds=SurveyKind.choices,
        chosen=request.POST,
        may_edit=may_edit_insight(staff),
    )


@insight_required
def survey_import(request: HttpRequest, staff: StaffMember, round_id: int) -> HttpResponse:
    _editor_only(staff)
    try:
        survey_round = access_survey_round(staff=staff, round_id=round_id)
    except NotFound:
        raise Http404("No such round") from None
    errors: dict[str, str] = {}
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            errors["file"] = "Choose a CSV file of responses"
        elif upload.size and upload.size > MAX_UPLOAD_BYTES:
            errors["file"] = "The file must be smaller than 5MB"
        else:
            try:
                text = upload.read().decode("utf-8-sig")
                survey_responses_import(survey_round=survey_round, csv_text=text)
            except UnicodeDecodeError:
                errors["file"] = "The file must be a CSV file saved as UTF-8"
            except ValidationFailed as problem:
                errors = problem.fields
            else:
                return redirect("insight:surveys")
    return render_staff_page(
        request,
        "insight/survey_import.html",
        title=f"Add responses to {survey_round.name}",
        staff=staff,
        errors=errors,
        status=400 if errors else 200,
        survey_round=survey_round,
        columns=survey_columns(survey_round.kind),
    )


# Ratings advisers record at the end of a call


@staff_required
def rating_record(request: HttpRequest, staff: StaffMember) -> HttpResponse:
    """Any member of staff records the rating a caller gave at the end of the call."""
    errors: dict[str, str] = {}
    services = dict(service_area_choices(staff.organisation))
    channel = request.POST.get("channel", "phone")
    service = request.POST.get("service", "")
    rating = request.POST.get("rating", "")
    reasons = request.POST.getlist("reasons")
    comment = request.POST.get("comment", "")
    recorded = request.GET.get("recorded") == "1"
    if request.method == "POST":
        service_id = whole_number(service)
        try:
            contact_rating_record(
                organisation=staff.organisation,
                rating=rating,
                reasons=reasons,
                comment=comment,
                source=RatingSource.ADVISER,
                channel=channel,
                service_area_id=service_id if service_id in services else None,
            )
        except ValidationFailed as problem:
            errors = problem.fields
        else:
            return redirect(f"{reverse('insight:rating-record')}?recorded=1")
    return render_staff_page(
        request,
        "insight/rating_record.html",
        title="Record a caller's rating",
        staff=staff,
        errors=errors,
        status=400 if errors else 200,
        recorded=recorded,
        channel_items=[
            {"value": value, "text": label, "selected": channel == value}
            for value, label in Channel.choices
        ],
        service_items=[{"value": "", "text": "Not about one service"}]
        + [
            {"value": str(pk), "text": name, "selected": service == str(pk)}
            for pk, name in services.items()
        ],
        rating_items=[
            {"value": value, "text": label, "checked": rating == value}
            for value, label in Rating.choices
        ],
        reason_items=[
            {"value": key, "text": label, "checked": key in reasons}
            for key, label in RATING_REASONS.items()
        ],
        comment=comment,
    )
