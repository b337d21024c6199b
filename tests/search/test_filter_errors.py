"""No filter is dropped silently: a value the page cannot use is named on the page, as typed."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from tests.factories import IncidentFactory, ServiceFactory

pytestmark = pytest.mark.django_db
IGNORED = "That filter was ignored."


def test_a_search_over_200_characters_is_refused_with_the_text_kept(author_client):
    IncidentFactory(title="Disk full on the primary")
    text = "disk" * 62 + "xx"  # 250 characters
    response = author_client.get(reverse("search:results"), {"q": text})
    content = response.content.decode()
    assert response.status_code == 200
    assert "Search for at most 200 characters (this has 250)" in content
    assert f'value="{text}"' in content
    assert 'aria-invalid="true"' in content


@pytest.mark.parametrize(
    "url_name, query, typed",
    [
        ("search:results", {"q": "disk", "type": "bogus"}, "bogus"),
        ("search:results", {"q": "disk", "state": "incident:nope"}, "incident:nope"),
        ("search:results", {"q": "disk", "service": "no-such-service"}, None),
        ("postmortems:list", {"status": "bogus"}, "bogus"),
        ("postmortems:library", {"severity": "SEV9"}, "SEV9"),
        ("postmortems:library", {"service": "no-such-service"}, None),
        ("incidents:list", {"status": "bogus"}, "bogus"),
        ("insights:index", {"tag": "no-such-tag"}, None),
        ("actions:list", {"incident": "nonsense"}, "nonsense"),
        ("actions:dashboard", {"owner": "999999"}, "999999"),
    ],
)
def test_a_filter_value_the_page_cannot_use_is_named_not_dropped(
    author_client, url_name, query, typed
):
    response = author_client.get(reverse(url_name), query)
    content = response.content.decode()
    assert response.status_code == 200
    assert IGNORED in content, f"{url_name} dropped {query} silently"
    if typed:  # a select cannot show a value that is not one of its options
        assert escape(typed) in content


def test_the_filters_chosen_stay_selected_and_a_bad_one_is_marked(author_client):
    ServiceFactory(name="Checkout", slug="checkout")
    query = {"q": "disk", "type": "postmortems", "state": "postmortem:draft", "tag": "no-tag"}
    response = author_client.get(reverse("search:results"), {**query, "service": "checkout"})
    content = response.content.decode()
    assert '<option value="postmortems" selected>' in content
    assert '<option value="postmortem:draft" selected>' in content
    assert '<option value="checkout" selected>Checkout</option>' in content
    assert 'class="select form-select is-invalid" aria-invalid="true"' in content
    assert '<div id="id_tag_error" class="invalid-feedback">' in content
