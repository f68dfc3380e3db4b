## Building votes (楼栋表决): flats, ownership claims, ballots, results

cmd-vote = Building votes: cast your ballot, or (heads) open a vote
cmd-flat = Tell your head which flat you own (to vote)
cmd-flats = Flat ownership claims waiting for you

flat-own-ask = Which flat do you own? Send its number as it is on the building's list, for example 502. Your building head will confirm it.
flat-unknown = Flat { $flat } is not on the list of your building. Please check the number, or ask your building head.
flat-ambiguous = There is a flat { $flat } in more than one of your buildings. Please ask your building head to confirm it.
flat-yours = Flat { $flat } is already confirmed as yours.
flat-claim-waiting = Your claim to flat { $flat } is already waiting for your building head.
flat-claim-sent = Thank you. Your building head will confirm that you own flat { $flat }; you will hear from me.
flat-claim-new = { $name } says they own flat { $flat } in { $building }. Send /flats to confirm or decline.
flat-claims-none = No flat ownership claims are waiting.
flat-claim-card = { $name } says they own flat { $flat } in { $building }.
flat-btn-approve = ✅ Confirm owner
flat-btn-decline = ❌ Decline
flat-claim-done-approved = Confirmed as owner.
flat-claim-done-declined = Declined.
flat-claim-settled = This claim was already decided.
flat-claim-approved = Your building head confirmed that you own flat { $flat } in { $building }. You can now vote with /vote.
flat-claim-declined = Your building head could not confirm that you own flat { $flat } in { $building }. Please speak to them.
flat-owner-replaced = Your building head confirmed another owner for flat { $flat }; its ballot is theirs now.
flat-owner-replaced-voided = Your building head confirmed another owner for flat { $flat }; its ballot is theirs now. The ballot you cast for it in { $count ->
        [one] the open vote
       *[other] { $count } open votes
    } no longer counts: the new owner votes for the flat.
flat-area-invalid = "{ $area }" is not a floor area in m² (for example 89.5).
flat-building-unknown = There is no single building with the code { $code }.

vote-none = There is no open vote for a flat you own. To vote, first tell your head which flat you own with /flat.
vote-ballot = 🗳 { $building }, flat { $flat }:
    { $question }
vote-ballot-current = Your ballot now: { $option } (you can change it until the deadline).
vote-receipt = Your ballot for flat { $flat } is recorded: { $option }. Receipt { $receipt }. The ballot is secret: nobody else sees your choice.
vote-receipt-changed = Your ballot for flat { $flat } is changed to: { $option }. Receipt { $receipt }.
vote-not-owner = Only the confirmed owner of flat { $flat } can vote for it.
vote-closed = This vote is closed.
vote-unknown = There is no vote { $id }.
vote-opened = 🗳 New vote in { $building }:
    { $question }
    Owners vote until { $deadline } with /vote (one ballot per flat, secret).
vote-reminder = 🗳 Reminder: you have not voted yet in { $building }:
    { $question }
    Voting closes { $deadline }. Send /vote.
vote-organiser = { $count ->
    [0] No votes in your buildings yet.
   *[other] Votes in your buildings: { $count } (above).
}
vote-btn-new = ➕ Open a new vote
vote-ask-building = Which building is the vote for? Send its code, for example TZ-A01.
vote-building-unknown = You do not run a building with the code { $code }. Please send another code.
vote-ask-question = Vote in { $building }. What is the question? (for example: Install a lift in our building?)
vote-question-invalid = Please send the question as text of up to { $max } characters.
vote-ask-options = Send the options, one per line (for an election, the candidates), or press Yes / No.
vote-options-invalid = Please send 2 to { $max } different options, one per line, each up to { $length } characters.
vote-btn-yesno = Yes / No
vote-yes = Yes
vote-no = No
vote-ask-rule = Which rule decides (Civil Code art. 278)?
vote-btn-major = Major matter (lift, repairs fund): ¾
vote-btn-ordinary = Ordinary matter: more than half
vote-rule-major = Rule: major matter: owners of ≥ 2/3 of the area and ≥ 2/3 of the owners take part; ≥ 3/4 of the participating area and owners approve.
vote-rule-ordinary = Rule: ordinary matter: owners of ≥ 2/3 of the area and ≥ 2/3 of the owners take part; more than half of the participating area and owners approve.
vote-ask-days = How long is the vote open?
vote-btn-days = { $days } days
vote-summary = Open this vote?
    { $building }: { $question }
    Options: { $options }
    { $rule }
    Open for { $days } days.
    { $flats } flats count; { $owners } have a confirmed owner who can vote. { $residents } residents will be told.
vote-btn-open = ✅ Open the vote
vote-opened-organiser = Vote { $id } is open. The residents are being told; /vote shows the turnout.
vote-no-flats = { $building } has no flats on its list yet. The community office imports them (import-flats) first.
vote-organiser-gone = You can no longer open this vote: you are no longer a head or coordinator of its building. Nothing was created.
vote-progress-head = 🗳 Open: { $building }: { $question }
vote-result-head = 🗳 Vote result, { $building }:
    { $question }
vote-passed = ✅ Passed: { $option }
vote-not-passed = ❌ Not passed
vote-threshold = { $label }: { $figure } of { $total } ({ $share }), needs { $need }: { $met }
vote-met = met
vote-not-met = not met
vote-turnout-area = Area taking part (m²)
vote-turnout-owners = Owners taking part
vote-approve-area = Approving area (m²)
vote-approve-owners = Approving owners
vote-tally = { $option }: { $owners } flats, { $area } m²
vote-export-building = Building
vote-export-question = Question
vote-export-rule = Rule
vote-export-deadline = Deadline
vote-export-outcome = Outcome
vote-export-flat = Flat
vote-export-area = Area (m²)
vote-export-took-part = Took part
vote-export-signature = Owner's signature
vote-yes-mark = yes
vote-no-mark = no
vote-btn-election = 🗳 Head election (candidates)
vote-ask-candidates = Send the candidates' names, one per line, as their names show in this bot (residents of the building). The one elected can be invited as head in one press.
vote-candidate-unknown = No resident of this building is called "{ $name }". Please send the names again.
vote-candidate-ambiguous = Several residents of this building are called "{ $name }". Please ask them to tell apart their names, or choose others.
vote-invite-hint = { $name } was elected: /vote has the button that invites them as head.
vote-btn-invite = 👤 Invite { $name } as head
vote-invited = { $name } got the invitation to become head of { $building }.
vote-invited-already = The elected head was invited already.
vote-winner-gone = The elected person is no longer with the bot.
vote-elected-invite = 🎉 You were elected building head of { $building }. Open this one-time link to take the role: { $link }
flat-claims-more = More claims are waiting.
flat-btn-more = Show more ›
flat-claims-no-more = No more claims are waiting.
