"""The Telegram door's plumbing below the routers (handlers/): the Bot API budget, the outbox's
Telegram sender and renderer, the aiogram FSM storage, the command menus and the start-up check.
The core (bot/ but its composition root, storage/) never imports it."""
