import pytest
from django.urls import reverse

from postmortems.models import PostmortemTemplate

pytestmark = pytest.mark.django_db


def test_staff_edit_template_prompts_one_box_per_section(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw-123456!")
    client.force_login(admin)
    template = PostmortemTemplate.objects.get(name="Short review")
    url = reverse("admin:postmortems_postmortemtemplate_change", args=[template.pk])
    page = client.get(url).content.decode()
    assert 'name="prompt_summary"' in page and 'name="prompt_lessons_learned"' in page
    response = client.post(
        url,
        {
            "name": "Short review",
            "description": "Quick",
            "position": 1,
            "is_active": "on",
            "prompt_summary": "What broke?",
            "prompt_impact": "",
        },
    )
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.prompts == {"summary": "What broke?"}


def test_co_authors_set_in_the_admin_stay_among_those_who_may_never_approve(
    client, django_user_model
):
    from core.models import Role
    from tests.factories import PostmortemFactory, UserFactory

    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw-123456!")
    client.force_login(admin)
    postmortem = PostmortemFactory()
    writer = UserFactory(roles=[Role.REVIEWER])
    url = reverse("admin:postmortems_postmortem_change", args=[postmortem.pk])
    page = client.get(url).content.decode()
    assert 'name="past_writers"' not in page and 'name="content_version"' not in page
    data = {
        "incident": postmortem.incident_id,
        "author": postmortem.author_id,
        "co_authors": [writer.pk],
        "status": postmortem.status,
        "public_title": "",
        "public_summary": "",
        "revisions-TOTAL_FORMS": 0,
        "revisions-INITIAL_FORMS": 0,
        **{field: getattr(postmortem, field) for field in postmortem.section_texts()},
    }
    response = client.post(url, data)
    assert response.status_code == 302
    postmortem.co_authors.remove(writer)
    assert postmortem.ever_wrote(writer)
