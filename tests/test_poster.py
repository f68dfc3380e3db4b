"""The stairwell poster drawn by the real child process (bot.drawing, bot.poster_art): its words
say which building it is, in the head's language when the machine has a font for it and in
English otherwise (never boxes), and its QR code is the join link's. The /joinlink side is in
test_staff. Whatever imports matplotlib runs in a child interpreter (test_chart.child)."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

from bot.services import Services
from bot.services.poster import qr_png
from tests.test_chart import FONTS, child
from tests.test_staff import EXAMPLE

LINK = "https://t.me/louzhang_test_bot?start=AbCdEfGhIjKlMnOpQrStUv"
SETUP = (
    FONTS
    + "from bot.poster_art import Poster, PosterWords, draw_poster, qr_matrix, render_poster\n"
    + f"LINK = {LINK!r}\n"
    + "WORDS = PosterWords('塘中新村1栋', '塘中社区 · TZ-A01',\n"
    + "                    '用手机扫一扫，加入本楼，有问题直接告诉楼长。')\n"
    + "ENGLISH = PosterWords('TZ-A01', '', 'Scan with your phone camera to join this building.')\n"
    + "POSTER = Poster(LINK, WORDS, ENGLISH)\n"
    + "texts = lambda figure: [t.get_text() for t in figure.texts]\n"
)


def size(png: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
    return width, height


def test_the_poster_names_the_building_with_a_chinese_font_or_in_english(tmp_path: Path) -> None:
    characters = "".join(
        ["塘中新村1栋", "塘中社区 · TZ-A01", "用手机扫一扫，加入本楼，有问题直接告诉楼长。"]
    )
    child(
        SETUP
        + f"font = make_cjk_font(Path({str(tmp_path)!r}) / 'cjk.ttf', {characters!r})\n"
        + "from matplotlib import font_manager\n"
        + "font_manager.fontManager.addfont(str(font))\n"
        + "assert texts(draw_poster(POSTER, FAMILY)) == [WORDS.heading, WORDS.subheading,"
        + " WORDS.instruction, LINK]\n"
        + "assert texts(draw_poster(POSTER, None)) == [ENGLISH.heading, ENGLISH.subheading,"
        + " ENGLISH.instruction, LINK]\n"
        + "png, english = render_poster(POSTER, find_font=lambda: FAMILY)\n"
        + "assert png.startswith(b'\\x89PNG') and not english\n"
        + "png, english = render_poster(POSTER, find_font=lambda: None)\n"
        + "assert png.startswith(b'\\x89PNG') and english\n"
    )


def test_the_posters_qr_code_is_the_join_links() -> None:
    """The same code as the bare QR image of the link (bot.services.poster.qr_png: 12 pixels a
    module, 4 modules of quiet zone), module for module."""
    bare = qr_png(LINK)
    child(
        SETUP
        + "import io\n"
        + "from PIL import Image\n"
        + f"bare = Image.open(io.BytesIO({bare!r})).convert('1')\n"
        + "side = bare.size[0] // 12\n"
        + "modules = [[int(bare.getpixel((12 * x + 6, 12 * y + 6)) == 0) for x in range(side)]\n"
        + "           for y in range(side)]\n"
        + "assert qr_matrix(LINK) == modules\n"
        + "assert qr_matrix(LINK + 'x') != modules\n"
        + "image = draw_poster(POSTER, None).axes[0].get_images()[0]\n"
        + "assert image.get_array().tolist() == modules\n"
    )


async def test_a_real_poster_for_a_building(services: Services) -> None:
    """Through the service and the real child: an A4 page (not the bare code), with English
    words exactly when this machine has no font for Chinese."""
    from bot.services.community import parse_buildings_csv

    report = await services.community.import_buildings(
        parse_buildings_csv(EXAMPLE.read_text(encoding="utf-8"))
    )
    building = await services.community.find_building("TZ-A01")
    assert report.buildings
    poster = await services.posters.poster(building.id, LINK, "zh-hans")
    assert not poster.bare and poster.png.startswith(b"\x89PNG")
    assert size(poster.png) == (1240, 1753)  # A4 at 150 dpi
    assert poster.png != qr_png(LINK)
    if not chinese_fonts():
        assert poster.english


def chinese_fonts() -> str:
    listing = subprocess.run(
        ["fc-list", ":lang=zh", "file"], capture_output=True, text=True, check=False
    )
    return listing.stdout.strip()
