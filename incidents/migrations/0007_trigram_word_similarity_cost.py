from django.db import migrations

# pg_trgm declares its operators' functions as cheap as "=", so for a typo search the planner
# preferred running word_similarity on every title to the trigram index (50 ms against 12 ms
# at 10,000 incidents). Their real cost makes it choose the index. A dump and restore, or an
# upgrade of the extension, resets the cost: run this again afterwards (search stays correct,
# only slower).
OPERATOR_FUNCTIONS = ("word_similarity_commutator_op(text, text)", "similarity_op(text, text)")


class Migration(migrations.Migration):
    dependencies = [("incidents", "0006_bound_dates_to_1970_2100")]

    operations = [
        migrations.RunSQL(
            sql=[f"ALTER FUNCTION {function} COST 100" for function in OPERATOR_FUNCTIONS],
            reverse_sql=[f"ALTER FUNCTION {function} COST 1" for function in OPERATOR_FUNCTIONS],
        )
    ]
