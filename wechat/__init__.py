"""The WeChat door: a WeChat Official Account (服务号) of the community on the bot's one web
server. WeChat posts each message and event to ``/wechat`` (signed with the account's Token;
plain mode, or safe mode with WECHAT_AES_KEY); the door answers "success" at once and handles
it in the background (bot/services/wechat_door.py), so WeChat's 5-second limit is never at
risk, and a retried callback is handled once. What the services write to a WeChat person goes
out through the door's delivery (wechat/sender.py) as customer-service messages, or as a
template message when WeChat's 48-hour window is closed.

Built on the standard library (hashlib, xml.etree), cryptography (AES) and aiohttp rather than
wechatpy: its last release (1.8.18, 2021) is synchronous (requests), and what the door needs of
it is a SHA-1 signature, a flat XML document and one AES mode."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wechat.callback import wechat_setup

__all__ = ["wechat_setup"]


def __getattr__(name: str) -> Any:
    """``wechat_setup`` on first use: the package is imported for its command-line commands
    (wechat/cli.py) on every start, and the callback brings cryptography (~8 MB) and the web
    server's templates, which a bot with the door off never needs."""
    if name == "wechat_setup":
        from wechat.callback import wechat_setup

        return wechat_setup
    raise AttributeError(f"module 'wechat' has no attribute {name!r}")
