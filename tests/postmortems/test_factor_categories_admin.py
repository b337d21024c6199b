"""Staff manage the contributing-factor taxonomy in the admin: two levels, retired rather than
deleted once used."""

import pytest
from django.urls import reverse

from postmortems.models import FactorCategory
from tests.factories import ContributingFactorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw-123456!")
    client.force_login(admin)
    return client


def test_the_list_shows_each_category_before_its_sub_categories_with_their_use(admin_client):
    ContributingFactorFactory()
    page = admin_client.get(reverse("admin:postmortems_factorcategory_changelist")).content
    page = page.decode()
    assert page.index("Technical") < page.index("Technical › Software defect")
    assert page.index("Technical › Hardware / infrastructure") < page.index("Process")


def test_staff_add_a_sub_category_inline(admin_client):
    detection = FactorCategory.objects.get(name="Detection")
    url = reverse("admin:postmortems_factorcategory_change", args=[detection.pk])
    children = list(detection.children.all())
    data = {
        "name": "Detection",
        "description": detection.description,
        "position": detection.position,
        "is_active": "on",
        "children-TOTAL_FORMS": len(children) + 1,
        "children-INITIAL_FORMS": len(children),
        "children-MIN_NUM_FORMS": 0,
        "children-MAX_NUM_FORMS": 1000,
    }
    for i, child in enumerate([*children, None]):
        data |= {
            f"children-{i}-id": child.pk if child else "",
            f"children-{i}-parent": detection.pk,
            f"children-{i}-name": child.name if child else "Alert fatigue",
            f"children-{i}-description": child.description if child else "",
            f"children-{i}-position": child.position if child else 50,
            f"children-{i}-is_active": "on",
        }
    response = admin_client.post(url, data)
    assert response.status_code == 302
    assert detection.children.filter(name="Alert fatigue").exists()


def test_a_third_level_is_refused(admin_client):
    response = admin_client.post(
        reverse("admin:postmortems_factorcategory_add"),
        {
            "name": "Too deep",
            "parent": FactorCategory.objects.get(name="Software defect").pk,
            "position": 0,
            "is_active": "on",
            "children-TOTAL_FORMS": 0,
            "children-INITIAL_FORMS": 0,
            "children-MIN_NUM_FORMS": 0,
            "children-MAX_NUM_FORMS": 1000,
        },
    )
    assert response.status_code == 200
    assert not FactorCategory.objects.filter(name="Too deep").exists()


def test_a_used_category_cannot_be_deleted_only_retired(admin_client):
    factor = ContributingFactorFactory()
    url = reverse("admin:postmortems_factorcategory_delete", args=[factor.category.pk])
    page = admin_client.get(url).content.decode()
    assert "would require deleting the following protected related objects" in page
    admin_client.post(url, {"post": "yes"})
    assert FactorCategory.objects.filter(pk=factor.category.pk).exists()
