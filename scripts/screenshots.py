"""Screenshots of the demo for the README: builds the demo in a temporary folder, serves it on
loopback and drives Debian's Chromium with Playwright.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import shutil
import socket
import tempfile
import threading
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from circo.config import Settings
from circo.demo import build_demo
from circo.runtime import open_runtime
from circo.web.app import create_app

PAGES = [
    ("dashboard", "/c/demo/", (1280, 800)),
    ("results", "/c/demo/elections", (1280, 900)),
    ("maps", "/c/demo/elections/maps", (1280, 900)),
    ("targeting", "/c/demo/targeting", (1280, 900)),
    ("assistant-phone", "/c/demo/assistant?q=retraites", (390, 844)),
    ("contacts", "/c/demo/contacts", (1280, 800)),
    ("field", "/c/demo/field", (1280, 800)),
    ("privacy", "/c/demo/privacy", (1280, 800)),
    ("finance", "/c/demo/finance", (1280, 900)),
    ("settings", "/c/demo/settings", (1280, 900)),
    ("scenario", "/c/demo/targeting/scenario", (1280, 900)),
    ("night", "/c/demo/night", (1280, 900)),
    ("studio", "/c/demo/assistant/studio", (1280, 900)),
    ("calls-phone", "/c/demo/calls", (390, 844)),
]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="circo-shots-"))
    settings = Settings(data_dir=folder, secret_key="screenshots-secret-key-0123456789")
    runtime = open_runtime(settings, migrate=True)
    credentials = build_demo(runtime)
    app = create_app(settings, runtime=runtime)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    chromium = shutil.which("chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="fr-FR")
        page = context.new_page()
        page.goto(f"{base}/login")
        page.get_by_label("Adresse e-mail").fill(credentials.email)
        page.get_by_label("Mot de passe").fill(credentials.password)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(f"{base}/c/demo/")
        for name, path, (width, height) in PAGES:
            page.set_viewport_size({"width": width, "height": height})
            page.goto(base + path)
            page.screenshot(path=str(args.out / f"{name}.png"))
            print(f"{name}: {page.title()}")
        browser.close()
    server.should_exit = True
    thread.join(timeout=10)
    runtime.close()
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
