"""Every message has a French translation, and the catalog has every message the code marks.

When one fails: run `make messages`, translate each empty or fuzzy entry of
locale/fr/LC_MESSAGES/django.po (and remove its "fuzzy" flag), and run the tests again."""

import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

CATALOGS = sorted(Path(settings.BASE_DIR, "locale").glob("*/LC_MESSAGES/*.po"))


def _key(entry: polib.POEntry) -> tuple[str | None, str]:
    return entry.msgctxt, entry.msgid


def _shown(entries) -> str:
    return "\n".join(f"  {entry.msgid!r}" for entry in entries)


def test_there_is_a_french_catalog():
    assert Path(settings.BASE_DIR, "locale/fr/LC_MESSAGES/django.po") in CATALOGS
    # No JavaScript strings to translate (static/js has none): no djangojs catalog.
    assert [catalog.name for catalog in CATALOGS] == ["django.po"]


@pytest.mark.parametrize("path", CATALOGS, ids=lambda path: str(path.parent.parent.name))
def test_every_message_is_translated_and_none_is_fuzzy(path):
    catalog = polib.pofile(str(path))
    untranslated = catalog.untranslated_entries()
    fuzzy = catalog.fuzzy_entries()
    assert not untranslated, f"{path}: untranslated messages:\n{_shown(untranslated)}"
    assert not fuzzy, f"{path}: fuzzy translations to check:\n{_shown(fuzzy)}"
    assert not catalog.metadata_is_fuzzy, f"{path}: the header is fuzzy (its plural rule unused)"
    assert catalog.metadata["Plural-Forms"] == "nplurals=2; plural=(n > 1);"


@pytest.mark.parametrize("path", CATALOGS, ids=lambda path: str(path.parent.parent.name))
def test_every_plural_has_both_forms(path):
    catalog = polib.pofile(str(path))
    missing = [e for e in catalog if e.msgid_plural and not all(e.msgstr_plural.values())]
    assert not missing, f"{path}: plural forms missing:\n{_shown(missing)}"


def test_the_catalog_has_every_message_the_code_marks(tmp_path, monkeypatch):
    """Extract the messages afresh (as `make messages` does) from a scratch copy of the source
    and compare: a string newly marked for translation but missing from the committed catalog
    fails here. (A copy: makemessages writes into the tree's own locale directory.)"""
    source = tmp_path / "src"
    shutil.copytree(
        settings.BASE_DIR,
        source,
        ignore=shutil.ignore_patterns(
            ".*", "__pycache__", "node_modules", "staticfiles", "vendor", "locale", "*.egg-info"
        ),
    )
    (source / "locale").mkdir()
    monkeypatch.chdir(source)  # makemessages reads the tree below the working directory
    with override_settings(LOCALE_PATHS=[source / "locale"]):
        call_command("makemessages", locale=["fr"], verbosity=0)
    fresh = polib.pofile(str(source / "locale/fr/LC_MESSAGES/django.po"))
    committed = {_key(e) for e in polib.pofile(str(CATALOGS[0]))}
    missing = [entry for entry in fresh if _key(entry) not in committed]
    assert len(fresh) > 1000  # the extraction found the project's messages
    assert not missing, (
        "Marked for translation but not in locale/fr/LC_MESSAGES/django.po (run `make "
        f"messages` and translate them):\n{_shown(missing)}"
    )


@pytest.mark.parametrize("path", CATALOGS, ids=lambda path: str(path.parent.parent.name))
def test_the_compiled_catalog_is_current(path):
    """Pages read the compiled .mo, which make builds (it is not committed)."""
    compiled = path.with_suffix(".mo")
    assert compiled.exists(), f"{compiled} is missing: run `make install`."
    assert compiled.stat().st_mtime >= path.stat().st_mtime, (
        f"{compiled} is older than {path.name}: run `make install`."
    )
