## The WeChat door: photos in a ticket's conversation, and the kind of problem of a report
wechat-photo-relayed = Photo passed on (ticket #{ $number }).
wechat-category-ask = What kind of problem is it? Tap one below, or reply with its number.
wechat-category-photo-kept = { $count ->
    [one] Photo received. Now choose the kind of problem above (or reply with its number): the photo goes with the report.
   *[other] { $count } photos received. Now choose the kind of problem above (or reply with its number): the photos go with the report.
}
wechat-category-pick = your report is still waiting for its kind of problem: please tap one in the list above, or reply with its number (1 to { $max }).
wechat-category-stale = that list is too old, or its report was sent already; please write what is wrong again to report it.
