from django.db import migrations

from core.snapshots import watch_tables


class Migration(migrations.Migration):
    """The data version that kept summaries are checked against (core/snapshots.py): a
    sequence, moved by a statement trigger on every watched table. A sequence, not a counter
    row, so that writers never wait on each other for it."""

    dependencies = [
        ("core", "0004_add_user_sso_subject"),
    ]

    operations = [
        migrations.RunSQL(
            [
                "CREATE SEQUENCE core_data_version",
                """
                CREATE FUNCTION core_data_changed() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM nextval('core_data_version');
                    RETURN NULL;
                END $$
                """,
            ],
            [
                "DROP FUNCTION core_data_changed()",
                "DROP SEQUENCE core_data_version",
            ],
        ),
        # Users: names and roles show on summaries and decide what each person may count. A
        # sign-in (last_login) changes neither.
        watch_tables("core_user", ignoring=("last_login",)),
        watch_tables("core_user_groups"),
    ]
