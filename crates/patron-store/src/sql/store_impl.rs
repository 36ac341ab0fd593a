//! [`Store`] for [`SqlStore`]: each method validates, opens a connection or a write transaction,
//! and calls the shared operations.

use super::conn::args;
use super::{customers, dedupe, import_apply, records as r, SqlStore};
use crate::bulk::{BulkChunk, BulkIds};
use crate::error::{StoreError, StoreResult};
use crate::import::{ApplyOptions, ImportBatch, ImportOutcome, OrderChunk};
use crate::query::*;
use crate::store::Store;
use crate::Backend;
use async_trait::async_trait;
use chrono::Utc;
use patron_core::*;

/// Settings key of the currency used when an order or product does not name one.
pub const DEFAULT_CURRENCY_KEY: &str = "default_currency";

impl SqlStore {
    async fn default_currency(&self) -> StoreResult<Currency> {
        let mut pc = self.acquire().await?;
        let v = r::get_setting(&mut pc.conn(), DEFAULT_CURRENCY_KEY).await?;
        Ok(v.and_then(|v| Currency::parse("currency", &v).ok())
            .unwrap_or_default())
    }

    async fn delete_by_id(&self, table: &str, entity: &'static str, id: i64) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let n = tx
            .conn()
            .execute(&format!("DELETE FROM {table} WHERE id = $1"), args![id])
            .await?;
        if n == 0 {
            return Err(StoreError::not_found(entity, id));
        }
        tx.commit().await
    }
}

fn today() -> chrono::NaiveDate {
    Utc::now().date_naive()
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        SqlStore::backend(self)
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

    async fn create_customer(&self, input: CustomerInput) -> StoreResult<Customer> {
        let mut v = input.validate(today())?;
        let mut tx = self.begin().await?;
        customers::check_refs(&mut tx.conn(), &mut v).await?;
        let id = customers::insert(&mut tx.conn(), &v, super::now()).await?;
        let c = customers::must_load(&mut tx.conn(), id).await?;
        tx.commit().await?;
        Ok(c)
    }

    async fn get_customer(&self, id: CustomerId) -> StoreResult<Customer> {
        let mut pc = self.acquire().await?;
        customers::must_load(&mut pc.conn(), id).await
    }

    async fn update_customer(&self, id: CustomerId, input: CustomerInput) -> StoreResult<Customer> {
        let mut v = input.validate(today())?;
        let mut tx = self.begin().await?;
        customers::check_refs(&mut tx.conn(), &mut v).await?;
        customers::update(&mut tx.conn(), id, &v).await?;
        let c = customers::must_load(&mut tx.conn(), id).await?;
        tx.commit().await?;
        Ok(c)
    }

    async fn delete_customer(&self, id: CustomerId) -> StoreResult<()> {
        self.delete_by_id("customers", "customer", id.0).await
    }

    async fn list_customers(&self, q: &CustomerQuery) -> StoreResult<Page<Customer>> {
        let mut pc = self.acquire().await?;
        customers::list(&mut pc.conn(), q).await
    }

    async fn customer_overview(&self, id: CustomerId) -> StoreResult<CustomerOverview> {
        let mut pc = self.acquire().await?;
        customers::overview(&mut pc.conn(), id).await
    }

    async fn count_customers(&self) -> StoreResult<i64> {
        let mut pc = self.acquire().await?;
        pc.conn()
            .scalar_i64("SELECT COUNT(*) FROM customers", vec![])
            .await
    }

    async fn create_key_person(
        &self,
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
        tx.commit().await?;
        Ok(kp)
    }

    async fn get_key_person(&self, id: KeyPersonId) -> StoreResult<KeyPerson> {
        let mut pc = self.acquire().await?;
        r::get_key_person(&mut pc.conn(), id).await
    }

    async fn update_key_person(
        &self,
        id: KeyPersonId,
        input: KeyPersonInput,
    ) -> StoreResult<KeyPerson> {
        let k = input.validate(today())?;
        let mut tx = self.begin().await?;
        r::update_key_person(&mut tx.conn(), id, &k).await?;
        let kp = r::get_key_person(&mut tx.conn(), id).await?;
        tx.commit().await?;
        Ok(kp)
    }

    async fn delete_key_person(&self, id: KeyPersonId) -> StoreResult<()> {
        self.delete_by_id("key_persons", "key person", id.0).await
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
        self.delete_by_id("products", "product", id.0).await
    }

    async fn list_products(&self, q: &ProductQuery) -> StoreResult<Page<Product>> {
        let mut pc = self.acquire().await?;
        r::list_products(&mut pc.conn(), q).await
    }

    async fn create_order(&self, input: OrderInput) -> StoreResult<Order> {
        let cur = self.default_currency().await?;
        let mut o = input.validate(&cur)?;
        let mut tx = self.begin().await?;
        r::check_order(&mut tx.conn(), &mut o).await?;
        let id = r::insert_order(&mut tx.conn(), &o, None, None).await?;
        let o = r::get_order(&mut tx.conn(), id).await?;
        tx.commit().await?;
        Ok(o)
    }

    async fn get_order(&self, id: OrderId) -> StoreResult<Order> {
        let mut pc = self.acquire().await?;
        r::get_order(&mut pc.conn(), id).await
    }

    async fn update_order(&self, id: OrderId, input: OrderInput) -> StoreResult<Order> {
        let cur = self.default_currency().await?;
        let mut o = input.validate(&cur)?;
        let mut tx = self.begin().await?;
        r::check_order(&mut tx.conn(), &mut o).await?;
        r::update_order(&mut tx.conn(), id, &o, None).await?;
        let o = r::get_order(&mut tx.conn(), id).await?;
        tx.commit().await?;
        Ok(o)
    }

    async fn delete_order(&self, id: OrderId) -> StoreResult<()> {
        self.delete_by_id("orders", "order", id.0).await
    }

    async fn list_orders(&self, q: &OrderQuery) -> StoreResult<Page<Order>> {
        let mut pc = self.acquire().await?;
        r::list_orders(&mut pc.conn(), q).await
    }

    async fn create_interaction(&self, input: InteractionInput) -> StoreResult<Interaction> {
        let i = input.validate(super::now())?;
        let mut tx = self.begin().await?;
        r::check_interaction(&mut tx.conn(), &i).await?;
        let id = r::insert_interaction(&mut tx.conn(), &i).await?;
        let i = r::get_interaction(&mut tx.conn(), id).await?;
        tx.commit().await?;
        Ok(i)
    }

    async fn get_interaction(&self, id: InteractionId) -> StoreResult<Interaction> {
        let mut pc = self.acquire().await?;
        r::get_interaction(&mut pc.conn(), id).await
    }

    async fn update_interaction(
        &self,
        id: InteractionId,
        input: InteractionInput,
    ) -> StoreResult<Interaction> {
        let i = input.validate(super::now())?;
        let mut tx = self.begin().await?;
        r::check_interaction(&mut tx.conn(), &i).await?;
        r::update_interaction(&mut tx.conn(), id, &i).await?;
        let i = r::get_interaction(&mut tx.conn(), id).await?;
        tx.commit().await?;
        Ok(i)
    }

    async fn delete_interaction(&self, id: InteractionId) -> StoreResult<()> {
        self.delete_by_id("interactions", "interaction", id.0).await
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

    async fn find_duplicates(&self, limit: usize) -> StoreResult<Vec<DuplicatePair>> {
        dedupe::find(self, limit).await
    }

    async fn merge_customers(
        &self,
        keep: CustomerId,
        other: CustomerId,
    ) -> StoreResult<MergeReport> {
        dedupe::merge(self, keep, other).await
    }
}
