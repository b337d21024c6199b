from django.db import migrations

# The default policy: SEV1 and SEV2 incidents need a postmortem, due 5 working days after
# resolution. Editable in the admin afterwards.
DEFAULT_POLICY = [("SEV1", True, 5), ("SEV2", True, 5)]


def add_default_policy(apps, schema_editor):
    PostmortemPolicy = apps.get_model("postmortems", "PostmortemPolicy")
    for severity, required, days in DEFAULT_POLICY:
        PostmortemPolicy.objects.get_or_create(
            severity=severity, defaults={"required": required, "due_business_days": days}
        )


class Migration(migrations.Migration):
    dependencies = [("postmortems", "0009_required_postmortems")]

    operations = [migrations.RunPython(add_default_policy, migrations.RunPython.noop)]
