"""Ask for staff: taking chats from the queue, and writing, reviewing and publishing answers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from civicdesk.assistant.models import Article, Conversation
from civicdesk.catalogue.models import RequestType
from civicdesk.organisations.choices import Role

from . import assistant_support, factories

pytestmark = pytest.mark.django_db
full_council = assistant_support.full_council
advisers_in = assistant_support.advisers_in


@pytest.fixture
def adviser(full_council):
    return factories.StaffFactory(organisation=full_council, role=Role.ADVISER)


@pytest.fixture
def reviewer(full_council):
    return factories.StaffFactory(organisation=full_council, role=Role.TEAM_LEAD)


def hand_over(text: str) -> Conversation:
    resident = Client()
    resident.post("/wrekin/ask/", {"message": text})
    resident.post("/wrekin/ask/person")
    return Conversation.objects.order_by("-pk").first()


def test_an_adviser_takes_a_chat_with_everything_it_carries(
    full_council, adviser, staff_client, advisers_in
):
    customer = factories.CustomerFactory(organisation=full_council, first_name="Ann")
    conversation_before = hand_over("my bin was not emptied again")
    conversation_before.customer = customer
    conversation_before.save()
    staff = staff_client(adviser)
    queue = staff.get("/staff/ask/queue/").content.decode()
    assert "Report a missed bin collection" in queue
    assert customer.display_name in queue
    page = staff.get(f"/staff/ask/queue/{conversation_before.pk}/").content.decode()
    assert "my bin was not emptied again" in page
    assert "Take this chat" in page
    staff.post(f"/staff/ask/queue/{conversation_before.pk}/", {"action": "take"})
    staff.post(
        f"/staff/ask/queue/{conversation_before.pk}/",
        {"action": "reply", "text": "Hello, I can see your bin was missed."},
    )
    conversation = Conversation.objects.get(pk=conversation_before.pk)
    assert conversation.state == "with_adviser"
    assert conversation.adviser == adviser
    texts = list(conversation.messages.values_list("text", flat=True))
    assert "Hello, I can see your bin was missed." in texts


def test_the_resident_sees_the_adviser_join_and_reply(
    full_council, adviser, staff_client, advisers_in
):
    resident = Client()
    resident.post("/wrekin/ask/", {"message": "I need to talk to a person"})
    conversation = Conversation.objects.get()
    staff = staff_client(adviser)
    staff.post(f"/staff/ask/queue/{conversation.pk}/", {"action": "take"})
    staff.post(
        f"/staff/ask/queue/{conversation.pk}/", {"action": "reply", "text": "How can I help?"}
    )
    resident.post("/wrekin/ask/", {"message": "my bin"})
    page = resident.get("/wrekin/ask/").content.decode()
    assert "from the council has joined the chat" in page
    assert "How can I help?" in page
    assert "You are chatting with an adviser" in page
    # With an adviser, the assistant stays quiet.
    assert conversation.messages.last().speaker == "resident"


def test_two_advisers_cannot_take_the_same_chat(full_council, adviser, staff_client, advisers_in):
    other = factories.StaffFactory(organisation=full_council, role=Role.ADVISER)
    conversation = hand_over("talk to someone")
    staff_client(adviser).post(f"/staff/ask/queue/{conversation.pk}/", {"action": "take"})
    response = staff_client(other).post(f"/staff/ask/queue/{conversation.pk}/", {"action": "take"})
    assert response.status_code == 400
    assert "Another adviser has already taken" in response.content.decode()
    assert Conversation.objects.get().adviser == adviser


def test_another_councils_chats_are_not_found(full_council, staff_client, advisers_in):
    conversation = hand_over("talk to someone")
    elsewhere = factories.StaffFactory(role=Role.ADVISER)
    client = staff_client(elsewhere)
    assert client.get(f"/staff/ask/queue/{conversation.pk}/").status_code == 404
    assert "talk to someone" not in client.get("/staff/ask/queue/").content.decode()


def test_a_sensitive_service_is_only_for_its_team(full_council, staff_client, advisers_in):
    conversation = hand_over("I have nowhere to sleep tonight, I have been evicted")
    assert conversation.service.key == "homelessness"
    housing = factories.TeamFactory(organisation=full_council, name="Housing options")
    area = conversation.service.service_area
    area.team = housing
    area.save()
    outsider = factories.StaffFactory(organisation=full_council, role=Role.ADVISER)
    insider = factories.StaffFactory(organisation=full_council, role=Role.ADVISER, teams=[housing])
    assert staff_client(outsider).get(f"/staff/ask/queue/{conversation.pk}/").status_code == 404
    assert staff_client(insider).get(f"/staff/ask/queue/{conversation.pk}/").status_code == 200


def test_the_log_of_a_sensitive_service_is_only_for_its_team(
    full_council, staff_client, advisers_in
):
    conversation = hand_over("I have nowhere to sleep tonight, I have been evicted")
    housing = factories.TeamFactory(organisation=full_council, name="Housing options")
    area = conversation.service.service_area
    area.team = housing
    area.save()
    outsider = factories.StaffFactory(organisation=full_council, role=Role.ADVISER)
    insider = factories.StaffFactory(organisation=full_council, role=Role.ADVISER, teams=[housing])
    said = "nowhere to sleep tonight"
    assert said not in staff_client(outsider).get("/staff/ask/log/").content.decode()
    assert said in staff_client(insider).get("/staff/ask/log/").content.decode()


def test_staff_pages_need_a_signed_in_member_of_staff(full_council):
    response = Client().get("/staff/ask/queue/")
    assert response.status_code == 302
    assert "sign-in" in response["Location"]


def test_an_answer_is_written_reviewed_and_published(full_council, adviser, reviewer, staff_client):
    writer = staff_client(adviser)
    review_by = (timezone.localdate() + timedelta(days=90)).isoformat()
    response = writer.post(
        "/staff/ask/answers/new/",
        {
            "title": "When is my bin day?",
            "body": "Put in your postcode to see your bin day.\n\nPut your bin out by 7am.",
            "services": ["bin-day"],
            "review_by": review_by,
        },
    )
    article = Article.objects.get()
    assert response["Location"] == f"/staff/ask/answers/{article.pk}/"
    page = writer.get(f"/staff/ask/answers/{article.pk}/").content.decode()
    assert "Reading age" in page and "meets the target of 9" in page
    writer.post(f"/staff/ask/answers/{article.pk}/move", {"move": "submit"})
    refused = writer.post(f"/staff/ask/answers/{article.pk}/move", {"move": "publish"})
    assert refused.status_code == 400
    assert "Someone other than the writer" in refused.content.decode()
    staff_client(reviewer).post(f"/staff/ask/answers/{article.pk}/move", {"move": "publish"})
    article.refresh_from_db()
    assert article.status == "published"
    assert article.reviewed_by == reviewer
    resident = Client()
    resident.post("/wrekin/ask/", {"message": "what day do my bins get collected"})
    assert "Put your bin out by 7am." in resident.get("/wrekin/ask/").content.decode()


def test_a_hard_answer_shows_its_reading_age(full_council, adviser, staff_client):
    article = factories.ArticleFactory(
        organisation=full_council,
        body="Applications for discretionary exemptions necessitate comprehensive documentation.",
    )
    page = staff_client(adviser).get(f"/staff/ask/answers/{article.pk}/").content.decode()
    assert "harder than the target of 9" in page
    assert "(too hard)" in staff_client(adviser).get("/staff/ask/answers/").content.decode()


def test_changing_a_published_answer_takes_it_back_to_draft(full_council, adviser, staff_client):
    article = factories.ArticleFactory(organisation=full_council)
    staff_client(adviser).post(
        f"/staff/ask/answers/{article.pk}/",
        {
            "title": article.title,
            "body": "New words.",
            "review_by": (timezone.localdate() + timedelta(days=30)).isoformat(),
        },
    )
    article.refresh_from_db()
    assert (article.status, article.body, article.version) == ("draft", "New words.", 2)


def test_a_bad_answer_form_shows_each_problem(full_council, adviser, staff_client):
    response = staff_client(adviser).post(
        "/staff/ask/answers/new/",
        {"title": "", "body": "", "services": ["not-a-service"], "review_by": "yesterday"},
    )
    page = response.content.decode()
    assert response.status_code == 400
    for field in ("title", "body", "services", "review_by"):
        assert f'href="#{field}"' in page
    assert not Article.objects.exists()


def test_another_councils_answers_are_not_found(full_council, staff_client):
    article = factories.ArticleFactory(organisation=full_council)
    stranger = factories.StaffFactory(role=Role.ADVISER)
    assert staff_client(stranger).get(f"/staff/ask/answers/{article.pk}/").status_code == 404
    moved = staff_client(stranger).post(
        f"/staff/ask/answers/{article.pk}/move", {"move": "withdraw"}
    )
    assert moved.status_code == 404


def test_the_log_shows_what_was_not_answered_without_personal_data(
    full_council, adviser, staff_client
):
    Client().post("/wrekin/ask/", {"message": "flibble at 4 Holyhead Road TF1 1AA, 07700 900123"})
    page = staff_client(adviser).get("/staff/ask/log/").content.decode()
    assert "Not sure what was asked" in page
    assert "TF1 1AA" not in page and "07700" not in page


def test_services_are_listed_for_linking(full_council, adviser, staff_client):
    page = staff_client(adviser).get("/staff/ask/answers/new/").content.decode()
    assert RequestType.objects.get(organisation=full_council, key="pothole").name in page


def test_the_admin_shows_answers_and_the_log_read_only(full_council, admin_client):
    article = factories.ArticleFactory(organisation=full_council, title="When is my bin day?")
    assert "When is my bin day?" in admin_client.get("/admin/assistant/article/").content.decode()
    assert admin_client.get("/admin/assistant/article/add/").status_code == 403
    change = admin_client.post(
        f"/admin/assistant/article/{article.pk}/change/", {"title": "Changed"}
    )
    assert change.status_code == 403
    assert admin_client.get("/admin/assistant/logentry/").status_code == 200


def test_a_callback_is_taken_then_marked_done(full_council, adviser, staff_client, advisers_in):
    resident = Client()
    resident.post("/wrekin/ask/", {"message": "my bin was not emptied"})
    resident.post("/wrekin/ask/call-me-back/", {"name": "Ann", "phone": "07700 900123"})
    conversation = Conversation.objects.get()
    staff = staff_client(adviser)
    page = staff.get(f"/staff/ask/queue/{conversation.pk}/").content.decode()
    assert "Ann, 07700 900123" in page and "Take this callback" in page
    staff.post(f"/staff/ask/queue/{conversation.pk}/", {"action": "take"})
    page = staff.get(f"/staff/ask/queue/{conversation.pk}/").content.decode()
    assert "Take this callback" not in page
    staff.post(f"/staff/ask/queue/{conversation.pk}/", {"action": "close"})
    assert Conversation.objects.get().state == "closed"
    assert "An adviser called you back" in resident.get("/wrekin/ask/").content.decode()
    assert "Ann" not in staff.get("/staff/ask/queue/").content.decode()


def test_only_the_adviser_who_took_a_chat_can_end_it(
    full_council, adviser, staff_client, advisers_in
):
    conversation = hand_over("talk to someone")
    other = factories.StaffFactory(organisation=full_council, role=Role.ADVISER)
    staff_client(adviser).post(f"/staff/ask/queue/{conversation.pk}/", {"action": "take"})
    response = staff_client(other).post(f"/staff/ask/queue/{conversation.pk}/", {"action": "close"})
    assert response.status_code == 400
    assert Conversation.objects.get().state == "with_adviser"


def test_the_queue_shows_each_chats_place_among_all_the_councils_waiting(
    full_council, staff_client, advisers_in
):
    """A chat the adviser may not list (a sensitive service's) still holds its place."""
    hidden = hand_over("I have nowhere to sleep tonight, I have been evicted")
    housing = factories.TeamFactory(organisation=full_council, name="Housing options")
    area = hidden.service.service_area
    area.team = housing
    area.save()
    second = hand_over("I want to talk to a person about my council tax")
    page = staff_client(factories.StaffFactory(organisation=full_council, role=Role.ADVISER))
    rows = page.get("/staff/ask/queue/").content.decode()
    assert f"/staff/ask/queue/{hidden.pk}/" not in rows
    row = rows[rows.index(f"/staff/ask/queue/{second.pk}/") - 400 :]
    assert '<td class="govuk-table__cell">2</td>' in row[:800]
