"""Advisers needed for a queue: Erlang C and Erlang A, through `manage.py staffing` and the
functions the planning pages use."""

from __future__ import annotations

import json
import math
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from civicdesk.core.errors import ValidationFailed
from civicdesk.planning.erlang import (
    Demand,
    Target,
    erlang_b,
    staffing_evaluate,
    staffing_needed,
)

WORKED_EXAMPLE = [
    "--calls", "100", "--interval-minutes", "30", "--aht-seconds", "180",
    "--target-seconds", "20", "--service-level", "80",
]  # fmt: skip


def staffing(*arguments: str) -> dict:
    out = StringIO()
    call_command("staffing", *arguments, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_the_published_worked_example_is_met_exactly():
    answer = staffing(*WORKED_EXAMPLE, "--max-occupancy", "85", "--shrinkage", "30")
    assert answer == {
        "agents": 14,
        "staff": 20,
        "service_level": 88.84,
        "asa_seconds": 7.84,
        "p_wait": 17.41,
        "occupancy": 71.43,
    }


def test_one_adviser_fewer_misses_the_target_which_is_why_fourteen_are_needed():
    answer = staffing(*WORKED_EXAMPLE, "--agents", "13")
    assert answer["agents"] == 13
    assert answer["service_level"] < 80
    assert answer["staff"] == 13  # no shrinkage given: every rostered person is on the phones


def test_without_shrinkage_staff_equals_agents_and_without_a_cap_occupancy_can_be_high():
    answer = staffing(
        "--calls", "100", "--interval-minutes", "30", "--aht-seconds", "180",
        "--target-seconds", "600", "--service-level", "50",
    )  # fmt: skip
    assert answer["staff"] == answer["agents"] == 11
    assert answer["occupancy"] > 85
    capped = staffing(
        "--calls", "100", "--interval-minutes", "30", "--aht-seconds", "180",
        "--target-seconds", "600", "--service-level", "50", "--max-occupancy", "85",
    )  # fmt: skip
    assert capped["agents"] == 12 and capped["occupancy"] <= 85


def test_with_patience_erlang_a_reports_callers_giving_up_and_needs_no_more_advisers():
    patient = staffing(*WORKED_EXAMPLE)
    giving_up = staffing(*WORKED_EXAMPLE, "--patience-seconds", "60")
    assert "abandon_rate" not in patient
    assert 0 < giving_up["abandon_rate"] < 20
    assert giving_up["agents"] <= patient["agents"]
    assert giving_up["service_level"] >= 80


def test_an_unstaffed_queue_says_the_wait_has_no_end():
    answer = staffing(*WORKED_EXAMPLE, "--agents", "10")
    assert answer["service_level"] == 0
    assert answer["asa_seconds"] is None
    assert answer["p_wait"] == 100


@pytest.mark.parametrize(
    ("change", "option", "wording"),
    [
        (["--calls", "-5"], "--calls", "0 or more"),
        (["--aht-seconds", "0"], "--aht-seconds", "more than 0 seconds"),
        (["--service-level", "100"], "--service-level", "No number of advisers"),
        (["--shrinkage", "100"], "--shrinkage", "less than 100%"),
        (["--patience-seconds", "0"], "--patience-seconds", "more than 0 seconds"),
        (["--agents", "-1"], "--agents", "0 or more"),
        (["--calls", "100000000"], "--calls", "more work than"),
    ],
)
def test_bad_input_is_refused_with_the_option_named(change, option, wording):
    arguments = dict(zip(WORKED_EXAMPLE[::2], WORKED_EXAMPLE[1::2], strict=True))
    arguments.update(dict(zip(change[::2], change[1::2], strict=True)))
    flat = [item for pair in arguments.items() for item in pair]
    out = StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("staffing", *flat, "--json", stdout=out)
    assert option in str(refused.value) and wording in str(refused.value)
    error = json.loads(out.getvalue())["error"]
    assert error["code"] == "validation_failed"
    assert wording in error["fields"][option]


def test_a_target_no_number_of_advisers_can_meet_ends_with_an_error_not_a_search():
    with pytest.raises(ValidationFailed) as refused:
        staffing_needed(
            demand=Demand(calls=100, interval_seconds=1800, handle_seconds=180),
            target=Target(service_level=1.0, answer_seconds=20),
        )
    assert "service_level" in refused.value.fields


# Numerical stability


def _erlang_b_in_logs(agents: int, traffic: float) -> float:
    """Erlang B straight from its definition, summed in logarithms, for comparison."""
    logs = [k * math.log(traffic) - math.lgamma(k + 1) for k in range(agents + 1)]
    top = max(logs)
    return math.exp(logs[-1] - top) / sum(math.exp(value - top) for value in logs)


@pytest.mark.parametrize(("agents", "traffic"), [(5, 2.0), (60, 50.0), (3000, 2900.0)])
def test_erlang_b_matches_its_definition_even_for_thousands_of_agents(agents, traffic):
    assert erlang_b(agents, traffic) == pytest.approx(_erlang_b_in_logs(agents, traffic))


def test_a_very_large_contact_centre_is_planned_without_overflow():
    result = staffing_needed(
        demand=Demand(calls=30_000, interval_seconds=1800, handle_seconds=240),
        target=Target(service_level=0.9, answer_seconds=15),
    )
    assert 4000 < result.agents < 4200
    assert 0.9 <= result.service_level < 1
    assert result.asa_seconds is not None and result.asa_seconds < 15


# Properties

calls = st.floats(min_value=1, max_value=400)
handle = st.floats(min_value=30, max_value=900)
answer_within = st.floats(min_value=0, max_value=120)
patience = st.floats(min_value=10, max_value=600)
levels = st.floats(min_value=0.5, max_value=0.95)


@settings(max_examples=40)
@given(calls=calls, handle=handle, answer=answer_within, extra=st.integers(0, 8))
def test_service_level_rises_with_advisers(calls, handle, answer, extra):
    demand = Demand(calls=calls, interval_seconds=1800, handle_seconds=handle)
    target = Target(service_level=0.8, answer_seconds=answer)
    agents = math.floor(demand.traffic) + 1 + extra
    fewer = staffing_evaluate(demand=demand, target=target, agents=agents)
    more = staffing_evaluate(demand=demand, target=target, agents=agents + 1)
    assert more.service_level >= fewer.service_level
    assert more.asa_seconds is not None and fewer.asa_seconds is not None
    assert more.asa_seconds <= fewer.asa_seconds


@settings(max_examples=40)
@given(calls=calls, handle=handle, answer=answer_within, more_calls=st.floats(1, 50))
def test_service_level_falls_as_the_load_grows(calls, handle, answer, more_calls):
    target = Target(service_level=0.8, answer_seconds=answer)
    light = Demand(calls=calls, interval_seconds=1800, handle_seconds=handle)
    heavy = Demand(calls=calls + more_calls, interval_seconds=1800, handle_seconds=handle)
    agents = math.floor(heavy.traffic) + 2
    assert (
        staffing_evaluate(demand=heavy, target=target, agents=agents).service_level
        <= staffing_evaluate(demand=light, target=target, agents=agents).service_level
    )


@settings(max_examples=25)
@given(calls=calls, handle=handle, answer=answer_within, wait=patience, extra=st.integers(0, 6))
def test_with_callers_giving_up_service_level_still_rises_with_advisers(
    calls, handle, answer, wait, extra
):
    demand = Demand(
        calls=calls, interval_seconds=1800, handle_seconds=handle, patience_seconds=wait
    )
    target = Target(service_level=0.8, answer_seconds=answer)
    agents = max(0, math.floor(demand.traffic) - 3 + extra)
    fewer = staffing_evaluate(demand=demand, target=target, agents=agents)
    more = staffing_evaluate(demand=demand, target=target, agents=agents + 1)
    assert more.service_level >= fewer.service_level - 1e-9
    assert more.abandon_rate is not None and fewer.abandon_rate is not None
    assert more.abandon_rate <= fewer.abandon_rate + 1e-9


@settings(max_examples=25)
@given(calls=calls, handle=handle, answer=answer_within, wait=patience, level=levels)
def test_erlang_a_never_needs_more_advisers_than_erlang_c(calls, handle, answer, wait, level):
    target = Target(service_level=level, answer_seconds=answer, max_occupancy=0.9)
    erlang_c = staffing_needed(
        demand=Demand(calls=calls, interval_seconds=1800, handle_seconds=handle), target=target
    )
    erlang_a = staffing_needed(
        demand=Demand(
            calls=calls, interval_seconds=1800, handle_seconds=handle, patience_seconds=wait
        ),
        target=target,
    )
    assert erlang_a.agents <= erlang_c.agents
    assert erlang_a.service_level >= level
    assert erlang_a.occupancy <= 0.9 + 1e-9


@settings(max_examples=20)
@given(calls=calls, handle=handle, answer=answer_within, extra=st.integers(1, 6))
def test_erlang_a_with_endless_patience_is_erlang_c(calls, handle, answer, extra):
    target = Target(service_level=0.8, answer_seconds=answer)
    waits = Demand(calls=calls, interval_seconds=1800, handle_seconds=handle)
    # Below 90% occupancy: nearer 100% the queue is so long that even very patient callers
    # give up now and then, and the models rightly part.
    agents = math.floor(waits.traffic / 0.9) + extra
    erlang_c = staffing_evaluate(demand=waits, target=target, agents=agents)
    erlang_a = staffing_evaluate(
        demand=Demand(calls, 1800, handle, patience_seconds=1e9), target=target, agents=agents
    )
    assert erlang_a.service_level == pytest.approx(erlang_c.service_level, abs=1e-5)
    assert erlang_a.p_wait == pytest.approx(erlang_c.p_wait, abs=1e-5)
    assert erlang_a.asa_seconds == pytest.approx(erlang_c.asa_seconds, rel=1e-4, abs=1e-4)


@settings(max_examples=20)
@given(calls=calls, handle=handle, wait=patience, agents=st.integers(1, 40))
def test_callers_giving_up_counted_two_ways_agree(calls, handle, wait, agents):
    """Abandonment from each caller's chance of holding on until answered, against the rate at
    which the queue loses callers (each of the k - N waiting gives up at rate 1 / patience)."""
    import numpy as np

    from civicdesk.planning.erlang import _queue

    demand = Demand(
        calls=calls, interval_seconds=1800, handle_seconds=handle, patience_seconds=wait
    )
    result = staffing_evaluate(demand=demand, target=Target(0.8, 20), agents=agents)
    queue = _queue(demand, agents)
    lost_per_second = float(queue.waiting @ (np.arange(len(queue.waiting)) / wait))
    assert result.abandon_rate == pytest.approx(lost_per_second / (calls / 1800), abs=1e-9)
