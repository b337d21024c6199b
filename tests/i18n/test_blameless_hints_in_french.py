"""Postmortems written in French get blameless-language hints too, and every hint's suggestion
is shown in the reader's language."""

import pytest
from django.utils import translation

from postmortems.blameless import compiled_phrases, find_blame

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("La panne était la faute de Paul.", "la faute de Paul"),
        ("Cause : une erreur humaine.", "erreur humaine"),
        ("L'équipe aurait dû tester.", "aurait dû"),
        ("L'astreinte n’a pas su escalader.", "n’a pas su"),
        ("Évidemment, le disque était plein.", "Évidemment"),
        ("Il suffisait de redémarrer.", "Il suffisait"),
    ],
)
def test_french_phrases_that_blame_are_flagged(text, flagged):
    assert [hit.matched for hit in find_blame(text, compiled_phrases())] == [flagged]


def test_neutral_french_text_is_not_flagged():
    text = "L'outil de déploiement n'a pas signalé que l'unité du délai avait changé."
    assert find_blame(text, compiled_phrases()) == []


def test_suggestions_follow_the_readers_language():
    phrases = compiled_phrases()
    with translation.override("fr"):
        (hit,) = find_blame("Root cause: human error.", phrases)
        assert hit.suggestion == (
            "Dites ce qui a rendu l'erreur facile à commettre et difficile à remarquer."
        )
    with translation.override("en"):
        (hit,) = find_blame("Cause : une erreur humaine.", phrases)
        assert hit.suggestion == "Say what made the mistake easy to make and hard to notice."
