"""Screenshots of the search page with results, at desktop and phone widths, in light and dark schemes.

Usage: python -m bench.screenshots [--query "git bisect"]
Indexes the sample posts, starts `postsearch serve`, opens `/?q=...` in headless Chromium (Debian's chromium and
chromedriver) and writes bench/results/page-<width>-<scheme>.png.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from bench.load import POSTSEARCH, free_port, start_server
from bench.run import REPO, RESULTS

SIZES = {"desktop": (1280, 900), "phone": (390, 844)}


def browser(folder: Path):  # type: ignore[no-untyped-def]
    """Headless Chromium driven by Selenium."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--user-data-dir={folder}"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver") or "chromedriver"), options=options)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--query", default="git bisect")
    args = parser.parse_args()
    from selenium.webdriver.common.by import By

    with tempfile.TemporaryDirectory(prefix="postsearch-shots-") as work:
        index_dir = Path(work) / "index"
        subprocess.run([POSTSEARCH, "index", str(REPO / "posts"), "--index", str(index_dir)], check=True, capture_output=True)
        port = free_port()
        server = start_server(index_dir, port, 1)
        driver = browser(Path(work) / "profile")
        try:
            for size_name, (width, height) in SIZES.items():
                for scheme in ("light", "dark"):
                    driver.set_window_size(width, height)
                    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]})
                    driver.get(f"http://127.0.0.1:{port}/?{urlencode({'q': args.query})}")
                    for _ in range(100):
                        if driver.find_elements(By.CSS_SELECTOR, ".ps-hit"):
                            break
                        time.sleep(0.1)
                    target = RESULTS / f"page-{size_name}-{scheme}.png"
                    driver.save_screenshot(str(target))
                    print(target.relative_to(REPO))
        finally:
            driver.quit()
            server.terminate()
            server.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
