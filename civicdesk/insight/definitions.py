"""What each figure on the dashboard means and exactly how it is worked out. The definitions
page shows these; every figure links to its own."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Definition:
    key: str
    title: str
    paragraphs: tuple[str, ...]


DEFINITIONS: tuple[Definition, ...] = (
    Definition(
        "contacts",
        "Contacts",
        (
            "Every contact a customer started with the council on any channel: calls, emails, "
            "web forms, app reports, chats, social media messages, text messages, letters and "
            "visits. Messages the council sent are not counted.",
            "A contact counts on the day and hour it started, in UK time (so a call at 00:30 "
            "in summer counts on that day, not the day before in UTC). Its service is the "
            "service area of the request type it was about; contacts about no particular "
            "service are shown as 'No service recorded'.",
            "Share is the channel's contacts divided by all contacts in the period.",
        ),
    ),
    Definition(
        "contacts-by-weekday",
        "Contacts by day of the week",
        (
            "Contacts (as defined above) added up by the day of the week they started on. "
            "'Average a day' divides by how many of that weekday the period holds, so a period "
            "with five Mondays and four Fridays compares fairly.",
        ),
    ),
    Definition(
        "contacts-by-hour",
        "Contacts by hour of the day",
        ("Contacts added up by the hour they started in, in UK time: 09:00 means 09:00-09:59.",),
    ),
    Definition(
        "contacts-by-season",
        "Contacts by season",
        (
            "Contacts added up by meteorological season: winter is December to February, "
            "spring March to May, summer June to August, autumn September to November.",
            "Each season of each year is its own row: a winter runs from December of one year "
            "to February of the next, so a period of a year touches two different winters.",
            "A season only partly inside the period shows how many of its days are inside; "
            "compare seasons by contacts a day, not by their totals.",
        ),
    ),
    Definition(
        "channel-shift",
        "Channel shift",
        (
            "For each month, the contacts that started in it and each channel's share of them "
            "as a percentage. A rising share for the website or app with a falling share for "
            "the phone is channel shift.",
        ),
    ),
    Definition(
        "response",
        "Response against the charter",
        (
            "Cases resolved in the period, grouped by the channel they came in on or their "
            "service. A case counts on the day it was resolved.",
            "Working days taken: the working days after the day the case was opened, up to and "
            "including the day it was resolved (weekends and the council's bank holidays are "
            "not working days). Resolved the same day is 0; opened on Friday and resolved on "
            "Monday is 1. Cases taking more than 60 working days count as 60.",
            "Within target: of the cases that had a charter target, the share resolved by "
            "their due time (the charter clock's due time, which moves on while a case waits "
            "for the customer). Cases with no target are left out of this share only.",
            "Median: half of the cases were resolved within this many working days. 90th "
            "percentile: nine in ten were. Both are the smallest whole number of working days "
            "that covers that share of the cases.",
            "Email response times are the row for the email channel.",
        ),
    ),
    Definition(
        "first-time-fix",
        "First-time fix",
        (
            "Of the contacts bringing something new, the share sorted out there and then: "
            "contacts recorded as 'resolved at first contact'.",
            "Contacts bringing something new: those that were resolved at first contact, "
            "became a new case, were signposted or were transferred. Contacts that were "
            "abandoned or were about a case already open are left out, so a chaser never "
            "counts as a fix. A request that needs work done later (a missed bin to collect) "
            "becomes a case and counts as not fixed first time.",
        ),
    ),
    Definition(
        "avoidable-contact",
        "Repeat and avoidable contact",
        (
            "Repeat: contacts about something the customer had already contacted us about, as "
            "a share of all contacts. A contact is a repeat if it chases progress or says "
            "something went wrong, if it is about a case already open, or if the same customer "
            "contacted us about the same service in the 28 days before. It is judged when the "
            "contact is logged, and again when a case is raised from it or when two records of "
            "the same person are merged.",
            "Avoidable (failure demand): contacts chasing progress or saying something went "
            "wrong, as a share of all contacts. The top reasons are the services and reasons "
            "with the most avoidable contacts.",
        ),
    ),
    Definition(
        "open-work",
        "Open and overdue work",
        (
            "Cases open now (new, assigned, in progress, waiting for the customer or reopened) "
            "by service, and how many of them are overdue against the charter. This is the "
            "position now, not over the chosen dates. Only counts are shown: no case is named.",
        ),
    ),
    Definition(
        "active-accounts",
        'Active "my account" users',
        (
            "All accounts: residents' online accounts (records merged into another are left "
            "out). Signed in within 30 or 90 days: accounts with at least one sign-in in the "
            "last 30 or 90 days, counted once however often they signed in.",
        ),
    ),
    Definition(
        "net-satisfaction",
        "Net satisfaction",
        (
            "End-of-contact ratings (good, average or poor) given in the period, from the link "
            "in a message, a text message reply, the website or recorded by an adviser at the "
            "end of a call. Net satisfaction = (good - poor) / all ratings x 100, from -100 "
            "(all poor) to 100 (all good).",
        ),
    ),
    Definition(
        "csi",
        "Customer satisfaction index (CSI)",
        (
            "From the resident benchmark survey. Each resident rates five things from 0 to 10: "
            "the experience overall (weight 0.4), how easy it was, the staff, the speed and how "
            "far they trust the council (0.15 each). Their score is 10 x the weighted mean of "
            "the ratings they gave; a question left blank drops out of the weighting.",
            "The round's CSI is the mean score. The margin is 1.96 standard errors (the sample "
            "standard deviation over the square root of the number of responses): a 95% "
            "confidence interval.",
            "A change from the previous round is significant when it is more than 1.96 x "
            "sqrt(se1^2 + se2^2), the two rounds' standard errors. The test needs at least "
            "30 answers in each round; with fewer the change is shown as too few answers to "
            "tell.",
        ),
    ),
    Definition(
        "nps",
        "Net promoter score (NPS)",
        (
            "'How likely are you to recommend...' from 0 to 10. Promoters answer 9 or 10, "
            "detractors 0 to 6. NPS = (promoters - detractors) / answers x 100, from -100 to 100.",
            "Standard error = 100 x sqrt((p + d - (p - d)^2) / n), p and d being the shares of "
            "promoters and detractors and n the number who answered. The margin and the test "
            "of a change work as for the CSI.",
        ),
    ),
    Definition(
        "engagement",
        "Workforce engagement index",
        (
            "From the workforce survey. Staff say how far they agree with six statements, from "
            "1 (strongly disagree) to 5 (strongly agree). Each answer scores (answer - 1) x 25, "
            "so 'agree' is 75; a person's index is the mean of their answers and the round's "
            "the mean of those, with its margin and test as for the CSI.",
        ),
    ),
    Definition(
        "place-surveys",
        "Surveys at places",
        (
            "Answers to the one-question surveys reached by QR codes at places, by place: "
            "good, average and poor, and net satisfaction as above. One answer a day counts "
            "from each phone, and at most 30 an hour from one network address.",
        ),
    ),
    Definition(
        "page-feedback",
        "Page feedback",
        (
            "Answers to 'did you find what you were looking for?' on each page of the website "
            "in the period, and the share that said yes. The 20 pages with most answers are "
            "shown.",
        ),
    ),
    Definition(
        "themes",
        "Sentiment and themes",
        (
            "Comments from ratings, surveys at places, benchmark surveys and page feedback, "
            "with personal details taken out when they arrive. Comments about sensitive "
            "services are left out.",
            "Sentiment: positive and negative words are counted from a word list on the "
            "council's own server ('not' or 'never' flips the next three words, 'very' "
            "strengthens the next), and the balance is divided by the square root of the "
            "number of words, from -1 to 1. Above 0.05 is positive, below -0.05 negative.",
            "Themes: the words that stand out across the comments (highest total TF-IDF "
            "weight, appearing in at least two comments). Each comment joins the theme of the "
            "word it weighs most; a theme links to its comments.",
        ),
    ),
    Definition(
        "complaints",
        "Complaints",
        (
            "Complaints whose complaint case was opened in the period, counted straight from "
            "the complaints records (there are too few to need a summary). Went to stage 2: "
            "complaints now at stage 2. Referred to the Ombudsman: complaints with a referral "
            "date.",
            "Answered in time: every stage is judged. Each response sent, at stage 1 and at "
            "stage 2, counts as an answer of its own, and it is in time if it was sent by that "
            "stage's own due date (the council's working-day timescale for the stage). A "
            "complaint answered late at stage 1 and in time at stage 2 is one answer in time "
            "out of two. Responses not sent yet are not counted.",
            "Outcomes: the decisions recorded at each stage; upheld in whole or part is upheld "
            "plus partly upheld over all decisions at that stage.",
            "Reasons: each complaint counts once for every reason recorded on it. Reasons the "
            "council marked as about the customer experience (delay, attitude, not kept "
            "informed) are shown apart from reasons about the service itself, each against "
            "the period of the same length just before.",
        ),
    ),
)

BY_KEY = {definition.key: definition for definition in DEFINITIONS}
