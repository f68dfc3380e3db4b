# Notices in the WeChat and web doors (bot/services/notice_board.py)
notice-door-photos = { $count ->
    [one] With 1 photo: see it on the notice's page.
   *[other] With { $count } photos: see them on the notice's page.
}
notice-door-more = Read the whole notice: { $url }
notice-door-remark = Tap to read the notice.
notice-door-board = Notices
notice-door-title = Notice for { $building }
notice-door-urgent = ⚠️ Urgent
notice-door-corrected = corrected by its author
notice-door-withdrawn = This notice for { $building } was withdrawn by its author.
notice-door-gone = This notice cannot be shown: the link is wrong, or it is not for you (any more).
notice-door-news = News from your building
notice-door-photo-alt = Photo { $number } of the notice
