from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations

# Which language a text is in, for search: French when it has more of French's most common
# words than of English's. IMMUTABLE, so generated columns may call it.
IS_FRENCH = r"""
CREATE FUNCTION hindsight_is_french(body text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (SELECT count(*) FROM regexp_matches(lower(body),
            '\m(le|la|les|des|du|de|un|une|est|et|sur|pour|dans|avec|aux|au|ce|cette|qui|que|pas|ont|sont|nous|été|était|en)\M', 'g'))
       > (SELECT count(*) FROM regexp_matches(lower(body),
            '\m(the|and|is|was|were|are|of|to|for|with|this|that|we|have|has|had|not|from|it|in|by)\M', 'g'))
$$
"""


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0008_watch_teams_for_summaries"),
    ]

    operations = [
        UnaccentExtension(),
        migrations.RunSQL(
            [
                # French stemming with accents dropped: "réseaux" and "reseau" find "Réseau".
                "CREATE TEXT SEARCH CONFIGURATION hindsight_french (COPY = french)",
                "ALTER TEXT SEARCH CONFIGURATION hindsight_french"
                " ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem",
                IS_FRENCH,
            ],
            [
                "DROP FUNCTION IF EXISTS hindsight_is_french(text)",
                "DROP TEXT SEARCH CONFIGURATION IF EXISTS hindsight_french",
            ],
        ),
    ]
