## A community's own vote rules (besides the two presets of Civil Code art. 278)

vote-rule-custom = Rule: “{ $name }” (this community's own): owners of { $turnout } of the area and { $turnout } of the owners take part; { $approve } of the participating area and owners approve.
vote-btn-custom = 📐 { $name }
vote-rule-name-invalid = Please give the rule a short name (up to { $max } characters), for example “Garden works”.
vote-rule-share-invalid = “{ $share }” is not a share I can use. Please write it like 2/3, 3/4, 1/2 or 51%: more than 0 and at most the whole.
vote-rule-name-taken = This community already has a rule called “{ $name }” (perhaps retired). Please choose another name.
vote-rule-retired = The rule “{ $name }” has been retired; please choose another rule.
vote-rule-unavailable = That rule is not one of this community's rules. Please choose one of the buttons.
vote-rules-title = Vote rules of { $community }
vote-rules-how = Besides the two presets (major and ordinary matters, Civil Code art. 278) the community can have its own rules. A rule is never changed once written: a vote keeps the thresholds it was opened with. A rule no longer wanted can be retired; it is then no longer offered for new votes.
vote-rules-none = The community has no rules of its own yet; votes use the two presets.
vote-rules-read-only = Only the community's coordinators and the administrators add or retire rules.
vote-rule-retired-tag = retired
vote-rule-used = { $count ->
    [0] not used yet
    [one] used by one vote
   *[other] used by { $count } votes
}
vote-rule-retire = Retire
vote-rule-add = Add a rule
vote-rule-field-name = Name (in your words)
vote-rule-field-turnout = Turnout: share of the area and of the owners taking part
vote-rule-field-turnout-strict = more than this share (not “at least”)
vote-rule-field-approve = Approval: share of the participating area and owners
vote-rule-field-approve-strict = more than this share (not “at least”)
vote-rule-added = The rule “{ $name }” is added. Heads can choose it when they open a vote.
vote-rule-retired-done = The rule “{ $name }” is retired. The votes opened with it keep their thresholds.
