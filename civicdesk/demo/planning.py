"""The demo contact centre's rota, written through the planning service. Advisers cover the
phones all day with extra help on Monday and Friday mornings, when calls peak; the help ends
at 11:30, half an hour before the Monday rush does, which leaves an understaffed half hour for
the staffing plan to show."""

from __future__ import annotations

from django.contrib.auth.models import User

from civicdesk.organisations.models import Organisation
from civicdesk.planning.choices import WEEKDAYS
from civicdesk.planning.services import RotaLine, rota_replace

WORKING_WEEK = WEEKDAYS[:5]
PEAK_DAYS = ("Monday", "Friday")


def demo_rota_create(*, organisation: Organisation, advisers: list[User], desk: list[User]) -> int:
    """``advisers`` answer phones and chats (the last but one helps on the phones at the
    peaks); ``desk`` staff the reception desk."""

    def name(user: User) -> str:
        return user.get_full_name()

    phones, helper, chat = advisers[:-2], advisers[-2], advisers[-1]
    lines = [
        RotaLine(name(person), "phone", day, "09:00", "17:00")
        for person in phones
        for day in WORKING_WEEK
    ]
    for day in WORKING_WEEK:
        if day in PEAK_DAYS:
            lines.append(RotaLine(name(helper), "phone", day, "09:00", "11:30"))
            lines.append(RotaLine(name(helper), "chat", day, "11:30", "17:00"))
        else:
            lines.append(RotaLine(name(helper), "chat", day, "09:00", "17:00"))
        lines.append(RotaLine(name(chat), "chat", day, "09:00", "17:00"))
        lines += [RotaLine(name(person), "face_to_face", day, "09:00", "17:00") for person in desk]
    return rota_replace(organisation=organisation, lines=lines)
