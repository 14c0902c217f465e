"""Case references: easy to read out, hard to guess, and mistakes are caught."""

from __future__ import annotations

import random

from civicdesk.core.references import ALPHABET, reference_generate, reference_normalise

SAMPLES = [reference_generate() for _ in range(200)]


def test_references_look_right_and_are_not_sequential():
    for reference in SAMPLES:
        assert len(reference) == 9
        assert reference[4] == "-"
        assert set(reference.replace("-", "")) <= set(ALPHABET)
        assert reference_normalise(reference) == reference
    assert len(set(SAMPLES)) == len(SAMPLES)


def test_no_two_characters_that_look_or_sound_alike_are_both_used():
    for group in ("0O", "1IL", "2Z", "5S", "8B", "UV"):
        assert len(set(group) & set(ALPHABET)) <= 1, group


def test_every_single_wrong_character_is_caught():
    for reference in SAMPLES[:50]:
        compact = reference.replace("-", "")
        for position in range(len(compact)):
            for symbol in ALPHABET:
                if symbol == compact[position]:
                    continue
                typo = compact[:position] + symbol + compact[position + 1 :]
                assert reference_normalise(typo) is None, (reference, typo)


def test_swapped_neighbours_are_caught_except_the_one_pair_luhn_cannot_see():
    # Luhn mod N misses exactly one swap: the first and last symbols of the alphabet.
    blind_spot = {ALPHABET[0], ALPHABET[-1]}
    for reference in SAMPLES:
        compact = reference.replace("-", "")
        for position in range(len(compact) - 1):
            a, b = compact[position], compact[position + 1]
            if a == b:
                continue
            swapped = compact[:position] + b + a + compact[position + 2 :]
            if {a, b} == blind_spot:
                assert reference_normalise(swapped) is not None
            else:
                assert reference_normalise(swapped) is None, (reference, swapped)


def test_what_people_type_is_accepted():
    reference = random.choice(SAMPLES)
    compact = reference.replace("-", "")
    assert reference_normalise(compact.lower()) == reference
    assert reference_normalise(f" {compact[:4]} {compact[4:]} ") == reference
    assert reference_normalise("not a reference") is None
    assert reference_normalise("") is None
