"""Photos are decoded and drawn again with Pillow, so that only their pixels are kept.

Whatever else the file carried (EXIF with GPS, comments, an HTML page or a script after the
image data, a second image) is left behind. The size in pixels is checked before any pixel is
decoded, so a small file that would expand into gigabytes is refused cheaply.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps

from civicdesk.core.errors import ValidationFailed

# A 48-megapixel phone photo is 8,000 by 6,000; anything much bigger is not a photo of a pothole.
MAX_IMAGE_PIXELS = 50_000_000
JPEG_QUALITY = 90
# Level 3 compresses a 3-megapixel photo in a third of the time of the default 6, and smaller.
PNG_COMPRESS_LEVEL = 3
_MODES_KEPT = {"JPEG": ("RGB", "L"), "PNG": ("RGB", "RGBA", "L", "LA")}


def image_reencode(*, content: bytes, image_format: str, name: str) -> bytes:
    """The image's pixels, upright, in a fresh file of the same format; metadata removed."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(content), formats=[image_format]) as image:
                _check_size(image, name=name)
                image.load()
                upright = ImageOps.exif_transpose(image)
                pixels = _kept_mode(upright, image_format=image_format)
        except ValidationFailed:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels(name) from None
        except Exception:
            # Pillow raises many kinds of error for damaged or disguised files.
            raise ValidationFailed(
                f"{name} could not be read as an image",
                fields={"file": "The selected file could not be read. It may be damaged"},
            ) from None
    return _encoded(pixels, image_format=image_format)


def _check_size(image: Image.Image, *, name: str) -> None:
    width, height = image.size
    if width < 1 or height < 1 or width * height > MAX_IMAGE_PIXELS:
        raise _too_many_pixels(name)
    if getattr(image, "n_frames", 1) > 1:
        image.seek(0)


def _too_many_pixels(name: str) -> ValidationFailed:
    return ValidationFailed(
        f"{name} is too large an image",
        fields={
            "file": "The selected image is too large. Upload a photo smaller than 50 megapixels"
        },
    )


def _kept_mode(image: Image.Image, *, image_format: str) -> Image.Image:
    kept = _MODES_KEPT[image_format]
    has_transparency = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if "RGBA" in kept and has_transparency and image.mode not in ("RGBA", "LA"):
        return image.convert("RGBA")
    if image.mode in kept:
        return image
    return image.convert("RGB")


def _encoded(image: Image.Image, *, image_format: str) -> bytes:
    """Save only the pixels: the savers also read text, EXIF, XMP and colour profiles from
    ``info``, so it is emptied first (``image`` is always our own copy)."""
    image.info = {}
    output = io.BytesIO()
    if image_format == "JPEG":
        image.save(output, format="JPEG", quality=JPEG_QUALITY)
    else:
        image.save(output, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return output.getvalue()
