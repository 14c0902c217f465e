"""The maths of the benchmark surveys: CSI, NPS and the workforce engagement index, with
95% confidence intervals from the sample size and a test of whether a change is significant.

CSI (customer satisfaction index, 0-100): each resident rates five parts of their experience
from 0 to 10. Their score is 10 times the weighted mean of the ratings they gave (a question
left blank drops out of both the top and the bottom). The round's CSI is the mean of the
scores. Its margin is 1.96 standard errors, the standard error being the sample standard
deviation over the square root of the number of responses.

NPS (net promoter score, -100 to 100): "how likely are you to recommend..." from 0 to 10.
Promoters answer 9 or 10, detractors 0 to 6. NPS = 100 x (promoters - detractors) / responses.
Its standard error is 100 x sqrt((p + d - (p - d)^2) / n), p and d being the two shares.

Engagement (0-100): staff say how far they agree with six statements (1 strongly disagree to 5
strongly agree); each answer scores (answer - 1) x 25 and the person's index is the mean. The
round's index and margin work as for the CSI.

A change between two rounds is significant when it is larger than 1.96 times the standard
error of the difference, sqrt(se1^2 + se2^2): a two-sided test at the 5% level. The test leans
on the normal approximation, which small samples do not support (five promoters out of five
give a standard error of 0), so no change is called significant unless both rounds have at
least 30 answers; the dashboard says there were too few to tell.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z_95 = 1.96

# (key, question, weight)
CSI_QUESTIONS: tuple[tuple[str, str, float], ...] = (
    ("overall", "Overall, how satisfied were you with your experience?", 0.4),
    ("ease", "How easy was it to get what you needed?", 0.15),
    ("staff", "How helpful and knowledgeable were the staff?", 0.15),
    ("speed", "How satisfied were you with how quickly it was dealt with?", 0.15),
    ("trust", "How far do you trust the council to do what it says?", 0.15),
)
ENGAGEMENT_STATEMENTS: tuple[tuple[str, str], ...] = (
    ("strategy", "I understand our customer strategy and my part in it."),
    ("culture", "Putting the customer first is part of how we work here."),
    ("tools", "I have the tools and information to help customers first time."),
    ("voice", "My ideas for improving customer service are listened to."),
    ("pride", "I am proud of the service we give."),
    ("place_to_work", "I would recommend the council as a place to work."),
)
PROMOTER_FROM = 9
MIN_SAMPLE_FOR_TEST = 30
DETRACTOR_TO = 6


def csi_of_answers(answers: dict[str, int]) -> float | None:
    """One resident's CSI score, or None if they rated nothing."""
    total = weight_sum = 0.0
    for key, _, weight in CSI_QUESTIONS:
        if answers.get(key) is not None:
            total += weight * answers[key]
            weight_sum += weight
    return round(10 * total / weight_sum, 4) if weight_sum else None


def engagement_of_answers(answers: dict[str, int]) -> float | None:
    scores = [(answers[key] - 1) * 25 for key, _ in ENGAGEMENT_STATEMENTS if answers.get(key)]
    return round(sum(scores) / len(scores), 4) if scores else None


@dataclass(frozen=True)
class Estimate:
    """A figure from a sample: the value, its standard error and how many answered."""

    value: float
    standard_error: float
    sample: int

    @property
    def margin(self) -> float:
        return Z_95 * self.standard_error

    @property
    def low(self) -> float:
        return self.value - self.margin

    @property
    def high(self) -> float:
        return self.value + self.margin


def mean_estimate(*, count: int, total: float, total_of_squares: float) -> Estimate | None:
    """A mean with its standard error, from the sums a database returns."""
    if count == 0:
        return None
    mean = total / count
    if count == 1:
        return Estimate(value=mean, standard_error=math.inf, sample=1)
    variance = max(total_of_squares - count * mean * mean, 0.0) / (count - 1)
    return Estimate(value=mean, standard_error=math.sqrt(variance / count), sample=count)


def nps_estimate(*, promoters: int, detractors: int, count: int) -> Estimate | None:
    if count == 0:
        return None
    p, d = promoters / count, detractors / count
    variance = p + d - (p - d) ** 2
    return Estimate(
        value=100 * (p - d), standard_error=100 * math.sqrt(variance / count), sample=count
    )


@dataclass(frozen=True)
class Change:
    before: Estimate
    after: Estimate

    @property
    def difference(self) -> float:
        return self.after.value - self.before.value

    @property
    def standard_error(self) -> float:
        return math.sqrt(self.before.standard_error**2 + self.after.standard_error**2)

    @property
    def testable(self) -> bool:
        """Whether both rounds have enough answers for the test to mean anything."""
        return min(self.before.sample, self.after.sample) >= MIN_SAMPLE_FOR_TEST

    @property
    def significant(self) -> bool:
        if not self.testable or self.standard_error == 0:
            return False
        return abs(self.difference) > Z_95 * self.standard_error
