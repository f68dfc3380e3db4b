web-title = 楼长
web-not-found-title = 找不到这个页面
web-not-found = 这个链接打不开。请重新扫描楼道里的海报二维码，或者问问您的楼长。
