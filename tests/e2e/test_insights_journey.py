import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.learning.insights_data import build_insights_data

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_manager_opens_insights_and_sees_the_charts_drawn(new_page, manager):
    build_insights_data()
    page = new_page()
    sign_in(page, "manager")

    page.locator("#main-nav").get_by_role("link", name="Insights").click()
    page.get_by_label("From", exact=True).fill("2025-01-01")
    page.get_by_label("Until", exact=True).fill("2025-04-30")
    page.get_by_role("button", name="Show").click()

    incidents = page.locator("#figure-incidents")
    chart = incidents.get_by_role("img", name="Incidents per month, by severity")
    expect(chart).to_be_visible()
    # January's stacked bar: three SEV1 and one SEV2; March's: two SEV1 and one SEV3.
    expect(chart.locator("rect")).to_have_count(4)
    assert chart.locator("rect.chart-sev1").first.bounding_box()["height"] > 0
    january = incidents.locator("tbody tr").first
    expect(january).to_contain_text("January 2025")
    expect(january.locator("td").last).to_have_text("4")

    resolve = page.locator("#figure-time_to_resolve")
    expect(resolve.get_by_role("img", name="Time to resolve, by severity")).to_be_visible()
    expect(resolve.locator("circle.chart-sev1")).to_have_count(4)  # median and p90, 2 months
    expect(resolve.locator("#table-time_to_resolve")).to_contain_text("3 h 48 min")

    overdue = page.locator("#figure-overdue")
    expect(overdue.locator("polyline")).to_have_count(1)
    expect(overdue.locator("tbody tr").nth(2)).to_contain_text("2")

    expect(page.locator("#figure-services tbody tr").first).to_contain_text("Checkout")
    assert page.errors == []
