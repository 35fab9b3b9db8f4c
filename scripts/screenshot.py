"""Take full-page screenshots of running app URLs with Debian's Chromium (no browser download).

python scripts/screenshot.py http://127.0.0.1:8501/?lang=en out.png [--width 1440 --height 900]
"""

from __future__ import annotations

import argparse

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("out")
    parser.add_argument("--width", type=int, default=1440)
    parser.add_argument("--height", type=int, default=1500)
    parser.add_argument("--wait", type=float, default=2.0, help="seconds to wait after the page settles")
    args = parser.parse_args()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": args.width, "height": args.height})
        page.goto(args.url, wait_until="networkidle")
        page.wait_for_selector("[data-testid='stMetric'], [data-testid='stAlert']", timeout=60_000)
        page.wait_for_timeout(int(args.wait * 1000))
        page.screenshot(path=args.out)
        browser.close()


if __name__ == "__main__":
    main()
