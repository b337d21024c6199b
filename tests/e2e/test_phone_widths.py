"""Every main page at 390 px, signed out and signed in as each role: nothing scrolls sideways
and no element sticks out of the screen (tables stack, filters fold, long words wrap)."""

import re

import pytest

from tests.e2e.conftest import sign_in
from tests.e2e.test_accessibility import PHONE, build_pages

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# What sticks out: the page's own width, and any element whose box leaves the screen, unless a
# box that scrolls (and itself fits) holds it, as the insight tables' scrolling regions do.
OVERFLOW = """() => {
    const width = document.documentElement.clientWidth;
    const fits = (box) => box.left >= -1 && box.right <= width + 1;
    const heldByScroller = (element) => {
        for (let up = element.parentElement; up && up !== document.body; up = up.parentElement) {
            if (["auto", "scroll", "hidden"].includes(getComputedStyle(up).overflowX)) {
                return fits(up.getBoundingClientRect());
            }
        }
        return false;
    };
    const outside = [];
    for (const element of document.querySelectorAll("body *")) {
        const box = element.getBoundingClientRect();
        if (box.width === 0 || box.height === 0 || fits(box) || heldByScroller(element)) continue;
        outside.push(`${element.tagName.toLowerCase()}.${[...element.classList].join(".")}`
            + ` (${Math.round(box.left)}..${Math.round(box.right)} px)`);
    }
    return {scrollWidth: document.documentElement.scrollWidth, width, outside: outside.slice(0, 5)};
}"""


def _more_pages(paths_by_role):
    """Pages the accessibility test does not visit: homes, imports, insights, the API."""
    edit = next(
        p for p in paths_by_role["author"] if re.fullmatch(r"/postmortems/INC-\d+/edit/", p)
    )
    reference = edit.split("/")[2]
    extra = {
        "author": ["/", "/imports/markdown/", f"/imports/chat/{reference}/", "/api/docs/"],
        "reviewer": ["/", "/actions/mine/", "/postmortems/library/"],
        "manager": ["/", "/postmortems/", "/actions/mine/"],
    }
    return {role: [*paths, *extra.get(role, [])] for role, paths in paths_by_role.items()}


def test_no_main_page_scrolls_sideways_on_a_phone(new_page, author, reviewer, manager):
    paths_by_role = _more_pages(build_pages(author, reviewer, manager))
    failures = []
    for role, paths in paths_by_role.items():
        page = new_page()
        page.set_viewport_size(PHONE)
        if role:
            sign_in(page, role)
        for path in paths:
            response = page.goto(path)
            assert response.ok, f"{path} as {role}: HTTP {response.status}"
            found = page.evaluate(OVERFLOW)
            if found["scrollWidth"] > found["width"] or found["outside"]:
                failures.append(f"{path} as {role or 'visitor'}: {found}")
        assert page.errors == [], f"as {role}: {page.errors}"
    assert not failures, "Sideways overflow at 390 px:\n" + "\n".join(failures)
