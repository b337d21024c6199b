"""Blameless-language hints for postmortems written in French. Each suggestion is one of the
default (English) suggestions: it is shown in the reader's language (postmortems/default_labels.py)."""

from django.db import migrations

PHRASES = [
    (r"\b(c['’]est )?la faute (de|à) \w+", "la faute de Bob", "Describe how the system let this happen, not whose fault it was."),
    (r"\berreurs? humaines?\b", "erreur humaine", "Say what made the mistake easy to make and hard to notice."),
    (r"\b(négligent(e|es|s)?|négligence|imprudent(e|es|s)?|imprudence|inattention)\b", "négligence", "Describe the gaps in process or tooling rather than judging a person."),
    (r"\b(aurai[st]|aurions|auriez|auraient) d[ûu]\b", "aurait dû", "Hindsight is clearer than foresight: describe what was known then, and what would help next time."),
    (r"\b(n['’](a|ont) pas (su|réussi à))\b", "n'a pas su", "Say what happened instead and what would have made the other step easier."),
    (r"\b(évident(e|es|s)?|évidemment)\b", "évidemment", "It was not obvious then; explain what would have made it visible."),
    (r"\bcoupables?\b|\bà blâmer\b", "le coupable", "Focus on how it happened, not on who is to blame."),
    (r"\bincompéten(t|te|ts|tes|ce)\b", "incompétent", "Describe what knowledge or support was missing."),
    (r"\b(il suffisait|n['’](avait|avaient) qu['’]à)\b", "il suffisait de", "If it were that simple it would have happened; describe what made it hard."),
    (r"\bsimplement\b", "simplement", "Avoid implying the fix was easy; explain what it took."),
    (r"\bn['’](a|ont) pas pris la peine\b", "n'a pas pris la peine", "Describe why the step was skipped: time, tooling, unclear expectations."),
    (r"\berreurs? (stupides?|bêtes?)\b", "erreur stupide", "Describe the mistake and what made it easy to make."),
]  # fmt: skip


def add_phrases(apps, schema_editor):
    BlamelessPhrase = apps.get_model("postmortems", "BlamelessPhrase")
    for pattern, example, suggestion in PHRASES:
        BlamelessPhrase.objects.get_or_create(
            pattern=pattern, defaults={"example": example, "suggestion": suggestion}
        )


class Migration(migrations.Migration):
    dependencies = [("postmortems", "0011_postmortem_questionnaire")]

    operations = [migrations.RunPython(add_phrases, migrations.RunPython.noop)]
