//! [`Store`] for [`SqlStore`]: each method validates, opens a connection or a write transaction,
//! and calls the shared operations.

use super::conn::args;
use super::credit::Gate;
use super::{accounts as acc, audit, customers, dedupe, import_apply, records as r, SqlStore};
use crate::accounts::{
    check_password, hash_password, ApiToken, AuditEntity, AuditEntry, ImportRecord, LoginFailures,
    NewApiToken, NewSession, OwnerChange, Session,
};
use crate::bulk::{BulkChunk, BulkIds};
use crate::credit::CreditRefusal;
use crate::error::{StoreError, StoreResult};
use crate::import::{ApplyOptions, ImportBatch, ImportOutcome, OrderChunk};
use crate::query::*;
use crate::store::Store;
use crate::Backend;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use patron_core::*;

/// Settings key of the currency used when an order or product does not name one.
pub const DEFAULT_CURRENCY_KEY: &str = "default_currency";

impl SqlStore {
    /// The purchase histories (see [`Store::purchase_histories`]), with or without the
    /// customers' references. A transaction: the kept folds are updated on the way (see
    /// `purchase_folds`).
    async fn histories(
        &self,
        until: chrono::NaiveDate,
        currency: &Currency,
        with_refs: bool,
    ) -> StoreResult<Vec<crate::analytics::PurchaseHistory>> {
        let mut tx = self.begin().await?;
        let out = super::analytics::purchase_histories(&mut tx.conn(), until, currency, with_refs)
            .await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn default_currency(&self) -> StoreResult<Currency> {
        let mut pc = self.acquire().await?;
        let v = r::get_setting(&mut pc.conn(), DEFAULT_CURRENCY_KEY).await?;
        Ok(v.and_then(|v| Currency::parse("currency", &v).ok())
            .unwrap_or_default())
    }

    /// Deletes one row by id inside `tx`; "not found" when there was none.
    async fn delete_row(
        &self,
        tx: &mut super::conn::Tx,
        table: &str,
        entity: &'static str,
        id: i64,
    ) -> StoreResult<()> {
        let n = tx
            .conn()
            .execute(&format!("DELETE FROM {table} WHERE id = $1"), args![id])
            .await?;
        if n == 0 {
            return Err(StoreError::not_found(entity, id));
        }
        Ok(())
    }
}

fn today() -> chrono::NaiveDate {
    Utc::now().date_naive()
}

/// The order of a write whose credit was not checked (a refusal cannot happen; should one
/// appear it is reported, not swallowed).
fn unchecked(r: Result<Order, CreditRefusal>) -> StoreResult<Order> {
    r.map_err(|refusal| StoreError::conflict(Some("credit"), refusal.describe(|m| m.to_string())))
}

impl SqlStore {
    /// Creates an order in one transaction: validation, references, the credit check of `gate`
    /// (see [`super::credit::gate`]), the row, its audit entry and any override.
    async fn create_order_gated(
        &self,
        by: Option<UserId>,
        input: OrderInput,
        gate: Gate<'_>,
    ) -> StoreResult<Result<Order, CreditRefusal>> {
        let cur = self.default_currency().await?;
        let mut o = input.validate(&cur)?;
        let mut tx = self.begin().await?;
        r::check_order(&mut tx.conn(), &mut o).await?;
        let (cid, day, total) = (o.customer_id, o.order_date, o.total_minor);
        let pending = match super::credit::gate(
            &mut tx.conn(),
            gate,
            cid,
            day,
            total,
            &o.currency,
            None,
            &cur,
        )
        .await?
        {
            Ok(p) => p,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let id = r::insert_order(&mut tx.conn(), &o, None, None).await?;
        let o = r::get_order(&mut tx.conn(), id).await?;
        audit::record(
            &mut tx.conn(),
            by,
            AuditEntity::Order,
            id.0,
            cid,
            "create",
            None,
            Some(&o),
        )
        .await?;
        if let Some(p) = pending {
            super::credit::record_override(&mut tx.conn(), by, id, p, &cur).await?;
        }
        super::classes::refresh_rfm(&mut tx.conn(), cid).await?;
        tx.commit().await?;
        Ok(Ok(o))
    }

    /// Replaces an order in one transaction, like [`SqlStore::create_order_gated`].
    async fn update_order_gated(
        &self,
        by: Option<UserId>,
        id: OrderId,
        input: OrderInput,
        gate: Gate<'_>,
    ) -> StoreResult<Result<Order, CreditRefusal>> {
        let cur = self.default_currency().await?;
        let mut o = input.validate(&cur)?;
        let mut tx = self.begin().await?;
        let before = r::get_order(&mut tx.conn(), id).await?;
        r::check_order(&mut tx.conn(), &mut o).await?;
        let pending = match super::credit::gate(
            &mut tx.conn(),
            gate,
            o.customer_id,
            o.order_date,
            o.total_minor,
            &o.currency,
            Some(&before),
            &cur,
        )
        .await?
        {
            Ok(p) => p,
            Err(refusal) => return Ok(Err(refusal)),
        };
        r::update_order(&mut tx.conn(), id, &o, None).await?;
        let o = r::get_order(&mut tx.conn(), id).await?;
        let mut cn = tx.conn();
        let ent = AuditEntity::Order;
        if before.customer_id != o.customer_id {
            // Moved to another customer: both histories show it.
            audit::record(
                &mut cn,
                by,
                ent,
                id.0,
                before.customer_id,
                "delete",
                Some(&before),
                None,
            )
            .await?;
            audit::record(
                &mut cn,
                by,
                ent,
                id.0,
                o.customer_id,
                "create",
                None,
                Some(&o),
            )
            .await?;
        } else {
            audit::record(
                &mut cn,
                by,
                ent,
                id.0,
                o.customer_id,
                "update",
                Some(&before),
                Some(&o),
            )
            .await?;
        }
        if let Some(p) = pending {
            super::credit::record_override(&mut cn, by, id, p, &cur).await?;
        }
        // RFM of the customer(s) whose orders changed (both, when the order moved).
        super::classes::refresh_rfm(&mut cn, o.customer_id).await?;
        if before.customer_id != o.customer_id {
            super::classes::refresh_rfm(&mut cn, before.customer_id).await?;
        }
        tx.commit().await?;
        Ok(Ok(o))
    }
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        SqlStore::backend(self)
    }

    fn pool_status(&self) -> super::PoolStatus {
        SqlStore::pool_status(self)
    }

    async fn create_user(&self, input: UserInput) -> StoreResult<User> {
        let input = input.validate()?;
        let mut tx = self.begin().await?;
        let id = r::insert_user(&mut tx.conn(), &input).await?;
        let u = r::get_user(&mut tx.conn(), id)
            .await?
            .ok_or_else(|| StoreError::not_found("user", id))?;
        tx.commit().await?;
        Ok(u)
    }

    async fn get_user(&self, id: UserId) -> StoreResult<User> {
        let mut pc = self.acquire().await?;
        r::get_user(&mut pc.conn(), id)
            .await?
            .ok_or_else(|| StoreError::not_found("user", id))
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        let mut pc = self.acquire().await?;
        r::list_users(&mut pc.conn()).await
    }

    async fn find_user(&self, email_or_name: &str) -> StoreResult<Option<User>> {
        let mut pc = self.acquire().await?;
        r::find_user(&mut pc.conn(), email_or_name).await
    }

    async fn create_customer_by(
        &self,
        by: Option<UserId>,
        input: CustomerInput,
    ) -> StoreResult<Customer> {
        let mut v = input.validate(today())?;
        let mut tx = self.begin().await?;
        customers::check_refs(&mut tx.conn(), &mut v).await?;
        let id = customers::insert(&mut tx.conn(), &v, super::now()).await?;
        let c = customers::must_load(&mut tx.conn(), id).await?;
        audit::record(
            &mut tx.conn(),
            by,
            AuditEntity::Customer,
            id.0,
            id,
            "create",
            None,
            Some(&c),
        )
        .await?;
        tx.commit().await?;
        Ok(c)
    }

    async fn get_customer(&self, id: CustomerId) -> StoreResult<Customer> {
        let mut pc = self.acquire().await?;
        customers::must_load(&mut pc.conn(), id).await
    }

    async fn update_customer_by(
        &self,
        by: Option<UserId>,
        id: CustomerId,
        input: CustomerInput,
    ) -> StoreResult<Customer> {
        let mut v = input.validate(today())?;
        let mut tx = self.begin().await?;
        let before = customers::must_load(&mut tx.conn(), id).await?;
        customers::check_refs(&mut tx.conn(), &mut v).await?;
        customers::update(&mut tx.conn(), id, &v).await?;
        let c = customers::must_load(&mut tx.conn(), id).await?;
        let mut cn = tx.conn();
        audit::record(
            &mut cn,
            by,
            AuditEntity::Customer,
            id.0,
            id,
            "update",
            Some(&before),
            Some(&c),
        )
        .await?;
        audit::holder_changes(&mut cn, by, id, &before, &c).await?;
        tx.commit().await?;
        Ok(c)
    }

    async fn delete_customer_by(&self, by: Option<UserId>, id: CustomerId) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let before = customers::must_load(&mut tx.conn(), id).await?;
        self.delete_row(&mut tx, "customers", "customer", id.0)
            .await?;
        audit::record(
            &mut tx.conn(),
            by,
            AuditEntity::Customer,
            id.0,
            id,
            "delete",
            Some(&before),
            None,
        )
        .await?;
        tx.commit().await
    }

    async fn list_customers(&self, q: &CustomerQuery) -> StoreResult<Page<Customer>> {
        let query = q.clone();
        let inline = self.off_thread_read(move |c| {
            // The inline connection never waits: the future is ready when first polled.
            futures::executor::block_on(customers::list(&mut c.conn(), &query))
        });
        if let Some(page) = inline.await {
            return page;
        }
        let mut pc = self.acquire().await?;
        customers::list(&mut pc.conn(), q).await
    }

    async fn customer_overview(&self, id: CustomerId) -> StoreResult<CustomerOverview> {
        let mut pc = self.quick_read().await?;
        customers::overview(&mut pc.conn(), id).await
    }

    async fn count_customers(&self) -> StoreResult<i64> {
        let mut pc = self.acquire().await?;
        pc.conn()
            .scalar_i64("SELECT COUNT(*) FROM customers", vec![])
            .await
    }

    async fn create_key_person_by(
        &self,
        by: Option<UserId>,
        customer: CustomerId,
        input: KeyPersonInput,
    ) -> StoreResult<KeyPerson> {
        let k = input.validate(today())?;
        let mut tx = self.begin().await?;
        if customers::load(&mut tx.conn(), customer, false)
            .await?
            .is_none()
        {
            return Err(StoreError::not_found("customer", customer));
        }
        let id = r::insert_key_person(&mut tx.conn(), customer, &k).await?;
        let kp = r::get_key_person(&mut tx.conn(), id).await?;
        audit::record(
            &mut tx.conn(),
            by,
            AuditEntity::KeyPerson,
            id.0,
            customer,
            "create",
            None,
            Some(&kp),
        )
        .await?;
        tx.commit().await?;
        Ok(kp)
    }

    async fn get_key_person(&self, id: KeyPersonId) -> StoreResult<KeyPerson> {
        let mut pc = self.acquire().await?;
        r::get_key_person(&mut pc.conn(), id).await
    }

    async fn update_key_person_by(
        &self,
        by: Option<UserId>,
        id: KeyPersonId,
        input: KeyPersonInput,
    ) -> StoreResult<KeyPerson> {
        let k = input.validate(today())?;
        let mut tx = self.begin().await?;
        let before = r::get_key_person(&mut tx.conn(), id).await?;
        r::update_key_person(&mut tx.conn(), id, &k).await?;
        let kp = r::get_key_person(&mut tx.conn(), id).await?;
        let cid = kp.customer_id;
        audit::record(
            &mut tx.conn(),
            by,
            AuditEntity::KeyPerson,
            id.0,
            cid,
            "update",
            Some(&before),
            Some(&kp),
        )
        .await?;
        tx.commit().await?;
        Ok(kp)
    }

    async fn delete_key_person_by(&self, by: Option<UserId>, id: KeyPersonId) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let before = r::get_key_person(&mut tx.conn(), id).await?;
        self.delete_row(&mut tx, "key_persons", "key person", id.0)
            .await?;
        let cid = before.customer_id;
        audit::record(
            &mut tx.conn(),
            by,
            AuditEntity::KeyPerson,
            id.0,
            cid,
            "delete",
            Some(&before),
            None,
        )
        .await?;
        tx.commit().await
    }

    async fn list_key_persons(&self, q: &KeyPersonQuery) -> StoreResult<Page<KeyPerson>> {
        let mut pc = self.acquire().await?;
        r::list_key_persons(&mut pc.conn(), q).await
    }

    async fn create_product(&self, input: ProductInput) -> StoreResult<Product> {
        let p = input.validate()?;
        let cur = self.default_currency().await?;
        let mut tx = self.begin().await?;
        let id = r::insert_product(&mut tx.conn(), &p, &cur).await?;
        let p = r::get_product(&mut tx.conn(), id).await?;
        tx.commit().await?;
        Ok(p)
    }

    async fn get_product(&self, id: ProductId) -> StoreResult<Product> {
        let mut pc = self.acquire().await?;
        r::get_product(&mut pc.conn(), id).await
    }

    async fn update_product(&self, id: ProductId, input: ProductInput) -> StoreResult<Product> {
        let p = input.validate()?;
        let cur = self.default_currency().await?;
        let mut tx = self.begin().await?;
        r::update_product(&mut tx.conn(), id, &p, &cur).await?;
        let p = r::get_product(&mut tx.conn(), id).await?;
        tx.commit().await?;
        Ok(p)
    }

    async fn delete_product(&self, id: ProductId) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        self.delete_row(&mut tx, "products", "product", id.0)
            .await?;
        tx.commit().await
    }

    async fn list_products(&self, q: &ProductQuery) -> StoreResult<Page<Product>> {
        let mut pc = self.acquire().await?;
        r::list_products(&mut pc.conn(), q).await
    }

    async fn create_order_by(&self, by: Option<UserId>, input: OrderInput) -> StoreResult<Order> {
        unchecked(self.create_order_gated(by, input, Gate::Off).await?)
    }

    async fn get_order(&self, id: OrderId) -> StoreResult<Order> {
        let mut pc = self.acquire().await?;
        r::get_order(&mut pc.conn(), id).await
    }

    async fn update_order_by(
        &self,
        by: Option<UserId>,
        id: OrderId,
        input: OrderInput,
    ) -> StoreResult<Order> {
        unchecked(self.update_order_gated(by, id, input, Gate::Off).await?)
    }

    async fn delete_order_by(&self, by: Option<UserId>, id: OrderId) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let before = r::get_order(&mut tx.conn(), id).await?;
        self.delete_row(&mut tx, "orders", "order", id.0).await?;
        let cid = before.customer_id;
        audit::record(
            &mut tx.conn(),
            by,
            AuditEntity::Order,
            id.0,
            cid,
            "delete",
            Some(&before),
            None,
        )
        .await?;
        super::classes::refresh_rfm(&mut tx.conn(), cid).await?;
        tx.commit().await
    }

    async fn list_orders(&self, q: &OrderQuery) -> StoreResult<Page<Order>> {
        let mut pc = self.acquire().await?;
        r::list_orders(&mut pc.conn(), q).await
    }

    async fn create_interaction_by(
        &self,
        by: Option<UserId>,
        input: InteractionInput,
    ) -> StoreResult<Interaction> {
        let i = input.validate(super::now())?;
        let mut tx = self.begin().await?;
        r::check_interaction(&mut tx.conn(), &i).await?;
        let id = r::insert_interaction(&mut tx.conn(), &i).await?;
        let i = r::get_interaction(&mut tx.conn(), id).await?;
        let cid = i.customer_id;
        audit::record(
            &mut tx.conn(),
            by,
            AuditEntity::Interaction,
            id.0,
            cid,
            "create",
            None,
            Some(&i),
        )
        .await?;
        tx.commit().await?;
        Ok(i)
    }

    async fn get_interaction(&self, id: InteractionId) -> StoreResult<Interaction> {
        let mut pc = self.acquire().await?;
        r::get_interaction(&mut pc.conn(), id).await
    }

    async fn update_interaction_by(
        &self,
        by: Option<UserId>,
        id: InteractionId,
        input: InteractionInput,
    ) -> StoreResult<Interaction> {
        let i = input.validate(super::now())?;
        let mut tx = self.begin().await?;
        let before = r::get_interaction(&mut tx.conn(), id).await?;
        r::check_interaction(&mut tx.conn(), &i).await?;
        r::update_interaction(&mut tx.conn(), id, &i).await?;
        let i = r::get_interaction(&mut tx.conn(), id).await?;
        let mut cn = tx.conn();
        let ent = AuditEntity::Interaction;
        if before.customer_id != i.customer_id {
            audit::record(
                &mut cn,
                by,
                ent,
                id.0,
                before.customer_id,
                "delete",
                Some(&before),
                None,
            )
            .await?;
            audit::record(
                &mut cn,
                by,
                ent,
                id.0,
                i.customer_id,
                "create",
                None,
                Some(&i),
            )
            .await?;
        } else {
            audit::record(
                &mut cn,
                by,
                ent,
                id.0,
                i.customer_id,
                "update",
                Some(&before),
                Some(&i),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(i)
    }

    async fn delete_interaction_by(
        &self,
        by: Option<UserId>,
        id: InteractionId,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let before = r::get_interaction(&mut tx.conn(), id).await?;
        self.delete_row(&mut tx, "interactions", "interaction", id.0)
            .await?;
        let cid = before.customer_id;
        audit::record(
            &mut tx.conn(),
            by,
            AuditEntity::Interaction,
            id.0,
            cid,
            "delete",
            Some(&before),
            None,
        )
        .await?;
        tx.commit().await
    }

    async fn list_interactions(&self, q: &InteractionQuery) -> StoreResult<Page<Interaction>> {
        let mut pc = self.acquire().await?;
        r::list_interactions(&mut pc.conn(), q).await
    }

    async fn list_churn_reasons(&self) -> StoreResult<Vec<ChurnReason>> {
        let mut pc = self.acquire().await?;
        r::churn_reasons(&mut pc.conn()).await
    }

    async fn list_custom_fields(&self) -> StoreResult<Vec<CustomFieldDef>> {
        let mut pc = self.acquire().await?;
        customers::custom_field_defs(&mut pc.conn()).await
    }

    async fn define_custom_field(&self, def: CustomFieldDef) -> StoreResult<CustomFieldDef> {
        let mut tx = self.begin().await?;
        r::define_custom_field(&mut tx.conn(), &def).await?;
        tx.commit().await?;
        Ok(def)
    }

    async fn get_setting(&self, key: &str) -> StoreResult<Option<String>> {
        let mut pc = self.acquire().await?;
        r::get_setting(&mut pc.conn(), key).await
    }

    async fn purchase_histories(
        &self,
        until: chrono::NaiveDate,
        currency: &Currency,
    ) -> StoreResult<Vec<crate::analytics::PurchaseHistory>> {
        self.histories(until, currency, true).await
    }

    async fn purchase_histories_without_refs(
        &self,
        until: chrono::NaiveDate,
        currency: &Currency,
    ) -> StoreResult<Vec<crate::analytics::PurchaseHistory>> {
        self.histories(until, currency, false).await
    }

    async fn replace_customer_scores(
        &self,
        scores: &[crate::analytics::CustomerScore],
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        super::analytics::replace_scores(&mut tx.conn(), scores).await?;
        tx.commit().await
    }

    async fn customer_scores(
        &self,
        ids: &[CustomerId],
    ) -> StoreResult<Vec<crate::analytics::CustomerScore>> {
        let mut pc = self.acquire().await?;
        super::analytics::scores_of(&mut pc.conn(), ids).await
    }

    async fn customer_score(
        &self,
        id: CustomerId,
    ) -> StoreResult<Option<crate::analytics::CustomerScore>> {
        let mut pc = self.acquire().await?;
        super::analytics::score_of(&mut pc.conn(), id).await
    }

    async fn classify(
        &self,
        as_of: chrono::NaiveDate,
        rules: &patron_core::classify::ClassRules,
        currency: &Currency,
    ) -> StoreResult<crate::classes::ClassifyReport> {
        let mut tx = self.begin().await?;
        let report = super::classes::classify(&mut tx.conn(), as_of, rules, currency).await?;
        tx.commit().await?;
        Ok(report)
    }

    async fn customer_classes(
        &self,
        id: CustomerId,
    ) -> StoreResult<Option<crate::classes::CustomerClasses>> {
        let mut pc = self.acquire().await?;
        super::classes::classes_of(&mut pc.conn(), id).await
    }

    async fn customer_classes_of(
        &self,
        ids: &[CustomerId],
    ) -> StoreResult<Vec<crate::classes::CustomerClasses>> {
        let mut pc = self.acquire().await?;
        super::classes::classes_of_many(&mut pc.conn(), ids).await
    }

    async fn class_history(&self, id: CustomerId) -> StoreResult<Vec<crate::classes::ClassChange>> {
        let mut pc = self.acquire().await?;
        super::classes::history(&mut pc.conn(), id).await
    }

    async fn class_movement(
        &self,
        dimension: patron_core::classify::Dimension,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> StoreResult<Vec<crate::classes::Movement>> {
        let mut pc = self.acquire().await?;
        super::classes::movement(&mut pc.conn(), dimension, from, to).await
    }

    async fn class_summary(&self) -> StoreResult<crate::classes::ClassSummary> {
        let mut pc = self.acquire().await?;
        super::classes::summary(&mut pc.conn()).await
    }

    async fn set_loyalty_override(
        &self,
        by: Option<UserId>,
        id: CustomerId,
        value: Option<(patron_core::classify::Loyalty, &str)>,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        super::classes::set_loyalty_override(&mut tx.conn(), id, value, by).await?;
        tx.commit().await
    }

    async fn value_list(
        &self,
        name: crate::lists::ListName,
        scope: Scope,
    ) -> StoreResult<crate::lists::ValueList> {
        use super::lists as l;
        use crate::lists::ListName as L;
        let mut pc = self.acquire().await?;
        let mut c = pc.conn();
        let latest = super::classes::latest_as_of(&mut c).await?;
        let currency = match r::get_setting(&mut c, "default_currency").await? {
            Some(cur) => Currency::parse("currency", &cur).unwrap_or_default(),
            None => Currency::default(),
        };
        let cx = l::ListContext {
            as_of: latest.unwrap_or_else(|| chrono::Utc::now().date_naive()),
            currency,
            classified: latest.is_some(),
        };
        match name {
            L::Gold => l::gold(&mut c, scope, &cx).await,
            L::Drag => l::drag(&mut c, scope, &cx).await,
            L::Targets => l::targets(&mut c, scope, &cx).await,
            L::Complaining => l::complaining(&mut c, scope, &cx).await,
            L::Slipping => l::slipping(&mut c, scope, &cx).await,
            L::Narrow => l::narrow(&mut c, scope, &cx).await,
            L::Credit => l::credit(&mut c, scope, &cx).await,
            L::Unmanaged => l::unmanaged(&mut c, scope, &cx).await,
            L::ChurnRisk => l::churn_risk(&mut c, scope, &cx).await,
        }
    }

    async fn set_setting(&self, key: &str, value: &str) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        r::set_setting(&mut tx.conn(), key, value).await?;
        tx.commit().await
    }

    async fn apply_import(
        &self,
        batch: ImportBatch,
        opts: ApplyOptions,
    ) -> StoreResult<ImportOutcome> {
        import_apply::apply(self, batch, opts).await
    }

    async fn apply_order_stream(
        &self,
        chunks: tokio::sync::mpsc::Receiver<OrderChunk>,
        opts: ApplyOptions,
    ) -> StoreResult<ImportOutcome> {
        super::import_orders::apply_stream(self, chunks, opts).await
    }

    async fn bulk_insert(&self, chunk: BulkChunk) -> StoreResult<BulkIds> {
        super::bulk::insert_chunk(self, chunk).await
    }

    async fn refresh_statistics(&self) -> StoreResult<()> {
        if self.backend() == Backend::Sqlite {
            return Ok(());
        }
        let mut pc = self.acquire().await?;
        pc.conn().execute("ANALYZE", vec![]).await?;
        Ok(())
    }

    async fn ping(&self) -> StoreResult<()> {
        let mut pc = self.acquire().await?;
        pc.conn()
            .scalar_i64("SELECT CAST(1 AS BIGINT)", vec![])
            .await?;
        Ok(())
    }

    async fn find_duplicates_in(
        &self,
        scope: Scope,
        limit: usize,
    ) -> StoreResult<Vec<DuplicatePair>> {
        dedupe::find(self, scope, limit).await
    }

    async fn merge_customers_by(
        &self,
        by: Option<UserId>,
        keep: CustomerId,
        other: CustomerId,
    ) -> StoreResult<MergeReport> {
        dedupe::merge(self, by, keep, other).await
    }

    async fn set_password(&self, user: UserId, password: &str) -> StoreResult<()> {
        check_password("password", password).map_err(ValidationErrors::from)?;
        // Hash outside the transaction: argon2 takes tens of milliseconds on purpose.
        let phc = hash_password(password)?;
        let mut tx = self.begin().await?;
        acc::set_password_hash(&mut tx.conn(), user, &phc).await?;
        tx.commit().await
    }

    async fn verify_password(&self, email: &str, password: &str) -> StoreResult<Option<User>> {
        let mut pc = self.acquire().await?;
        acc::verify(&mut pc.conn(), email, password).await
    }

    async fn set_user_level(&self, user: UserId, level: StaffLevel) -> StoreResult<User> {
        let mut tx = self.begin().await?;
        acc::set_level(&mut tx.conn(), user, level).await?;
        let u = acc::must_user(&mut tx.conn(), user).await?;
        tx.commit().await?;
        Ok(u)
    }

    async fn set_user_manager(&self, user: UserId, manager: Option<UserId>) -> StoreResult<User> {
        let mut tx = self.begin().await?;
        acc::set_manager(&mut tx.conn(), user, manager).await?;
        let u = acc::must_user(&mut tx.conn(), user).await?;
        tx.commit().await?;
        Ok(u)
    }

    async fn set_user_language(&self, user: UserId, language: Option<&str>) -> StoreResult<User> {
        let mut tx = self.begin().await?;
        acc::set_language(&mut tx.conn(), user, language).await?;
        let u = acc::must_user(&mut tx.conn(), user).await?;
        tx.commit().await?;
        Ok(u)
    }

    async fn set_user_active(&self, user: UserId, active: bool) -> StoreResult<User> {
        let mut tx = self.begin().await?;
        acc::set_active(&mut tx.conn(), user, active).await?;
        if !active {
            acc::delete_user_sessions(&mut tx.conn(), user).await?;
        }
        let u = acc::must_user(&mut tx.conn(), user).await?;
        tx.commit().await?;
        Ok(u)
    }

    async fn team_of(&self, manager: UserId) -> StoreResult<Vec<User>> {
        let mut pc = self.acquire().await?;
        acc::reports(&mut pc.conn(), manager).await
    }

    async fn create_session(
        &self,
        user: UserId,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<NewSession> {
        let mut tx = self.begin().await?;
        acc::must_user(&mut tx.conn(), user).await?;
        let s = acc::insert_session(&mut tx.conn(), user, expires_at).await?;
        tx.commit().await?;
        Ok(s)
    }

    async fn get_session(&self, token: &str) -> StoreResult<Option<Session>> {
        let mut pc = self.quick_read().await?;
        acc::session(&mut pc.conn(), token).await
    }

    async fn delete_session(&self, token: &str) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        acc::delete_session(&mut tx.conn(), token).await?;
        tx.commit().await
    }

    async fn delete_user_sessions(&self, user: UserId) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let n = acc::delete_user_sessions(&mut tx.conn(), user).await?;
        tx.commit().await?;
        Ok(n)
    }

    async fn create_api_token(&self, user: UserId, name: &str) -> StoreResult<NewApiToken> {
        let mut tx = self.begin().await?;
        let t = acc::insert_token(&mut tx.conn(), user, name).await?;
        tx.commit().await?;
        Ok(t)
    }

    async fn list_api_tokens(&self, user: UserId) -> StoreResult<Vec<ApiToken>> {
        let mut pc = self.acquire().await?;
        acc::list_tokens(&mut pc.conn(), user).await
    }

    async fn revoke_api_token(&self, user: UserId, id: i64) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        acc::revoke_token(&mut tx.conn(), user, id).await?;
        tx.commit().await
    }

    async fn user_for_api_token(&self, secret: &str) -> StoreResult<Option<User>> {
        // Read first: taking SQLite's write lock on every API request serialised all of them.
        let found = {
            let mut pc = self.quick_read().await?;
            acc::token_user(&mut pc.conn(), secret).await?
        };
        let Some((user, touch)) = found else {
            return Ok(None);
        };
        if let Some(id) = touch {
            let mut tx = self.begin().await?;
            acc::touch_token(&mut tx.conn(), id).await?;
            tx.commit().await?;
        }
        Ok(user)
    }

    async fn record_login_attempt(&self, email: &str, ip: &str, ok: bool) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        acc::record_attempt(&mut tx.conn(), email, ip, ok).await?;
        tx.commit().await
    }

    async fn login_failures(
        &self,
        email: &str,
        ip: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<LoginFailures> {
        let mut pc = self.acquire().await?;
        acc::failures(&mut pc.conn(), email, ip, since).await
    }

    async fn customer_in_scope(&self, id: CustomerId, scope: Scope) -> StoreResult<bool> {
        let mut pc = self.quick_read().await?;
        customers::in_scope(&mut pc.conn(), id, scope).await
    }

    async fn customer_history(
        &self,
        customer: CustomerId,
        limit: u32,
    ) -> StoreResult<Vec<AuditEntry>> {
        let mut pc = self.acquire().await?;
        audit::history(&mut pc.conn(), customer, i64::from(limit.clamp(1, 1000))).await
    }

    async fn owner_history(&self, customer: CustomerId) -> StoreResult<Vec<OwnerChange>> {
        let mut pc = self.acquire().await?;
        audit::owner_history(&mut pc.conn(), customer).await
    }

    async fn list_imports(&self, by: Option<UserId>, limit: u32) -> StoreResult<Vec<ImportRecord>> {
        let mut pc = self.acquire().await?;
        audit::list_imports(&mut pc.conn(), by, i64::from(limit.clamp(1, 1000))).await
    }

    async fn agenda_facts(
        &self,
        user: &User,
        date: chrono::NaiveDate,
        until: chrono::NaiveDate,
        policy: &patron_core::contact::ContactPolicy,
        settings: &patron_core::contact::ContactSettings,
    ) -> StoreResult<crate::contact::AgendaFacts> {
        super::contact::agenda_facts(self, user, date, until, policy, settings).await
    }

    async fn warm_agenda(
        &self,
        date: chrono::NaiveDate,
        settings: &patron_core::contact::ContactSettings,
    ) -> StoreResult<()> {
        let mut pc = self.acquire().await?;
        super::contact::warm(&mut pc.conn(), date, settings).await
    }

    async fn agenda_act(
        &self,
        user: &User,
        key: &patron_core::contact::ItemKey,
        action: crate::contact::AgendaAction,
        today: chrono::NaiveDate,
    ) -> StoreResult<crate::contact::AgendaActed> {
        let mut tx = self.begin().await?;
        let (mut acted, log) =
            super::contact::act(&mut tx.conn(), user, key, action, today).await?;
        if let Some(input) = log {
            let i = input.validate(super::now())?;
            r::check_interaction(&mut tx.conn(), &i).await?;
            let id = r::insert_interaction(&mut tx.conn(), &i).await?;
            let i = r::get_interaction(&mut tx.conn(), id).await?;
            audit::record(
                &mut tx.conn(),
                Some(user.id),
                AuditEntity::Interaction,
                id.0,
                i.customer_id,
                "create",
                None,
                Some(&i),
            )
            .await?;
            super::contact::link_interaction(&mut tx.conn(), user.id, &acted.key, id.0).await?;
            acted.interaction_id = Some(id.0);
        }
        if acted.action == patron_core::contact::MarkAction::Done.as_str() {
            super::contact::after_done(&mut tx.conn(), user, key, acted.interaction_id, today)
                .await?;
        }
        tx.commit().await?;
        Ok(acted)
    }

    async fn create_calendar_feed(&self, user: UserId) -> StoreResult<String> {
        let secret = crate::accounts::random_token();
        let mut tx = self.begin().await?;
        super::contact::revoke_feeds(&mut tx.conn(), user).await?;
        tx.conn()
            .execute(
                "INSERT INTO calendar_feeds (user_id, token_hash, created_at) VALUES ($1, $2, $3)",
                args![user.0, crate::accounts::token_hash(&secret), super::now()],
            )
            .await?;
        tx.commit().await?;
        Ok(secret)
    }

    async fn revoke_calendar_feeds(&self, user: UserId) -> StoreResult<u64> {
        let mut pc = self.acquire().await?;
        super::contact::revoke_feeds(&mut pc.conn(), user).await
    }

    async fn has_calendar_feed(&self, user: UserId) -> StoreResult<bool> {
        let mut pc = self.acquire().await?;
        let n = pc
            .conn()
            .scalar_i64(
                "SELECT COUNT(*) FROM calendar_feeds WHERE user_id = $1 AND revoked_at IS NULL",
                args![user.0],
            )
            .await?;
        Ok(n > 0)
    }

    async fn user_for_calendar_feed(&self, secret: &str) -> StoreResult<Option<User>> {
        let mut pc = self.acquire().await?;
        let row: Option<(i64,)> = pc
            .conn()
            .fetch_optional(
                "SELECT user_id FROM calendar_feeds WHERE token_hash = $1 AND revoked_at IS NULL",
                args![crate::accounts::token_hash(secret)],
            )
            .await?;
        match row {
            Some((id,)) => Ok(r::get_user(&mut pc.conn(), UserId(id))
                .await?
                .filter(|u| u.active)),
            None => Ok(None),
        }
    }

    async fn set_customer_location(
        &self,
        by: Option<UserId>,
        customer: CustomerId,
        at: Option<patron_core::contact::Point>,
    ) -> StoreResult<Option<crate::plans::CustomerLocation>> {
        if let Some(p) = at {
            crate::plans::check_point(p.latitude, p.longitude)?;
        }
        let mut tx = self.begin().await?;
        if !customers::in_scope(&mut tx.conn(), customer, Scope::All).await? {
            return Err(StoreError::not_found("customer", customer));
        }
        let l = super::plans::set_location(&mut tx.conn(), by, customer, at).await?;
        tx.commit().await?;
        Ok(l)
    }

    async fn customer_location(
        &self,
        customer: CustomerId,
    ) -> StoreResult<Option<crate::plans::CustomerLocation>> {
        let mut pc = self.acquire().await?;
        if !customers::in_scope(&mut pc.conn(), customer, Scope::All).await? {
            return Err(StoreError::not_found("customer", customer));
        }
        super::plans::get_location(&mut pc.conn(), customer).await
    }

    async fn set_customer_locations(
        &self,
        rows: &[(CustomerId, patron_core::contact::Point)],
    ) -> StoreResult<u64> {
        for (_, p) in rows {
            crate::plans::check_point(p.latitude, p.longitude)?;
        }
        let mut tx = self.begin().await?;
        let n = super::plans::set_locations(&mut tx.conn(), rows).await?;
        tx.commit().await?;
        Ok(n)
    }

    async fn plan_customers(
        &self,
        user: &User,
        policy: &patron_core::contact::ContactPolicy,
    ) -> StoreResult<Vec<patron_core::contact::PlanCustomer>> {
        let mut pc = self.acquire().await?;
        super::plans::plan_customers(&mut pc.conn(), user, policy).await
    }

    async fn save_visit_plan(
        &self,
        user: UserId,
        period: patron_core::contact::PlanPeriod,
        starts_on: chrono::NaiveDate,
        entries: &[patron_core::contact::PlanEntry],
        replace: bool,
    ) -> StoreResult<crate::plans::VisitPlan> {
        let mut tx = self.begin().await?;
        let p =
            super::plans::save(&mut tx.conn(), user, period, starts_on, entries, replace).await?;
        tx.commit().await?;
        Ok(p)
    }

    async fn get_visit_plan(&self, id: i64) -> StoreResult<crate::plans::VisitPlan> {
        let mut pc = self.acquire().await?;
        super::plans::get(&mut pc.conn(), id).await
    }

    async fn find_visit_plan(
        &self,
        user: UserId,
        period: patron_core::contact::PlanPeriod,
        starts_on: chrono::NaiveDate,
    ) -> StoreResult<Option<crate::plans::PlanSummary>> {
        let mut pc = self.acquire().await?;
        super::plans::find(&mut pc.conn(), user, period, starts_on).await
    }

    async fn list_visit_plans(
        &self,
        users: Option<&[UserId]>,
        period: Option<patron_core::contact::PlanPeriod>,
        starts_on: Option<chrono::NaiveDate>,
    ) -> StoreResult<Vec<crate::plans::PlanSummary>> {
        let mut pc = self.acquire().await?;
        super::plans::list(&mut pc.conn(), users, period, starts_on).await
    }

    async fn edit_visit_plan(
        &self,
        id: i64,
        edits: &[patron_core::contact::EntryEdit],
    ) -> StoreResult<crate::plans::VisitPlan> {
        let mut tx = self.begin().await?;
        let p = super::plans::edit(&mut tx.conn(), id, edits).await?;
        tx.commit().await?;
        Ok(p)
    }

    async fn contacts_done(
        &self,
        user: UserId,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
        settings: &patron_core::contact::ContactSettings,
    ) -> StoreResult<Vec<patron_core::contact::plan::Done>> {
        let mut pc = self.acquire().await?;
        super::plans::done(&mut pc.conn(), user, from, to, settings).await
    }

    async fn planned_visits_on(
        &self,
        user: UserId,
        day: chrono::NaiveDate,
    ) -> StoreResult<Vec<CustomerId>> {
        let mut pc = self.acquire().await?;
        super::plans::planned_on(&mut pc.conn(), user, day).await
    }

    async fn route_places(
        &self,
        ids: &[CustomerId],
    ) -> StoreResult<Vec<patron_core::contact::route::Place>> {
        let mut pc = self.acquire().await?;
        super::plans::places(&mut pc.conn(), ids).await
    }

    async fn contact_compliance(
        &self,
        until: chrono::NaiveDate,
        months: u32,
        policy: &patron_core::contact::ContactPolicy,
        settings: &patron_core::contact::ContactSettings,
    ) -> StoreResult<Vec<crate::contact::ComplianceRow>> {
        let mut pc = self.acquire().await?;
        super::contact::compliance(&mut pc.conn(), until, months, policy, settings).await
    }

    async fn claim_digest(&self, user: UserId, day: chrono::NaiveDate) -> StoreResult<bool> {
        let mut pc = self.acquire().await?;
        let n = pc
            .conn()
            .execute(
                "INSERT INTO digest_log (user_id, day, status, at) VALUES ($1, $2, 'sending', $3) \
                 ON CONFLICT (user_id, day) DO NOTHING",
                args![user.0, day, super::now()],
            )
            .await?;
        Ok(n == 1)
    }

    async fn finish_digest(
        &self,
        user: UserId,
        day: chrono::NaiveDate,
        status: crate::contact::DigestStatus,
        items: i64,
        error: Option<&str>,
    ) -> StoreResult<()> {
        let mut pc = self.acquire().await?;
        pc.conn()
            .execute(
                "UPDATE digest_log SET status = $1, items = $2, error = $3, at = $4 \
                 WHERE user_id = $5 AND day = $6",
                args![status.as_str(), items, error, super::now(), user.0, day],
            )
            .await?;
        Ok(())
    }

    async fn reassignments(
        &self,
        scope: Scope,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        role: Option<&str>,
        class: Option<&str>,
    ) -> StoreResult<Vec<crate::contact::Reassignment>> {
        let mut pc = self.acquire().await?;
        super::contact::reassignments(&mut pc.conn(), scope, from, to, role, class).await
    }

    async fn list_promotions(
        &self,
        scope: Scope,
        status: Option<patron_core::promotion::PromotionStatus>,
    ) -> StoreResult<Vec<crate::promotions::Promotion>> {
        super::promotions::list(self, scope, status).await
    }

    async fn get_promotion(
        &self,
        id: i64,
        scope: Scope,
    ) -> StoreResult<crate::promotions::PromotionDetail> {
        super::promotions::get(self, id, scope).await
    }

    async fn create_promotion(
        &self,
        by: Option<UserId>,
        input: patron_core::promotion::PromotionInput,
    ) -> StoreResult<crate::promotions::PromotionDetail> {
        super::promotions::create(self, by, input).await
    }

    async fn update_promotion(
        &self,
        id: i64,
        scope: Scope,
        input: patron_core::promotion::PromotionInput,
    ) -> StoreResult<crate::promotions::PromotionDetail> {
        super::promotions::update(self, id, scope, input).await
    }

    async fn delete_promotion(&self, id: i64, scope: Scope) -> StoreResult<()> {
        super::promotions::delete(self, id, scope).await
    }

    async fn add_promotion_participant(
        &self,
        by: Option<UserId>,
        id: i64,
        scope: Scope,
        input: patron_core::promotion::ParticipantInput,
    ) -> StoreResult<crate::promotions::Participant> {
        super::promotions::add_participant(self, by, id, scope, input).await
    }

    async fn change_promotion_participant(
        &self,
        id: i64,
        customer: CustomerId,
        scope: Scope,
        change: patron_core::promotion::ParticipantChange,
    ) -> StoreResult<crate::promotions::Participant> {
        super::promotions::change_participant(self, id, customer, scope, change).await
    }

    async fn remove_promotion_participant(
        &self,
        id: i64,
        customer: CustomerId,
        scope: Scope,
    ) -> StoreResult<()> {
        super::promotions::remove_participant(self, id, customer, scope).await
    }

    async fn evaluate_promotion(
        &self,
        id: i64,
        scope: Scope,
        baseline: Option<patron_core::promotion::Baseline>,
        as_of: chrono::NaiveDate,
    ) -> StoreResult<patron_core::promotion::Evaluation> {
        super::promotions::evaluate(self, id, scope, baseline, as_of).await
    }

    async fn record_satisfaction(
        &self,
        by: Option<UserId>,
        customer: CustomerId,
        aspect: patron_core::classify::Aspect,
        score: u8,
        note: Option<String>,
        rated_on: Option<chrono::NaiveDate>,
    ) -> StoreResult<crate::satisfaction::Rating> {
        let day = super::satisfaction::validate(score, note.as_deref(), rated_on, today())?;
        let mut tx = self.begin().await?;
        if !customers::in_scope(&mut tx.conn(), customer, Scope::All).await? {
            return Err(StoreError::not_found("customer", customer));
        }
        let source = super::satisfaction::Source { by, response: None };
        let r =
            super::satisfaction::insert(&mut tx.conn(), source, customer, aspect, score, note, day)
                .await?;
        tx.commit().await?;
        Ok(r)
    }

    async fn list_surveys(&self) -> StoreResult<Vec<crate::surveys::Survey>> {
        let mut pc = self.acquire().await?;
        super::surveys::list(&mut pc.conn()).await
    }

    async fn get_survey(&self, id: i64) -> StoreResult<crate::surveys::Survey> {
        let mut pc = self.acquire().await?;
        super::surveys::get(&mut pc.conn(), id).await
    }

    async fn create_survey(
        &self,
        by: Option<UserId>,
        def: &patron_core::survey::SurveyDef,
    ) -> StoreResult<crate::surveys::Survey> {
        super::surveys::create(self, by, def).await
    }

    async fn update_survey(
        &self,
        id: i64,
        def: &patron_core::survey::SurveyDef,
    ) -> StoreResult<crate::surveys::Survey> {
        super::surveys::update(self, id, def).await
    }

    async fn survey_summary(&self, id: i64) -> StoreResult<crate::surveys::SurveySummary> {
        let mut pc = self.acquire().await?;
        let survey = super::surveys::get(&mut pc.conn(), id).await?;
        super::surveys::summary(&mut pc.conn(), &survey).await
    }

    async fn survey_responses(
        &self,
        survey: i64,
        scope: Scope,
        limit: u32,
    ) -> StoreResult<Vec<crate::surveys::Response>> {
        let mut pc = self.acquire().await?;
        let limit = super::page_limit(Some(limit));
        super::surveys::responses(&mut pc.conn(), "r.survey_id = $1", survey, scope, limit).await
    }

    async fn customer_survey_responses(
        &self,
        customer: CustomerId,
        limit: u32,
    ) -> StoreResult<Vec<crate::surveys::Response>> {
        let mut pc = self.acquire().await?;
        let limit = super::page_limit(Some(limit));
        super::surveys::responses(
            &mut pc.conn(),
            "r.customer_id = $1",
            customer.0,
            Scope::All,
            limit,
        )
        .await
    }

    async fn record_survey_response(
        &self,
        by: Option<UserId>,
        customer: CustomerId,
        input: &crate::surveys::ResponseInput,
        now: DateTime<Utc>,
    ) -> StoreResult<crate::surveys::Response> {
        super::surveys::record_by_staff(self, by, customer, input, now).await
    }

    async fn create_public_link(
        &self,
        by: Option<UserId>,
        customer: CustomerId,
        input: &crate::surveys::LinkInput,
        now: DateTime<Utc>,
    ) -> StoreResult<crate::surveys::NewLink> {
        super::surveys::create_link(self, by, customer, input, now).await
    }

    async fn public_links(
        &self,
        customer: CustomerId,
    ) -> StoreResult<Vec<crate::surveys::PublicLink>> {
        let mut pc = self.acquire().await?;
        super::surveys::customer_links(&mut pc.conn(), customer).await
    }

    async fn revoke_public_link(
        &self,
        customer: CustomerId,
        id: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        super::surveys::revoke_link(self, customer, id, now).await
    }

    async fn open_public_link(
        &self,
        secret: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<crate::surveys::LinkState> {
        super::surveys::open_link(self, secret, now).await
    }

    async fn answer_public_survey(
        &self,
        secret: &str,
        answers: &patron_core::survey::Answers,
        now: DateTime<Utc>,
    ) -> StoreResult<i64> {
        super::surveys::answer_link(self, secret, answers, now).await
    }

    async fn complain_through_link(
        &self,
        secret: &str,
        input: &crate::surveys::PublicComplaint,
        now: DateTime<Utc>,
    ) -> StoreResult<i64> {
        super::surveys::complain_through_link(self, secret, input, now).await
    }

    async fn customer_satisfaction(
        &self,
        customer: CustomerId,
    ) -> StoreResult<crate::satisfaction::CustomerSatisfaction> {
        let mut pc = self.acquire().await?;
        if !customers::in_scope(&mut pc.conn(), customer, Scope::All).await? {
            return Err(StoreError::not_found("customer", customer));
        }
        super::satisfaction::of_customer(&mut pc.conn(), customer).await
    }

    async fn loyalty_matrix(
        &self,
        scope: Scope,
    ) -> StoreResult<Vec<(patron_core::classify::Quadrant, i64)>> {
        let mut pc = self.acquire().await?;
        super::satisfaction::matrix(&mut pc.conn(), scope).await
    }

    async fn key_accounts(
        &self,
        scope: Scope,
        customer: Option<CustomerId>,
    ) -> StoreResult<crate::key_accounts::KeyAccountList> {
        let today = crate::contact::today(&crate::contact::load_settings(self).await?);
        let mut pc = self.acquire().await?;
        super::key_accounts::list(&mut pc.conn(), scope, customer, today).await
    }

    async fn account_plan(&self, id: i64) -> StoreResult<crate::key_accounts::AccountPlan> {
        let mut pc = self.acquire().await?;
        super::key_accounts::get_plan(&mut pc.conn(), id).await
    }

    async fn account_plan_of(
        &self,
        customer: CustomerId,
    ) -> StoreResult<Option<crate::key_accounts::AccountPlan>> {
        let mut pc = self.acquire().await?;
        match super::key_accounts::plan_of(&mut pc.conn(), customer).await? {
            Some(id) => Ok(Some(
                super::key_accounts::get_plan(&mut pc.conn(), id).await?,
            )),
            None => Ok(None),
        }
    }

    async fn create_account_plan(
        &self,
        by: Option<UserId>,
        customer: CustomerId,
        input: crate::key_accounts::PlanInput,
    ) -> StoreResult<crate::key_accounts::AccountPlan> {
        let today = crate::contact::today(&crate::contact::load_settings(self).await?);
        let mut tx = self.begin().await?;
        let id =
            super::key_accounts::create_plan(&mut tx.conn(), by, customer, &input, today).await?;
        let plan = super::key_accounts::get_plan(&mut tx.conn(), id).await?;
        tx.commit().await?;
        Ok(plan)
    }

    async fn update_account_plan(
        &self,
        by: Option<UserId>,
        id: i64,
        input: crate::key_accounts::PlanInput,
    ) -> StoreResult<crate::key_accounts::AccountPlan> {
        let today = crate::contact::today(&crate::contact::load_settings(self).await?);
        let mut tx = self.begin().await?;
        super::key_accounts::update_plan(&mut tx.conn(), by, id, &input, today).await?;
        let plan = super::key_accounts::get_plan(&mut tx.conn(), id).await?;
        tx.commit().await?;
        Ok(plan)
    }

    async fn delete_account_plan(&self, id: i64) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        super::key_accounts::delete_plan(&mut tx.conn(), id).await?;
        tx.commit().await
    }

    async fn account_plan_reviewed(
        &self,
        by: Option<UserId>,
        id: i64,
        on: Option<chrono::NaiveDate>,
        next: Option<chrono::NaiveDate>,
    ) -> StoreResult<crate::key_accounts::AccountPlan> {
        let today = crate::contact::today(&crate::contact::load_settings(self).await?);
        let mut tx = self.begin().await?;
        super::key_accounts::reviewed(&mut tx.conn(), by, id, on.unwrap_or(today), next, today)
            .await?;
        let plan = super::key_accounts::get_plan(&mut tx.conn(), id).await?;
        tx.commit().await?;
        Ok(plan)
    }

    async fn plan_project(&self, id: i64) -> StoreResult<crate::key_accounts::PlanProject> {
        let mut pc = self.acquire().await?;
        super::key_accounts::get_project(&mut pc.conn(), id).await
    }

    async fn add_plan_project(
        &self,
        by: Option<UserId>,
        plan: i64,
        input: crate::key_accounts::ProjectInput,
    ) -> StoreResult<crate::key_accounts::PlanProject> {
        let cur = self.default_currency().await?;
        let mut tx = self.begin().await?;
        let id = super::key_accounts::add_project(&mut tx.conn(), by, plan, &input, cur.as_str())
            .await?;
        let p = super::key_accounts::get_project(&mut tx.conn(), id).await?;
        tx.commit().await?;
        Ok(p)
    }

    async fn update_plan_project(
        &self,
        by: Option<UserId>,
        id: i64,
        input: crate::key_accounts::ProjectInput,
    ) -> StoreResult<crate::key_accounts::PlanProject> {
        let cur = self.default_currency().await?;
        let mut tx = self.begin().await?;
        super::key_accounts::update_project(&mut tx.conn(), by, id, &input, cur.as_str()).await?;
        let p = super::key_accounts::get_project(&mut tx.conn(), id).await?;
        tx.commit().await?;
        Ok(p)
    }

    async fn delete_plan_project(&self, by: Option<UserId>, id: i64) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        super::key_accounts::delete_project(&mut tx.conn(), by, id).await?;
        tx.commit().await
    }

    async fn plan_action(&self, id: i64) -> StoreResult<crate::key_accounts::PlanAction> {
        let mut pc = self.acquire().await?;
        super::key_accounts::get_action(&mut pc.conn(), id).await
    }

    async fn add_plan_action(
        &self,
        by: Option<UserId>,
        plan: i64,
        input: crate::key_accounts::ActionInput,
    ) -> StoreResult<crate::key_accounts::PlanAction> {
        let today = crate::contact::today(&crate::contact::load_settings(self).await?);
        let mut tx = self.begin().await?;
        let id = super::key_accounts::add_action(&mut tx.conn(), by, plan, &input, today).await?;
        let a = super::key_accounts::get_action(&mut tx.conn(), id).await?;
        tx.commit().await?;
        Ok(a)
    }

    async fn update_plan_action(
        &self,
        by: Option<UserId>,
        id: i64,
        input: crate::key_accounts::ActionInput,
    ) -> StoreResult<crate::key_accounts::PlanAction> {
        let today = crate::contact::today(&crate::contact::load_settings(self).await?);
        let mut tx = self.begin().await?;
        super::key_accounts::update_action(&mut tx.conn(), by, id, &input, today).await?;
        let a = super::key_accounts::get_action(&mut tx.conn(), id).await?;
        tx.commit().await?;
        Ok(a)
    }

    async fn delete_plan_action(&self, by: Option<UserId>, id: i64) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        super::key_accounts::delete_action(&mut tx.conn(), by, id).await?;
        tx.commit().await
    }

    async fn list_templates(
        &self,
        kind: Option<crate::touch::TemplateKind>,
        active_only: bool,
    ) -> StoreResult<Vec<crate::touch::MessageTemplate>> {
        super::touch::list_templates(self, kind, active_only).await
    }

    async fn get_template(&self, id: i64) -> StoreResult<crate::touch::MessageTemplate> {
        super::touch::get_template(self, id).await
    }

    async fn create_template(
        &self,
        by: Option<UserId>,
        input: crate::touch::TemplateInput,
    ) -> StoreResult<crate::touch::MessageTemplate> {
        super::touch::create_template(self, by, input).await
    }

    async fn update_template(
        &self,
        id: i64,
        input: crate::touch::TemplateInput,
    ) -> StoreResult<crate::touch::MessageTemplate> {
        super::touch::update_template(self, id, input).await
    }

    async fn delete_template(&self, id: i64) -> StoreResult<()> {
        super::touch::delete_template(self, id).await
    }

    async fn render_template(
        &self,
        id: i64,
        customer: CustomerId,
        key_person: Option<KeyPersonId>,
        staff: Option<UserId>,
    ) -> StoreResult<crate::touch::Rendered> {
        super::touch::render_template(self, id, customer, key_person, staff).await
    }

    async fn use_template(
        &self,
        by: UserId,
        id: i64,
        customer: CustomerId,
        key_person: Option<KeyPersonId>,
    ) -> StoreResult<crate::touch::TemplateUse> {
        super::touch::use_template(self, by, id, customer, key_person).await
    }

    async fn list_events(
        &self,
        scope: Scope,
        from: Option<DateTime<Utc>>,
    ) -> StoreResult<Vec<crate::touch::Event>> {
        super::touch::list_events(self, scope, from).await
    }

    async fn get_event(&self, id: i64, scope: Scope) -> StoreResult<crate::touch::Event> {
        super::touch::get_event(self, id, scope).await
    }

    async fn create_event(
        &self,
        by: Option<UserId>,
        input: crate::touch::EventInput,
    ) -> StoreResult<crate::touch::Event> {
        super::touch::create_event(self, by, input).await
    }

    async fn update_event(
        &self,
        id: i64,
        input: crate::touch::EventInput,
    ) -> StoreResult<crate::touch::Event> {
        super::touch::update_event(self, id, input).await
    }

    async fn delete_event(&self, id: i64) -> StoreResult<()> {
        super::touch::delete_event(self, id).await
    }

    async fn list_invitations(
        &self,
        event: i64,
        scope: Scope,
    ) -> StoreResult<Vec<crate::touch::Invitation>> {
        super::touch::list_invitations(self, event, scope).await
    }

    async fn get_invitation(&self, id: i64) -> StoreResult<crate::touch::Invitation> {
        super::touch::get_invitation(self, id).await
    }

    async fn invite_to_event(
        &self,
        by: Option<UserId>,
        event: i64,
        targets: &[(CustomerId, Option<KeyPersonId>)],
    ) -> StoreResult<crate::touch::InviteReport> {
        super::touch::invite(self, by, event, targets).await
    }

    async fn invite_class_to_event(
        &self,
        by: Option<UserId>,
        event: i64,
        scope: Scope,
        class: patron_core::classify::AbcClass,
    ) -> StoreResult<crate::touch::InviteReport> {
        super::touch::invite_class(self, by, event, scope, class).await
    }

    async fn change_invitation(
        &self,
        by: Option<UserId>,
        id: i64,
        change: crate::touch::InvitationChange,
    ) -> StoreResult<crate::touch::Invitation> {
        super::touch::change_invitation(self, by, id, change).await
    }

    async fn churn_report(&self, scope: Scope) -> StoreResult<crate::churn::ChurnReport> {
        super::churn::report(self, scope).await
    }

    async fn save_churn_reason(
        &self,
        code: &str,
        input: crate::churn::ChurnReasonInput,
    ) -> StoreResult<()> {
        super::churn::save_reason(self, code, input).await
    }

    async fn refresh_indicators(
        &self,
        today: chrono::NaiveDate,
    ) -> StoreResult<crate::indicators::RefreshReport> {
        super::indicators::refresh(self, today).await
    }

    async fn indicator_table(&self) -> StoreResult<crate::indicators::IndicatorTable> {
        super::indicators::table(self).await
    }

    async fn create_complaint(
        &self,
        by: Option<UserId>,
        scope: Scope,
        input: crate::complaints::ComplaintInput,
        now: DateTime<Utc>,
    ) -> StoreResult<crate::complaints::ComplaintDetail> {
        super::complaints::create(self, by, scope, input, now).await
    }

    async fn get_complaint(
        &self,
        scope: Scope,
        id: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<crate::complaints::ComplaintDetail> {
        super::complaints::get(self, scope, id, now).await
    }

    async fn list_complaints(
        &self,
        q: &crate::complaints::ComplaintQuery,
    ) -> StoreResult<Vec<crate::complaints::Complaint>> {
        super::complaints::list(self, q).await
    }

    async fn count_complaints(
        &self,
        scope: Scope,
        now: DateTime<Utc>,
    ) -> StoreResult<crate::complaints::ComplaintCounts> {
        super::complaints::counts(self, scope, now).await
    }

    async fn change_complaint(
        &self,
        by: Option<UserId>,
        scope: Scope,
        id: i64,
        input: crate::complaints::ComplaintChange,
        now: DateTime<Utc>,
    ) -> StoreResult<crate::complaints::ComplaintDetail> {
        super::complaints::change(self, by, scope, id, input, now).await
    }

    async fn move_complaint(
        &self,
        by: Option<UserId>,
        scope: Scope,
        id: i64,
        input: crate::complaints::StatusInput,
        now: DateTime<Utc>,
    ) -> StoreResult<crate::complaints::ComplaintDetail> {
        super::complaints::move_status(self, by, scope, id, input, now).await
    }

    async fn complaint_step(
        &self,
        by: Option<UserId>,
        scope: Scope,
        id: i64,
        input: crate::complaints::StepInput,
        now: DateTime<Utc>,
    ) -> StoreResult<crate::complaints::ComplaintDetail> {
        super::complaints::step(self, by, scope, id, input, now).await
    }

    async fn compensate_complaint(
        &self,
        by: Option<UserId>,
        scope: Scope,
        id: i64,
        input: crate::complaints::CompensationInput,
        now: DateTime<Utc>,
    ) -> StoreResult<crate::complaints::ComplaintDetail> {
        super::complaints::compensate(self, by, scope, id, input, now).await
    }

    async fn complaint_promise(
        &self,
        by: Option<UserId>,
        scope: Scope,
        id: i64,
        input: crate::complaints::PromiseInput,
        now: DateTime<Utc>,
    ) -> StoreResult<crate::complaints::ComplaintDetail> {
        super::complaints::promise(self, by, scope, id, input, now).await
    }

    async fn reply_complaint(
        &self,
        by: UserId,
        scope: Scope,
        id: i64,
        text: &str,
        kind: Option<InteractionKind>,
        now: DateTime<Utc>,
    ) -> StoreResult<crate::complaints::ComplaintDetail> {
        super::complaints::reply(self, by, scope, id, text, kind, now).await
    }

    async fn create_request(
        &self,
        by: Option<UserId>,
        input: crate::touch::RequestInput,
    ) -> StoreResult<crate::touch::CustomerRequest> {
        super::requests::create(self, by, input, super::now()).await
    }

    async fn get_request(&self, id: i64) -> StoreResult<crate::touch::CustomerRequest> {
        super::requests::get(self, id, super::now()).await
    }

    async fn list_requests(
        &self,
        q: &crate::touch::RequestQuery,
    ) -> StoreResult<Vec<crate::touch::CustomerRequest>> {
        super::requests::list(self, q).await
    }

    async fn reply_request(
        &self,
        by: UserId,
        id: i64,
        input: crate::touch::ReplyInput,
    ) -> StoreResult<crate::touch::CustomerRequest> {
        super::requests::reply(self, by, id, input, super::now()).await
    }

    async fn create_service_job(
        &self,
        by: Option<UserId>,
        scope: Scope,
        input: crate::after_sales::ServiceJobInput,
    ) -> StoreResult<crate::after_sales::ServiceJob> {
        let mut tx = self.begin().await?;
        let j = super::after_sales::create(&mut tx.conn(), by, scope, input).await?;
        tx.commit().await?;
        Ok(j)
    }

    async fn get_service_job(
        &self,
        scope: Scope,
        id: i64,
    ) -> StoreResult<crate::after_sales::ServiceJob> {
        let mut pc = self.acquire().await?;
        super::after_sales::get(&mut pc.conn(), scope, id).await
    }

    async fn list_service_jobs(
        &self,
        q: &crate::after_sales::ServiceJobQuery,
    ) -> StoreResult<Vec<crate::after_sales::ServiceJob>> {
        let mut pc = self.acquire().await?;
        super::after_sales::list(&mut pc.conn(), q).await
    }

    async fn update_service_job(
        &self,
        by: Option<UserId>,
        scope: Scope,
        id: i64,
        input: crate::after_sales::ServiceJobInput,
    ) -> StoreResult<crate::after_sales::ServiceJob> {
        let mut tx = self.begin().await?;
        let j = super::after_sales::update(&mut tx.conn(), by, scope, id, input).await?;
        tx.commit().await?;
        Ok(j)
    }

    async fn act_on_service_job(
        &self,
        by: Option<UserId>,
        scope: Scope,
        id: i64,
        action: crate::after_sales::ServiceJobAction,
        today: chrono::NaiveDate,
    ) -> StoreResult<crate::after_sales::ServiceJob> {
        let mut tx = self.begin().await?;
        let j = super::after_sales::act(&mut tx.conn(), by, scope, id, action, today).await?;
        tx.commit().await?;
        Ok(j)
    }

    async fn record_credit_review(
        &self,
        by: Option<UserId>,
        customer: CustomerId,
        input: patron_core::credit::CreditReviewInput,
    ) -> StoreResult<crate::credit::CreditReview> {
        let policy = crate::credit::load_policy(self).await?;
        let cur = self.default_currency().await?;
        let v = input.validate(&policy, today())?;
        let mut tx = self.begin().await?;
        if !customers::in_scope(&mut tx.conn(), customer, Scope::All).await? {
            return Err(StoreError::not_found("customer", customer));
        }
        let review = super::credit::insert_review(&mut tx.conn(), by, customer, &v, &cur).await?;
        tx.commit().await?;
        Ok(review)
    }

    async fn credit_reviews(
        &self,
        customer: CustomerId,
    ) -> StoreResult<Vec<crate::credit::CreditReview>> {
        let mut pc = self.acquire().await?;
        super::credit::reviews(&mut pc.conn(), customer).await
    }

    async fn customer_credit_as_of(
        &self,
        customer: CustomerId,
        as_of: chrono::NaiveDate,
    ) -> StoreResult<Option<crate::credit::CustomerCredit>> {
        let cur = self.default_currency().await?;
        let mut pc = self.acquire().await?;
        super::credit::customer_credit(&mut pc.conn(), customer, as_of, &cur).await
    }

    async fn record_payment(
        &self,
        by: Option<UserId>,
        customer: CustomerId,
        input: patron_core::credit::PaymentInput,
    ) -> StoreResult<crate::credit::Payment> {
        let cur = self.default_currency().await?;
        let v = input.validate(today())?;
        let mut tx = self.begin().await?;
        if !customers::in_scope(&mut tx.conn(), customer, Scope::All).await? {
            return Err(StoreError::not_found("customer", customer));
        }
        let p = super::credit::insert_payment(&mut tx.conn(), by, customer, &v, &cur).await?;
        tx.commit().await?;
        Ok(p)
    }

    async fn get_payment(&self, id: PaymentId) -> StoreResult<crate::credit::Payment> {
        let mut pc = self.acquire().await?;
        super::credit::get_payment(&mut pc.conn(), id).await
    }

    async fn list_payments(
        &self,
        customer: CustomerId,
        limit: u32,
    ) -> StoreResult<Vec<crate::credit::Payment>> {
        let mut pc = self.acquire().await?;
        super::credit::payments(&mut pc.conn(), customer, limit).await
    }

    async fn delete_payment(&self, id: PaymentId) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        super::credit::delete_payment(&mut tx.conn(), id).await?;
        tx.commit().await
    }

    async fn credit_overrides(
        &self,
        customer: CustomerId,
        limit: u32,
    ) -> StoreResult<Vec<crate::credit::CreditOverride>> {
        let mut pc = self.acquire().await?;
        super::credit::overrides(&mut pc.conn(), customer, limit).await
    }

    async fn credit_accounts_as_of(
        &self,
        scope: Scope,
        as_of: chrono::NaiveDate,
    ) -> StoreResult<Vec<crate::credit::CreditAccount>> {
        let cur = self.default_currency().await?;
        let mut pc = self.acquire().await?;
        super::credit::accounts(&mut pc.conn(), scope, as_of, &cur).await
    }

    async fn create_order_checked(
        &self,
        by: Option<UserId>,
        input: OrderInput,
        override_reason: Option<&str>,
    ) -> StoreResult<Result<Order, CreditRefusal>> {
        self.create_order_gated(by, input, Gate::On { override_reason })
            .await
    }

    async fn update_order_checked(
        &self,
        by: Option<UserId>,
        id: OrderId,
        input: OrderInput,
        override_reason: Option<&str>,
    ) -> StoreResult<Result<Order, CreditRefusal>> {
        self.update_order_gated(by, id, input, Gate::On { override_reason })
            .await
    }
}
