"""Debian's headless Chromium, driven by playwright, for checking and timing the report.

`make browser` installs it; playwright never downloads a browser of its own here. The flags
keep Chromium from calling home: on a closed network those calls fail and log errors."""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("SEGSCOPE_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def launch(playwright):
    """A headless Chromium browser from a running `sync_playwright()`."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
