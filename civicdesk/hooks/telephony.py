"""Ask on the phone: the telephony platform turns the caller's speech into text and posts it
here; we answer with short spoken text and the keypad options it should listen for.

The platform authenticates with ``Authorization: Bearer <TELEPHONY_SECRET>``, compared in
constant time. Request (JSON or a form): ``call`` (the platform's call id), ``speech`` (what the
caller said, may be empty), ``digits`` (the key pressed, may be empty; anything but a keypad
key counts as none), ``caller`` (the caller's number, optional, used only for a callback; a
withheld number is offered no callback). Response: JSON ``{"say", "options":
[{"digit", "means"}], "action": "listen" | "transfer" | "hang_up", "wait_minutes"}``, or the
same as simple XML when the platform asks for ``application/xml``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import TYPE_CHECKING, Any
from xml.etree.ElementTree import Element, SubElement, tostring

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from civicdesk.assistant.choices import ConversationState, Speaker
from civicdesk.assistant.elsewhere import PLACES
from civicdesk.assistant.replies import wants_person
from civicdesk.assistant.selectors import (
    articles_published,
    conversation_for_token,
    queue_position,
)
from civicdesk.assistant.services import (
    conversation_callback,
    conversation_choose,
    conversation_hand_over,
    conversation_say,
    conversation_start,
)
from civicdesk.catalogue.selectors import request_type_names
from civicdesk.core.errors import DomainError
from civicdesk.customers.services import contact_detail_error
from civicdesk.planning.selectors import wait_teller, wait_told
from civicdesk.web.councils import council_for

if TYPE_CHECKING:
    from civicdesk.assistant.models import Article, Conversation, Message
    from civicdesk.organisations.models import Organisation

SPOKEN_ANSWER = 320
PERSON = "0"
CALLBACK = "1"
# Keys a telephone keypad has. Anything else in ``digits`` is treated as no key pressed, so
# digits from other scripts ("²", "٣") never reach int().
KEYPAD = frozenset("0123456789*#")


def _authorised(request: HttpRequest) -> bool:
    secret = settings.TELEPHONY_SECRET
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return bool(secret) and hmac.compare_digest(given.encode(), secret.encode())


def _callback_number(caller: str) -> str:
    """The caller's number if we could ring it back (withheld numbers arrive as words)."""
    return caller if caller and contact_detail_error("phone", caller) is None else ""


def _token(organisation: Organisation, call: str) -> str:
    return hashlib.sha256(f"{organisation.pk}:{call}".encode()).hexdigest()


def _posted(request: HttpRequest) -> dict[str, str]:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
            return {}
        if not isinstance(data, dict):
            return {}
        # Form posts lose NUL characters in the middleware; PostgreSQL cannot store them.
        return {k: str(v).replace("\x00", "") for k, v in data.items()}
    return {k: str(v) for k, v in request.POST.items()}


def _spoken_article(article: Article) -> str:
    text = re.sub(r"\s+", " ", article.body).strip()
    if len(text) <= SPOKEN_ANSWER:
        return text
    cut = text[:SPOKEN_ANSWER]
    return cut[: cut.rfind(".") + 1] if "." in cut else cut


class _Turn:
    def __init__(self) -> None:
        self.say: list[str] = []
        self.options: list[dict[str, str]] = []
        self.action = "listen"
        self.wait_minutes: int | None = None

    def offer(self, digit: str, means: str) -> None:
        self.options.append({"digit": digit, "means": means})

    def as_dict(self) -> dict[str, Any]:
        return {
            "say": " ".join(self.say),
            "options": self.options,
            "action": self.action,
            "wait_minutes": self.wait_minutes,
        }


def _respond(request: HttpRequest, turn: _Turn, status: int = 200) -> HttpResponse:
    data = turn.as_dict()
    if "xml" not in request.headers.get("Accept", ""):
        return JsonResponse(data, status=status)
    root = Element("Response")
    SubElement(root, "Say").text = data["say"]
    if data["action"] == "transfer":
        SubElement(root, "Transfer", waitMinutes=str(data["wait_minutes"] or ""))
    elif data["action"] == "hang_up":
        SubElement(root, "Hangup")
    else:
        listen = SubElement(root, "Listen", speech="true")
        for option in data["options"]:
            SubElement(listen, "Digit", key=option["digit"]).text = option["means"]
    return HttpResponse(
        tostring(root, encoding="unicode"), content_type="application/xml", status=status
    )


def _speak_hand_over(turn: _Turn, conversation: Conversation, caller: str) -> None:
    conversation.refresh_from_db()
    position = queue_position(conversation)
    if position is not None:
        minutes = wait_told(
            organisation=conversation.organisation, channel="phone", position=position
        )
        turn.say.append(
            f"I will put you through to an adviser. The wait is about {minutes} "
            f"minute{'s' if minutes != 1 else ''}."
        )
        turn.action, turn.wait_minutes = "transfer", minutes
        return
    turn.say.append("Sorry, our advisers are not free right now.")
    if caller:
        turn.say.append("Press 1 and we will call you back on this number.")
        turn.offer(CALLBACK, "callback")
    else:
        turn.say.append("Please call again when we are open, or visit our website.")


def _speak_reply(turn: _Turn, reply: Message) -> None:
    offers = reply.offers
    organisation = reply.conversation.organisation
    if offers.get("elsewhere") in PLACES:
        turn.say.append(PLACES[offers["elsewhere"]].spoken)
    elif offers.get("service"):
        names = request_type_names(organisation_id=organisation.pk, keys=[offers["service"]])
        turn.say.append(f"I think you need: {names.get(offers['service'], 'that service')}.")
        article = (
            articles_published(organisation=organisation)
            .filter(pk__in=offers.get("articles", [])[:1])
            .first()
        )
        if article is not None:
            turn.say.append(_spoken_article(article))
        else:
            turn.say.append("You can do this on our website, or an adviser can help.")
    elif offers.get("choices"):
        names = request_type_names(organisation_id=organisation.pk, keys=offers["choices"])
        turn.say.append("Is it one of these?")
        for digit, key in enumerate(offers["choices"], start=1):
            turn.say.append(f"For {names.get(key, key)}, press {digit}.")
            turn.offer(str(digit), key)
    else:
        turn.say.append(reply.text)
    turn.say.append("To speak to someone, press 0. Or tell me something else.")
    turn.offer(PERSON, "person")


@csrf_exempt
@require_POST
def ask_by_phone(request: HttpRequest, council: str) -> HttpResponse:
    if not _authorised(request):
        return JsonResponse({"error": "not_authorised"}, status=401)
    organisation = council_for(council)
    data = _posted(request)
    call = data.get("call", "").strip()[:200]
    if not call:
        return JsonResponse({"error": "call_missing", "message": "Send the call id."}, status=400)
    speech, digits = data.get("speech", "").strip(), data.get("digits", "").strip()[:1]
    digits = digits if digits in KEYPAD else ""
    caller = _callback_number(data.get("caller", "").strip()[:40])
    turn = _Turn()
    token = _token(organisation, call)
    conversation = conversation_for_token(organisation=organisation, token=token)
    if conversation is None:
        conversation = conversation_start(organisation=organisation, channel="phone", token=token)
        if not speech and not digits:
            turn.say.append(
                f"Welcome to {organisation.name}. Tell me in a few words what you are calling "
                "about, for example, my bin was not emptied. To speak to someone, press 0."
            )
            turn.offer(PERSON, "person")
            return _respond(request, turn)
    if conversation.state in (ConversationState.WAITING, ConversationState.WITH_ADVISER):
        _speak_hand_over(turn, conversation, caller)
        return _respond(request, turn)
    last: Message | None = conversation.messages.filter(speaker=Speaker.ASSISTANT).last()
    offered = last.offers if last else {}
    try:
        if digits == PERSON or (speech and wants_person(speech)):
            conversation_hand_over(
                conversation=conversation,
                wait_minutes=wait_teller(organisation=conversation.organisation, channel="phone"),
            )
            _speak_hand_over(turn, conversation, caller)
        elif digits == CALLBACK and caller and not offered.get("choices"):
            conversation_callback(conversation=conversation, name="Phone caller", phone=caller)
            turn.say.append("Thank you. An adviser will call you back on this number. Goodbye.")
            turn.action = "hang_up"
        elif last is not None and digits.isdigit() and offered.get("choices"):
            choices = offered["choices"]
            index = int(digits) - 1
            if 0 <= index < len(choices):
                _speak_reply(
                    turn, conversation_choose(conversation=conversation, key=choices[index])
                )
            else:
                turn.say.append("Sorry, that is not one of the options.")
                _speak_reply(turn, last)
        elif not speech:
            turn.say.append(
                "Sorry, I did not hear that. Tell me in a few words what you are calling about. "
                "To speak to someone, press 0."
            )
            turn.offer(PERSON, "person")
        else:
            messages = conversation_say(
                conversation=conversation,
                text=speech,
                wait_minutes=wait_teller(organisation=conversation.organisation, channel="phone"),
            )
            replies = [m for m in messages if m.speaker == Speaker.ASSISTANT]
            if any(m.offers.get("waiting") or m.offers.get("callback") for m in replies):
                _speak_hand_over(turn, conversation, caller)
            else:
                _speak_reply(turn, replies[0])
    except DomainError as problem:
        turn = _Turn()
        turn.say.append(problem.message)
        turn.action = "hang_up"
    return _respond(request, turn)
