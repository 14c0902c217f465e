"""The staff insight pages: who may see them, what they show, exports, posters and imports."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfReader

from civicdesk.feedback.models import (
    ContactRating,
    MicroSurvey,
    MicroSurveyAnswer,
    SurveyResponse,
    SurveyRound,
)
from civicdesk.feedback.services import contact_rating_record, micro_survey_create
from civicdesk.insight.definitions import BY_KEY
from civicdesk.insight.selectors.common import Filters
from civicdesk.insight.selectors.dashboard import DASHBOARD
from civicdesk.insight.services import insight_refresh
from civicdesk.organisations.choices import Role
from civicdesk.web.templating import uk_date

from . import factories
from .conftest import london

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(council, missed_bin):
    return factories.StaffFactory(organisation=council, role=Role.MANAGER)


@pytest.fixture
def calls(council, missed_bin):
    for day in (2, 2, 2, 6):
        factories.ContactFactory(
            organisation=council, started_at=london(2026, 11, day, 10), request_type=missed_bin
        )
    factories.ContactFactory(
        organisation=factories.OrganisationFactory(), started_at=london(2026, 11, 2, 10)
    )
    insight_refresh()


NOVEMBER = "start=2026-11-01&end=2026-11-30"


def test_a_manager_sees_every_figure_as_a_chart_and_a_table(staff_client, manager, calls):
    page = staff_client(manager).get(f"/staff/insight/?{NOVEMBER}")
    assert page.status_code == 200
    html = page.content.decode()
    for key in DASHBOARD:
        assert f'id="figure-{key}"' in html
    channel_table = html[html.index('id="figure-contacts-by-channel"') :]
    channel_table = channel_table[: channel_table.index("</section>")]
    assert 'role="img"' in channel_table
    # A screen reader hears what the chart shows before reaching the table.
    assert '<desc id="chart-contacts-by-channel-desc">1 bar. Highest: Phone, 4.' in channel_table
    # Four calls to this council; the other council's call is not counted.
    assert re.search(
        r'<th scope="row" class="govuk-table__header">Phone</th>\s*<td[^>]*>4</td>', channel_table
    )


def test_every_figure_links_to_a_definition_that_exists(staff_client, manager, calls):
    html = staff_client(manager).get(f"/staff/insight/?{NOVEMBER}").content.decode()
    anchors = set(re.findall(r'/staff/insight/definitions/#([\w-]+)"', html))
    assert anchors and anchors <= set(BY_KEY)
    definitions = staff_client(manager).get("/staff/insight/definitions/").content.decode()
    for key in anchors:
        assert f'id="{key}"' in definitions


@pytest.mark.parametrize("role", [Role.ADVISER, Role.OFFICER])
def test_advisers_and_officers_cannot_see_insight(staff_client, council, role):
    officer = factories.StaffFactory(organisation=council, role=role)
    client = staff_client(officer)
    assert client.get("/staff/insight/").status_code == 403
    assert client.get("/staff/insight/export/contacts-by-channel.csv").status_code == 403
    assert client.get("/staff/insight/places/").status_code == 403


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get("/staff/insight/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/sign-in")


def test_bad_dates_get_the_error_summary(staff_client, manager):
    page = staff_client(manager).get("/staff/insight/?start=2026-13-01&end=2026-01-01")
    assert page.status_code == 400
    html = page.content.decode()
    assert "There is a problem" in html
    assert 'href="#start"' in html
    backwards = staff_client(manager).get("/staff/insight/?start=2026-05-01&end=2026-01-01")
    assert "The end date must be the same as or after the start date" in backwards.content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=0001-01-01&end=9999-12-31", "The start date must be on or after 1 January 2000"),
        ("start=2026-01-01&end=9999-12-31", "The end date must be within a year from today"),
        ("start=2000-01-01&end=2026-01-01", "Choose a period of 10 years or less"),
    ],
)
def test_a_period_too_long_or_too_far_away_gets_the_error_summary(
    staff_client, manager, query, message
):
    page = staff_client(manager).get(f"/staff/insight/?{query}")
    assert page.status_code == 400
    assert message in page.content.decode()
    export = staff_client(manager).get(f"/staff/insight/export/contacts-by-weekday.csv?{query}")
    assert export.status_code == 400


def test_csv_export_has_the_tables_numbers(staff_client, manager, calls, missed_bin):
    response = staff_client(manager).get(
        f"/staff/insight/export/contacts-by-weekday.csv?{NOVEMBER}&service={missed_bin.service_area_id}"
    )
    assert response["Content-Type"].startswith("text/csv")
    assert "contacts-by-weekday-2026-11-01-to-2026-11-30.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Day", "Contacts", "Average a day"]
    assert rows[1] == ["Monday", "3", "0.6"]
    assert rows[5] == ["Friday", "1", "0.2"]
    assert staff_client(manager).get("/staff/insight/export/nothing.csv").status_code == 404


def test_csv_cells_cannot_become_formulas(council):
    from civicdesk.insight.selectors.common import Table
    from civicdesk.workspace.insight_views import table_csv

    text = table_csv(Table("x", "X", ["Page", "Answers"], [["=HYPERLINK(1)", 2], ["/bins", -1]]))
    assert text.splitlines()[1:] == ["'=HYPERLINK(1),2", "/bins,-1"]


def test_themes_link_to_their_comments_and_leave_out_sensitive_services(
    staff_client, manager, council, missed_bin
):
    for text in ("Bin not emptied", "Bin left on the pavement", "Bin lid broken"):
        contact_rating_record(
            organisation=council,
            rating="poor",
            reasons=[],
            comment=text,
            source="portal",
            channel="web",
        )
    sensitive = factories.RequestTypeFactory(organisation=council, sensitive=True)
    for text in ("Homeless bin shelter advice", "bin bin bin"):
        case = factories.CaseFactory(organisation=council, request_type=sensitive, status="closed")
        contact_rating_record(
            organisation=council,
            case=case,
            rating="poor",
            reasons=[],
            comment=text,
            source="portal",
        )
    client = staff_client(manager)
    html = client.get("/staff/insight/themes/").content.decode()
    # The theme's address is its place in the list: the word itself may be a name.
    assert re.search(r'href="/staff/insight/themes/1/\?[^"]*">bin</a>', html)
    theme = client.get("/staff/insight/themes/1/").content.decode()
    for text in ("Bin not emptied", "Bin left on the pavement", "Bin lid broken"):
        assert text in theme
    assert "Homeless" not in theme
    assert "bin bin bin" not in theme
    assert client.get("/staff/insight/themes/2/").status_code == 404
    assert client.get("/staff/insight/themes/bin/").status_code == 404


def test_a_survey_at_a_place_and_its_poster(staff_client, manager, council, settings):
    settings.PUBLIC_BASE_URL = "https://services.wrekin.example"
    client = staff_client(manager)
    refused = client.post("/staff/insight/places/", {"place": "", "question": "How was it?"})
    assert refused.status_code == 400
    assert "Enter the name of the place" in refused.content.decode()
    created = client.post(
        "/staff/insight/places/", {"place": "Town Park", "question": "How was the park?"}
    )
    survey = MicroSurvey.objects.get()
    assert created["Location"] == f"/staff/insight/places/{survey.pk}/"
    page = client.get(created["Location"]).content.decode()
    assert f"https://services.wrekin.example/wrekin/feedback/place/{survey.code}/" in page
    svg = client.get(f"/staff/insight/places/{survey.pk}/poster.svg")
    assert svg["Content-Type"] == "image/svg+xml"
    # A poster to print: the question and how to answer in words, and the address for anyone
    # who cannot scan the code; a screen reader hears the title and description.
    assert b'<title id="poster-title">Survey at Town Park</title>' in svg.content
    assert b"How was the park?" in svg.content
    assert b"You do not need to sign in" in svg.content
    assert f"/wrekin/feedback/place/{survey.code}/".encode() in svg.content
    pdf = client.get(f"/staff/insight/places/{survey.pk}/poster.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    # A reader opens it strictly (every object where the cross-reference table says), shows
    # the title rather than the file name, and finds the words as text.
    reader = PdfReader(io.BytesIO(pdf.content), strict=True)
    assert reader.metadata is not None and reader.metadata.title == "Survey at Town Park"
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
    assert reader.trailer["/Root"]["/ViewerPreferences"]["/DisplayDocTitle"]
    assert len(reader.pages) == 1
    words = reader.pages[0].extract_text()
    assert "How was the park?" in words and "You do not need to sign in" in words
    assert f"/wrekin/feedback/place/{survey.code}/" in words
    assert client.get(f"/staff/insight/places/{survey.pk}/poster.exe").status_code == 404
    client.post(f"/staff/insight/places/{survey.pk}/active", {"active": "no"})
    survey.refresh_from_db()
    assert not survey.active


def test_a_poster_prints_welsh_letters(staff_client, manager, council):
    survey = micro_survey_create(
        organisation=council, place="Tŷ Gŵyr", question="Sut oedd Tŷ Gŵyr heddiw?"
    )
    pdf = staff_client(manager).get(f"/staff/insight/places/{survey.pk}/poster.pdf").content
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.metadata is not None and reader.metadata.title == "Survey at Tŷ Gŵyr"
    words = reader.pages[0].extract_text()
    assert "Sut oedd Tŷ Gŵyr heddiw?" in words
    assert "?" not in words.replace("heddiw?", "")  # no letter fell back to a question mark


def test_another_councils_survey_is_not_found(staff_client, manager):
    other = micro_survey_create(
        organisation=factories.OrganisationFactory(), place="Their park", question="How?"
    )
    client = staff_client(manager)
    assert client.get(f"/staff/insight/places/{other.pk}/").status_code == 404
    assert client.get(f"/staff/insight/places/{other.pk}/poster.svg").status_code == 404


def test_a_councillor_reads_but_cannot_change(staff_client, council):
    councillor = factories.StaffFactory(organisation=council, role="councillor")
    client = staff_client(councillor)
    assert client.get("/staff/insight/").status_code == 200
    page = client.get("/staff/insight/places/").content.decode()
    assert "Add a survey" not in page
    assert client.post("/staff/insight/places/", {"place": "X", "question": "Y"}).status_code == 404
    assert not MicroSurvey.objects.exists()


def test_benchmark_round_from_an_uploaded_file(staff_client, manager):
    client = staff_client(manager)
    response = client.post(
        "/staff/insight/surveys/",
        {"kind": "resident", "name": "Spring 2025", "held_on": "2025-05-31"},
    )
    survey_round = SurveyRound.objects.get()
    assert response["Location"] == f"/staff/insight/surveys/{survey_round.pk}/responses/"
    bad = SimpleUploadedFile("r.csv", b"overall,ease\n9,9\n", content_type="text/csv")
    refused = client.post(response["Location"], {"file": bad})
    assert refused.status_code == 400
    assert "The first row must name the columns" in refused.content.decode()
    good = SimpleUploadedFile(
        "r.csv",
        b"overall,ease,staff,speed,trust,recommend,comment\n8,8,8,8,8,10,\n6,6,6,6,6,2,Slow\n",
        content_type="text/csv",
    )
    assert client.post(response["Location"], {"file": good}).status_code == 302
    assert SurveyResponse.objects.count() == 2
    page = client.get("/staff/insight/surveys/").content.decode()
    # CSI (80 + 60) / 2 = 70; NPS (1 promoter - 1 detractor) / 2 = 0.
    assert re.search(r"Spring 2025 \(CSI\)</th>\s*<td[^>]*>2</td>\s*<td[^>]*>70.0</td>", page)


def test_dashboard_filters_by_channel(council, calls):
    filters = Filters(
        organisation=council,
        start=london(2026, 11, 1).date(),
        end=london(2026, 11, 30).date(),
        channel="email",
    )
    assert DASHBOARD["contacts-by-channel"](filters).rows == []


def test_an_adviser_records_a_callers_rating(staff_client, council, missed_bin):
    adviser = factories.StaffFactory(organisation=council, role=Role.ADVISER)
    client = staff_client(adviser)
    refused = client.post("/staff/insight/ratings/record/", {"channel": "phone"})
    assert refused.status_code == 400
    assert "Select good, average or poor" in refused.content.decode()
    response = client.post(
        "/staff/insight/ratings/record/",
        {
            "channel": "phone",
            "service": str(missed_bin.service_area_id),
            "rating": "good",
            "reasons": ["first_time_fix"],
            "comment": "Sorted in one call, thanks",
        },
    )
    assert response["Location"] == "/staff/insight/ratings/record/?recorded=1"
    assert "Rating recorded" in client.get(response["Location"]).content.decode()
    rating = ContactRating.objects.get()
    assert (rating.source, rating.channel, rating.rating) == ("adviser", "phone", "good")
    assert rating.service_area_id == missed_bin.service_area_id
    assert rating.reasons == ["Sorted out first time"]


def test_a_service_of_another_council_is_not_recorded(staff_client, council):
    adviser = factories.StaffFactory(organisation=council, role=Role.ADVISER)
    elsewhere = factories.RequestTypeFactory(organisation=factories.OrganisationFactory())
    staff_client(adviser).post(
        "/staff/insight/ratings/record/",
        {"channel": "phone", "service": str(elsewhere.service_area_id), "rating": "poor"},
    )
    assert ContactRating.objects.get().service_area_id is None


def test_the_tables_off_the_dashboard_download_too(staff_client, manager, council):
    survey = micro_survey_create(organisation=council, place="Town Park", question="How was it?")
    for rating in ("good", "good", "poor"):
        MicroSurveyAnswer.objects.create(
            survey=survey, rating=rating, created_at=london(2026, 10, 3, 12)
        )
    contact_rating_record(
        organisation=council,
        rating="good",
        reasons=[],
        comment="Very helpful",
        source="portal",
        channel="web",
    )
    client = staff_client(manager)
    place = client.get(f"/staff/insight/places/{survey.pk}/answers.csv").content.decode()
    assert place.splitlines() == [
        "Month,Answers,Good,Average,Poor,Net satisfaction (%)",
        "October 2026,3,2,0,1,33.3",
    ]
    sentiment = client.get("/staff/insight/themes/sentiment.csv").content.decode()
    assert "End-of-contact rating,1,1,0,0" in sentiment.splitlines()


def test_a_councillor_cannot_record_ratings(staff_client, council):
    councillor = factories.StaffFactory(organisation=council, role=Role.COUNCILLOR)
    client = staff_client(councillor)
    assert client.get("/staff/insight/ratings/record/").status_code == 403
    client.post("/staff/insight/ratings/record/", {"channel": "phone", "rating": "good"})
    assert not ContactRating.objects.exists()


def test_the_page_says_which_period_its_figures_cover(staff_client, manager):
    as_manager = staff_client(manager)
    page = as_manager.get("/staff/insight/").content.decode()
    today = timezone.localdate()
    start = today - timedelta(days=364)
    assert (
        f"Figures for {uk_date(start)} to {uk_date(today)} (365 days, the last 365 days)."
        " Today is counted up to the last refresh of the figures." in page
    )
    chosen = as_manager.get(
        "/staff/insight/", {"start": "2026-01-01", "end": "2026-03-31"}
    ).content.decode()
    assert "Figures for 1 January 2026 to 31 March 2026 (90 days)." in chosen
