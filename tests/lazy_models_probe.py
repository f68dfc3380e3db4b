"""What aiogram's models make of the Bot API's data, printed as JSON for tests/test_lazy_models.py,
which runs it in fresh interpreters with aiogram's models built lazily (``lazy``: the bot's
telegram/lazy_models.py) or as aiogram builds them at import (``eager``), and compares.

    python -m tests.lazy_models_probe lazy|eager|lazy-no-namespace

``lazy-no-namespace`` defers the builds as the shim does but gives the models no namespace: the
test shows that this is what the shim's namespace is for.

Printed: the updates the bot handles, validated and dumped back; the answers of every method the
bot calls, read as aiogram's session reads them (``Response[<result type>]``); the requests the
bot builds, dumped as the session sends them; then every model of aiogram.types and
aiogram.methods built (``model_rebuild()`` with no namespace, in an order unlike the import's)
and a digest of its JSON schema.
"""

from __future__ import annotations

import hashlib
import json
import sys
import warnings
from typing import Any

import pydantic
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue, PydanticJsonSchemaWarning
from pydantic_core import core_schema

USER = {
    "id": 42,
    "is_bot": False,
    "first_name": "Li",
    "last_name": "Wei",
    "language_code": "zh-hans",
}
CHAT = {"id": 42, "type": "private", "first_name": "Li", "last_name": "Wei"}
BOT_USER = {"id": 777, "is_bot": True, "first_name": "Louzhang", "username": "louzhang_bot"}


def _message(message_id: int, **content: Any) -> dict[str, Any]:
    return {"message_id": message_id, "date": 1764900000, "chat": CHAT, "from": USER, **content}


PHOTO = [
    {"file_id": "p-small", "file_unique_id": "u1", "width": 90, "height": 67, "file_size": 1200},
    {"file_id": "p-big", "file_unique_id": "u2", "width": 1280, "height": 960, "file_size": 98000},
]
BUTTONS = {"inline_keyboard": [[{"text": "Take", "callback_data": "tk1:take:12"}]]}

UPDATES: dict[str, dict[str, Any]] = {
    "text": {"update_id": 1, "message": _message(1, text="/start b-12")},
    "command": {
        "update_id": 2,
        "message": _message(
            2, text="/tickets", entities=[{"type": "bot_command", "offset": 0, "length": 8}]
        ),
    },
    "photo": {"update_id": 3, "message": _message(3, photo=PHOTO, caption="the lift")},
    "location": {
        "update_id": 4,
        "message": _message(4, location={"latitude": 31.23, "longitude": 121.47}),
    },
    "contact": {
        "update_id": 5,
        "message": _message(
            5, contact={"phone_number": "+8613800000000", "first_name": "Li", "user_id": 42}
        ),
    },
    "voice": {
        "update_id": 6,
        "message": _message(
            6,
            voice={
                "file_id": "v1",
                "file_unique_id": "uv1",
                "duration": 4,
                "mime_type": "audio/ogg",
                "file_size": 9000,
            },
        ),
    },
    "reply": {
        "update_id": 7,
        "message": _message(
            7,
            text="fixed?",
            reply_to_message={**_message(6, text="card", reply_markup=BUTTONS), "from": BOT_USER},
        ),
    },
    "callback_query": {
        "update_id": 8,
        "callback_query": {
            "id": "cb1",
            "from": USER,
            "chat_instance": "ci",
            "data": "tk1:take:12",
            "message": {
                **_message(9, text="Ticket 12", reply_markup=BUTTONS),
                "from": BOT_USER,
                "edit_date": 1764900100,
            },
        },
    },
    "callback_query_old_message": {
        "update_id": 9,
        "callback_query": {
            "id": "cb2",
            "from": USER,
            "chat_instance": "ci",
            "data": "hp1:x",
            "message": {"message_id": 3, "date": 0, "chat": CHAT},
        },
    },
    "my_chat_member": {
        "update_id": 10,
        "my_chat_member": {
            "chat": CHAT,
            "from": USER,
            "date": 1764900000,
            "old_chat_member": {"status": "member", "user": BOT_USER},
            "new_chat_member": {"status": "kicked", "user": BOT_USER, "until_date": 0},
        },
    },
    "edited_message": {"update_id": 11, "edited_message": _message(12, text="edited")},
}

SENT = {**_message(20, text="Ticket 12: the lift", reply_markup=BUTTONS), "from": BOT_USER}
ANSWERS: dict[str, Any] = {
    "SendMessage": SENT,
    "SendPhoto": {**_message(21, photo=PHOTO, caption="chart"), "from": BOT_USER},
    "SendVoice": {**UPDATES["voice"]["message"], "from": BOT_USER},
    "SendLocation": {**UPDATES["location"]["message"], "from": BOT_USER},
    "SendDocument": {
        **_message(22, document={"file_id": "d1", "file_unique_id": "ud1", "file_name": "a.pdf"}),
        "from": BOT_USER,
    },
    "SendChatAction": True,
    "EditMessageText": SENT,
    "EditMessageReplyMarkup": SENT,
    "DeleteMessage": True,
    "AnswerCallbackQuery": True,
    "GetMe": {**BOT_USER, "can_join_groups": True, "supports_inline_queries": False},
    "GetUpdates": list(UPDATES.values()),
    "SetMyCommands": True,
    "DeleteMyCommands": True,
    "SetWebhook": True,
    "DeleteWebhook": True,
    "GetWebhookInfo": {"url": "", "has_custom_certificate": False, "pending_update_count": 0},
    "GetFile": {"file_id": "v1", "file_unique_id": "uv1", "file_size": 9000, "file_path": "v/1"},
}


def _requests() -> dict[str, Any]:
    from aiogram import methods, types
    from aiogram.client.default import Default

    markup = types.InlineKeyboardMarkup(
        inline_keyboard=[[types.InlineKeyboardButton(text="Take", callback_data="tk1:take:12")]]
    )
    built: list[pydantic.BaseModel] = [
        methods.SendMessage(chat_id=42, text="hello", reply_markup=markup),
        methods.SendMessage(
            chat_id=42,
            text="menu",
            reply_markup=types.ReplyKeyboardMarkup(
                keyboard=[[types.KeyboardButton(text="Share", request_contact=True)]],
                resize_keyboard=True,
            ),
        ),
        methods.SendMessage(chat_id=42, text="bye", reply_markup=types.ReplyKeyboardRemove()),
        methods.SendPhoto(chat_id=42, photo="p-big", caption="c", reply_markup=markup),
        methods.SendPhoto(chat_id=42, photo=types.BufferedInputFile(b"png", "chart.png")),
        methods.SendVoice(chat_id=42, voice="v1", caption="c"),
        methods.SendLocation(chat_id=42, latitude=31.23, longitude=121.47),
        methods.EditMessageText(chat_id=42, message_id=20, text="t", reply_markup=markup),
        methods.EditMessageReplyMarkup(chat_id=42, message_id=20, reply_markup=markup),
        methods.DeleteMessage(chat_id=42, message_id=20),
        methods.AnswerCallbackQuery(callback_query_id="cb1", text="ok"),
        methods.SetMyCommands(
            commands=[types.BotCommand(command="start", description="Start")],
            scope=types.BotCommandScopeChat(chat_id=42),
            language_code="en",
        ),
        methods.GetUpdates(offset=3, timeout=30, allowed_updates=["message", "callback_query"]),
        methods.SetWebhook(url="https://example.invalid/hook", secret_token="s"),
    ]

    # As the session sends them: model_dump(warnings=False), then each value on its own (the
    # placeholders of the bot's defaults and the uploads named here).
    def plain(value: Any) -> str:
        return repr(value) if isinstance(value, Default) else type(value).__name__

    return {
        f"{i}:{type(m).__name__}": json.loads(
            json.dumps(m.model_dump(warnings=False, exclude_none=True), default=plain)
        )
        for i, m in enumerate(built)
    }


def _models() -> list[type[pydantic.BaseModel]]:
    from aiogram import methods, types

    found = []
    for module in (types, methods):
        for name in module.__all__:
            value = getattr(module, name)
            if isinstance(value, type) and issubclass(value, pydantic.BaseModel):
                found.append(value)
    return found


# The models whose JSON schema is compared: those the bot meets, and every fourth of the rest (all
# of them take ~20 s more; each is built either way).
SCHEMAS_OF = {
    "Update", "Message", "CallbackQuery", "ChatMemberUpdated", "User", "Chat", "PhotoSize",
    "Voice", "Location", "Contact", "InlineKeyboardMarkup", "ReplyKeyboardMarkup", "File",
    "WebhookInfo", "SendMessage", "SendPhoto", "SendVoice", "SendLocation", "SendDocument",
    "EditMessageText", "EditMessageReplyMarkup", "AnswerCallbackQuery", "SetMyCommands",
    "GetUpdates", "SetWebhook",
}  # fmt: skip


class _Schema(GenerateJsonSchema):
    """pydantic's JSON schema, with the file uploads (an isinstance check) named, not refused."""

    def is_instance_schema(self, schema: core_schema.IsInstanceSchema) -> JsonSchemaValue:
        return {"isInstance": schema["cls"].__qualname__}


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def main(mode: str) -> dict[str, Any]:
    if mode == "lazy":
        from telegram.lazy_models import install

        assert install(), "aiogram imported before the shim"
    elif mode == "lazy-no-namespace":
        # The shim without its namespace: only aiogram's import-time rebuilds skipped.
        real = pydantic.BaseModel.__dict__["model_rebuild"]
        pydantic.BaseModel.model_rebuild = classmethod(  # type: ignore[method-assign,assignment]
            lambda cls, **kw: None
        )
        import aiogram  # noqa: F401

        pydantic.BaseModel.model_rebuild = real  # type: ignore[method-assign]
    else:
        import aiogram  # noqa: F401
    from aiogram.methods import base
    from aiogram.types import Message, Update

    out: dict[str, Any] = {"errors": {}}
    # The first build of all: a type the bot's own model holds as a field, before aiogram's.
    holder = pydantic.create_model("Holder", message=(Message, ...))
    try:
        out["holder"] = holder.model_validate({"message": UPDATES["photo"]["message"]}).model_dump(
            mode="json", exclude_none=True
        )
    except Exception as error:  # noqa: BLE001  (reported, and the test says which)
        out["errors"]["holder"] = repr(error)
    out["updates"] = {}
    for kind, raw in UPDATES.items():
        try:
            update = Update.model_validate(raw)
            out["updates"][kind] = update.model_dump(mode="json", exclude_none=True)
        except Exception as error:  # noqa: BLE001
            out["errors"][f"update {kind}"] = repr(error)
    out["answers"] = {}
    from aiogram import methods

    for name, result in ANSWERS.items():
        returning = getattr(methods, name).__returning__
        try:
            answer = base.Response[returning].model_validate({"ok": True, "result": result})  # type: ignore[valid-type]
            out["answers"][name] = answer.model_dump(mode="json", exclude_none=True)
        except Exception as error:  # noqa: BLE001
            out["errors"][f"answer {name}"] = repr(error)
    try:
        out["requests"] = _requests()
    except Exception as error:  # noqa: BLE001
        out["errors"]["requests"] = repr(error)
    out["schemas"] = {}
    out["built"] = {}
    models = _models()
    for index, model in reversed(list(enumerate(models))):
        name = f"{model.__module__}.{model.__qualname__}"
        try:
            out["built"][name] = model.model_rebuild()
            if model.__name__ in SCHEMAS_OF or index % 4 == 0:
                schema = model.model_json_schema(schema_generator=_Schema)
                out["schemas"][name] = _digest(schema)
        except Exception as error:  # noqa: BLE001
            out["errors"][f"model {name}"] = repr(error)
    return out


if __name__ == "__main__":
    warnings.simplefilter("ignore", PydanticJsonSchemaWarning)  # aiogram's Default(...) defaults
    json.dump(main(sys.argv[1]), sys.stdout, sort_keys=True)
