"""The bot's web server and the pages it serves. Each door or desk that speaks HTTP (the web door
for residents, the office console, the Telegram webhook) registers its routes on one aiohttp
application; ``web.server`` runs it on WEB_LISTEN."""
