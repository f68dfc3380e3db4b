# The points bank (积分银行): balances, the catalogue, redemptions, the year-end ranking.

cmd-points = Your points: balance, last entries, the catalogue
cmd-catalogue = The points catalogue: list, add, restock, withdraw
cmd-ranking = The year's ranking of heads and volunteers (spreadsheet)

## /points
points-balance = 💰 Your points: { $balance }
points-last-title = Last { $count } entries:
points-no-entries = No entries yet. Points come for fixes residents confirm, service hours and votes.
points-entry-line = { $points } · { $date } · { $reason }
points-reason-fix = confirmed fix, ticket #{ $number }
points-reason-redemption = redeemed, request #{ $number }
points-reason-hours = { $hours } hours of service
points-reason-vote = took part in a vote
points-reason-other = { $reason }: { $reference }
points-catalogue-title = 🎁 Catalogue:
points-catalogue-empty = The catalogue is empty for now.
points-item-line = { $name }: { $price } points ({ $stock } left)
points-btn-redeem = 🎁 { $name } · { $price }

## Redeeming
points-ask-confirm = Redeem “{ $item }” for { $price } points? The community office approves it and hands it over.
points-btn-confirm = ✅ Confirm
points-btn-cancel = Cancel
points-cancelled = Nothing was redeemed.
points-requested = 📨 Request #{ $number } went to the community office. You will hear when it is approved.
points-item-gone = That item is no longer in the catalogue.
points-out-of-stock = “{ $item }” is out of stock.
points-price-changed = The price of “{ $item }” is now { $price } points. Nothing was asked for: send /points to redeem it at the new price.
points-too-few = That costs { $price } points; your balance is { $balance }, and { $waiting } are already asked for in requests waiting for approval.
points-approved = ✅ Request #{ $number } approved: “{ $item }” ({ $price } points). Collect it at the community office.
points-denied = Request #{ $number } for “{ $item }” was not approved; your points are unchanged.

## The office
points-request-to-office = 🎁 Points request #{ $number }: { $name } asks for “{ $item }” ({ $price } points; balance { $balance }).
points-btn-approve = ✅ Approve
points-btn-deny = ❌ Deny
points-btn-handed = 🤝 Handed over
points-office-approved = ✅ Request #{ $number } approved: “{ $item }” ({ $stock } left). Tap “Handed over” when the resident has it.
points-office-denied = ❌ Request #{ $number } (“{ $item }”) denied. The resident has been told.
points-office-handed = 🤝 Request #{ $number }: “{ $item }” handed over.
points-decided = Request #{ $number } has been decided already.
points-short = Request #{ $number } cannot be approved: the balance is now only { $balance } points. Deny it, or wait.
points-office-only = Only the community office (a coordinator of the whole community, or an admin) manages the points catalogue.
points-office-catalogue-title = 🎁 The catalogue (id: item):
points-office-item = { $id }: { $line }{ $active ->
    [true] {""}
   *[false] {" "}(withdrawn)
}
points-catalogue-usage = /catalogue add PRICE STOCK NAME: a new item · /catalogue stock ID N · /catalogue price ID N · /catalogue off ID (withdraw) · /catalogue on ID
points-item-added = Added { $id }: { $line }
points-item-changed = Changed { $id }: { $line }{ $active ->
    [true] {""}
   *[false] {" "}(withdrawn)
}
points-no-item = There is no catalogue item { $id }.
points-bad-name = An item needs a name of at most { $most } characters.
points-item-name-taken = The catalogue already has an item called “{ $name }” (perhaps withdrawn: you can offer it again). Please choose another name.
points-bad-price = A price is a whole number of points from 1 to { $most }.
points-bad-stock = A stock is a whole number from 0 to { $most }.
points-bad-amount = An entry is a whole number of points, not 0, at most { $most } either way.

## The year-end ranking
points-bad-year = “{ $year }” is not a year the ranking can cover.
points-ranking-caption = 🏅 { $community }: the { $year } ranking of heads and volunteers ({ $count } people), for choosing the excellent heads.
points-col-place = Place
points-col-name = Name
points-col-role = Role
points-col-points = Points earned
points-col-fixes = Confirmed fixes
points-col-hours = Service hours
points-col-satisfaction = Satisfaction (average rating)
points-col-rated = Rated tickets
points-volunteer = volunteer
points-former-person = a former resident
points-resident-unnamed = a resident (name hidden)

## The digest
digest-points = 💰 Points bank, { $month }: { $issued } issued, { $redeemed } redeemed

## Settings
settings-about-points_per_fix = Points bank: the points the person who resolved a ticket earns when its resident confirms it fixed (once per ticket).
settings-about-points_per_service_hour = Points bank: the points per hour of volunteer service.
settings-about-points_per_vote = Points bank: the points for taking part in a building vote.

## The console
console-nav-points = Points
points-console-year = Year
points-console-ranking = The { $year } ranking of heads and volunteers
points-console-ranking-how = Every head and deputy, and everyone who earned points this year, best first: points earned, fixes residents confirmed, service hours, and the average rating of the tickets they held. For choosing the excellent heads.
points-console-download = Download { $kind }
points-console-no-ranking = Nobody to rank yet.
points-console-saved = Saved.
points-console-withdrawn = withdrawn
points-console-stock = Stock
points-console-price = Price (points)
points-console-name = Name
points-console-withdraw = Withdraw
points-console-offer = Offer again
points-console-add = Add an item
points-catalogue-number = Please enter a whole number.
digest-ranking-ready = 🏅 The { $year } ranking of heads and volunteers is ready for choosing the excellent heads: /ranking { $year } in chat, or Points in the console.
