"""The root of the router tree, which offers a message only to the handlers that could take it
by its conversation's state and its command (presses: handlers/presses.py).

aiogram offers every message to each router in turn, and each router checks each of its
handlers' filters until one passes: a report's description went through seven routers and ten
filters before reaching its step, /tickets through thirteen routers and ~45 filters. Most of our
message handlers filter on a state (``StateFilter``) or a command (``Command``), and what those
two pass depends only on the conversation's state and the message's first word. So for each
(state, command) the handlers that could take such a message are worked out once, in the tree's
order, and only they are offered it, with all their filters, as aiogram would: a handler with
neither filter is always offered it; a router with outer middleware or filters of its own for
messages is entered as a whole, as aiogram enters it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from inspect import isclass
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.bases import REJECTED, UNHANDLED, SkipHandler
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.dispatcher.event.telegram import TelegramEventObserver
from aiogram.filters import Command, CommandStart, StateFilter
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message, TelegramObject

from handlers.presses import PressRoutedRouter

MESSAGE = "message"
# A state no filter names (one of an older version, still stored): only "any state" takes it.
OTHER_STATE = "\x00other"

# (state, command): the conversation's state as filters see it, with OTHER_STATE for one no
# filter names; the message's (prefix, command) if a Command filter names it, else None.
Key = tuple[str | None, tuple[str, str] | None]


@dataclass(frozen=True)
class Step:
    """A router on the message's way: entered as aiogram enters it (``handlers`` None), or only
    its handlers that could take the message, in order."""

    router: Router
    handlers: tuple[HandlerObject, ...] | None


class MessageRoutedRouter(PressRoutedRouter):
    def __init__(self, *, name: str | None = None) -> None:
        super().__init__(name=name)
        self._ways: dict[Key, tuple[Step, ...]] = {}
        self._names: _Names | None = None

    async def _propagate_event(
        self,
        observer: TelegramEventObserver | None,
        update_type: str,
        event: TelegramObject,
        **kwargs: Any,
    ) -> Any:
        if update_type != MESSAGE or observer is None or observer.handlers:
            return await super()._propagate_event(observer, update_type, event, **kwargs)
        # Router._propagate_event for a router without message handlers of its own: its filters
        # (the bot works in private chats), then the sub-routers in turn until one takes it.
        result, data = await observer.check_root_filters(event, **kwargs)
        if not result:
            return UNHANDLED
        kwargs.update(data)
        response: Any = UNHANDLED
        for step in self.way_of(event, kwargs.get("raw_state")):
            if step.handlers is None:
                response = await step.router.propagate_event(update_type, event, **kwargs)
            else:
                response = await _offer(step.router, step.handlers, event, kwargs)
            if response is not UNHANDLED:
                break
        return response

    def way_of(self, event: TelegramObject, raw_state: str | None) -> tuple[Step, ...]:
        names = self._names
        if names is None:
            names = self._names = _names_in(self)
        key = names.key(event, raw_state)
        way = self._ways.get(key)
        if way is None:
            way = self._ways[key] = tuple(_way(self.sub_routers, key))
        return way


async def _offer(
    router: Router, handlers: tuple[HandlerObject, ...], event: TelegramObject, kwargs: Any
) -> Any:
    """Router.propagate_event and TelegramEventObserver.trigger for a router with no outer
    middleware, filters or sub-routers for messages, over some of its handlers."""
    observer = router.message
    kwargs = {**kwargs, "event_router": router}
    for handler in handlers:
        kwargs["handler"] = handler
        result, data = await handler.check(event, **kwargs)
        if result:
            kwargs.update(data)
            try:
                wrapped_inner = observer.outer_middleware.wrap_middlewares(
                    observer._resolve_middlewares(), handler.call
                )
                response = await wrapped_inner(event, kwargs)
            except SkipHandler:
                continue
            return UNHANDLED if response is REJECTED else response
    return UNHANDLED


def _way(routers: list[Router], key: Key) -> list[Step]:
    way: list[Step] = []
    for router in routers:
        observer = router.message
        if len(observer.outer_middleware) or observer._handler.filters:
            way.append(Step(router, None))  # its own middleware or filters see every message
        elif not observer.handlers:
            way.extend(_way(router.sub_routers, key))  # a router that only groups others
        elif router.sub_routers:
            way.append(Step(router, None))
        else:
            handlers = tuple(h for h in observer.handlers if _may_take(h, key))
            if handlers:
                way.append(Step(router, handlers))
    return way


def _may_take(handler: HandlerObject, key: Key) -> bool:
    state, command = key
    for f in handler.filters or ():
        each = f.callback
        if isinstance(each, StateFilter) and _plain_states(each):
            if not any(_takes_state(allowed, state) for allowed in each.states):
                return False
        elif isinstance(each, Command) and _plain_commands(each):
            if command is None:
                return False
            prefix, word = command
            if prefix not in each.prefix or word not in each.commands:
                return False
    return True


def _plain_states(f: StateFilter) -> bool:
    """aiogram's own StateFilter, with states whose names are all known (so an unnamed one is
    OTHER_STATE's case)."""
    return type(f) is StateFilter and all(
        allowed is None
        or type(allowed) in (str, State)
        or isclass(allowed)
        and issubclass(allowed, StatesGroup)
        for allowed in f.states
    )


def _takes_state(allowed: Any, state: str | None) -> bool:
    if allowed is None or isinstance(allowed, str):
        return allowed in {"*", state}
    if isinstance(allowed, State):
        return allowed(event=None, raw_state=state)  # type: ignore[arg-type]
    return allowed()(event=None, raw_state=state)  # type: ignore[no-any-return]


def _plain_commands(f: Command) -> bool:
    """Exact commands (no patterns, case as typed): the first word must be one of them. Only
    aiogram's own Command and CommandStart, whose further checks (mention, deep link, magic)
    only narrow what they take."""
    return (
        type(f) in (Command, CommandStart)
        and not f.ignore_case
        and all(isinstance(c, str) for c in f.commands)
    )


@dataclass
class _Names:
    states: frozenset[str]
    prefixes: str
    commands: frozenset[str]

    def key(self, event: TelegramObject, raw_state: str | None) -> Key:
        state = raw_state if raw_state is None or raw_state in self.states else OTHER_STATE
        command = None
        text = event.text or event.caption if isinstance(event, Message) else None
        if text:
            # As Command.extract_command reads it: "/command@mention args".
            first = text.split(maxsplit=1)
            if first:
                prefix, word = first[0][0], first[0][1:].partition("@")[0]
                if prefix in self.prefixes and word in self.commands:
                    command = (prefix, word)
        return state, command


def _names_in(root: Router) -> _Names:
    states: set[str] = set()
    prefixes: set[str] = set()
    commands: set[str] = set()
    for router in root.chain_tail:
        for handler in router.message.handlers:
            for f in handler.filters or ():
                each = f.callback
                if isinstance(each, StateFilter) and _plain_states(each):
                    for allowed in each.states:
                        if isinstance(allowed, str):
                            states.add(allowed)
                        elif isinstance(allowed, State) and allowed.state is not None:
                            states.add(allowed.state)
                        elif isclass(allowed):
                            states.update(allowed.__all_states_names__)
                elif isinstance(each, Command) and _plain_commands(each):
                    prefixes.update(each.prefix)
                    commands.update(c for c in each.commands if not isinstance(c, re.Pattern))
    return _Names(frozenset(states), "".join(sorted(prefixes)), frozenset(commands))
