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

from wechat.callback import wechat_setup

__all__ = ["wechat_setup"]
