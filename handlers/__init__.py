"""The router tree: thin aiogram handlers, one module per feature, the catch-all last."""

from __future__ import annotations

from aiogram import F, Router

from handlers import (
    activities,
    common,
    console,
    conversation,
    errors,
    fallback,
    forget,
    joins,
    links,
    my,
    neighbours,
    notice_list,
    notices,
    onboarding,
    picker_search,
    points,
    relay,
    removal,
    report,
    scheduling,
    serving,
    staff,
    tickets,
    volunteering,
    votes,
    whistle,
    worklist,
)
from handlers.filters import Is
from handlers.message_routes import MessageRoutedRouter

FEATURES: tuple[Router, ...] = (
    common.router,
    forget.router,
    links.router,
    console.router,
    relay.router,  # a Telegram reply to a ticket's message, before "report this?"
    report.router,
    tickets.router,
    whistle.router,
    notices.router,
    notice_list.router,
    votes.router,
    points.router,
    worklist.router,
    my.router,
    neighbours.router,
    scheduling.router,
    activities.router,
    volunteering.router,  # before onboarding: /start v… is a check-in
    serving.router,
    onboarding.router,
    picker_search.router,  # a typed text while the join picker is shown
    joins.router,
    staff.router,
    removal.router,
    conversation.router,  # a plain message to the conversation in progress, if there is one
    report.offer_router,  # "report this?" for a free message outside any flow
    fallback.router,  # last: takes what nothing else did
    # Only error handlers: after the features' own special cases (an error goes through the
    # whole tree, not only the router that raised it), the refusal or apology for the rest.
    errors.router,
)


def build_router() -> Router:
    # A press is offered only to the routers with a handler for its kind of button, a message
    # only to the handlers that could take it by its state and command.
    root = MessageRoutedRouter(name="root")
    # The bot works in private chats; in a group it stays silent.
    root.message.filter(Is(F.chat.type == "private"))
    for feature in FEATURES:
        # Feature routers are module singletons; a process that builds several dispatchers
        # (the test suite) re-parents them to the newest tree.
        feature._parent_router = None
        root.include_router(feature)
    return root
