"""The printable PDFs, read back with a PDF reader: the stairwell posters (a page per building,
the names in the community's language when a Chinese font is installed, English words and Latin
names when not) and the whistle's work order (one page, photos scaled in, XLSX alike)."""

from __future__ import annotations

import functools
import io
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader

from bot.documents.pdf import PdfUnavailable, cjk_family, html_to_pdf, needs_cjk
from bot.documents.posters import PosterPage, posters_pdf
from bot.documents.sheet import WorkOrderSheet
from bot.documents.work_order import work_order_pdf, work_order_xlsx
from bot.i18n import Translations
from bot.services import Services
from bot.services.errors import ServiceError
from bot.services.links import start_link
from bot.services.poster_sheets import PosterSheets
from storage.db import Database
from tests.conftest import FakeClock
from tests.test_scheduler import make_town

USERNAME = "louzhang_test_bot"


@functools.cache
def _pdf_problem() -> str | None:
    try:
        html_to_pdf("<p>x</p>")
    except PdfUnavailable as error:
        return str(error)
    return None


@pytest.fixture(autouse=True)
def weasyprint_works() -> None:
    if (problem := _pdf_problem()) is not None:
        pytest.skip(f"PDFs cannot be made here: {problem} (Debian: libpango-1.0-0)")


def text_of(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def link(payload: str) -> str:
    return start_link(USERNAME, payload)


# ----------------------------------------------------------------------------- posters


async def test_one_poster_page_per_building_with_its_names_and_link(
    services: Services, db: Database, clock: FakeClock, translations: Translations
) -> None:
    town = await make_town(services, db, clock)
    pages = await PosterSheets(db).pages("塘中社区", [], link)
    assert [p.code for p in pages] == ["A1", "A2", "B1"]
    _, payload = await services.community.join_payload("A2")
    assert pages[1].link == link(payload)  # the link the building's QR code holds
    pdf = posters_pdf(translations.bind("zh-hans"), translations.bind("en"), pages)
    texts = text_of(pdf)
    assert len(texts) == len(town.buildings) == 3
    for page, text in zip(pages, texts, strict=True):
        assert page.code in text and page.link in text
        if cjk_family() is not None:
            assert page.building in text and "塘中社区" in text
            assert "用手机相机扫描二维码" in text


async def test_a_selection_of_codes_prints_those_posters_in_that_order(
    services: Services, db: Database, clock: FakeClock, translations: Translations
) -> None:
    await make_town(services, db, clock)
    pages = await PosterSheets(db).pages("塘中社区", ["B1", "A1", "B1"], link)
    assert [p.code for p in pages] == ["B1", "A1"]
    pdf = posters_pdf(translations.bind("en"), translations.bind("en"), pages)
    texts = text_of(pdf)
    assert len(texts) == 2 and "B1" in texts[0] and "A1" in texts[1]
    assert "Scan the QR code" in texts[0]


async def test_an_unknown_code_or_community_prints_nothing(
    services: Services, db: Database, clock: FakeClock
) -> None:
    await make_town(services, db, clock)
    with pytest.raises(ServiceError) as refused:
        await PosterSheets(db).pages("塘中社区", ["A1", "Z9"], link)
    assert refused.value.key == "building-not-found" and refused.value.args_ == {"code": "Z9"}
    with pytest.raises(ServiceError) as refused:
        await PosterSheets(db).pages("Nowhere", [], link)
    assert refused.value.key == "community-not-found"


def test_without_a_chinese_font_the_posters_speak_english_and_stay_valid(
    translations: Translations,
) -> None:
    pages = [
        PosterPage("塘中社区", "塘中新村1栋", "A1", link("jAAAA")),
        PosterPage("Tangzhong", "Block 2", "A2", link("jBBBB")),
    ]
    pdf = posters_pdf(translations.bind("zh-hans"), translations.bind("en"), pages, font=None)
    texts = text_of(pdf)
    assert len(texts) == 2
    assert not any(needs_cjk(text) for text in texts)  # no boxes where characters would be
    assert "A1" in texts[0] and "Scan the QR code" in texts[0]
    assert "Block 2" in texts[1] and "Tangzhong" in texts[1]


# ----------------------------------------------------------------------------- work order


def photo(color: str, size: tuple[int, int] = (2400, 1800), kind: str = "JPEG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, kind)
    return buffer.getvalue()


SHEET = WorkOrderSheet(
    reference="WO-2026-0007",
    community="塘中社区",
    building="塘中新村1栋",
    category="路灯",
    created_at=datetime(2026, 11, 20, 1, 30, tzinfo=UTC),
    forwarded_at=datetime(2026, 11, 21, 3, 0, tzinfo=UTC),
    timezone="Asia/Shanghai",
    department="狮山镇街道办",
    description='=HYPERLINK("http://evil.example") 路灯坏了三天，晚上很黑。<b>not bold</b>',
    location="塘中路1号门口",
    latitude=23.123456,
    longitude=113.2,
    reporter="张三, +8613800000001",
    coordinator="李主任",
    photos=(photo("red"), b"not an image", photo("blue", (600, 900), "PNG")),
)


def test_the_work_order_is_one_page_with_its_facts_and_photos() -> None:
    pdf = work_order_pdf(SHEET)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "WO-2026-0007" in text
    assert "2026-11-20 09:30" in text and "2026-11-21 11:00" in text  # Shanghai's time
    assert "23.123456, 113.200000" in text
    assert "<b>not bold</b>" in text  # the resident's words are text, never markup
    if cjk_family() is not None:
        assert "狮山镇街道办" in text and "有一张照片无法读取" in text
    images = list(reader.pages[0].images)
    assert len(images) == 2  # the unreadable one is left out, and said so


def test_a_long_description_and_many_photos_still_fit_one_page() -> None:
    crowded = replace(
        SHEET,
        description="路灯坏了三天，晚上很黑，老人走路看不见。" * 120,
        photos=tuple(photo(c) for c in ("red", "green", "blue", "gray", "black", "white")),
    )
    reader = PdfReader(io.BytesIO(work_order_pdf(crowded)))
    assert len(reader.pages) == 1
    assert len(list(reader.pages[0].images)) == 6


def test_without_a_chinese_font_the_work_orders_labels_are_english() -> None:
    text = text_of(work_order_pdf(SHEET, font=None))
    assert len(text) == 1 and "Work order WO-2026-0007" in text[0] and "Forwarded" in text[0]


def test_the_work_order_xlsx_holds_the_same_facts_and_the_photos() -> None:
    book = load_workbook(io.BytesIO(work_order_xlsx(SHEET, Translations())))
    sheet = book.active
    assert sheet is not None
    facts = {r[0].value: r[1] for r in sheet.iter_rows(min_row=3) if r[0].value}
    assert sheet["A1"].value == "派单 WO-2026-0007"
    assert facts["接收部门"].value == "狮山镇街道办"
    assert facts["问题描述"].value == SHEET.description
    assert facts["问题描述"].data_type == "s"  # not a formula
    assert facts["报告时间"].value == "2026-11-20 09:30"
    # openpyxl keeps them there (a private list its stubs leave out)
    assert len(sheet._images) == 2  # type: ignore[attr-defined]  # noqa: SLF001
    english = load_workbook(
        io.BytesIO(work_order_xlsx(replace(SHEET, language="en", photos=())))
    ).active
    assert english is not None and english["A1"].value == "Work order WO-2026-0007"
