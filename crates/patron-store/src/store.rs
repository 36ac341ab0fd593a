//! The one storage interface. The web layer and the CLI hold an `Arc<dyn Store>` and never see
//! which database is behind it.

use crate::accounts::{
    ApiToken, AuditEntry, ImportRecord, LoginFailures, NewApiToken, NewSession, OwnerChange,
    Session,
};
use crate::bulk::{BulkChunk, BulkIds};
use crate::error::StoreResult;
use crate::import::{ApplyOptions, ImportBatch, ImportOutcome, OrderChunk};
use crate::query::*;
use crate::sql::Backend;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use patron_core::*;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    fn backend(&self) -> Backend;
    /// The connection pool now: connections open, and how many of them are idle (metrics).
    fn pool_status(&self) -> crate::sql::PoolStatus;

    // Staff.
    async fn create_user(&self, input: UserInput) -> StoreResult<User>;
    async fn get_user(&self, id: UserId) -> StoreResult<User>;
    async fn list_users(&self) -> StoreResult<Vec<User>>;
    /// Finds a user by e-mail (case-insensitive) or exact name; used to resolve `owner` columns.
    async fn find_user(&self, email_or_name: &str) -> StoreResult<Option<User>>;

    // Customers.
    async fn create_customer(&self, input: CustomerInput) -> StoreResult<Customer> {
        self.create_customer_by(None, input).await
    }
    /// Creates a customer and records it in the audit log as done by `by` (`None`: the command
    /// line or the system). Every `*_by` method below audits the same way.
    async fn create_customer_by(
        &self,
        by: Option<UserId>,
        input: CustomerInput,
    ) -> StoreResult<Customer>;
    /// One customer with tags, custom values and background.
    async fn get_customer(&self, id: CustomerId) -> StoreResult<Customer>;
    /// Replaces the customer's fields with `input` (the web layer merges PATCHes onto the current
    /// values first).
    async fn update_customer(&self, id: CustomerId, input: CustomerInput) -> StoreResult<Customer> {
        self.update_customer_by(None, id, input).await
    }
    /// Also records an owner reassignment in the owner history.
    async fn update_customer_by(
        &self,
        by: Option<UserId>,
        id: CustomerId,
        input: CustomerInput,
    ) -> StoreResult<Customer>;
    /// Deletes the customer and everything that belongs to it.
    async fn delete_customer(&self, id: CustomerId) -> StoreResult<()> {
        self.delete_customer_by(None, id).await
    }
    async fn delete_customer_by(&self, by: Option<UserId>, id: CustomerId) -> StoreResult<()>;
    async fn list_customers(&self, q: &CustomerQuery) -> StoreResult<Page<Customer>>;
    async fn customer_overview(&self, id: CustomerId) -> StoreResult<CustomerOverview>;
    async fn count_customers(&self) -> StoreResult<i64>;

    // Key persons.
    async fn create_key_person(
        &self,
        customer: CustomerId,
        input: KeyPersonInput,
    ) -> StoreResult<KeyPerson> {
        self.create_key_person_by(None, customer, input).await
    }
    async fn create_key_person_by(
        &self,
        by: Option<UserId>,
        customer: CustomerId,
        input: KeyPersonInput,
    ) -> StoreResult<KeyPerson>;
    async fn get_key_person(&self, id: KeyPersonId) -> StoreResult<KeyPerson>;
    async fn update_key_person(
        &self,
        id: KeyPersonId,
        input: KeyPersonInput,
    ) -> StoreResult<KeyPerson> {
        self.update_key_person_by(None, id, input).await
    }
    async fn update_key_person_by(
        &self,
        by: Option<UserId>,
        id: KeyPersonId,
        input: KeyPersonInput,
    ) -> StoreResult<KeyPerson>;
    async fn delete_key_person(&self, id: KeyPersonId) -> StoreResult<()> {
        self.delete_key_person_by(None, id).await
    }
    async fn delete_key_person_by(&self, by: Option<UserId>, id: KeyPersonId) -> StoreResult<()>;
    async fn list_key_persons(&self, q: &KeyPersonQuery) -> StoreResult<Page<KeyPerson>>;

    // Products.
    async fn create_product(&self, input: ProductInput) -> StoreResult<Product>;
    async fn get_product(&self, id: ProductId) -> StoreResult<Product>;
    async fn update_product(&self, id: ProductId, input: ProductInput) -> StoreResult<Product>;
    async fn delete_product(&self, id: ProductId) -> StoreResult<()>;
    async fn list_products(&self, q: &ProductQuery) -> StoreResult<Page<Product>>;

    // Orders.
    async fn create_order(&self, input: OrderInput) -> StoreResult<Order> {
        self.create_order_by(None, input).await
    }
    async fn create_order_by(&self, by: Option<UserId>, input: OrderInput) -> StoreResult<Order>;
    async fn get_order(&self, id: OrderId) -> StoreResult<Order>;
    async fn update_order(&self, id: OrderId, input: OrderInput) -> StoreResult<Order> {
        self.update_order_by(None, id, input).await
    }
    async fn update_order_by(
        &self,
        by: Option<UserId>,
        id: OrderId,
        input: OrderInput,
    ) -> StoreResult<Order>;
    async fn delete_order(&self, id: OrderId) -> StoreResult<()> {
        self.delete_order_by(None, id).await
    }
    async fn delete_order_by(&self, by: Option<UserId>, id: OrderId) -> StoreResult<()>;
    async fn list_orders(&self, q: &OrderQuery) -> StoreResult<Page<Order>>;

    // Interactions.
    async fn create_interaction(&self, input: InteractionInput) -> StoreResult<Interaction> {
        self.create_interaction_by(None, input).await
    }
    async fn create_interaction_by(
        &self,
        by: Option<UserId>,
        input: InteractionInput,
    ) -> StoreResult<Interaction>;
    async fn get_interaction(&self, id: InteractionId) -> StoreResult<Interaction>;
    async fn update_interaction(
        &self,
        id: InteractionId,
        input: InteractionInput,
    ) -> StoreResult<Interaction> {
        self.update_interaction_by(None, id, input).await
    }
    async fn update_interaction_by(
        &self,
        by: Option<UserId>,
        id: InteractionId,
        input: InteractionInput,
    ) -> StoreResult<Interaction>;
    async fn delete_interaction(&self, id: InteractionId) -> StoreResult<()> {
        self.delete_interaction_by(None, id).await
    }
    async fn delete_interaction_by(&self, by: Option<UserId>, id: InteractionId)
        -> StoreResult<()>;
    async fn list_interactions(&self, q: &InteractionQuery) -> StoreResult<Page<Interaction>>;

    // Vocabularies and settings.
    async fn list_churn_reasons(&self) -> StoreResult<Vec<ChurnReason>>;
    /// Lost customers inside `scope` by churn reason, next to the method's reference shares.
    async fn churn_report(&self, scope: Scope) -> StoreResult<crate::churn::ChurnReport>;
    /// Adds the churn reason `code` or rewords it (label, reference share).
    async fn save_churn_reason(
        &self,
        code: &str,
        input: crate::churn::ChurnReasonInput,
    ) -> StoreResult<()>;
    async fn list_custom_fields(&self) -> StoreResult<Vec<CustomFieldDef>>;
    async fn define_custom_field(&self, def: CustomFieldDef) -> StoreResult<CustomFieldDef>;
    async fn get_setting(&self, key: &str) -> StoreResult<Option<String>>;
    async fn set_setting(&self, key: &str, value: &str) -> StoreResult<()>;

    // Analytics.
    /// Per customer, the purchase days in `currency` up to `until` (see
    /// [`crate::analytics::PurchaseHistory`]), by customer id.
    async fn purchase_histories(
        &self,
        until: NaiveDate,
        currency: &Currency,
    ) -> StoreResult<Vec<crate::analytics::PurchaseHistory>>;
    /// [`Store::purchase_histories`] without the customers' references (`customer_ref` is
    /// `None`): a model fit needs only the numbers, and reading a million references took a
    /// quarter of a second.
    async fn purchase_histories_without_refs(
        &self,
        until: NaiveDate,
        currency: &Currency,
    ) -> StoreResult<Vec<crate::analytics::PurchaseHistory>>;
    /// Replaces all stored model scores with these (one transaction).
    async fn replace_customer_scores(
        &self,
        scores: &[crate::analytics::CustomerScore],
    ) -> StoreResult<()>;
    /// The latest model scores of these customers (those scored), in no particular order.
    async fn customer_scores(
        &self,
        ids: &[CustomerId],
    ) -> StoreResult<Vec<crate::analytics::CustomerScore>>;
    /// A customer's latest model score, if it has one.
    async fn customer_score(
        &self,
        id: CustomerId,
    ) -> StoreResult<Option<crate::analytics::CustomerScore>>;

    // Classification (METHOD §2; see [`crate::classes`]).
    /// Classifies every customer as of `as_of` by `rules` (amounts in `currency`), records every
    /// change of class, and — when `as_of` is the latest day classified — replaces the current
    /// classes. One transaction.
    async fn classify(
        &self,
        as_of: NaiveDate,
        rules: &patron_core::classify::ClassRules,
        currency: &Currency,
    ) -> StoreResult<crate::classes::ClassifyReport>;
    /// A customer's current classes, if classified.
    async fn customer_classes(
        &self,
        id: CustomerId,
    ) -> StoreResult<Option<crate::classes::CustomerClasses>>;
    /// The current classes of these customers (those classified), in no particular order.
    async fn customer_classes_of(
        &self,
        ids: &[CustomerId],
    ) -> StoreResult<Vec<crate::classes::CustomerClasses>>;
    /// A customer's changes of class, newest first.
    async fn class_history(&self, id: CustomerId) -> StoreResult<Vec<crate::classes::ClassChange>>;
    /// Customers counted by their class on `from` and on `to`.
    async fn class_movement(
        &self,
        dimension: patron_core::classify::Dimension,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<crate::classes::Movement>>;
    /// The current classes counted (dashboard).
    async fn class_summary(&self) -> StoreResult<crate::classes::ClassSummary>;
    /// Staff's override of a customer's loyalty class with a reason (`None` removes it); the
    /// change of the class in force is recorded as `by`'s.
    async fn set_loyalty_override(
        &self,
        by: Option<UserId>,
        id: CustomerId,
        value: Option<(patron_core::classify::Loyalty, &str)>,
    ) -> StoreResult<()>;

    /// One of the method's value lists (METHOD §2.4), the customers inside `scope`.
    async fn value_list(
        &self,
        name: crate::lists::ListName,
        scope: Scope,
    ) -> StoreResult<crate::lists::ValueList>;

    // The five indicators (METHOD §5; see [`crate::indicators`]).
    /// Recounts the indicators of the kept months and quarters up to `today` and replaces the
    /// kept counts (one scan of orders, contacts and complaints; seconds in a large archive).
    async fn refresh_indicators(
        &self,
        today: NaiveDate,
    ) -> StoreResult<crate::indicators::RefreshReport>;
    /// The kept counts, as of the last refresh.
    async fn indicator_table(&self) -> StoreResult<crate::indicators::IndicatorTable>;

    // The contact plan (METHOD §3; see [`crate::contact`]).
    /// The facts `user`'s agendas on the days from `date` to `until` are built from: the
    /// customers in their charge with class and last contacts, key persons' dates, recent
    /// orders, promised follow-ups, duties and the user's marks. One read serves several days
    /// (the calendar feed's weeks) because each later day needs a superset of an earlier one's.
    async fn agenda_facts(
        &self,
        user: &patron_core::User,
        date: NaiveDate,
        until: NaiveDate,
        policy: &patron_core::contact::ContactPolicy,
        settings: &patron_core::contact::ContactSettings,
    ) -> StoreResult<crate::contact::AgendaFacts>;
    /// Computes and caches what the first agenda of `date` would otherwise compute (the day's
    /// large-order amount, a percentile over a year of orders: seconds in a large archive).
    async fn warm_agenda(
        &self,
        date: NaiveDate,
        settings: &patron_core::contact::ContactSettings,
    ) -> StoreResult<()>;
    /// Does, snoozes or dismisses an item (validated by [`crate::contact::act`]); "done" logs
    /// the interaction in the same transaction. An item about a customer outside the user's
    /// charge is not found.
    async fn agenda_act(
        &self,
        user: &patron_core::User,
        key: &patron_core::contact::ItemKey,
        action: crate::contact::AgendaAction,
        today: NaiveDate,
    ) -> StoreResult<crate::contact::AgendaActed>;
    /// A new secret for `user`'s iCalendar feed (shown once); earlier feeds are revoked.
    async fn create_calendar_feed(&self, user: UserId) -> StoreResult<String>;
    /// Revokes `user`'s feeds; returns how many were live.
    async fn revoke_calendar_feeds(&self, user: UserId) -> StoreResult<u64>;
    /// Whether `user` has a live feed.
    async fn has_calendar_feed(&self, user: UserId) -> StoreResult<bool>;
    /// The active user whose live feed this secret opens.
    async fn user_for_calendar_feed(&self, secret: &str) -> StoreResult<Option<patron_core::User>>;
    /// The compliance report (see [`crate::contact::compliance`]).
    async fn contact_compliance(
        &self,
        until: NaiveDate,
        months: u32,
        policy: &patron_core::contact::ContactPolicy,
        settings: &patron_core::contact::ContactSettings,
    ) -> StoreResult<Vec<crate::contact::ComplianceRow>>;
    /// Claims `user`'s digest of `day` (status `sending`); false when it was claimed before,
    /// by this server or another, so each day's digest goes out at most once.
    async fn claim_digest(&self, user: UserId, day: NaiveDate) -> StoreResult<bool>;
    /// Records what became of a claimed digest.
    async fn finish_digest(
        &self,
        user: UserId,
        day: NaiveDate,
        status: crate::contact::DigestStatus,
        items: i64,
        error: Option<&str>,
    ) -> StoreResult<()>;
    /// Reassignments of owners and relationship managers of customers in `scope` made in
    /// `[from, to)`, newest first (at most [`crate::contact::REASSIGNMENTS_LIMIT`]).
    async fn reassignments(
        &self,
        scope: patron_core::Scope,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
        role: Option<&str>,
        class: Option<&str>,
    ) -> StoreResult<Vec<crate::contact::Reassignment>>;

    // Satisfaction and the loyalty matrix (METHOD §2.3; see [`crate::satisfaction`]).
    /// Records `by`'s rating of `customer`'s satisfaction with one aspect (`rated_on`: today
    /// when `None`). A score outside 1–5 is invalid (`score`), so is a day after today
    /// (`rated_on`).
    async fn record_satisfaction(
        &self,
        by: Option<UserId>,
        customer: CustomerId,
        aspect: patron_core::classify::Aspect,
        score: u8,
        note: Option<String>,
        rated_on: Option<NaiveDate>,
    ) -> StoreResult<crate::satisfaction::Rating>;
    /// A customer's latest rating of each aspect (by day, then as recorded) and its quadrant.
    async fn customer_satisfaction(
        &self,
        customer: CustomerId,
    ) -> StoreResult<crate::satisfaction::CustomerSatisfaction>;
    /// Every customer inside `scope` counted by loyalty-matrix quadrant (every quadrant listed,
    /// in [`patron_core::classify::Quadrant::ALL`] order; customers without both ratings are
    /// `unknown`).
    async fn loyalty_matrix(
        &self,
        scope: Scope,
    ) -> StoreResult<Vec<(patron_core::classify::Quadrant, i64)>>;

    // Surveys and public links (METHOD §5; see [`crate::surveys`]). Whether the caller may
    // see the customer is the caller's to check, as for satisfaction.
    /// Every questionnaire, active ones first, newest first.
    async fn list_surveys(&self) -> StoreResult<Vec<crate::surveys::Survey>>;
    async fn get_survey(&self, id: i64) -> StoreResult<crate::surveys::Survey>;
    /// Invalid: any field of [`patron_core::survey::SurveyDef::normalized`].
    async fn create_survey(
        &self,
        by: Option<UserId>,
        def: &patron_core::survey::SurveyDef,
    ) -> StoreResult<crate::surveys::Survey>;
    /// Replaces a questionnaire's texts and aspects; answers already given keep their codes.
    async fn update_survey(
        &self,
        id: i64,
        def: &patron_core::survey::SurveyDef,
    ) -> StoreResult<crate::surveys::Survey>;
    /// A questionnaire's answers summed (per aspect, praise and by-name answers).
    async fn survey_summary(&self, id: i64) -> StoreResult<crate::surveys::SurveySummary>;
    /// A questionnaire's latest answers from customers inside `scope`.
    async fn survey_responses(
        &self,
        survey: i64,
        scope: Scope,
        limit: u32,
    ) -> StoreResult<Vec<crate::surveys::Response>>;
    /// A customer's latest answers to any questionnaire.
    async fn customer_survey_responses(
        &self,
        customer: CustomerId,
        limit: u32,
    ) -> StoreResult<Vec<crate::surveys::Response>>;
    /// Records answers `by` took on a call at `now`. Invalid: `survey_id` (unknown, inactive),
    /// `language`, and the answers' fields ([`patron_core::survey::Answers::normalized`]).
    async fn record_survey_response(
        &self,
        by: Option<UserId>,
        customer: CustomerId,
        input: &crate::surveys::ResponseInput,
        now: DateTime<Utc>,
    ) -> StoreResult<crate::surveys::Response>;
    /// Makes a public link for the customer; its secret is returned once. Invalid:
    /// `survey_id`, `language`, `days`.
    async fn create_public_link(
        &self,
        by: Option<UserId>,
        customer: CustomerId,
        input: &crate::surveys::LinkInput,
        now: DateTime<Utc>,
    ) -> StoreResult<crate::surveys::NewLink>;
    /// The customer's latest public links (at most 50).
    async fn public_links(
        &self,
        customer: CustomerId,
    ) -> StoreResult<Vec<crate::surveys::PublicLink>>;
    async fn revoke_public_link(
        &self,
        customer: CustomerId,
        id: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// What opening the link with this secret shows at `now`.
    async fn open_public_link(
        &self,
        secret: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<crate::surveys::LinkState>;
    /// Records the customer's answers through a survey link and uses the link up; returns the
    /// answer's id. Not found: an unknown, expired or revoked link; conflict: already used.
    async fn answer_public_survey(
        &self,
        secret: &str,
        answers: &patron_core::survey::Answers,
        now: DateTime<Utc>,
    ) -> StoreResult<i64>;
    /// Records the customer's complaint (channel `web_form`) through a complaint link and uses
    /// the link up; returns the complaint's id. Errors as for [`Store::answer_public_survey`].
    async fn complain_through_link(
        &self,
        secret: &str,
        input: &crate::surveys::PublicComplaint,
        now: DateTime<Utc>,
    ) -> StoreResult<i64>;

    // Key-account development plans (METHOD §3.4; see [`crate::key_accounts`]). Access is the
    // caller's to check (the plan's customer in the caller's scope), as for satisfaction.
    /// Every plan inside `scope` (optionally one customer's) and the A-class customers without
    /// one, review statuses as of the shop's today.
    async fn key_accounts(
        &self,
        scope: Scope,
        customer: Option<CustomerId>,
    ) -> StoreResult<crate::key_accounts::KeyAccountList>;
    /// One plan with its projects and actions.
    async fn account_plan(&self, id: i64) -> StoreResult<crate::key_accounts::AccountPlan>;
    /// The plan of a customer, if it has one.
    async fn account_plan_of(
        &self,
        customer: CustomerId,
    ) -> StoreResult<Option<crate::key_accounts::AccountPlan>>;
    /// Creates a customer's plan as `by`'s (a customer has one plan: a second is a conflict on
    /// `customer_id`). Invalid goals, cycle, review date or owner name the field.
    async fn create_account_plan(
        &self,
        by: Option<UserId>,
        customer: CustomerId,
        input: crate::key_accounts::PlanInput,
    ) -> StoreResult<crate::key_accounts::AccountPlan>;
    /// Replaces a plan's goals, owner (absent: kept) and review cycle and date (absent: kept).
    async fn update_account_plan(
        &self,
        by: Option<UserId>,
        id: i64,
        input: crate::key_accounts::PlanInput,
    ) -> StoreResult<crate::key_accounts::AccountPlan>;
    async fn delete_account_plan(&self, id: i64) -> StoreResult<()>;
    /// Records a review of the plan held on `on` (default today); the next review is `next`,
    /// default one cycle later.
    async fn account_plan_reviewed(
        &self,
        by: Option<UserId>,
        id: i64,
        on: Option<NaiveDate>,
        next: Option<NaiveDate>,
    ) -> StoreResult<crate::key_accounts::AccountPlan>;
    async fn plan_project(&self, id: i64) -> StoreResult<crate::key_accounts::PlanProject>;
    async fn add_plan_project(
        &self,
        by: Option<UserId>,
        plan: i64,
        input: crate::key_accounts::ProjectInput,
    ) -> StoreResult<crate::key_accounts::PlanProject>;
    async fn update_plan_project(
        &self,
        by: Option<UserId>,
        id: i64,
        input: crate::key_accounts::ProjectInput,
    ) -> StoreResult<crate::key_accounts::PlanProject>;
    async fn delete_plan_project(&self, by: Option<UserId>, id: i64) -> StoreResult<()>;
    async fn plan_action(&self, id: i64) -> StoreResult<crate::key_accounts::PlanAction>;
    /// Adds an action (owner default: the plan's owner; must be an active user in charge of the
    /// customer).
    async fn add_plan_action(
        &self,
        by: Option<UserId>,
        plan: i64,
        input: crate::key_accounts::ActionInput,
    ) -> StoreResult<crate::key_accounts::PlanAction>;
    async fn update_plan_action(
        &self,
        by: Option<UserId>,
        id: i64,
        input: crate::key_accounts::ActionInput,
    ) -> StoreResult<crate::key_accounts::PlanAction>;
    async fn delete_plan_action(&self, by: Option<UserId>, id: i64) -> StoreResult<()>;

    // Keeping in touch (METHOD §3.3; see [`crate::touch`]).
    /// Message templates, by kind, language and name (`active_only`: those offered for use).
    async fn list_templates(
        &self,
        kind: Option<crate::touch::TemplateKind>,
        active_only: bool,
    ) -> StoreResult<Vec<crate::touch::MessageTemplate>>;
    async fn get_template(&self, id: i64) -> StoreResult<crate::touch::MessageTemplate>;
    /// Creates a template (validated: an unknown placeholder is invalid, naming it).
    async fn create_template(
        &self,
        by: Option<UserId>,
        input: crate::touch::TemplateInput,
    ) -> StoreResult<crate::touch::MessageTemplate>;
    async fn update_template(
        &self,
        id: i64,
        input: crate::touch::TemplateInput,
    ) -> StoreResult<crate::touch::MessageTemplate>;
    async fn delete_template(&self, id: i64) -> StoreResult<()>;
    /// Template `id` filled in for a customer (and key person) as `staff` writes it today.
    async fn render_template(
        &self,
        id: i64,
        customer: CustomerId,
        key_person: Option<KeyPersonId>,
        staff: Option<UserId>,
    ) -> StoreResult<crate::touch::Rendered>;
    /// Renders the template as `by` and logs it as an interaction of its kind (letter, card,
    /// gift, questionnaire) with the text as notes.
    async fn use_template(
        &self,
        by: UserId,
        id: i64,
        customer: CustomerId,
        key_person: Option<KeyPersonId>,
    ) -> StoreResult<crate::touch::TemplateUse>;
    /// Events ending from `from` on (all when `None`), their invitations counted inside `scope`.
    async fn list_events(
        &self,
        scope: Scope,
        from: Option<DateTime<Utc>>,
    ) -> StoreResult<Vec<crate::touch::Event>>;
    async fn get_event(&self, id: i64, scope: Scope) -> StoreResult<crate::touch::Event>;
    async fn create_event(
        &self,
        by: Option<UserId>,
        input: crate::touch::EventInput,
    ) -> StoreResult<crate::touch::Event>;
    async fn update_event(
        &self,
        id: i64,
        input: crate::touch::EventInput,
    ) -> StoreResult<crate::touch::Event>;
    async fn delete_event(&self, id: i64) -> StoreResult<()>;
    /// An event's invitations of customers inside `scope`.
    async fn list_invitations(
        &self,
        event: i64,
        scope: Scope,
    ) -> StoreResult<Vec<crate::touch::Invitation>>;
    async fn get_invitation(&self, id: i64) -> StoreResult<crate::touch::Invitation>;
    /// Invites customers (or one of their key persons); the caller checks they may see them.
    async fn invite_to_event(
        &self,
        by: Option<UserId>,
        event: i64,
        targets: &[(CustomerId, Option<KeyPersonId>)],
    ) -> StoreResult<crate::touch::InviteReport>;
    /// Invites every customer of an ABC class inside `scope`.
    async fn invite_class_to_event(
        &self,
        by: Option<UserId>,
        event: i64,
        scope: Scope,
        class: patron_core::classify::AbcClass,
    ) -> StoreResult<crate::touch::InviteReport>;
    /// Records a reply and/or attendance; attending logs one meeting interaction.
    async fn change_invitation(
        &self,
        by: Option<UserId>,
        id: i64,
        change: crate::touch::InvitationChange,
    ) -> StoreResult<crate::touch::Invitation>;
    /// Records an opinion or request a customer voiced (to be replied to within 24 hours).
    async fn create_request(
        &self,
        by: Option<UserId>,
        input: crate::touch::RequestInput,
    ) -> StoreResult<crate::touch::CustomerRequest>;
    async fn get_request(&self, id: i64) -> StoreResult<crate::touch::CustomerRequest>;
    /// Requests, unreplied first; each flagged overdue once 24 hours have passed.
    async fn list_requests(
        &self,
        q: &crate::touch::RequestQuery,
    ) -> StoreResult<Vec<crate::touch::CustomerRequest>>;
    /// Replies as `by` (logged as an interaction), ending the request's agenda item.
    async fn reply_request(
        &self,
        by: UserId,
        id: i64,
        input: crate::touch::ReplyInput,
    ) -> StoreResult<crate::touch::CustomerRequest>;

    // Complaints (METHOD §4; see [`crate::complaints`]). `now` is the instant the change is
    // made at (the web layer's clock); a complaint whose customer lies outside `scope` is not
    // found.
    /// Records a complaint as `by`'s; the first-reply clock starts at `now`. Invalid:
    /// `summary` (empty, too long), `customer_id`, `key_person_id`, `order_id` (not the
    /// customer's), `owner_id` (unknown, deactivated, cannot see the customer).
    async fn create_complaint(
        &self,
        by: Option<UserId>,
        scope: Scope,
        input: crate::complaints::ComplaintInput,
        now: DateTime<Utc>,
    ) -> StoreResult<crate::complaints::ComplaintDetail>;
    /// One complaint with its steps, compensation and history; "overdue" as of `now`.
    async fn get_complaint(
        &self,
        scope: Scope,
        id: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<crate::complaints::ComplaintDetail>;
    /// Complaints waiting for a first reply first (most overdue on top), then the rest.
    async fn list_complaints(
        &self,
        q: &crate::complaints::ComplaintQuery,
    ) -> StoreResult<Vec<crate::complaints::Complaint>>;
    async fn count_complaints(
        &self,
        scope: Scope,
        now: DateTime<Utc>,
    ) -> StoreResult<crate::complaints::ComplaintCounts>;
    /// Changes cause, owner or details; a closed complaint is a conflict.
    async fn change_complaint(
        &self,
        by: Option<UserId>,
        scope: Scope,
        id: i64,
        input: crate::complaints::ComplaintChange,
        now: DateTime<Utc>,
    ) -> StoreResult<crate::complaints::ComplaintDetail>;
    /// Moves the status forward; backwards, out of closed, or without the steps the new status
    /// requires is a conflict naming why. Leaving `open` records the first reply.
    async fn move_complaint(
        &self,
        by: Option<UserId>,
        scope: Scope,
        id: i64,
        input: crate::complaints::StatusInput,
        now: DateTime<Utc>,
    ) -> StoreResult<crate::complaints::ComplaintDetail>;
    /// Ticks one of the six steps as `by`'s.
    async fn complaint_step(
        &self,
        by: Option<UserId>,
        scope: Scope,
        id: i64,
        input: crate::complaints::StepInput,
        now: DateTime<Utc>,
    ) -> StoreResult<crate::complaints::ComplaintDetail>;
    /// Records compensation approved by `by`; above `by`'s limit (settings) is invalid
    /// (`amount`, code `above_limit`).
    async fn compensate_complaint(
        &self,
        by: Option<UserId>,
        scope: Scope,
        id: i64,
        input: crate::complaints::CompensationInput,
        now: DateTime<Utc>,
    ) -> StoreResult<crate::complaints::ComplaintDetail>;
    /// Records the promise made to the customer, or whether it was kept.
    async fn complaint_promise(
        &self,
        by: Option<UserId>,
        scope: Scope,
        id: i64,
        input: crate::complaints::PromiseInput,
        now: DateTime<Utc>,
    ) -> StoreResult<crate::complaints::ComplaintDetail>;
    /// Logs a reply to the customer as an interaction (a call unless `kind` says otherwise)
    /// and records it as the complaint's first reply.
    async fn reply_complaint(
        &self,
        by: UserId,
        scope: Scope,
        id: i64,
        text: &str,
        kind: Option<InteractionKind>,
        now: DateTime<Utc>,
    ) -> StoreResult<crate::complaints::ComplaintDetail>;

    // After-sales: deliveries and installations (METHOD §6; see [`crate::after_sales`]). The
    // store checks the scope: a job whose customer lies outside `scope` is not found.
    /// Records a delivery or installation as `by`'s (status `planned`). Invalid: the window
    /// (`window_from`, `window_to`), `order_id` (unknown, another customer's), `promised_on`
    /// (before the order), `assigned_to` (unknown, deactivated, cannot see the customer).
    async fn create_service_job(
        &self,
        by: Option<UserId>,
        scope: Scope,
        input: crate::after_sales::ServiceJobInput,
    ) -> StoreResult<crate::after_sales::ServiceJob>;
    /// One job with its history of promises.
    async fn get_service_job(
        &self,
        scope: Scope,
        id: i64,
    ) -> StoreResult<crate::after_sales::ServiceJob>;
    async fn list_service_jobs(
        &self,
        q: &crate::after_sales::ServiceJobQuery,
    ) -> StoreResult<Vec<crate::after_sales::ServiceJob>>;
    /// Replaces a job's fields; a changed promise is kept in its history (`moved`).
    async fn update_service_job(
        &self,
        by: Option<UserId>,
        scope: Scope,
        id: i64,
        input: crate::after_sales::ServiceJobInput,
    ) -> StoreResult<crate::after_sales::ServiceJob>;
    /// Notified, done, late (reason and new time), cancelled, or the after-sales call made.
    /// An action the job's status does not allow is a conflict naming `status`. `today` is the
    /// shop's day ([`crate::after_sales::shop_today`]).
    async fn act_on_service_job(
        &self,
        by: Option<UserId>,
        scope: Scope,
        id: i64,
        action: crate::after_sales::ServiceJobAction,
        today: NaiveDate,
    ) -> StoreResult<crate::after_sales::ServiceJob>;

    // Credit (METHOD §2.6; see [`crate::credit`]).
    /// Records a credit review of `customer` as `by`'s; the terms it leaves out come from the
    /// credit policy ([`crate::credit::load_policy`]). The review is the customer's credit from
    /// then on (its first review puts it under credit management).
    async fn record_credit_review(
        &self,
        by: Option<UserId>,
        customer: CustomerId,
        input: patron_core::credit::CreditReviewInput,
    ) -> StoreResult<crate::credit::CreditReview>;
    /// A customer's credit reviews, newest first.
    async fn credit_reviews(
        &self,
        customer: CustomerId,
    ) -> StoreResult<Vec<crate::credit::CreditReview>>;
    /// A customer's credit in force with its balance as of `as_of` (overdue: due before that
    /// day); `None` when it has never been reviewed.
    async fn customer_credit_as_of(
        &self,
        customer: CustomerId,
        as_of: NaiveDate,
    ) -> StoreResult<Option<crate::credit::CustomerCredit>>;
    /// [`Store::customer_credit_as_of`] today (UTC).
    async fn customer_credit(
        &self,
        customer: CustomerId,
    ) -> StoreResult<Option<crate::credit::CustomerCredit>> {
        self.customer_credit_as_of(customer, Utc::now().date_naive())
            .await
    }
    /// Records a payment received from `customer` (in the default currency) as `by`'s.
    async fn record_payment(
        &self,
        by: Option<UserId>,
        customer: CustomerId,
        input: patron_core::credit::PaymentInput,
    ) -> StoreResult<crate::credit::Payment>;
    async fn get_payment(&self, id: PaymentId) -> StoreResult<crate::credit::Payment>;
    /// A customer's payments, newest first (at most `limit`, itself at most 500).
    async fn list_payments(
        &self,
        customer: CustomerId,
        limit: u32,
    ) -> StoreResult<Vec<crate::credit::Payment>>;
    async fn delete_payment(&self, id: PaymentId) -> StoreResult<()>;
    /// The orders let through over a customer's limit, newest first (at most `limit`).
    async fn credit_overrides(
        &self,
        customer: CustomerId,
        limit: u32,
    ) -> StoreResult<Vec<crate::credit::CreditOverride>>;
    /// Every customer under credit management inside `scope` with its balance as of `as_of`,
    /// worst first (most days overdue, most overdue, most outstanding).
    async fn credit_accounts_as_of(
        &self,
        scope: Scope,
        as_of: NaiveDate,
    ) -> StoreResult<Vec<crate::credit::CreditAccount>>;
    /// [`Store::credit_accounts_as_of`] today (UTC).
    async fn credit_accounts(
        &self,
        scope: Scope,
    ) -> StoreResult<Vec<crate::credit::CreditAccount>> {
        self.credit_accounts_as_of(scope, Utc::now().date_naive())
            .await
    }
    /// [`Store::create_order_by`] with the customer's credit limit enforced in the same
    /// transaction: an order that would take a customer under credit management over its limit
    /// is not saved and its refusal returned, unless `override_reason` is given — then it is
    /// saved and the override recorded as `by`'s. Who may override is the caller's rule.
    async fn create_order_checked(
        &self,
        by: Option<UserId>,
        input: OrderInput,
        override_reason: Option<&str>,
    ) -> StoreResult<Result<Order, crate::credit::CreditRefusal>>;
    /// [`Store::update_order_by`] with the credit check of [`Store::create_order_checked`]; an
    /// edit is checked only when it adds to what the customer owes.
    async fn update_order_checked(
        &self,
        by: Option<UserId>,
        id: OrderId,
        input: OrderInput,
        override_reason: Option<&str>,
    ) -> StoreResult<Result<Order, crate::credit::CreditRefusal>>;

    // Promotions (METHOD §7; see [`crate::promotions`]). A promotion is visible in a scope when
    // the scope sees everything, created it, or sees one of its participants; only the
    // participants inside the scope are shown and evaluated. Who may change what is the
    // caller's rule ([`crate::promotions::may_manage`]).
    /// The promotions visible in `scope`, optionally of one status, latest start first.
    async fn list_promotions(
        &self,
        scope: Scope,
        status: Option<patron_core::promotion::PromotionStatus>,
    ) -> StoreResult<Vec<crate::promotions::Promotion>>;
    /// One promotion with its cost lines, expectation and the participants in `scope`.
    async fn get_promotion(
        &self,
        id: i64,
        scope: Scope,
    ) -> StoreResult<crate::promotions::PromotionDetail>;
    /// Creates a promotion as `by`'s (currency and margin default from the settings). Invalid
    /// input names the field; `running` or `done` without a participant is invalid (`status`).
    async fn create_promotion(
        &self,
        by: Option<UserId>,
        input: patron_core::promotion::PromotionInput,
    ) -> StoreResult<crate::promotions::PromotionDetail>;
    /// Replaces a visible promotion's terms and cost lines.
    async fn update_promotion(
        &self,
        id: i64,
        scope: Scope,
        input: patron_core::promotion::PromotionInput,
    ) -> StoreResult<crate::promotions::PromotionDetail>;
    /// Deletes a visible promotion with its cost lines and participants.
    async fn delete_promotion(&self, id: i64, scope: Scope) -> StoreResult<()>;
    /// Adds a customer inside `scope` to a visible promotion as `by`'s (an unseen customer is
    /// invalid `customer_id`; one already taking part a conflict on it).
    async fn add_promotion_participant(
        &self,
        by: Option<UserId>,
        id: i64,
        scope: Scope,
        input: patron_core::promotion::ParticipantInput,
    ) -> StoreResult<crate::promotions::Participant>;
    /// Records a participant's attitude or notes (not found outside `scope`).
    async fn change_promotion_participant(
        &self,
        id: i64,
        customer: CustomerId,
        scope: Scope,
        change: patron_core::promotion::ParticipantChange,
    ) -> StoreResult<crate::promotions::Participant>;
    async fn remove_promotion_participant(
        &self,
        id: i64,
        customer: CustomerId,
        scope: Scope,
    ) -> StoreResult<()>;
    /// Expected against actual as of `as_of`: the participants' orders (in `scope`) in the
    /// promotion's days so far against `baseline` (default: the promotion's own).
    async fn evaluate_promotion(
        &self,
        id: i64,
        scope: Scope,
        baseline: Option<patron_core::promotion::Baseline>,
        as_of: NaiveDate,
    ) -> StoreResult<patron_core::promotion::Evaluation>;

    // Bulk paths.
    /// Applies parsed import records in ONE transaction: all of it or none of it. With
    /// `dry_run` (or `strict` and any row refused) the transaction is rolled back after counting.
    async fn apply_import(
        &self,
        batch: ImportBatch,
        opts: ApplyOptions,
    ) -> StoreResult<ImportOutcome>;
    /// Applies an orders file arriving in parsed chunks (file order), in one transaction: the
    /// reader parses the next chunk while this one is written. Ends when the sender is dropped.
    async fn apply_order_stream(
        &self,
        chunks: tokio::sync::mpsc::Receiver<OrderChunk>,
        opts: ApplyOptions,
    ) -> StoreResult<ImportOutcome>;
    /// Inserts generated data in one transaction per chunk (the demo generator's path).
    async fn bulk_insert(&self, chunk: BulkChunk) -> StoreResult<BulkIds>;
    /// Brings the planner's statistics up to date after a bulk load. PostgreSQL plans from
    /// them, and a freshly generated million-customer archive waits for autovacuum otherwise
    /// (its agendas took 1.5 s instead of 50 ms); SQLite's plans here were tuned without
    /// statistics, so it does nothing there.
    async fn refresh_statistics(&self) -> StoreResult<()>;
    /// One round trip to the database (readiness checks).
    async fn ping(&self) -> StoreResult<()>;

    // Archive maintenance.
    /// Likely duplicate pairs across the whole archive (the command line's view).
    async fn find_duplicates(&self, limit: usize) -> StoreResult<Vec<DuplicatePair>> {
        self.find_duplicates_in(Scope::All, limit).await
    }
    /// Likely duplicate pairs whose two customers both lie inside `scope`: a user is never shown
    /// (nor offered to merge) a customer they may not see.
    async fn find_duplicates_in(
        &self,
        scope: Scope,
        limit: usize,
    ) -> StoreResult<Vec<DuplicatePair>>;
    async fn merge_customers(
        &self,
        keep: CustomerId,
        other: CustomerId,
    ) -> StoreResult<MergeReport> {
        self.merge_customers_by(None, keep, other).await
    }
    /// Merges and records the merge in both customers' audit history.
    async fn merge_customers_by(
        &self,
        by: Option<UserId>,
        keep: CustomerId,
        other: CustomerId,
    ) -> StoreResult<MergeReport>;

    // Accounts (see crate::accounts for how secrets are kept).
    /// Sets (or replaces) a user's password; checks its length and hashes it with argon2id.
    async fn set_password(&self, user: UserId, password: &str) -> StoreResult<()>;
    /// The active user with this e-mail and password, else `None` (which of the two was wrong
    /// is not told).
    async fn verify_password(&self, email: &str, password: &str) -> StoreResult<Option<User>>;
    async fn set_user_level(&self, user: UserId, level: StaffLevel) -> StoreResult<User>;
    async fn set_user_manager(&self, user: UserId, manager: Option<UserId>) -> StoreResult<User>;
    async fn set_user_language(&self, user: UserId, language: Option<&str>) -> StoreResult<User>;
    async fn set_user_active(&self, user: UserId, active: bool) -> StoreResult<User>;
    /// The users who report to `manager`.
    async fn team_of(&self, manager: UserId) -> StoreResult<Vec<User>>;

    async fn create_session(
        &self,
        user: UserId,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<NewSession>;
    /// The live session of a cookie token (`None` when unknown, expired or the user inactive).
    async fn get_session(&self, token: &str) -> StoreResult<Option<Session>>;
    /// Ends one session (and sweeps expired ones).
    async fn delete_session(&self, token: &str) -> StoreResult<()>;
    /// Ends every session of a user (after a password change or reset).
    async fn delete_user_sessions(&self, user: UserId) -> StoreResult<u64>;

    async fn create_api_token(&self, user: UserId, name: &str) -> StoreResult<NewApiToken>;
    async fn list_api_tokens(&self, user: UserId) -> StoreResult<Vec<ApiToken>>;
    async fn revoke_api_token(&self, user: UserId, id: i64) -> StoreResult<()>;
    /// The active user a live (unrevoked) API token belongs to.
    async fn user_for_api_token(&self, secret: &str) -> StoreResult<Option<User>>;

    async fn record_login_attempt(&self, email: &str, ip: &str, ok: bool) -> StoreResult<()>;
    async fn login_failures(
        &self,
        email: &str,
        ip: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<LoginFailures>;

    // Visit plans and the day's route (METHOD §3.1; see [`crate::plans`]).
    /// Sets (or with `None` removes) a customer's coordinates, recorded in the audit log as
    /// `by`'s change of the customer. Range checks are the caller's ([`crate::plans::check_point`]
    /// — the table refuses out-of-range values too).
    async fn set_customer_location(
        &self,
        by: Option<UserId>,
        customer: CustomerId,
        at: Option<patron_core::contact::Point>,
    ) -> StoreResult<Option<crate::plans::CustomerLocation>>;
    /// A customer's coordinates, if set (not found: no such customer).
    async fn customer_location(
        &self,
        customer: CustomerId,
    ) -> StoreResult<Option<crate::plans::CustomerLocation>>;
    /// Sets many customers' coordinates in one transaction (the demo's path; not audited).
    async fn set_customer_locations(
        &self,
        rows: &[(CustomerId, patron_core::contact::Point)],
    ) -> StoreResult<u64>;
    /// The customers a plan of `user`'s is built from: in their charge, not lost, of a class
    /// their row of the policy schedules, with the current class.
    async fn plan_customers(
        &self,
        user: &User,
        policy: &patron_core::contact::ContactPolicy,
    ) -> StoreResult<Vec<patron_core::contact::PlanCustomer>>;
    /// Stores a built plan (see [`crate::plans::build`]); an existing plan for the same user
    /// and period is a conflict (`starts_on`) unless `replace`.
    async fn save_visit_plan(
        &self,
        user: UserId,
        period: patron_core::contact::PlanPeriod,
        starts_on: NaiveDate,
        entries: &[patron_core::contact::PlanEntry],
        replace: bool,
    ) -> StoreResult<crate::plans::VisitPlan>;
    async fn get_visit_plan(&self, id: i64) -> StoreResult<crate::plans::VisitPlan>;
    /// The plan of a user for the period starting on `starts_on`, if built.
    async fn find_visit_plan(
        &self,
        user: UserId,
        period: patron_core::contact::PlanPeriod,
        starts_on: NaiveDate,
    ) -> StoreResult<Option<crate::plans::PlanSummary>>;
    /// Plans, newest period first (at most 500); `users` limits them to those users' plans.
    async fn list_visit_plans(
        &self,
        users: Option<&[UserId]>,
        period: Option<patron_core::contact::PlanPeriod>,
        starts_on: Option<NaiveDate>,
    ) -> StoreResult<Vec<crate::plans::PlanSummary>>;
    /// Applies edits validated by [`crate::plans::edit`] in one transaction; a customer added
    /// outside the plan owner's charge is invalid (`entries[i].customer_id`).
    async fn edit_visit_plan(
        &self,
        id: i64,
        edits: &[patron_core::contact::EntryEdit],
    ) -> StoreResult<crate::plans::VisitPlan>;
    /// `user`'s visits and calls per customer from day `from` up to day `to` (exclusive), in
    /// the shop's time zone.
    async fn contacts_done(
        &self,
        user: UserId,
        from: NaiveDate,
        to: NaiveDate,
        settings: &patron_core::contact::ContactSettings,
    ) -> StoreResult<Vec<patron_core::contact::plan::Done>>;
    /// The customers `user`'s plans have a visit planned for on `day`.
    async fn planned_visits_on(&self, user: UserId, day: NaiveDate)
        -> StoreResult<Vec<CustomerId>>;
    /// Names and coordinates (when known) of these customers, in the order given (unknown ids
    /// left out).
    async fn route_places(
        &self,
        ids: &[CustomerId],
    ) -> StoreResult<Vec<patron_core::contact::route::Place>>;

    // Record-level access and history.
    /// Whether the customer exists and lies inside `scope`.
    async fn customer_in_scope(&self, id: CustomerId, scope: Scope) -> StoreResult<bool>;
    /// The customer's audit history (customer, key persons, orders, interactions), newest first.
    async fn customer_history(
        &self,
        customer: CustomerId,
        limit: u32,
    ) -> StoreResult<Vec<AuditEntry>>;
    async fn owner_history(&self, customer: CustomerId) -> StoreResult<Vec<OwnerChange>>;
    /// Committed imports, newest first; `by` limits them to one user's.
    async fn list_imports(&self, by: Option<UserId>, limit: u32) -> StoreResult<Vec<ImportRecord>>;
}
