web-title = 楼长
web-not-found-title = 找不到这个页面
web-not-found = 这个链接打不开。请重新扫描楼道里的海报二维码，或者问问您的楼长。

## 社区办公台（聊天里的 /web，浏览器里的 /console）
cmd-web = 在浏览器里打开社区办公台
console-link = 您的社区办公台登录链接（仅可使用一次，10 分钟内有效；请勿转发）：
    { $link }
console-not-staff = 社区办公台供楼长、片区负责人和社区办公室使用。如需反映问题，直接在这里写给我即可。
console-title = 社区办公台
console-sign-in-title = 登录社区办公台
console-sign-in-continue = 您将在这台设备上登录社区办公台。
console-continue = 继续
console-link-invalid-title = 这个登录链接无法使用
console-link-invalid = 链接已经用过、已过期（10 分钟内有效）或不完整。请在 Telegram 里给机器人发送 /web 获取新链接。
console-signed-out-title = 尚未登录
console-signed-out = 请在 Telegram 里给机器人发送 /web，然后打开它发来的链接登录。
console-no-access-title = 没有权限
console-no-access = 您目前的身份没有社区办公台的访问权限。如有疑问，请联系社区办公室。
console-forbidden-title = 请求被拒绝
console-forbidden = 这个表单缺少安全令牌，或来自其他网站。请刷新页面后重试。
console-signed-in-as = 当前登录：{ $name }
console-sign-out = 退出登录
console-sign-out-everywhere = 在所有设备上退出
console-nav-tickets = 工单
