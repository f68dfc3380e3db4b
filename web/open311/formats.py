"""The spec's two formats: JSON, and XML (a root element holding one element per item, e.g.
<services><service>…</service></services>, with the XML declaration in UTF-8). An error is a
list of {code, description} in the same format, with the same HTTP status."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any
from xml.etree import ElementTree

from aiohttp import web

FORMATS = ("json", "xml")
FORMAT = "{fmt:(json|xml)}"
_dumps = partial(json.dumps, ensure_ascii=False)
# What an XML 1.0 document cannot hold, not even escaped: the C0 controls but tab, line feed
# and carriage return, and U+FFFE, U+FFFF. One pasted into a description made the whole list
# a document no client's parser reads; JSON escapes them and keeps them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def answer(
    fmt: str,
    data: Sequence[Mapping[str, Any]] | Mapping[str, Any],
    *,
    root: str,
    item: str,
    status: int = 200,
) -> web.Response:
    """``data``: a list (the spec answers most things with one) or one object (a service's
    definition), whose XML is the object's fields under ``root``."""
    if fmt == "json":
        return web.json_response(data, status=status, dumps=_dumps)
    element = ElementTree.Element(root)
    if isinstance(data, Mapping):
        _fields(element, data)
    else:
        for row in data:
            _fields(ElementTree.SubElement(element, item), row)
    body = ElementTree.tostring(element, encoding="UTF-8", xml_declaration=True)
    return web.Response(body=body, status=status, content_type="text/xml", charset="utf-8")


def errors(fmt: str, status: int, description: str) -> web.Response:
    return answer(
        fmt if fmt in FORMATS else "json",
        [{"code": status, "description": description}],
        root="errors",
        item="error",
        status=status,
    )


def _fields(parent: ElementTree.Element, row: Mapping[str, Any]) -> None:
    for name, value in row.items():
        child = ElementTree.SubElement(parent, name)
        if isinstance(value, list):
            for entry in value:  # e.g. a definition's attributes: none today
                _fields(ElementTree.SubElement(child, "attribute"), entry)
        else:
            child.text = _text(value)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))
