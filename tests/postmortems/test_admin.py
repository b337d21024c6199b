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
