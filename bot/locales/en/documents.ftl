## The office's documents: ticket exports, the monthly report, posters, the work order

export-sheet-tickets = Tickets
export-col-number = No.
export-col-reported = Reported
export-col-building-code = Building code
export-col-building = Building
export-col-flat = Flat
export-col-category = Category
export-col-status = Status
export-col-urgent = Urgent
export-col-escalated = Escalated
export-col-description = Description
export-col-reporter = Reporter
export-col-phone = Phone
export-col-holder = Handled by
export-col-taken = Taken
export-col-resolved = Resolved
export-col-closed = Closed
export-col-rating = Rating
export-col-photos = Photos
export-col-latitude = Latitude
export-col-longitude = Longitude
export-yes = yes
export-reporter-gone = former resident (personal data deleted)
export-bad-range = The period ends ({ $last }) before it starts ({ $first }).

report-title = { $community }: monthly report { $month }
report-note = Times in { $zone }. New: reported in the month; resolved: resolved in the month. Rates are over the tickets reported in the month (not merged or withdrawn): response rate = taken within the escalation time ({ $hours } h unless a category has its own); resolution rate = resolved or closed; satisfaction rate = rated 4 or 5 of those rated. Median times in hours from the report.
report-sheet-buildings = By building
report-sheet-categories = By category
report-sheet-pairs = Building and category
report-col-code = Code
report-col-building = Building
report-col-category = Category
report-col-new = New
report-col-resolved = Resolved
report-col-reports = Reports counted
report-col-response = Response rate
report-col-resolution = Resolution rate
report-col-satisfaction = Satisfaction rate
report-col-median-take = Median time to take (h)
report-col-median-resolve = Median time to resolve (h)
report-total = Total
report-future = The month { $month } has not begun yet.

posters-title = Join posters
posters-step-1 = Scan the QR code with your phone's camera to open the building head bot.
posters-step-2 = Press Start to join this building (your flat number is optional).
posters-step-3 = To report a problem, press "Report a problem": your building head gets it at once.

work-order-title = Work order { $reference }
work-order-community = Community
work-order-building = Building
work-order-category = Category
work-order-created = Reported
work-order-forwarded = Forwarded
work-order-department = To
work-order-description = Description
work-order-location = Location
work-order-coordinates = Coordinates
work-order-reporter = Reporter
work-order-coordinator = Forwarded by
work-order-photos = Photos
work-order-photo-unreadable = (a photo could not be read)
work-order-no-photos = No photos.
work-order-footer = Please quote the reference { $reference } in your answer.
work-order-sheet = Work order
