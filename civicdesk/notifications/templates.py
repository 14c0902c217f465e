"""The words of every notification, in plain English.

Placeholders are filled from the context the caller passes; a missing one is a programming
error and fails loudly in tests rather than sending a message with a gap in it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MessageTemplate:
    subject: str
    body: str
    sms: str


TEMPLATES: dict[str, MessageTemplate] = {
    "case_acknowledgement": MessageTemplate(
        subject="We have received your request: {reference}",
        body=(
            "Thank you for contacting {council}.\n\n"
            "We have received your request about {service}.\n"
            "Your reference is {reference}. Quote it if you contact us about this.\n\n"
            "{expectation}\n\n"
            "We will let you know when there is news. You can also see how it is going at "
            "{track}"
        ),
        sms=(
            "{council}: we have received your request about {service}. Ref {reference}. "
            "{expectation}"
        ),
    ),
    "case_status_changed": MessageTemplate(
        subject="Update on your request {reference}",
        body=(
            "Your request about {service} (reference {reference}) has been updated.\n\n"
            "{status_message}\n\n"
            "{note}"
        ),
        sms=(
            "{council}: update on your request about {service} (ref {reference}). {status_message}"
        ),
    ),
    "case_public_update": MessageTemplate(
        subject="Update on your request {reference}",
        body=(
            "There is an update on your request about {service} (reference {reference}).\n\n{note}"
        ),
        sms="{council}: update on ref {reference}: {note}",
    ),
    "account_sign_in_link": MessageTemplate(
        subject="Sign in to your {council} account",
        body=(
            "Use this link to sign in to your {council} account:\n\n{link}\n\n"
            "The link works once and stops working after {minutes} minutes.\n\n"
            "If you did not ask to sign in, you do not need to do anything."
        ),
        sms="{council}: sign in to your account with {link} (works once, for {minutes} minutes)",
    ),
    "staff_invitation": MessageTemplate(
        subject="Set up your {council} CivicDesk sign-in",
        body=(
            "Hello {name},\n\n"
            "{council} has given you a sign-in to CivicDesk, where staff work on residents' "
            "requests.\n\n"
            "Your sign-in name is {username}.\n\n"
            "Choose your password with this link:\n\n{link}\n\n"
            "The link works once and stops working after {days} days. When you first sign in "
            "you will set up an authenticator app on your phone: CivicDesk asks for a code from "
            "it every time you sign in.\n\n"
            "If you were not expecting this email, tell your council's IT service desk."
        ),
        sms="{council}: choose your CivicDesk password with {link} (works once, for {days} days)",
    ),
    "case_followed": MessageTemplate(
        subject="You are following {reference}",
        body=(
            "Thank you for contacting {council}.\n\n"
            "Someone has already told us about this: {service}.\n"
            "We will tell you about it as well. The reference is {reference}.\n\n"
            "{expectation}\n\n"
            "You can see how it is going at {track}"
        ),
        sms="{council}: you are following ref {reference}, about {service}. {expectation}",
    ),
    "case_rating_invitation": MessageTemplate(
        subject="How did we do? {reference}",
        body=(
            "We have finished dealing with your request about {service} "
            "(reference {reference}).\n\n"
            "Tell us how we did. It takes a minute and helps us improve:\n\n{link}\n\n"
            "You do not need to sign in. The link works for 60 days."
        ),
        sms=(
            "{council}: how did we do with ref {reference}? Reply 1 for good, 2 for average "
            "or 3 for poor, or tell us more at {link}"
        ),
    ),
    "message_received": MessageTemplate(
        subject="We have received your message",
        body=(
            "Thank you for your message to {council}.\n\n"
            "We have got it. Someone will read it.\n\n"
            "{expectation}\n\n"
            "This reply was sent by a computer."
        ),
        sms="{council}: we have received your message. {expectation}",
    ),
    "email_added_to_case": MessageTemplate(
        subject="We have added your email to {reference}",
        body=(
            "Thank you for your email to {council}.\n\n"
            "We have added it to your request {reference}.\n\n"
            "{expectation}\n\n"
            "This reply was sent by a computer."
        ),
        sms="{council}: we have added your message to ref {reference}. {expectation}",
    ),
    "team_charter_alert": MessageTemplate(
        subject="{team}: {summary}",
        body=(
            "The charter check at {checked_at} found cases in the {team} queue that need "
            "attention.\n\n{summary}\n\n{case_list}"
        ),
        sms="{team}: {summary}",
    ),
    "referral_accepted": MessageTemplate(
        subject="{receiver} is dealing with your request now",
        body=(
            "Thank you for contacting {council}.\n\n"
            "We have passed {about} to {receiver}, who will deal with it from now on.\n\n"
            "Their reference is {new_reference}. Quote it if you contact them about this.\n\n"
            "{expectation}\n\n"
            "{how}"
        ),
        sms=(
            "{council}: {receiver} is dealing with {about} now. Their ref {new_reference}. "
            "{expectation}"
        ),
    ),
    "referral_received": MessageTemplate(
        subject="{sender} has referred something to {team}",
        body=(
            "{sender} has referred a request about {service} to {team}.\n\n"
            "Accept or decline it in CivicDesk:\n\n{link}"
        ),
        sms="{sender} has referred a request to {team}.",
    ),
    "referral_decided": MessageTemplate(
        subject="{receiver} has decided on your referral",
        body=(
            "{receiver} has {decision} the referral about {service} you sent.\n\n"
            "See the outcome in CivicDesk:\n\n{link}"
        ),
        sms="{receiver} has {decision} your referral.",
    ),
    "channels_test_message": MessageTemplate(
        subject="Test message from CivicDesk for {council}",
        body=(
            "Hello {name},\n\n"
            "This is the test message you asked for on the channels checklist. It went out the "
            "way messages to residents and staff go: {route}.\n\n"
            "If you can read this, sending messages works. You do not need to reply."
        ),
        sms="{council}: test message from the CivicDesk channels checklist.",
    ),
}

# Messages that carry something only the recipient may use, such as a sign-in link: staff
# screens never show their words.
SECRET_TEMPLATES = frozenset({"account_sign_in_link", "staff_invitation"})

# Replies sent on their own to a message that came in: marked "Auto-Submitted: auto-replied"
# (RFC 3834), so that the sender's own automatic replies do not answer them in a loop. A case's
# acknowledgement is one of them when an email opened the case; it carries the mark whatever
# the channel, since the template is all the gateway knows of a message.
AUTOMATIC_REPLY_TEMPLATES = frozenset(
    {"message_received", "email_added_to_case", "case_acknowledgement"}
)

STATUS_MESSAGES = {
    "assigned": "We have passed it to the team who will deal with it.",
    "in_progress": "We are working on it now.",
    "waiting": "We need more information from you before we can carry on.",
    "resolved": (
        "We have dealt with it. If the problem is not fixed, tell us and we will reopen it."
    ),
    "closed": "We have closed it.",
    "reopened": "We have reopened it and will look at it again.",
}


def render(template_key: str, context: dict[str, str]) -> tuple[str, str, str]:
    """Subject, email or letter body, and text message for a template."""
    template = TEMPLATES[template_key]
    subject = template.subject.format_map(context)
    body = template.body.format_map(context).strip()
    sms = " ".join(template.sms.format_map(context).split())
    return subject, body, sms
