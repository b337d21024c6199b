"""Screenshots of the main pages at 1280 and 390 px, for reviewers of the code to see the UI.

`make screenshots` runs this: it recreates a throwaway database (only one whose name ends in
_screenshots), loads the demo data (seed_demo), starts the development server on 127.0.0.1,
signs in as each demo role with Debian's Chromium (Playwright, headless) and saves one PNG per
page and width into docs/screenshots/. The server is always stopped, also on Ctrl-C.

The PNGs are reduced to 256 colours (Pillow, which WeasyPrint already brings) to stay small.
"""

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
WIDTHS = [{"width": 1280, "height": 800}, {"width": 390, "height": 844}]
PASSWORD = "hindsight-demo"  # seed_demo's


def recreate_database(url: str) -> None:
    name = url.rsplit("/", 1)[-1]
    if not name.endswith("_screenshots"):
        sys.exit(f"Refusing to drop {name!r}: screenshots only recreate a *_screenshots database.")
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def manage(*args: str, env: dict) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def references(env: dict) -> dict[str, str]:
    """The demo's incident references, by what each page shows (numbers follow seed order)."""
    script = (
        "from postmortems.models import Postmortem\n"
        "for p in Postmortem.objects.select_related('incident'):\n"
        "    print(p.status, p.incident.reference, p.incident.title, sep='|')\n"
    )
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    found = {}
    for line in out.splitlines():
        parts = line.split("|")
        if len(parts) == 3:
            found.setdefault(parts[0], parts[1])
            if parts[2].startswith("Checkout failures"):
                found["checkout"] = parts[1]
    return found


def pages(ref: dict[str, str]) -> list[tuple[str | None, str, str]]:
    """(who signs in, path, file name) for each page shown."""
    return [
        (None, "/login/", "sign-in"),
        (None, "/status/", "status-page"),
        ("alex", "/", "writer-home"),
        ("alex", "/incidents/", "incident-list"),
        ("alex", f"/incidents/{ref['checkout']}/", "incident-page"),
        ("alex", f"/postmortems/{ref['checkout']}/", "postmortem-page"),
        ("alex", f"/postmortems/{ref['draft']}/edit/", "postmortem-edit"),
        ("alex", f"/postmortems/{ref['checkout']}/history/", "postmortem-history"),
        ("alex", "/search/?q=config", "search"),
        ("alex", "/postmortems/library/", "library"),
        ("riley", "/", "reviewer-home-review-queue"),
        ("riley", f"/postmortems/{ref['in_review']}/review/", "review"),
        ("morgan", "/", "manager-home-dashboard"),
        ("morgan", "/actions/", "action-items"),
        ("morgan", "/insights/", "insights"),
        ("morgan", "/teams/payments/", "team-page"),
        ("jordan", f"/postmortems/{ref['in_review']}/review/", "review-in-french"),
    ]


def shrink(path: Path) -> None:
    try:
        from PIL import Image
    except ImportError:  # keep the full-colour PNG
        return
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def capture(base_url: str, ref: dict[str, str]) -> list[Path]:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    saved = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        for viewport in WIDTHS:
            contexts = {}
            for who, path, name in pages(ref):
                if who not in contexts:
                    context = browser.new_context(base_url=base_url, viewport=viewport)
                    page = context.new_page()
                    if who:
                        page.goto("/login/")
                        page.get_by_label("Username").fill(who)
                        page.get_by_label("Password").fill(PASSWORD)
                        page.get_by_role("button", name="Sign in").click()
                        page.wait_for_load_state()
                    contexts[who] = (context, page)
                page = contexts[who][1]
                page.goto(path)
                page.wait_for_load_state("networkidle")
                target = OUT / f"{name}-{viewport['width']}.png"
                page.screenshot(path=target, animations="disabled")
                shrink(target)
                saved.append(target)
            for context, _page in contexts.values():
                context.close()
        browser.close()
    return saved


def main() -> None:
    url = os.environ.get(
        "SCREENSHOTS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hindsight_screenshots"
    )
    port = os.environ.get("SCREENSHOTS_PORT", "8765")
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_DEBUG": "true", "HINDSIGHT_TIME_ZONE": "UTC"}
    recreate_database(url)
    manage("migrate", "--no-input", "-v0", env=env)
    manage("seed_demo", env=env)
    ref = references(env)
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    sys.exit("The development server did not start.")
                time.sleep(0.3)
        saved = capture(f"http://127.0.0.1:{port}", ref)
    finally:
        server.terminate()
        server.wait(timeout=20)
    total = sum(path.stat().st_size for path in saved)
    print(f"Saved {len(saved)} screenshots ({total // 1024} KB) in {OUT.relative_to(ROOT)}/")


if __name__ == "__main__":
    main()
