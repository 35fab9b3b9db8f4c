"""Screenshot running app URLs with Debian's Chromium (no browser download), e.g. for the README.

.venv/bin/python -m scripts.screenshot "http://127.0.0.1:8501/?lang=en" out.png [--width 1440] [--height 1250]
"""

from __future__ import annotations

import argparse

from tests.support.browser import OfflineGuard, launch_chromium


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("out")
    parser.add_argument("--width", type=int, default=1440)
    parser.add_argument("--height", type=int, default=1250)
    parser.add_argument("--wait", type=float, default=2.0, help="seconds to wait after the page settles")
    args = parser.parse_args()
    with launch_chromium() as browser:
        page = browser.new_page(viewport={"width": args.width, "height": args.height})
        guard = OfflineGuard()
        guard.attach(page)
        page.goto(args.url, wait_until="networkidle")
        ready = ", ".join(
            [
                "[data-testid='stMetric']",
                "[data-testid='slide-position']",
                "[data-testid='stAlert']",
                "[data-testid='stDeckGlJsonChart'] canvas",
            ]
        )
        page.wait_for_selector(ready, timeout=60_000)
        page.wait_for_timeout(int(args.wait * 1000))
        page.screenshot(path=args.out)
        guard.assert_offline()


if __name__ == "__main__":
    main()
