"""louzhang-bot: a Telegram bot for a residential community's building-head system."""
