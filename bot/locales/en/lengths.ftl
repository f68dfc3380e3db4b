## Long texts: what is shortened where, and where the whole text is
notice-resolved-ask = Is it fixed?
card-description-cut = (shortened here: the full text is under 📜 History)
card-full-description = 📝 The full description of ticket #{ $number }:
history-description = 📝 Description:
report-summary-description = Description:
report-summary-cut = (shortened here: your building head receives the full text)

## Lists in pages
report-which-building-page = Which building is it about? (page { $page } of { $pages })
help-roles-page = Page { $page } of { $pages } ({ $count } roles): ‹ › below.
