"""Sentiment and themes from free text, on the council's own machine."""

from __future__ import annotations

import pytest

from civicdesk.feedback.analysis import sentiment_label, sentiment_score, themes_find


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("The staff were friendly and helpful", "positive"),
        ("Rude and slow, I waited weeks", "negative"),
        ("I rang on Tuesday about the bins", "neutral"),
        ("Not helpful at all", "negative"),
        ("The crew were not rude", "positive"),
        ("Never sorted out", "negative"),
        ("", "none"),
    ],
)
def test_sentiment_reads_the_balance_of_words(text, label):
    assert sentiment_label(sentiment_score(text)) == label


def test_very_makes_a_word_count_for_more():
    assert (
        sentiment_score("The staff were very helpful")
        > sentiment_score("The staff were helpful")
        > 0
    )


def test_one_word_counts_for_less_in_a_long_comment():
    short = sentiment_score("Helpful")
    long = sentiment_score("Helpful when I rang them on the Tuesday about my garden waste")
    assert short > long > 0
    # The balance is divided by the square root of the number of words: 1 / sqrt(1) = 1.
    assert short == 1.0


def test_themes_group_comments_under_the_words_that_stand_out():
    comments = [
        "The bin was not emptied",
        "Bins left on the pavement again",
        "My bin lid is broken",
        "Pothole on the high street",
        "Huge pothole outside the school",
        "Thank you",
    ]
    themes = {theme.key: theme for theme in themes_find(comments)}
    assert set(themes) == {"bin", "pothole"}
    assert themes["bin"].members == [0, 1, 2]
    assert themes["pothole"].members == [3, 4]
    assert themes["pothole"].words[0] == "pothole"


def test_no_themes_without_repeated_words():
    assert themes_find(["Lovely park", "Quick reply"]) == []
    assert themes_find([]) == []
