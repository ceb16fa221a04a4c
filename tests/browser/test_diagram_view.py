"""The case diagram opens on the current step at a readable scale, wide screen and phone alike."""
import pytest

from tests.browser.support import MOBILE, diagram_ready
from tests.webapp import approved_purchase

pytestmark = pytest.mark.browser

TASK_WIDTH = 100  # the width of a task in the procurement diagram's DI


@pytest.mark.parametrize(("options", "smallest"), [({"viewport": {"width": 1366, "height": 900}}, 0.9),
                                                   (MOBILE, 0.75)])
def test_the_diagram_opens_centred_on_the_current_step_at_a_readable_scale(live_server, page_as, options, smallest):
    case_id = approved_purchase(live_server.runtime, "ops.lin")[0]
    page = page_as("ops.lin", **options)
    page.goto(f"/cases/{case_id}")
    diagram = diagram_ready(page)
    frame = diagram.bounding_box()
    step = page.locator(".djs-element.opsflow-current .djs-visual").first.bounding_box()
    assert step["width"] >= TASK_WIDTH * smallest - 1, step  # drawn at the readable scale or larger
    centre_x, centre_y = step["x"] + step["width"] / 2, step["y"] + step["height"] / 2
    assert abs(centre_x - (frame["x"] + frame["width"] / 2)) < frame["width"] / 4, (step, frame)
    assert frame["y"] < centre_y < frame["y"] + frame["height"], (step, frame)
