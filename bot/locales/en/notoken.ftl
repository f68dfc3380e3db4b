# The poster's web twin when the Telegram door is configured too.
door-telegram-offer = Use Telegram? Join this building in the bot instead.
door-open-telegram = Open in Telegram
local-office-no-community = There is no community yet: import the buildings first (import-buildings FILE).
