import pytest

# A small card: a red square and a line of text on white.
BOX_AND_TITLE = {
    "width": 120,
    "height": 80,
    "background": "#ffffff",
    "elements": [
        {"name": "box", "type": "rect", "x": 10, "y": 10, "width": 50, "height": 50, "fill": "#ff0000"},
        {"name": "title", "type": "text", "x": 0, "y": 60, "width": 120, "height": 20, "text": "Hi"},
    ],
}


@pytest.fixture
def small_card(api):
    """BOX_AND_TITLE saved as alice's template (the API's answer)."""
    return api.post("/api/v1/templates", BOX_AND_TITLE, format="json").json()
