"""The demo councils' catalogue: the questions each service asks and its charter targets.

The CSV states each charter timescale in words; here it is as targets the clock can run on.
"12 weeks" is 84 calendar days; "same working day" is 0 working days (close of business on the
day the clock starts); "instant (self-service)" and "published offer dates" have no target.
Emails and social media messages are answered in 3 to 5 working days where a service's own
timescale is not about the reply.
"""

from __future__ import annotations

from civicdesk.catalogue.choices import QuestionKind
from civicdesk.catalogue.importing import QuestionSpec, RequestTypeSpec, TargetSpec
from civicdesk.core.calendar import TimeUnit
from civicdesk.core.choices import Channel, Priority

TEXT = QuestionKind.TEXT
NUMBER = QuestionKind.NUMBER
DATE = QuestionKind.DATE
CHOICE = QuestionKind.CHOICE
LOCATION = QuestionKind.LOCATION
FILE = QuestionKind.FILE

WORKING_DAYS = TimeUnit.WORKING_DAYS
CALENDAR_DAYS = TimeUnit.CALENDAR_DAYS
CALENDAR_HOURS = TimeUnit.CALENDAR_HOURS

YES_NO = ("Yes", "No")
BINS = ("General waste", "Recycling", "Garden waste", "Food waste")
WHO_FOR = ("Myself", "Someone I care for", "Someone else")


def _where(label: str = "Where is the problem?") -> QuestionSpec:
    return QuestionSpec(
        "location",
        label,
        LOCATION,
        hint="Choose the place on the map, or give the nearest address or landmark",
    )


def _address(label: str = "What is the address?") -> QuestionSpec:
    return QuestionSpec("address", label, LOCATION, hint="Start with the house number or name")


def _photo(label: str = "Add a photo") -> QuestionSpec:
    return QuestionSpec(
        "photo", label, FILE, required=False, hint="Optional. JPG, PNG or PDF, up to 10MB"
    )


def _details(label: str = "Tell us more", required: bool = False) -> QuestionSpec:
    return QuestionSpec("details", label, TEXT, required=required)


def _account(label: str = "What is your council tax account number?") -> QuestionSpec:
    return QuestionSpec(
        "account-number",
        label,
        TEXT,
        required=False,
        hint="8 digits, shown at the top of your bill. Leave blank if you do not know it",
    )


def _reply_to_email(amount: int) -> TargetSpec:
    return TargetSpec(amount, WORKING_DAYS, "reply to your email", channel=Channel.EMAIL)


SPEC: dict[str, RequestTypeSpec] = {
    # Waste and recycling
    "missed-bin": RequestTypeSpec(
        questions=(
            QuestionSpec("bin", "Which bin was missed?", CHOICE, choices=BINS),
            _address("Where was the bin left out?"),
            QuestionSpec("collection-date", "When should it have been collected?", DATE),
            QuestionSpec(
                "out-by-7am",
                "Was the bin out by 7am on collection day?",
                CHOICE,
                choices=YES_NO,
                hint="Bins must be at the kerbside by 7am",
            ),
        ),
        targets=(TargetSpec(2, WORKING_DAYS, "collect your bin"),),
    ),
    "bin-day": RequestTypeSpec(
        questions=(
            QuestionSpec("postcode", "What is your postcode?", TEXT, hint="For example, TF3 4JA"),
        ),
    ),
    "new-bin": RequestTypeSpec(
        questions=(
            QuestionSpec("bin", "Which bin do you need?", CHOICE, choices=BINS),
            QuestionSpec(
                "reason",
                "Why do you need it?",
                CHOICE,
                choices=("New home", "Lost or stolen", "Damaged", "Need a larger bin"),
            ),
            QuestionSpec("how-many", "How many do you need?", NUMBER, minimum=1, maximum=3),
            _address("Where should we deliver it?"),
        ),
        targets=(TargetSpec(10, WORKING_DAYS, "deliver your bin"),),
    ),
    "bulky-waste": RequestTypeSpec(
        questions=(
            QuestionSpec(
                "items",
                "What items do you want collected?",
                TEXT,
                hint="For example, 1 three-seater sofa, 1 fridge freezer",
            ),
            QuestionSpec("item-count", "How many items?", NUMBER, minimum=1, maximum=10),
            _address("Where should we collect them from?"),
            QuestionSpec(
                "left-where",
                "Where will you leave them?",
                TEXT,
                required=False,
                hint="Items must be outside your property, for example on the drive",
            ),
        ),
        targets=(TargetSpec(10, WORKING_DAYS, "collect your items"),),
    ),
    "garden-waste": RequestTypeSpec(
        questions=(
            QuestionSpec(
                "subscription",
                "Is this a new subscription or a renewal?",
                CHOICE,
                choices=("New subscription", "Renewal"),
            ),
            QuestionSpec("bins", "How many garden waste bins?", NUMBER, minimum=1, maximum=4),
            _address(),
        ),
        targets=(TargetSpec(5, WORKING_DAYS, "start your garden waste collections"),),
    ),
    # Street scene
    "fly-tipping": RequestTypeSpec(
        questions=(
            _where(),
            QuestionSpec(
                "waste",
                "What has been dumped?",
                CHOICE,
                choices=(
                    "Black bags",
                    "Furniture or white goods",
                    "Building rubble",
                    "Garden waste",
                    "Tyres",
                    "Asbestos or chemicals",
                    "Something else",
                ),
                hint="Do not touch asbestos, chemicals, needles or drums",
            ),
            QuestionSpec(
                "size",
                "How much is there?",
                CHOICE,
                choices=("A single item", "A car boot load", "A small van load", "A lorry load"),
            ),
            QuestionSpec(
                "seen-dumping", "Did you see who dumped it?", CHOICE, choices=YES_NO, required=False
            ),
            _photo(),
        ),
        targets=(TargetSpec(5, WORKING_DAYS, "clear the rubbish"),),
    ),
    "abandoned-vehicle": RequestTypeSpec(
        questions=(
            _where("Where is the vehicle?"),
            QuestionSpec("registration", "What is the registration number?", TEXT),
            QuestionSpec("make", "What make and colour is it?", TEXT, required=False),
            QuestionSpec(
                "days-there",
                "About how many days has it been there?",
                NUMBER,
                minimum=0,
                maximum=365,
            ),
        ),
        targets=(TargetSpec(10, WORKING_DAYS, "inspect the vehicle"),),
    ),
    "graffiti": RequestTypeSpec(
        questions=(
            _where(),
            QuestionSpec(
                "offensive",
                "Is the graffiti offensive or racist?",
                CHOICE,
                choices=YES_NO,
                hint="We remove offensive graffiti within 1 working day",
            ),
            QuestionSpec(
                "surface",
                "What is it on?",
                CHOICE,
                choices=("Wall", "Bus shelter", "Road sign", "Bridge or underpass", "Other"),
            ),
            _photo(),
        ),
        targets=(
            TargetSpec(5, WORKING_DAYS, "remove the graffiti"),
            TargetSpec(1, WORKING_DAYS, "remove the graffiti", priority=Priority.URGENT),
        ),
    ),
    "dog-fouling": RequestTypeSpec(
        questions=(
            _where(),
            QuestionSpec(
                "how-often",
                "How often is it a problem here?",
                CHOICE,
                choices=("This once", "Every week", "Every day"),
            ),
            _details("When does it usually happen?"),
        ),
        targets=(TargetSpec(5, WORKING_DAYS, "clean it up"),),
    ),
    # Highways
    "pothole": RequestTypeSpec(
        questions=(
            _where(),
            QuestionSpec(
                "surface",
                "Where is the defect?",
                CHOICE,
                choices=("Road", "Pavement", "Cycle path"),
            ),
            QuestionSpec(
                "size",
                "How big is it?",
                CHOICE,
                choices=(
                    "Smaller than a dinner plate",
                    "Bigger than a dinner plate",
                    "Wider than a car wheel",
                ),
            ),
            QuestionSpec(
                "danger",
                "Is it dangerous to people or vehicles right now?",
                CHOICE,
                choices=YES_NO,
                hint="For example, deep enough to damage a wheel or trip someone",
            ),
            _photo(),
        ),
        targets=(
            TargetSpec(24, CALENDAR_HOURS, "make it safe", priority=Priority.EMERGENCY),
            TargetSpec(10, WORKING_DAYS, "inspect the defect"),
        ),
    ),
    "street-light": RequestTypeSpec(
        questions=(
            _where("Where is the light?"),
            QuestionSpec(
                "column-number",
                "What is the number on the lamp post?",
                TEXT,
                required=False,
                hint="Usually on a small plate about 2 metres up",
            ),
            QuestionSpec(
                "fault",
                "What is wrong with it?",
                CHOICE,
                choices=(
                    "Not working",
                    "Flashing",
                    "On during the day",
                    "Damaged or leaning",
                    "Door missing or wires showing",
                ),
            ),
        ),
        targets=(TargetSpec(7, WORKING_DAYS, "repair the light"),),
    ),
    "fallen-tree": RequestTypeSpec(
        questions=(
            _where("Where is the tree?"),
            QuestionSpec(
                "blocking",
                "What is it blocking?",
                CHOICE,
                choices=(
                    "The whole road",
                    "Part of the road",
                    "A footpath",
                    "A building or garden",
                    "Nothing yet, but it may fall",
                ),
            ),
            QuestionSpec(
                "injured",
                "Is anyone hurt or trapped?",
                CHOICE,
                choices=YES_NO,
                hint="If anyone is hurt or trapped, call 999 now",
            ),
        ),
        targets=(TargetSpec(2, CALENDAR_HOURS, "make it safe"),),
    ),
    "flooding": RequestTypeSpec(
        questions=(
            _where(),
            QuestionSpec(
                "problem",
                "What is the problem?",
                CHOICE,
                choices=(
                    "Road flooded",
                    "Water coming into a property",
                    "Blocked gully or drain",
                    "Missing or broken drain cover",
                ),
            ),
            QuestionSpec(
                "passable",
                "Can vehicles still get through?",
                CHOICE,
                choices=("Yes", "No", "Not a road"),
            ),
            _photo(),
        ),
        targets=(
            TargetSpec(2, CALENDAR_HOURS, "make the road safe", priority=Priority.EMERGENCY),
            TargetSpec(5, WORKING_DAYS, "clear the drain"),
        ),
    ),
    "gritting": RequestTypeSpec(
        questions=(
            QuestionSpec(
                "topic",
                "What do you want to know?",
                CHOICE,
                choices=("Which roads are gritted", "Refill a grit bin", "Request a new grit bin"),
            ),
        ),
    ),
    # Parking
    "parking-fine": RequestTypeSpec(
        questions=(
            QuestionSpec(
                "pcn",
                "What is the penalty charge notice number?",
                TEXT,
                hint="10 characters, for example TW12345678",
            ),
            QuestionSpec("registration", "What is the vehicle registration?", TEXT),
            QuestionSpec(
                "action",
                "What do you want to do?",
                CHOICE,
                choices=("Pay the fine", "Challenge the fine"),
            ),
            _details("Why are you challenging it?"),
            _photo("Add evidence"),
        ),
        targets=(TargetSpec(14, CALENDAR_DAYS, "answer your challenge"),),
    ),
    "parking-permit": RequestTypeSpec(
        questions=(
            QuestionSpec("registration", "What is the vehicle registration?", TEXT),
            QuestionSpec("permits", "How many permits do you need?", NUMBER, minimum=1, maximum=2),
            _address("What address is the permit for?"),
            QuestionSpec(
                "proof",
                "Upload proof of address",
                FILE,
                hint="A council tax bill or tenancy agreement from the last 3 months",
            ),
        ),
        targets=(TargetSpec(10, WORKING_DAYS, "decide your application"),),
    ),
    # Council tax and benefits
    "council-tax-pay": RequestTypeSpec(
        questions=(
            _account(),
            QuestionSpec(
                "method",
                "How do you want to pay?",
                CHOICE,
                choices=("Card payment now", "Set up a direct debit", "Check my balance"),
            ),
        ),
    ),
    "council-tax-move": RequestTypeSpec(
        questions=(
            QuestionSpec(
                "move",
                "What is happening?",
                CHOICE,
                choices=("Moving in", "Moving out", "Moving within the area"),
            ),
            QuestionSpec("move-date", "What date do (or did) you move?", DATE),
            QuestionSpec("new-address", "What is your new address?", TEXT),
            QuestionSpec("old-address", "What was your previous address?", TEXT, required=False),
            _account(),
        ),
        targets=(
            TargetSpec(10, WORKING_DAYS, "update your council tax account"),
            _reply_to_email(5),
        ),
    ),
    "council-tax-discount": RequestTypeSpec(
        questions=(
            QuestionSpec(
                "discount",
                "Which discount or exemption are you applying for?",
                CHOICE,
                choices=(
                    "Single person discount",
                    "Student exemption",
                    "Disability reduction",
                    "Empty property",
                    "Care leaver",
                    "Something else",
                ),
            ),
            QuestionSpec("from-date", "From what date?", DATE),
            _account(),
            _photo("Upload evidence"),
        ),
        targets=(TargetSpec(20, WORKING_DAYS, "decide your application"), _reply_to_email(5)),
    ),
    "benefits": RequestTypeSpec(
        questions=(
            QuestionSpec(
                "claim",
                "What are you claiming?",
                CHOICE,
                choices=("Housing benefit", "Council tax support", "Both"),
            ),
            QuestionSpec(
                "household",
                "How many people live in your home, including you?",
                NUMBER,
                minimum=1,
                maximum=15,
            ),
            QuestionSpec(
                "universal-credit", "Do you get Universal Credit?", CHOICE, choices=YES_NO
            ),
            QuestionSpec(
                "rent",
                "How much rent do you pay each week?",
                NUMBER,
                required=False,
                minimum=0,
                maximum=2000,
                hint="In pounds. Leave blank if you own your home",
            ),
            _photo("Upload proof of income"),
        ),
        targets=(TargetSpec(20, CALENDAR_DAYS, "decide your claim"),),
    ),
    # Housing
    "housing-repair": RequestTypeSpec(
        questions=(
            QuestionSpec(
                "problem",
                "What needs repairing?",
                CHOICE,
                choices=(
                    "Leak or flooding",
                    "Heating or hot water",
                    "Electrics",
                    "Damp or mould",
                    "Doors, windows or locks",
                    "Something else",
                ),
            ),
            QuestionSpec(
                "room",
                "Which room?",
                CHOICE,
                choices=("Kitchen", "Bathroom", "Bedroom", "Living room", "Outside", "Whole home"),
            ),
            _details("Describe the problem", required=True),
            QuestionSpec(
                "access",
                "When can we get in?",
                TEXT,
                required=False,
                hint="For example, weekday mornings",
            ),
            _photo(),
        ),
        targets=(
            TargetSpec(24, CALENDAR_HOURS, "make it safe", priority=Priority.EMERGENCY),
            TargetSpec(5, WORKING_DAYS, "carry out the repair", priority=Priority.URGENT),
            TargetSpec(20, WORKING_DAYS, "carry out the repair", priority=Priority.STANDARD),
        ),
    ),
    "homelessness": RequestTypeSpec(
        sensitive=True,
        questions=(
            QuestionSpec(
                "when",
                "When might you have nowhere to stay?",
                CHOICE,
                choices=("Tonight", "In the next 8 weeks", "Not sure"),
                hint="If you have nowhere to stay tonight, phone us now, day or night",
            ),
            QuestionSpec(
                "household",
                "How many people need somewhere to live, including you?",
                NUMBER,
                minimum=1,
                maximum=15,
            ),
            QuestionSpec(
                "children", "Are there children in your household?", CHOICE, choices=YES_NO
            ),
            QuestionSpec(
                "safe-to-call",
                "Is it safe for us to phone you?",
                CHOICE,
                choices=YES_NO,
            ),
            _details("Tell us what has happened"),
        ),
        targets=(
            TargetSpec(
                0,
                WORKING_DAYS,
                "talk to you about where you can stay tonight",
                priority=Priority.EMERGENCY,
            ),
        ),
    ),
    "housing-register": RequestTypeSpec(
        questions=(
            QuestionSpec(
                "household",
                "How many people would live with you?",
                NUMBER,
                minimum=1,
                maximum=15,
            ),
            QuestionSpec(
                "tenure",
                "Where do you live now?",
                CHOICE,
                choices=(
                    "Renting privately",
                    "With family or friends",
                    "Council or housing association home",
                    "My own home",
                    "No fixed address",
                ),
            ),
            QuestionSpec(
                "local-connection",
                "Have you lived or worked in the area for the last 2 years?",
                CHOICE,
                choices=YES_NO,
            ),
            QuestionSpec("identity", "Upload proof of identity", FILE),
        ),
        targets=(TargetSpec(30, WORKING_DAYS, "decide your application"),),
    ),
    # Adult social care
    "blue-badge": RequestTypeSpec(
        questions=(
            QuestionSpec(
                "for", "Who is the badge for?", CHOICE, choices=("Myself", "Someone else")
            ),
            QuestionSpec(
                "eligibility",
                "Why do you need a badge?",
                CHOICE,
                choices=(
                    "I get the higher rate mobility part of PIP or DLA",
                    "I find walking very difficult",
                    "I have a hidden condition",
                    "A child under 3 who needs bulky equipment",
                    "I am registered blind",
                ),
            ),
            QuestionSpec("photo", "Upload a passport-style photo", FILE),
            QuestionSpec(
                "national-insurance",
                "What is the National Insurance number?",
                TEXT,
                required=False,
                hint="For example, QQ 12 34 56 C",
            ),
        ),
        targets=(TargetSpec(84, CALENDAR_DAYS, "decide your application"),),
    ),
    "adult-care": RequestTypeSpec(
        sensitive=True,
        questions=(
            QuestionSpec("for", "Who needs care and support?", CHOICE, choices=WHO_FOR),
            QuestionSpec(
                "help",
                "What help is needed?",
                CHOICE,
                choices=(
                    "Washing, dressing or eating",
                    "Getting around the home",
                    "Support for a carer",
                    "Equipment or adaptations",
                    "Something else",
                ),
            ),
            QuestionSpec(
                "at-risk",
                "Is anyone at risk of harm right now?",
                CHOICE,
                choices=YES_NO,
                hint="If someone is in danger, call 999",
            ),
            _details("Tell us about the situation"),
        ),
        targets=(TargetSpec(5, WORKING_DAYS, "contact you"),),
    ),
    "care-line": RequestTypeSpec(
        questions=(
            QuestionSpec("for", "Who is the alarm for?", CHOICE, choices=WHO_FOR),
            _address("Where should we install it?"),
            QuestionSpec("key-safe", "Is there a key safe?", CHOICE, choices=YES_NO),
            QuestionSpec(
                "responders",
                "How many people can we call if the alarm goes off?",
                NUMBER,
                minimum=0,
                maximum=5,
            ),
        ),
        targets=(TargetSpec(10, WORKING_DAYS, "install your alarm"),),
    ),
    # Children's services
    "child-concern": RequestTypeSpec(
        sensitive=True,
        questions=(
            QuestionSpec(
                "danger",
                "Is the child in danger right now?",
                CHOICE,
                choices=YES_NO,
                hint="If a child is in immediate danger, call 999",
            ),
            QuestionSpec("child-name", "What is the child's name?", TEXT, required=False),
            QuestionSpec(
                "child-age", "How old is the child?", NUMBER, required=False, minimum=0, maximum=17
            ),
            QuestionSpec(
                "relationship",
                "How do you know the child?",
                CHOICE,
                choices=("Parent or carer", "Relative", "Neighbour", "Professional", "Other"),
            ),
            _details("What are you worried about?", required=True),
        ),
        targets=(TargetSpec(0, WORKING_DAYS, "decide what needs to happen next"),),
    ),
    # Education
    "school-admissions": RequestTypeSpec(
        questions=(
            QuestionSpec("child-dob", "What is your child's date of birth?", DATE),
            QuestionSpec(
                "phase",
                "Which kind of place?",
                CHOICE,
                choices=(
                    "Starting primary school",
                    "Moving to secondary school",
                    "Changing school",
                ),
            ),
            QuestionSpec(
                "preferences",
                "Which schools would you like, in order of preference?",
                TEXT,
                hint="You can name up to 3 schools",
            ),
        ),
    ),
    "libraries": RequestTypeSpec(
        questions=(
            QuestionSpec(
                "topic",
                "What do you want to do?",
                CHOICE,
                choices=("Join the library", "Renew or reserve", "Find opening times"),
            ),
        ),
    ),
    "registrars": RequestTypeSpec(
        questions=(
            QuestionSpec(
                "appointment",
                "What is the appointment for?",
                CHOICE,
                choices=(
                    "Register a birth",
                    "Register a death",
                    "Give notice of marriage or civil partnership",
                    "Arrange a ceremony",
                ),
            ),
            QuestionSpec(
                "event-date",
                "What was the date of the birth or death?",
                DATE,
                required=False,
            ),
            QuestionSpec(
                "time",
                "When would suit you?",
                CHOICE,
                choices=("Morning", "Afternoon", "No preference"),
            ),
        ),
        targets=(TargetSpec(5, WORKING_DAYS, "offer you an appointment"),),
    ),
    # Environmental health
    "noise": RequestTypeSpec(
        questions=(
            _where("Where is the noise coming from?"),
            QuestionSpec(
                "source",
                "What is the noise?",
                CHOICE,
                choices=(
                    "Music or parties",
                    "Barking dogs",
                    "Alarms",
                    "Building work",
                    "A business or pub",
                    "Something else",
                ),
            ),
            QuestionSpec(
                "when",
                "When does it happen?",
                CHOICE,
                choices=("Daytime", "Evening", "Night", "At all hours"),
            ),
            QuestionSpec(
                "weeks",
                "For how many weeks has it been going on?",
                NUMBER,
                required=False,
                minimum=0,
                maximum=520,
            ),
        ),
        targets=(TargetSpec(3, WORKING_DAYS, "contact you"),),
    ),
    "pest-control": RequestTypeSpec(
        questions=(
            QuestionSpec(
                "pest",
                "What is the pest?",
                CHOICE,
                choices=("Rats", "Mice", "Wasps", "Bed bugs", "Fleas", "Cockroaches"),
            ),
            QuestionSpec(
                "where", "Where are they?", CHOICE, choices=("Inside", "Garden", "Loft or roof")
            ),
            _address("Where should we visit?"),
            QuestionSpec(
                "benefits",
                "Do you get a means-tested benefit?",
                CHOICE,
                choices=YES_NO,
                hint="Some treatments cost less if you do",
            ),
        ),
        targets=(TargetSpec(5, WORKING_DAYS, "visit"),),
    ),
    # Planning and business
    "planning": RequestTypeSpec(
        questions=(
            QuestionSpec(
                "application",
                "What kind of application is it?",
                CHOICE,
                choices=(
                    "Householder",
                    "Full planning permission",
                    "Outline planning permission",
                    "Listed building consent",
                    "Comment on an application",
                ),
            ),
            _where("What is the site address?"),
            _details("Describe the work", required=True),
            QuestionSpec("plans", "Upload the plans", FILE, required=False),
        ),
        targets=(TargetSpec(56, CALENDAR_DAYS, "decide your application"),),
    ),
    "business-rates": RequestTypeSpec(
        questions=(
            QuestionSpec(
                "account-number",
                "What is your business rates account number?",
                TEXT,
                required=False,
            ),
            QuestionSpec(
                "need",
                "What do you need?",
                CHOICE,
                choices=(
                    "Pay business rates",
                    "Apply for relief",
                    "Tell us about a change of occupier",
                    "Query a bill",
                ),
            ),
            QuestionSpec("property", "What is the address of the business property?", TEXT),
            QuestionSpec("from-date", "From what date?", DATE, required=False),
        ),
        targets=(TargetSpec(10, WORKING_DAYS, "deal with your request"), _reply_to_email(5)),
    ),
    # Customer services
    "complaint": RequestTypeSpec(
        questions=(
            QuestionSpec("service", "Which service is your complaint about?", TEXT),
            _details("What happened?", required=True),
            QuestionSpec("put-right", "What would put things right for you?", TEXT, required=False),
            QuestionSpec(
                "earlier-reference",
                "What is the reference of your earlier request?",
                TEXT,
                required=False,
                hint="For example, K7RM-4XQD",
            ),
        ),
        targets=(TargetSpec(10, WORKING_DAYS, "answer your complaint"),),
    ),
    "foi": RequestTypeSpec(
        questions=(
            _details("What information do you want?", required=True),
            QuestionSpec(
                "format",
                "How would you like to receive it?",
                CHOICE,
                choices=("By email", "On paper"),
            ),
        ),
        targets=(TargetSpec(20, WORKING_DAYS, "send you the information"),),
    ),
    "my-account": RequestTypeSpec(
        questions=(
            QuestionSpec(
                "problem",
                "What is the problem?",
                CHOICE,
                choices=(
                    "I cannot sign in",
                    "I forgot my password",
                    "I did not get the confirmation email",
                    "I cannot see my requests or bills",
                    "Something else",
                ),
            ),
            QuestionSpec("account-email", "What email address is the account under?", TEXT),
        ),
        targets=(
            TargetSpec(2, WORKING_DAYS, "help you get back into your account"),
            _reply_to_email(3),
            TargetSpec(3, WORKING_DAYS, "reply to your message", channel=Channel.SOCIAL),
        ),
    ),
    "digital-help": RequestTypeSpec(
        questions=(
            QuestionSpec(
                "help",
                "What help would you like?",
                CHOICE,
                choices=(
                    "A drop-in session",
                    "Use a computer in a library",
                    "Help over the phone",
                ),
            ),
        ),
    ),
}
