"""make_screenshots.py keeps working: both README screenshots come out 1280 wide and under 400 KB."""
import struct

import pytest

from engine.clock import ManualClock
from tests.browser.live import PageWatch, serving
from tests.browser.make_screenshots import MAX_BYTES, MONDAY, make_screenshots
from tests.conftest import ROOT

pytestmark = pytest.mark.browser


def png_size(path):
    """(width, height) from a PNG's header."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


def test_readme_screenshots_are_made(browser, browser_db, tmp_path):
    with serving(browser_db, tmp_path, ManualClock(MONDAY)) as live:
        watch = PageWatch(live)
        shots = make_screenshots(browser, live, ROOT / "tests" / "artifacts" / "readme-screenshots", watch.watch)
        watch.check()
    for path in shots:
        width, height = png_size(path)
        assert width == 1280 and 600 <= height <= 2400, (path.name, width, height)
        assert path.stat().st_size < MAX_BYTES, (path.name, path.stat().st_size)
