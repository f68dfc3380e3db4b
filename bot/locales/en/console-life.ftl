## The office console's pages of community life: building votes and volunteer activities

console-nav-votes = Votes
console-nav-activities = Volunteering
vote-console-how = The building votes of your area: turnout while a vote is open, the result once it is closed. Nobody's choice is shown.
vote-console-status = Status
vote-console-status-open = open
vote-console-status-closed = closed
vote-console-none = No votes in your buildings yet. Heads open them in chat with /vote.
vote-console-turnout = Turnout so far
vote-console-figures = Result against the rule
vote-console-tallies = Tallies per option
vote-console-open-how = The tallies are shown once the vote closes, so that early figures do not sway the rest.
vote-console-sheet-how = The sheet lists every flat with its area and whether it took part (never what it chose), with a column for the owners' signatures.
vote-console-export-open = This vote is still open: its sheet can be downloaded once it closes.
vol-console-how = The volunteer activities announced to your buildings, newest first. Numbers only: volunteers' names stay in chat.
vol-console-title = Activity
vol-console-when = Starts
vol-console-places = Places
vol-console-signed = Signed up
vol-console-checked-in = Checked in
vol-console-hours = Hours confirmed
vol-console-each = { $hours } h each
vol-console-confirmed = { $hours } h ({ $count ->
    [one] one volunteer
   *[other] { $count } volunteers
})
vol-console-none = No volunteer activities in your buildings yet. Heads announce them in chat with /activity.
