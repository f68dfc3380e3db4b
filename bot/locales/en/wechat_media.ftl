## The WeChat door: photos in a ticket's conversation, and the kind of problem of a report
wechat-photo-relayed = Photo passed on (ticket #{ $number }).
wechat-category-ask = What kind of problem is it? Tap one below, or reply with its number.
wechat-category-photo-kept = { $count ->
    [one] Photo received. Now choose the kind of problem above (or reply with its number): the photo goes with the report.
   *[other] { $count } photos received. Now choose the kind of problem above (or reply with its number): the photos go with the report.
}
wechat-category-pick = your report is still waiting for its kind of problem: please tap one in the list above, or reply with its number (1 to { $max }).
wechat-category-stale = that list is too old, or its report was sent already; please write what is wrong again to report it.
wechat-metoo-how = Tap one below, or reply 1 (the same problem) or 2 (a new one).
wechat-metoo-pick = your report is still waiting for an answer: is it the same problem as the neighbour's? Please tap one in the list above, or reply 1 (yes) or 2 (no, a new one).
wechat-metoo-words-not-sent = Your words were not sent: the building head already has this problem. If there is more to it, write again and choose 2 (a new problem).
wechat-metoo-photo-kept = { $count ->
    [one] Photo received. Now answer the question above (1 or 2): the photo goes with your report if you send one.
   *[other] { $count } photos received. Now answer the question above (1 or 2): the photos go with your report if you send one.
}
