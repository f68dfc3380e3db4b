"""A GET of service requests whose start_date is not before its end_date (the two swapped by
a client) is the spec's 400 naming the mistake, not an empty list that reads as "nothing was
reported in that time"."""

from __future__ import annotations

from storage.db import Database
from tests.factories import World
from tests.test_open311 import (
    BASE,
    Http,
    config,
    get_json,
    http,
    key,
    monotonic,
    request_form,
    world,
)

__all__ = ["config", "http", "key", "monotonic", "world"]  # fixtures


async def test_swapped_dates_are_refused_not_an_empty_list(
    http: Http, world: World, db: Database, key: str
) -> None:
    filed = await http.post(BASE + "/requests.json", data=request_form(key))
    assert filed.status == 200
    start, end = "2026-11-01T00:00:00+08:00", "2026-11-30T00:00:00+08:00"
    status, found = await get_json(
        http, "/requests.json", api_key=key, start_date=start, end_date=end
    )
    assert status == 200 and [r["service_request_id"] for r in found] == ["1"]
    for swapped in ((end, start), (start, start)):
        status, answer = await get_json(
            http, "/requests.json", api_key=key, start_date=swapped[0], end_date=swapped[1]
        )
        assert status == 400
        assert answer == [{"code": 400, "description": "start_date must be before end_date."}]
    response = await http.get(
        BASE + "/requests.xml", params={"api_key": key, "start_date": end, "end_date": start}
    )
    assert response.status == 400 and "start_date must be before end_date." in await response.text()
