"""Wiring: the Bot and the Dispatcher. Nothing is created at import time; ``__main__`` and the
tests call the same factories."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram import Bot, Dispatcher, methods
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.methods.base import Response

from bot.config import Config
from bot.i18n import Translations
from bot.instances import InstanceRegistry
from bot.scheduler import Scheduler
from bot.services import Clock, Services, system_clock
from bot.services.staff_rows import StaffRows
from bot.services.updates import (
    DatabaseUpdateClaims,
    RedisUpdateClaims,
    UpdateClaims,
    UpdateLog,
)
from bot.startup import freeze_startup_objects
from handlers import build_router
from handlers.middlewares import (
    AnswerOnceMiddleware,
    FloodMiddleware,
    LogMiddleware,
    OnceMiddleware,
    PersonMiddleware,
    ShortWorkMiddleware,
    WithinBudgetMiddleware,
)
from storage.db import Database
from telegram.budget import Limits, install_budget
from telegram.commands import register_default_menu
from telegram.delivery import TelegramDelivery as DeliveryWorker
from telegram.fsm import FSM_KEYS, BatchedWrites, SqlStorage
from telegram.hand import HandDispatcher, PersonTurns
from telegram.session import JsonSession
from web.push.keys import KeyHolder
from web.push.sender import WebPushSender

log = logging.getLogger(__name__)


# aiogram reads every answer as Response[<the method's result type>]. pydantic keeps such
# parametrised models only weakly, so between calls they were collected and built again (about
# 10 ms of CPU each time; a tenth of the bot's CPU in the throughput benchmark). The bot keeps
# the ones its calls use.
_ANSWER_MODELS = tuple(
    Response[method.__returning__]  # type: ignore[name-defined]  # a runtime type argument
    for method in (
        methods.AnswerCallbackQuery,
        methods.EditMessageReplyMarkup,
        methods.EditMessageText,
        methods.GetMe,
        methods.GetUpdates,
        methods.SendMessage,
        methods.SetMyCommands,
    )
)


def create_bot(config: Config) -> Bot:
    # Requests without files as one JSON body (telegram/session.py): a lighter call.
    session = JsonSession()
    if config.telegram_api_url:
        # A self-hosted telegram-bot-api or a local test server.
        session = JsonSession(api=TelegramAPIServer.from_base(config.telegram_api_url))
    bot = Bot(
        config.require_token().get(),
        session=session,
        # Plain text everywhere: residents' words and building names are never parsed as markup.
        default=DefaultBotProperties(parse_mode=None, link_preview_is_disabled=True),
    )
    # Every request, the handlers' answers and the delivery worker's notifications alike,
    # within one budget of Telegram's limits (telegram/budget.py); with REDIS_URL, the limits
    # are counted in Redis too, so all the instances together keep to them.
    limits = limits_of(config)
    shared = None
    if config.redis_url is not None:
        from bot.shared_limits import SharedLimits, key_prefix

        shared = SharedLimits.from_url(
            config.redis_url.get(),
            key_prefix(config.require_token().get()),
            per_second=limits.per_second,
            private_per_second=limits.private_per_second,
            private_burst=limits.private_burst,
            group_per_minute=limits.group_per_minute,
        )
    install_budget(bot, limits, shared=shared)
    return bot


def limits_of(config: Config) -> Limits:
    return Limits(
        per_second=config.delivery_per_second,
        private_per_second=config.delivery_private_per_second,
        private_burst=config.delivery_private_burst,
        group_per_minute=config.delivery_group_per_minute,
    )


def create_dispatcher(
    config: Config,
    db: Database,
    *,
    translations: Translations | None = None,
    clock: Clock = system_clock,
    storage: BaseStorage | None = None,
) -> Dispatcher:
    translations = translations or Translations(default=config.default_language)
    services = Services.create(config, db, translations, clock)
    isolation: BaseEventIsolation = PersonTurns()
    # Each update handled once: in this process's memory for a single bot on SQLite; across
    # the instances in PostgreSQL, or in Redis when there is one (bot/services/updates.py).
    update_log: UpdateClaims = (
        UpdateLog(db, clock) if db.is_sqlite else DatabaseUpdateClaims(db, clock)
    )
    if storage is None and config.redis_url is not None:
        # Several instances: conversations, per-user locks and handled update ids shared
        # through Redis. Imported here: redis-py adds ~6 MB to every bot, and a single
        # instance does without it.
        from aiogram.fsm.storage.redis import RedisStorage

        from telegram.isolation import RedisUserLocks

        redis = RedisStorage(shared_redis(config.redis_url.get()), key_builder=FSM_KEYS)
        # Update ids are the bot's own: two bots sharing one Redis must not skip each other's.
        namespace = f"louzhang:{bot_id_of(config)}"
        storage, isolation = redis, RedisUserLocks(redis.redis, namespace)
        update_log = RedisUpdateClaims(redis.redis, namespace)
    storage = storage or SqlStorage(db, clock)
    dp = HandDispatcher(
        storage=storage,
        # One user's updates are handled one at a time, so their FSM state never races.
        events_isolation=isolation,
        config=config,
        db=db,
        services=services,
        translations=translations,
        clock=clock,
    )
    dp.update.outer_middleware(ShortWorkMiddleware())
    dp.update.outer_middleware(WithinBudgetMiddleware())
    dp.update.outer_middleware(LogMiddleware())
    dp["update_log"] = update_log
    dp.update.outer_middleware(OnceMiddleware(update_log))
    dp.update.outer_middleware(PersonMiddleware(services, translations))
    if isinstance(storage, SqlStorage):
        dp.update.outer_middleware(BatchedWrites(storage))
    dp.message.outer_middleware(FloodMiddleware(config.flood_messages_per_minute, clock))
    # Presses are limited like messages (a flood of them must not become a flood of answers),
    # and every press is answered once, whatever happened to it.
    dp.callback_query.outer_middleware(AnswerOnceMiddleware())
    dp.callback_query.outer_middleware(FloodMiddleware(config.flood_messages_per_minute, clock))
    dp.include_router(build_router())
    dp.startup.register(_on_startup)
    dp.shutdown.register(_on_shutdown)
    return dp


async def _on_startup(
    dispatcher: Dispatcher,
    bot: Bot,
    db: Database,
    config: Config,
    translations: Translations,
    clock: Clock,
    services: Services,
) -> None:
    me = await bot.me()
    log.info("bot @%s (id %s) starting", me.username, me.id)
    # This process's identity among the bot's processes: it takes back at once the claims of
    # the one it replaces (killed, crashed) instead of waiting for their lease.
    instances = InstanceRegistry(db, clock, config.instance_id)
    # The web door's pushes go with the same worker: its VAPID keys are made now on the
    # first start (kept in the database, never logged).
    push_keys = KeyHolder(db, clock)
    await push_keys.ensure()
    worker = DeliveryWorker(
        bot,
        db,
        clock,
        cards=services.ticket_cards,
        availability=services.availability,
        approvals=services.approvals,
        notices=services.notice_copies,
        # What was queued to someone as staff goes only while they still cover its area.
        staff=StaffRows(config, db),
        poll_seconds=config.outbox_poll_seconds,
        token=await instances.register(),
        # The other doors' deliveries: the web's push, and those bot/__main__.py puts in
        # ``door_senders`` (WeChat's when it is on).
        others=[
            WebPushSender(db, translations, push_keys, config, services.notice_board),
            *dispatcher.workflow_data.get("door_senders", ()),
        ],
    )
    instances.on_token = worker.claim_as
    instances.start()
    dispatcher["instances"] = instances
    worker.start()
    db.on_queued(worker.wake)
    dispatcher["delivery"] = worker
    await register_default_menu(bot, translations)
    scheduler = Scheduler(services, config.timezone, on_written=worker.wake)
    scheduler.start()
    dispatcher["scheduler"] = scheduler
    # Last: everything above lives as long as the process; polling or the webhook starts next.
    freeze_startup_objects()


def bot_id_of(config: Config) -> str:
    return config.bot_token.get().split(":", 1)[0] if config.bot_token else "bot"


def shared_redis(url: str) -> Any:
    """The Redis client the instances share state through: a blip (a restart, a fail-over) is
    retried for about a second before an update is given back to Telegram (503)."""
    from redis.asyncio import Redis
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return Redis.from_url(
        url,
        socket_timeout=5,
        socket_connect_timeout=5,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 4),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
        health_check_interval=30,
    )


async def _on_shutdown(dispatcher: Dispatcher, config: Config, update_log: UpdateClaims) -> None:
    """Polling has stopped: let the handlers in hand finish, then deliver what they queued."""
    scheduler = dispatcher.workflow_data.get("scheduler")
    if isinstance(scheduler, Scheduler):
        scheduler.shutdown()  # no new scans; a scan in hand is cancelled and rolls back
    in_flight = list(getattr(dispatcher, "_handle_update_tasks", ()))
    if in_flight:
        log.info("waiting for %d update(s) in hand", len(in_flight))
        await asyncio.wait(in_flight, timeout=config.shutdown_flush_seconds)
    await update_log.close()
    worker = dispatcher.workflow_data.get("delivery")
    if isinstance(worker, DeliveryWorker):
        left = await worker.shutdown(config.shutdown_flush_seconds)
        log.info("outbox flushed; %d notification(s) left for the next start", left)
    instances = dispatcher.workflow_data.get("instances")
    if isinstance(instances, InstanceRegistry):
        await instances.stop()
