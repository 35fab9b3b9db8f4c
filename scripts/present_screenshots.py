"""Screenshots of presentation mode at 1280×720: every presented page and every slideshow slide, in
the languages and themes asked for, into docs/screenshots/present/ (needs a running app).

.venv/bin/python -m scripts.present_screenshots http://127.0.0.1:8501 [--lang zh en] [--theme light]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lib.ui import shell
from tests.support import layout
from tests.support.browser import OfflineGuard, launch_chromium

OUT = Path("docs/screenshots/present")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("base_url")
    parser.add_argument("--lang", nargs="+", default=["zh", "en"])
    parser.add_argument("--theme", nargs="+", default=["light"])
    parser.add_argument("--pages", nargs="+", default=list(shell.PRESENTED))
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    with launch_chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        guard = OfflineGuard()
        guard.attach(page)
        for lang in args.lang:
            for theme in args.theme:
                for name in args.pages:
                    page.goto(layout.presented_url(args.base_url, name, lang=lang, theme=theme))
                    layout.settle(page)
                    if name != "slideshow":
                        page.screenshot(path=OUT / f"{name or 'overview'}_{lang}_{theme}.png")
                        continue
                    number, total = layout.slide_position(page)
                    while True:
                        page.screenshot(path=OUT / f"slide{number:02d}_{lang}_{theme}.png")
                        if number == total:
                            break
                        layout.next_slide(page)
                        number, total = layout.slide_position(page)
        guard.assert_offline()


if __name__ == "__main__":
    main()
