"""Screenshots of the console's main pages for the README, taken in headless Chromium from a real server with a
few sample things: `make screenshots` (writes docs/screenshots/*.png). Not a test: run it after changing pages."""

from __future__ import annotations

import contextlib
import sys
import tempfile
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

from tests.e2e.browser import launched_chromium
from tests.e2e.console import Console, console_server, sign_in

BOILER = "org.acme.plant:boiler-1"
SHOTS = (  # file name, address, what must be on the page before the picture
    ("things", "/console/things", BOILER),
    ("thing-overview", f"/console/things/{BOILER}/overview", "temperature"),
    ("thing-revisions", f"/console/things/{BOILER}/revisions", "Revision"),
    ("thing-history", f"/console/things/{BOILER}/history", "temperature"),
    ("thing-messages", f"/console/things/{BOILER}/messages", "Send"),
    ("policy", f"/console/policies/{BOILER}", "DEFAULT"),
    ("connections", "/console/connections", "Connections"),
    ("devices", "/console/devices", BOILER),
)


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
        for step in range(40):
            value = 60 + (step % 10) * 0.7 - (step // 10) * 0.4
            api.put(f"/api/2/things/{BOILER}/features/temperature/properties/value", json=round(value, 1))
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
            page.get_by_text(shown).first.wait_for()
            page.wait_for_load_state("networkidle")
            page.screenshot(path=out / f"{name}.png")
        dark = sign_in(browser, console, path=f"/console/things/{BOILER}/overview",
                       viewport={"width": 1280, "height": 800}, color_scheme="dark")
        dark.get_by_text("temperature").first.wait_for()
        dark.screenshot(path=out / "thing-overview-dark.png")
        phone = sign_in(browser, console, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        phone.get_by_text(BOILER).first.wait_for()
        phone.screenshot(path=out / "things-phone.png")


if __name__ == "__main__":
    take(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
