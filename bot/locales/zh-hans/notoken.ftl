# The poster's web twin when the Telegram door is configured too.
door-telegram-offer = 用 Telegram？也可以在机器人里加入本楼。
door-open-telegram = 在 Telegram 中打开
local-office-no-community = 还没有社区：请先导入楼栋（import-buildings 文件）。
