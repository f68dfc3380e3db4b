"""A photo from a phone's browser, checked by its content (an image library decodes it; the
file's name and declared type are not trusted) and re-encoded as a JPEG no larger than a
Telegram photo needs: the door's script resizes before upload, this does it for a phone
without scripts, and drops whatever the file carried besides pixels (EXIF, a GPS position)."""

from __future__ import annotations

import io
import warnings

from bot.services.errors import ServiceError

# What the server reads at most per photo (a phone's camera file without the door's script).
MAX_UPLOAD = 8 * 1024 * 1024
# The long side kept: what Telegram shows of a photo anyway.
MAX_SIDE = 1600
# Decoding a "photo" of 50,000 × 50,000 pixels would take gigabytes: refused before.
MAX_PIXELS = 40_000_000
QUALITY = 82


def clean_photo(data: bytes) -> bytes:
    """The photo as a JPEG of at most MAX_SIDE pixels a side; ServiceError when ``data`` is
    too big or not a picture."""
    if len(data) > MAX_UPLOAD:
        raise ServiceError("door-photo-too-big", max=MAX_UPLOAD // (1024 * 1024))
    # Here, not at the top: Pillow stays out of the bot's memory until a photo comes.
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise ServiceError("door-photo-bad")
                image.load()
                picture = ImageOps.exif_transpose(image).convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise ServiceError("door-photo-bad") from error
    except Image.DecompressionBombWarning as error:
        raise ServiceError("door-photo-bad") from error
    picture.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=QUALITY, optimize=True)
    return out.getvalue()
