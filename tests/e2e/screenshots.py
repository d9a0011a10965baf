"""Screenshots of the console's main pages for the README, taken in headless Chromium from a real server with a
few sample things: `make screenshots` (writes docs/screenshots/*.png). Not a test: run it after changing pages."""

from __future__ import annotations

import contextlib
import math
import sys
import tempfile
from collections.abc import Generator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.e2e.browser import launched_chromium
from tests.e2e.console import Console, console_server, sign_in

BOILER = "org.acme.plant:boiler-1"
TEMPERATURE = "/features/temperature/properties/value"
SHOTS = (  # file name, address, what must be shown before the picture
    ("things", "/console/things", BOILER),
    ("thing-overview", f"/console/things/{BOILER}/overview", "Differs"),
    ("thing-revisions", f"/console/things/{BOILER}/revisions", "Changed"),
    ("thing-history", f"/console/things/{BOILER}/history", "Properties to chart"),
    ("thing-messages", f"/console/things/{BOILER}/messages", "Send message"),
    ("policy", f"/console/policies/{BOILER}", "DEFAULT"),
    ("connections", "/console/connections", "Connections"),
    ("devices", "/console/devices", BOILER),
)


def chart_temperature(page: Any) -> None:
    """The history tab with the boiler's temperature charted over the last 15 minutes."""
    page.get_by_role("combobox", name="Properties to chart").click()
    page.get_by_role("option", name=TEMPERATURE, exact=True).click()
    page.keyboard.press("Escape")
    page.get_by_role("img", name=f"History chart of {TEMPERATURE}").locator("canvas").wait_for()


def seed(console: Console) -> None:
    with console.api() as api:
        for number, room in enumerate(("kitchen", "hall", "basement", "roof", "garage"), start=1):
            api.put(f"/api/2/things/org.acme.plant:sensor-{number}", json={
                "attributes": {"room": room, "vendor": "acme"},
                "features": {"temperature": {"properties": {"value": 18 + number}}}}).raise_for_status()
        api.put(f"/api/2/things/{BOILER}", json={
            "definition": "org.acme:boiler:1.0.0",
            "attributes": {"location": {"site": "Berlin", "building": "B4"}, "model": "HX-200"},
            "features": {
                "temperature": {"properties": {"value": 61.5}, "desiredProperties": {"value": 65}},
                "pump": {"properties": {"on": True, "rpm": 1450}, "desiredProperties": {"on": True, "rpm": 1500}}},
        }).raise_for_status()
        start = datetime.now(UTC) - timedelta(minutes=50)
        for step in range(50):  # a reading a minute over the last hour (stamped back in time)
            value = 60 + 4 * math.sin(step / 6) + (step % 7) * 0.3
            stamp = (start + timedelta(minutes=step)).isoformat().replace("+00:00", "Z")
            api.put(f"/api/2/things/{BOILER}/features/temperature/properties/value", json=round(value, 1),
                    headers={"history-timestamp": stamp})
        api.put(f"/api/2/devices/{BOILER}")  # absent before the devices API: the page shows none


@contextlib.contextmanager
def running(generator: Generator[Any, None, None]) -> Iterator[Any]:
    value = next(generator)
    try:
        yield value
    finally:
        generator.close()


def take(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, running(console_server(Path(tmp) / "data")) as console, \
            running(launched_chromium()) as browser:
        seed(console)
        page = sign_in(browser, console, viewport={"width": 1280, "height": 800}, color_scheme="light")
        for name, path, shown in SHOTS:
            page.goto(console.base_url + path)
            page.get_by_text(shown).locator("visible=true").first.wait_for()
            if name == "thing-history":
                chart_temperature(page)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=out / f"{name}.png")
        dark = sign_in(browser, console, path=f"/console/things/{BOILER}/overview",
                       viewport={"width": 1280, "height": 800}, color_scheme="dark")
        dark.get_by_text("Differs").locator("visible=true").first.wait_for()
        dark.screenshot(path=out / "thing-overview-dark.png")
        phone = sign_in(browser, console, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        phone.get_by_text(BOILER).locator("visible=true").first.wait_for()
        phone.screenshot(path=out / "things-phone.png")


if __name__ == "__main__":
    take(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
