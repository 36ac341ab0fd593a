# Patron — English messages. Every key here must exist in zh-CN, zh-TW and ko (a test checks).
app-name = Patron
skip-to-content = Skip to content
nav-customers = Customers
nav-new-customer = New customer
nav-tokens = API tokens
nav-password = Password
nav-sign-out = Sign out
nav-signed-in-as = Signed in as { $name } ({ $role })
language-label = Language
language-apply = Change

role-sales_representative = Sales representative
role-business_manager = Business manager
role-marketing_director = Marketing director
role-general_manager = General manager
role-administrator = Administrator

stage-interested = Interested
stage-contacted = Contacted
stage-customer = Customer
stage-lost = Lost
kind-person = Person
kind-organisation = Organisation

interaction-visit = Visit
interaction-call = Call
interaction-consultation = Consultation
interaction-letter = Letter
interaction-card = Card
interaction-gift = Gift
interaction-meeting = Meeting
interaction-delivery = Delivery
interaction-installation = Installation
interaction-other = Other

sign-in-title = Sign in
sign-in-email = E-mail
sign-in-password = Password
sign-in-submit = Sign in
sign-in-failed = The e-mail or password is not right.
sign-in-throttled = Too many failed attempts. Wait a few minutes and try again.
signed-out = You are signed out.

password-title = Change password
password-current = Current password
password-new = New password
password-repeat = New password again
password-submit = Change password
password-changed = Your password is changed. Other sessions have been signed out.
password-wrong = The current password is not right.
password-mismatch = The two new passwords differ.
password-too-short = Use at least { $min } characters.

customers-title = Customers
customers-search = Search
customers-search-hint = Name, company, phone, e-mail or reference — any part of it
customers-filter-stage = Stage
customers-filter-owner = Owner
customers-filter-tag = Tag
customers-any = Any
customers-apply = Apply
customers-col-name = Name
customers-col-kind = Kind
customers-col-stage = Stage
customers-col-owner = Owner
customers-col-phone = Phone
customers-col-updated = Updated
customers-none = No customers match.
customers-next = Next page
customers-first = First page
customers-count = { $count ->
    [one] One customer on this page
   *[other] { $count } customers on this page
}

customer-profile = Profile
customer-kind = Kind
customer-stage = Stage
customer-owner = Owner
customer-relationship-manager = Relationship manager
customer-phone = Phone
customer-email = E-mail
customer-address = Address
customer-company = Company
customer-tags = Tags
customer-notes = Notes
customer-level = Level
customer-source = Source
customer-none = —
customer-edit = Edit
customer-key-persons = Key persons
customer-key-persons-none = No key persons on file.
customer-birthday = Birthday { $date }
customer-anniversary = Wedding anniversary { $date }
customer-warnings = Check before contact
warning-few_key_persons = Only { $count } key person(s) on file; the method asks for at least three.
warning-missing_phone = No phone number on file.
warning-missing_email = No e-mail address on file.
customer-orders = Orders
customer-orders-summary = { $count } orders, last on { $last }
customer-orders-none = No orders yet.
customer-revenue-12m = Revenue, last 12 months
customer-revenue-total = Revenue, all time
customer-timeline = Timeline
customer-timeline-none = Nothing recorded yet.
customer-timeline-order = Order { $amount }
customer-history = Change history
customer-history-none = No changes recorded.
customer-history-by = { $who } · { $when }
customer-history-system = command line or import
history-create = created { $entity }
history-update = changed { $entity }
history-delete = deleted { $entity }
history-merge = merged { $entity }
entity-customer = customer
entity-key_person = key person
entity-order = order
entity-interaction = contact

log-title = Log a contact
log-kind = Kind
log-when = When (empty: now)
log-outcome = Outcome
log-notes = Notes
log-submit = Save contact
log-saved = Contact saved.

order-title = Add an order
order-date = Date
order-product-line = Product line
order-quantity = Quantity
order-amount = Amount
order-currency = Currency
order-submit = Save order
order-saved = Order saved.

form-customer-new = New customer
form-customer-edit = Edit customer
form-name = Name
form-save = Save
form-cancel = Cancel
form-errors = Please correct the fields marked below.
form-saved = Saved.

error-required = This field is required.
error-invalid = This value is not valid.
error-too_long = This is too long.
error-out_of_range = This value is out of range.
error-invalid_email = This is not an e-mail address.
error-invalid_phone = This is not a phone number.
error-outside_scope = You can only give customers to yourself or your team.

tokens-title = API tokens
tokens-intro = A personal API token lets a script use the JSON API as you: send it as "Authorization: Bearer TOKEN".
tokens-name = Name
tokens-create = Create token
tokens-created = Your new token (shown only once — copy it now):
tokens-col-name = Name
tokens-col-created = Created
tokens-col-used = Last used
tokens-col-state = State
tokens-never = never
tokens-active = active
tokens-revoked = revoked
tokens-revoke = Revoke
tokens-none = You have no tokens.

page-not-found = Not found
page-not-found-text = There is no such page, or it is not yours to see.
page-forbidden = Not allowed
page-forbidden-text = Your role does not allow this.
page-csrf = The form has expired
page-csrf-text = Reload the page and send the form again.
page-back = Back to the customers
