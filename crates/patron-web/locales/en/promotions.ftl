## promotions
promotions-nav = Promotions
promotions-title = Promotions
promotions-intro = Promotions run with customers such as dealers: what they cost, what they should bring, who took part and how they felt about it, and afterwards what they actually brought.
promotions-new = New promotion
promotions-edit = Edit promotion
promotions-delete = Delete promotion
promotions-delete-text = { $count ->
    [0] The promotion and its cost lines will be deleted. Orders are not touched.
    [one] The promotion, its cost lines and its one participant will be deleted. Orders are not touched.
   *[other] The promotion, its cost lines and its { $count } participants will be deleted. Orders are not touched.
}
promotions-all = All
promotions-none = No promotions yet.
promotions-name = Name
promotions-description = Description
promotions-period = Period
promotions-period-days = { $from } – { $to } ({ $days } days)
promotions-starts-on = First day
promotions-ends-on = Last day
promotions-status = Status
promotions-status-planned = Planned
promotions-status-running = Running
promotions-status-done = Done
promotions-status-cancelled = Cancelled
promotions-baseline = Compared with
promotions-baseline-preceding = The same number of days just before
promotions-baseline-previous_year = The same days a year earlier
promotions-terms = Terms
promotions-created-by = Created by
promotions-budget = Budget
promotions-budget-left = Budget left
promotions-over-budget = over budget
promotions-costs = Cost lines
promotions-costs-hint = Material discounts, gifts, advertising, displays, staff time… Leave a row empty to drop it.
promotions-no-costs = No cost lines.
promotions-cost-kind = Kind
promotions-cost-description = What
promotions-cost-amount = Amount
promotions-cost-material_discount = Material discount
promotions-cost-gift = Gifts
promotions-cost-advertising = Advertising
promotions-cost-display = Display and samples
promotions-cost-staff = Staff
promotions-cost-other = Other
promotions-cost-total = Total cost
promotions-material-discounts = Of which material discounts
promotions-expected-extra-sales = Expected extra sales
promotions-margin = Gross margin
promotions-margin-percent = Gross margin (%)
promotions-margin-hint = Left empty: the usual { $rate }.
promotions-expectation = Expectation
promotions-expected-gross-profit = Expected extra gross profit
promotions-expected-net-effect = Expected net effect
promotions-break-even = Break-even extra sales
promotions-no-break-even = none at a zero margin
promotions-return = Return on cost
promotions-formulas = Gross profit = extra sales × gross margin; net effect = gross profit − total cost; break-even = total cost ÷ gross margin.
promotions-calculate = Calculate
promotions-evaluate = Expected against actual
promotions-participants = Participants
promotions-no-participants = Nobody takes part yet.
promotions-hidden = { $count ->
    [one] One more participant is not one of your customers and is not shown.
   *[other] { $count } more participants are not your customers and are not shown.
}
promotions-attitude = Attitude
promotions-attitude-enthusiastic = Enthusiastic
promotions-attitude-positive = Positive
promotions-attitude-neutral = Neutral
promotions-attitude-reluctant = Reluctant
promotions-attitude-refused = Refused
promotions-not-counted = not counted (refused)
promotions-added = added { $date }
promotions-notes = Notes
promotions-notes-hint = What they said, their suggestions
promotions-record-attitude = Record
promotions-remove = Remove
promotions-add-participant = Add a participant
promotions-customer = Customer
promotions-customer-hint = Name, reference or #id
promotions-add = Add
promotions-notice-saved = Promotion saved.
promotions-notice-added = Participant added.
promotions-notice-removed = Participant removed.
promotions-notice-attitude = Attitude recorded.
promotions-evaluation = Evaluation
promotions-not-started = The promotion has not started yet: there is nothing to measure.
promotions-compared = Orders of { $from } – { $to } compared with { $bfrom } – { $bto } ({ $days } days each).
promotions-in-progress = Still running: the figures cover the days up to { $date }.
promotions-expected-vs-actual = Expected against actual
promotions-expected = Expected
promotions-actual = Actual
promotions-ratio = Actual ÷ expected
promotions-extra-sales = Extra sales
promotions-gross-profit = Extra gross profit
promotions-net-effect = Net effect
promotions-period-sales = Sales in the period
promotions-baseline-sales = Sales in the baseline
promotions-counted = Participants counted
promotions-paid-off = The extra gross profit covered the cost.
promotions-not-paid-off = The extra gross profit did not cover the cost.
promotions-other-currency = { $count ->
    [one] One order in another currency is not counted.
   *[other] { $count } orders in other currencies are not counted.
}
promotions-by-participant = By participant
promotions-orders = { $count ->
    [one] one order
   *[other] { $count } orders
}
promotions-error-before_start = The last day cannot come before the first.
promotions-error-no_participants = Add a participant who takes part before starting or closing the promotion.
promotions-error-too_many = Too many lines.
promotions-error-already_taking_part = This customer already takes part.
