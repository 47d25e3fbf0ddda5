"""Reading rendered images back for assertions."""

import base64
import io

from django.test import Client
from PIL import Image as PILImage


def open_image(content: bytes) -> PILImage.Image:
    return PILImage.open(io.BytesIO(content)).convert("RGBA")


def close_to(actual, expected, tolerance: int = 12) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=False))


def png_data_uri(color: tuple[int, int, int], size: tuple[int, int] = (40, 20)) -> str:
    buffer = io.BytesIO()
    PILImage.new("RGB", size, color).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def dark_pixels_in(image: PILImage.Image, box: tuple[int, int, int, int], threshold: int = 100) -> int:
    """How many pixels in `box` (left, top, right, bottom) are darker than `threshold`."""
    region = image.crop(box).convert("L")
    return sum(1 for value in region.get_flattened_data() if value < threshold)


def fetch(url: str):
    """GET an image URL anonymously, as a browser would."""
    path = url.removeprefix("https://img.example.test")
    return Client().get(path)
