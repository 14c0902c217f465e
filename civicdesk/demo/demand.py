"""How demand for each service rises and falls, and how residents get in touch.

The shape follows what councils report: Mondays and Fridays are the busiest days, most calls
come in the morning, garden waste peaks in spring, gritting and flooding in winter and council
tax in March and April when the bills go out, and over the year phone calls fall while online
reports rise. Weights are relative, not counts.
"""

from __future__ import annotations

from civicdesk.core.choices import Channel

# Monday to Sunday. Weekends only see online contact and the out-of-hours line.
WEEKDAY_FACTOR = (1.35, 1.1, 1.0, 1.0, 1.2, 0.35, 0.25)
BANK_HOLIDAY_FACTOR = 0.3

# Cases opened in a year, relative to each other.
CASE_DEMAND: dict[str, float] = {
    "missed-bin": 18,
    "new-bin": 6,
    "bulky-waste": 6,
    "garden-waste": 6,
    "fly-tipping": 7,
    "abandoned-vehicle": 1.5,
    "graffiti": 1.5,
    "dog-fouling": 1.5,
    "pothole": 9,
    "street-light": 5,
    "fallen-tree": 1.2,
    "flooding": 2,
    "parking-fine": 3,
    "parking-permit": 1.2,
    "council-tax-pay": 0.5,
    "council-tax-move": 7,
    "council-tax-discount": 3,
    "benefits": 4,
    "housing-repair": 8,
    "homelessness": 1.2,
    "housing-register": 2,
    "blue-badge": 2.5,
    "adult-care": 2.5,
    "care-line": 1,
    "child-concern": 1,
    "school-admissions": 2,
    "registrars": 2.5,
    "noise": 3,
    "pest-control": 2.5,
    "planning": 2,
    "business-rates": 1.2,
    "complaint": 2.5,
    "foi": 1.5,
    "my-account": 2,
}

# Contacts that do not open a case: questions, payments, people sent elsewhere. "" is a
# contact about nothing in the catalogue.
ENQUIRY_DEMAND: dict[str, float] = {
    "council-tax-pay": 20,
    "bin-day": 12,
    "benefits": 6,
    "missed-bin": 5,
    "council-tax-move": 4,
    "garden-waste": 4,
    "planning": 4,
    "parking-fine": 4,
    "housing-register": 4,
    "my-account": 4,
    "libraries": 3,
    "school-admissions": 3,
    "business-rates": 3,
    "registrars": 3,
    "bulky-waste": 3,
    "gritting": 1.5,
    "adult-care": 2,
    "blue-badge": 2,
    "digital-help": 2,
    "homelessness": 1,
    "complaint": 0.5,
    "foi": 0.2,
    "": 8,
}
ENQUIRY_DEFAULT = 1.0

# January to December.
SEASONS: dict[str, tuple[float, ...]] = {
    "garden-waste": (0.3, 1.5, 3.0, 3.0, 2.0, 1.2, 1.0, 1.0, 0.6, 0.4, 0.3, 0.3),
    "missed-bin": (1.6, 1.0, 1.0, 1.1, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.3),
    "gritting": (5.0, 3.0, 1.0, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.3, 2.0, 4.0),
    "flooding": (3.0, 2.5, 1.2, 0.6, 0.5, 0.5, 0.6, 0.6, 0.7, 1.5, 2.5, 3.0),
    "fallen-tree": (2.5, 2.5, 1.3, 0.6, 0.6, 0.6, 0.6, 0.6, 0.8, 1.5, 2.0, 2.0),
    "pothole": (1.6, 2.0, 2.0, 1.5, 1.0, 0.7, 0.7, 0.7, 0.8, 1.0, 1.1, 1.3),
    "council-tax-pay": (1.0, 1.0, 2.5, 3.0, 1.5, 1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.8),
    "council-tax-move": (0.9, 0.9, 1.0, 1.1, 1.0, 1.1, 1.3, 1.4, 1.4, 1.0, 0.9, 0.7),
    "council-tax-discount": (1.0, 1.0, 1.6, 1.8, 1.0, 0.9, 0.9, 1.0, 1.5, 1.2, 0.9, 0.7),
    "business-rates": (0.9, 1.0, 2.0, 2.0, 1.0, 0.9, 0.9, 0.8, 0.9, 0.9, 0.9, 0.7),
    "school-admissions": (2.0, 0.8, 2.0, 2.2, 0.8, 0.6, 0.6, 0.8, 1.5, 1.8, 1.5, 0.8),
    "noise": (0.7, 0.7, 0.8, 1.0, 1.2, 1.8, 1.8, 1.8, 1.1, 0.8, 0.8, 1.2),
    "pest-control": (1.3, 1.2, 0.9, 0.9, 1.0, 1.5, 2.5, 2.5, 2.0, 1.0, 1.2, 1.3),
    "bulky-waste": (1.1, 0.9, 1.4, 1.4, 1.4, 1.0, 1.0, 1.2, 1.0, 0.9, 0.8, 0.7),
    "street-light": (1.6, 1.3, 1.0, 0.8, 0.6, 0.6, 0.6, 0.8, 1.0, 1.4, 1.6, 1.6),
    "fly-tipping": (0.8, 0.8, 1.0, 1.2, 1.2, 1.2, 1.2, 1.2, 1.0, 0.9, 0.8, 0.8),
    "dog-fouling": (1.3, 1.3, 1.0, 0.9, 0.8, 0.8, 0.8, 0.8, 0.9, 1.0, 1.3, 1.3),
    "homelessness": (1.3, 1.0, 1.0, 1.0, 0.9, 0.9, 0.9, 0.9, 1.0, 1.0, 1.1, 1.3),
    "libraries": (0.9, 0.9, 0.9, 1.0, 1.0, 1.0, 1.5, 1.5, 1.0, 0.9, 0.9, 0.8),
    "registrars": (0.8, 0.9, 1.0, 1.1, 1.2, 1.2, 1.2, 1.1, 1.0, 0.9, 0.9, 0.8),
}

# Channel shares at the start and at the end of the year: the phone gives way to the web.
CHANNEL_SHARE_START: dict[str, float] = {
    Channel.PHONE: 0.48,
    Channel.WEB: 0.22,
    Channel.APP: 0.04,
    Channel.EMAIL: 0.11,
    Channel.CHAT: 0.03,
    Channel.SOCIAL: 0.02,
    Channel.SMS: 0.01,
    Channel.LETTER: 0.03,
    Channel.FACE_TO_FACE: 0.06,
}
CHANNEL_SHARE_END: dict[str, float] = {
    Channel.PHONE: 0.36,
    Channel.WEB: 0.32,
    Channel.APP: 0.08,
    Channel.EMAIL: 0.09,
    Channel.CHAT: 0.05,
    Channel.SOCIAL: 0.025,
    Channel.SMS: 0.015,
    Channel.LETTER: 0.02,
    Channel.FACE_TO_FACE: 0.045,
}
ONLINE_CHANNELS = frozenset({Channel.WEB, Channel.APP, Channel.EMAIL, Channel.SOCIAL, Channel.SMS})
STAFFED_CHANNELS = frozenset(
    {Channel.PHONE, Channel.CHAT, Channel.FACE_TO_FACE, Channel.LETTER, Channel.EMAIL}
)

# How much more (or less) than usual each service is reached by a channel.
CHANNEL_AFFINITY: dict[str, dict[str, float]] = {
    "missed-bin": {Channel.WEB: 1.6, Channel.APP: 2.0},
    "bin-day": {Channel.WEB: 2.0, Channel.APP: 2.0},
    "pothole": {Channel.APP: 2.5, Channel.WEB: 1.3, Channel.SOCIAL: 2.0},
    "street-light": {Channel.APP: 2.0},
    "fly-tipping": {Channel.APP: 2.5, Channel.SOCIAL: 1.5},
    "fallen-tree": {Channel.PHONE: 2.5, Channel.FACE_TO_FACE: 0.2},
    "flooding": {Channel.PHONE: 2.5, Channel.SOCIAL: 2.0, Channel.FACE_TO_FACE: 0.2},
    "gritting": {Channel.WEB: 2.0, Channel.SOCIAL: 3.0},
    "child-concern": {Channel.PHONE: 3.0, Channel.WEB: 0.3, Channel.APP: 0.0, Channel.SOCIAL: 0},
    "adult-care": {Channel.PHONE: 2.0, Channel.APP: 0.2, Channel.SOCIAL: 0.0},
    "homelessness": {Channel.PHONE: 2.0, Channel.FACE_TO_FACE: 2.5, Channel.SOCIAL: 0.0},
    "planning": {Channel.WEB: 2.0, Channel.EMAIL: 2.0, Channel.PHONE: 0.5},
    "foi": {Channel.EMAIL: 4.0, Channel.WEB: 2.0, Channel.PHONE: 0.1, Channel.CHAT: 0.0},
    "complaint": {Channel.EMAIL: 2.0, Channel.WEB: 1.5, Channel.LETTER: 2.0},
    "council-tax-pay": {Channel.WEB: 1.5, Channel.FACE_TO_FACE: 1.5, Channel.SOCIAL: 0.0},
    "libraries": {Channel.FACE_TO_FACE: 4.0},
    "digital-help": {Channel.FACE_TO_FACE: 5.0, Channel.PHONE: 1.2, Channel.APP: 0.0},
    "registrars": {Channel.PHONE: 1.5},
    "benefits": {Channel.FACE_TO_FACE: 1.5, Channel.LETTER: 1.5},
    "blue-badge": {Channel.WEB: 1.5},
    "parking-fine": {Channel.WEB: 1.5, Channel.LETTER: 2.0},
    "business-rates": {Channel.EMAIL: 2.0, Channel.APP: 0.0},
}

# Share of each priority where it is not simply "emergency if the service is one".
PRIORITY_MIX: dict[str, dict[str, float]] = {
    "pothole": {"emergency": 0.08, "standard": 0.92},
    "graffiti": {"urgent": 0.1, "standard": 0.9},
    "flooding": {"emergency": 0.3, "standard": 0.7},
    "fallen-tree": {"emergency": 0.8, "standard": 0.2},
    "housing-repair": {"emergency": 0.1, "urgent": 0.3, "standard": 0.6},
    "homelessness": {"emergency": 0.6, "standard": 0.4},
    "child-concern": {"emergency": 0.5, "urgent": 0.5},
}

# Hours of the day (0-23) that contacts start in: staffed channels open 9 to 5.
STAFFED_HOURS = {9: 1.6, 10: 1.4, 11: 1.1, 12: 0.9, 13: 1.0, 14: 1.0, 15: 0.9, 16: 0.7}
ONLINE_HOURS = {
    0: 0.1,
    1: 0.05,
    2: 0.05,
    3: 0.05,
    4: 0.05,
    5: 0.1,
    6: 0.3,
    7: 0.6,
    8: 0.9,
    9: 1.2,
    10: 1.2,
    11: 1.2,
    12: 1.3,
    13: 1.1,
    14: 1.0,
    15: 1.0,
    16: 1.0,
    17: 1.0,
    18: 1.0,
    19: 1.2,
    20: 1.2,
    21: 1.0,
    22: 0.5,
    23: 0.2,
}

# A few answers follow from how urgent the case is: (if emergency or urgent, otherwise).
URGENT_ANSWERS: dict[tuple[str, str], tuple[str, str]] = {
    ("pothole", "danger"): ("Yes", "No"),
    ("graffiti", "offensive"): ("Yes", "No"),
    ("homelessness", "when"): ("Tonight", "In the next 8 weeks"),
    ("child-concern", "danger"): ("Yes", "No"),
    ("flooding", "problem"): ("Road flooded", "Blocked gully or drain"),
    ("flooding", "passable"): ("No", "Yes"),
    ("fallen-tree", "injured"): ("No", "No"),
    ("adult-care", "at-risk"): ("No", "No"),
    ("missed-bin", "out-by-7am"): ("Yes", "Yes"),
    ("housing-repair", "problem"): ("Leak or flooding", "Damp or mould"),
}

TEXT_ANSWERS: dict[str, tuple[str, ...]] = {
    "items": (
        "1 three-seater sofa",
        "1 fridge freezer and 1 washing machine",
        "2 mattresses and a bed frame",
        "1 wardrobe, 1 chest of drawers",
    ),
    "make": ("Silver Ford Focus", "Blue Vauxhall Corsa", "Black BMW 3 Series", "Red Nissan Micra"),
    "service": ("Waste and recycling", "Highways", "Council tax", "Housing", "Planning"),
    "preferences": (
        "Our catchment primary school first, then the next two nearest",
        "The secondary school my older child attends, then our catchment school",
    ),
    "access": ("Weekday mornings", "Any time after 3pm", "Please phone first, I work shifts"),
    "left-where": ("On the drive", "By the front gate", "At the side of the house"),
    "column-number": ("A12", "B7", "C31", "D4", "17"),
    "put-right": (
        "An apology and the job done properly",
        "A refund of the fee",
        "To know it will not happen again",
    ),
}

DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "missed-bin": (
        "Bin was out by 7am but the lorry went past.",
        "Whole street has been missed this week.",
        "Recycling not taken, third time this month.",
    ),
    "new-bin": (
        "Bin was taken by the lorry and not returned.",
        "Wheel has come off the bin.",
        "Moved into a new build, no bins yet.",
    ),
    "bulky-waste": ("Old sofa and a fridge to go.", "Clearing a late parent's house."),
    "garden-waste": ("Would like to renew for this year.", "New subscription for one bin."),
    "fly-tipping": (
        "Black bags dumped in the alley behind the shops.",
        "Mattress and a sofa left on the verge.",
        "Builder's rubble tipped in the lay-by.",
    ),
    "abandoned-vehicle": (
        "Car has not moved for weeks and has flat tyres.",
        "Van with no tax parked on the verge.",
    ),
    "graffiti": ("Tags sprayed on the bus shelter.", "Offensive words painted on the underpass."),
    "dog-fouling": ("Path to the school is covered in dog mess.", "Regular problem by the park."),
    "pothole": (
        "Deep pothole in the middle of the lane.",
        "Cracked pavement outside the shop, someone tripped.",
        "Hole by the drain cover, cyclists swerving round it.",
    ),
    "street-light": ("Light outside the house has been out a week.", "Lamp flashing on and off."),
    "fallen-tree": ("Large branch down across the road.", "Tree leaning over the footpath."),
    "flooding": (
        "Road under water by the bridge.",
        "Gully blocked, water pooling at the junction.",
    ),
    "parking-fine": ("Was loading, not parked.", "Ticket machine was not working."),
    "parking-permit": ("New permit for a second car.", "Renewing our resident permit."),
    "council-tax-pay": ("Card payment could not be taken online.",),
    "council-tax-move": ("Moving out at the end of the month.", "Moved in last week."),
    "council-tax-discount": ("Now living alone.", "Both adults are full-time students."),
    "benefits": ("Hours cut at work, struggling with the rent.", "New claim after a separation."),
    "housing-repair": (
        "Boiler not working, no hot water.",
        "Water coming through the kitchen ceiling.",
        "Black mould in the back bedroom.",
    ),
    "homelessness": (
        "Asked to leave by family tonight.",
        "Landlord has served a section 21 notice.",
    ),
    "housing-register": ("Overcrowded, family of five in a two-bed flat.",),
    "blue-badge": ("Walking very difficult since a stroke.", "Renewal, badge expires next month."),
    "adult-care": (
        "Mum is struggling to manage at home after a fall.",
        "Carer needs a break.",
    ),
    "care-line": ("Dad lives alone and has had two falls.",),
    "child-concern": (
        "Worried about children left alone next door.",
        "Child often hungry at school.",
    ),
    "school-admissions": ("In-year transfer after moving house.", "Reception place for September."),
    "registrars": ("Register our baby's birth.", "Register my father's death."),
    "noise": ("Loud music every weekend until 3am.", "Dog barks all day while owners are out."),
    "pest-control": ("Rats in the garden near the compost bin.", "Wasps nest under the eaves."),
    "planning": ("Single-storey rear extension.", "Objection to the flats on the old garage site."),
    "business-rates": (
        "Taking over the lease from next month.",
        "Asking about small business relief.",
    ),
    "complaint": (
        "Bin missed four weeks running and nobody called back.",
        "Waited 40 minutes on the phone and was cut off.",
        "Repair promised twice and nobody came.",
    ),
    "foi": ("Spending on agency staff last year.", "Number of potholes repaired by ward."),
    "my-account": ("Password reset email never arrives.", "Cannot see my council tax bill."),
}

FAILURE_SUMMARIES: dict[str, str] = {
    "missed-bin": "Said the bin was still not collected after we closed the request",
    "pothole": "Said the repair has already broken up again",
    "street-light": "Said the light went out again the day after the repair",
    "fly-tipping": "Said only half the rubbish was taken",
    "housing-repair": "Said the leak is back after the repair",
    "new-bin": "Said the wrong size bin was delivered",
}
FAILURE_DEFAULT = "Said the problem is still there after we closed the request"

OUTBOUND_SUMMARIES = (
    "Called the customer to arrange a visit",
    "Called to ask for a photo of the problem",
    "Called to explain what happens next",
    "Returned the customer's call",
)
