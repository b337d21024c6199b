"""Django's makemessages with this project's settings, so that `make messages` and the test
that the catalog is up to date (tests/i18n) extract the same messages: the project's own code
only, source references by file without line numbers (a line moving elsewhere in a file does
not change the catalog, which keeps merges of it quiet), and no obsolete entries."""

from django.core.management.commands import makemessages

# Besides Django's defaults (hidden directories such as .venv, editor backups): what is not
# shown to users or is generated.
IGNORE_PATTERNS = [
    "static/vendor/*",
    "staticfiles/*",
    "tests/*",
    "scripts/*",
    "docs/*",
    "*/migrations/*",
]


class Command(makemessages.Command):
    def handle(self, *args, **options):
        options["ignore_patterns"] = [*options.get("ignore_patterns", []), *IGNORE_PATTERNS]
        if options.get("add_location") is None:
            options["add_location"] = "file"
        # Messages no longer in the code leave the catalog instead of piling up at its end.
        options["no_obsolete"] = True
        return super().handle(*args, **options)
