"""Every badge's text keeps WCAG 2.1 AA contrast (at least 4.5:1) against its background.

The colours are read from static/css/app.css itself, for every value of every choice a badge
shows, so a colour change that fails AA, or a new value given no colours, fails here.
"""

import re

import pytest
from django.conf import settings

from actions.models import ActionStatus, Priority
from incidents.models import Severity, Status, TimelineKind
from postmortems.models import PostmortemStatus

AA_NORMAL_TEXT = 4.5
APP_CSS = settings.BASE_DIR / "static" / "css" / "app.css"
BOOTSTRAP_CSS = settings.BASE_DIR / "static" / "vendor" / "bootstrap-5.3.9" / "bootstrap.min.css"
TEMPLATES = [settings.BASE_DIR / "templates", *settings.BASE_DIR.glob("*/templates")]

# The badge templates' classes: includes/_severity_badge.html, _status_badge.html, ...
BADGES = (
    [(f".severity-{value.lower()}", ".severity") for value in Severity.values]
    + [(f".status-{value}", ".status") for value in Status.values]
    + [(f".pm-status-{value}", ".pm-status") for value in PostmortemStatus.values]
    + [(f".priority-{value.lower()}", ".priority") for value in Priority.values]
    + [(f".action-status-{value}", ".action-status") for value in ActionStatus.values]
    + [(f".kind-badge-{value}", ".badge.kind-badge") for value in TimelineKind.values]
    + [(".overdue-badge", ".overdue-badge")]
)


def bootstrap_badges_in_templates() -> list[str]:
    """Bootstrap's colour classes our templates give badges (`badge text-bg-warning`)."""
    found = set()
    for template in (path for folder in TEMPLATES for path in folder.rglob("*.html")):
        for classes in re.findall(r'class="([^"]*\bbadge\b[^"]*)"', template.read_text()):
            found.update(re.findall(r"\btext-bg-(\w+)", classes))
    return sorted(found)


def css_rules() -> dict[str, dict[str, str]]:
    """Declarations by selector; a selector list gives each of its selectors the declarations."""
    css = re.sub(r"/\*.*?\*/", "", APP_CSS.read_text(), flags=re.DOTALL)
    rules: dict[str, dict[str, str]] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        declarations = {}
        for declaration in body.split(";"):
            name, _, value = declaration.partition(":")
            if value.strip():
                declarations[name.strip()] = value.strip()
        for selector in selectors.split(","):
            rules.setdefault(selector.strip(), {}).update(declarations)
    return rules


def resolve(value: str, custom_properties: dict[str, str]) -> str:
    """`var(--name, fallback)` as the badge's own custom properties make it."""
    match = re.fullmatch(r"var\((--[\w-]+)(?:,\s*(.+))?\)", value)
    if not match:
        return value
    return custom_properties.get(match[1]) or match[2] or ""


def relative_luminance(hex_colour: str) -> float:
    digits = hex_colour.removeprefix("#")
    assert re.fullmatch(r"[0-9a-fA-F]{3}|[0-9a-fA-F]{6}", digits), f"not a hex colour: {hex_colour}"
    if len(digits) == 3:
        digits = "".join(digit * 2 for digit in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(foreground: str, background: str) -> float:
    lighter, darker = sorted(
        (relative_luminance(foreground), relative_luminance(background)), reverse=True
    )
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.parametrize(
    ("foreground", "background", "ratio"),
    [("#fff", "#000", 21.0), ("#ffffff", "#ffffff", 1.0), ("#fff", "#dc6b19", 3.41)],
)
def test_contrast_ratio_matches_the_wcag_formula(foreground, background, ratio):
    assert contrast_ratio(foreground, background) == pytest.approx(ratio, abs=0.01)


@pytest.mark.parametrize(("badge", "base"), BADGES, ids=[badge for badge, _ in BADGES])
def test_every_badge_reaches_aa_contrast(badge, base):
    rules = css_rules()
    declarations = {**rules.get(base, {}), **rules.get(badge, {})}
    custom_properties = {k: v for k, v in declarations.items() if k.startswith("--")}
    background = resolve(declarations.get("background-color", ""), custom_properties)
    foreground = resolve(declarations.get("color", ""), custom_properties)
    assert background and foreground, f"{badge} has no colours in {APP_CSS.name}"
    ratio = contrast_ratio(foreground, background)
    assert ratio >= AA_NORMAL_TEXT, (
        f"{badge}: {foreground} on {background} is {ratio:.2f}:1, below AA's {AA_NORMAL_TEXT}:1"
    )


@pytest.mark.parametrize("colour", bootstrap_badges_in_templates())
def test_every_bootstrap_badge_colour_we_use_reaches_aa_contrast(colour):
    css = BOOTSTRAP_CSS.read_text()
    rgb = re.search(rf"--bs-{colour}-rgb:\s*(\d+),\s*(\d+),\s*(\d+)", css)
    text = re.search(rf"\.text-bg-{colour}\{{color:(#[0-9a-fA-F]+)", css)
    assert rgb and text, f"text-bg-{colour} is not in {BOOTSTRAP_CSS.name}"
    background = "#" + "".join(f"{int(channel):02x}" for channel in rgb.groups())
    ratio = contrast_ratio(text[1], background)
    assert ratio >= AA_NORMAL_TEXT, f"text-bg-{colour}: {text[1]} on {background} is {ratio:.2f}:1"
