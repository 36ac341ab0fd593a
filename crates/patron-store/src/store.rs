//! The one storage interface. The web layer and the CLI hold an `Arc<dyn Store>` and never see
//! which database is behind it.

use crate::bulk::{BulkChunk, BulkIds};
use crate::error::StoreResult;
use crate::import::{ApplyOptions, ImportBatch, ImportOutcome, OrderChunk};
use crate::query::*;
use crate::sql::Backend;
use async_trait::async_trait;
use patron_core::*;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    fn backend(&self) -> Backend;

    // Staff.
    async fn create_user(&self, input: UserInput) -> StoreResult<User>;
    async fn get_user(&self, id: UserId) -> StoreResult<User>;
    async fn list_users(&self) -> StoreResult<Vec<User>>;
    /// Finds a user by e-mail (case-insensitive) or exact name; used to resolve `owner` columns.
    async fn find_user(&self, email_or_name: &str) -> StoreResult<Option<User>>;

    // Customers.
    async fn create_customer(&self, input: CustomerInput) -> StoreResult<Customer>;
    /// One customer with tags, custom values and background.
    async fn get_customer(&self, id: CustomerId) -> StoreResult<Customer>;
    /// Replaces the customer's fields with `input` (the web layer merges PATCHes onto the current
    /// values first).
    async fn update_customer(&self, id: CustomerId, input: CustomerInput) -> StoreResult<Customer>;
    /// Deletes the customer and everything that belongs to it.
    async fn delete_customer(&self, id: CustomerId) -> StoreResult<()>;
    async fn list_customers(&self, q: &CustomerQuery) -> StoreResult<Page<Customer>>;
    async fn customer_overview(&self, id: CustomerId) -> StoreResult<CustomerOverview>;
    async fn count_customers(&self) -> StoreResult<i64>;

    // Key persons.
    async fn create_key_person(
        &self,
        customer: CustomerId,
        input: KeyPersonInput,
    ) -> StoreResult<KeyPerson>;
    async fn get_key_person(&self, id: KeyPersonId) -> StoreResult<KeyPerson>;
    async fn update_key_person(
        &self,
        id: KeyPersonId,
        input: KeyPersonInput,
    ) -> StoreResult<KeyPerson>;
    async fn delete_key_person(&self, id: KeyPersonId) -> StoreResult<()>;
    async fn list_key_persons(&self, q: &KeyPersonQuery) -> StoreResult<Page<KeyPerson>>;

    // Products.
    async fn create_product(&self, input: ProductInput) -> StoreResult<Product>;
    async fn get_product(&self, id: ProductId) -> StoreResult<Product>;
    async fn update_product(&self, id: ProductId, input: ProductInput) -> StoreResult<Product>;
    async fn delete_product(&self, id: ProductId) -> StoreResult<()>;
    async fn list_products(&self, q: &ProductQuery) -> StoreResult<Page<Product>>;

    // Orders.
    async fn create_order(&self, input: OrderInput) -> StoreResult<Order>;
    async fn get_order(&self, id: OrderId) -> StoreResult<Order>;
    async fn update_order(&self, id: OrderId, input: OrderInput) -> StoreResult<Order>;
    async fn delete_order(&self, id: OrderId) -> StoreResult<()>;
    async fn list_orders(&self, q: &OrderQuery) -> StoreResult<Page<Order>>;

    // Interactions.
    async fn create_interaction(&self, input: InteractionInput) -> StoreResult<Interaction>;
    async fn get_interaction(&self, id: InteractionId) -> StoreResult<Interaction>;
    async fn update_interaction(
        &self,
        id: InteractionId,
        input: InteractionInput,
    ) -> StoreResult<Interaction>;
    async fn delete_interaction(&self, id: InteractionId) -> StoreResult<()>;
    async fn list_interactions(&self, q: &InteractionQuery) -> StoreResult<Page<Interaction>>;

    // Vocabularies and settings.
    async fn list_churn_reasons(&self) -> StoreResult<Vec<ChurnReason>>;
    async fn list_custom_fields(&self) -> StoreResult<Vec<CustomFieldDef>>;
    async fn define_custom_field(&self, def: CustomFieldDef) -> StoreResult<CustomFieldDef>;
    async fn get_setting(&self, key: &str) -> StoreResult<Option<String>>;
    async fn set_setting(&self, key: &str, value: &str) -> StoreResult<()>;

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

    // Archive maintenance.
    async fn find_duplicates(&self, limit: usize) -> StoreResult<Vec<DuplicatePair>>;
    async fn merge_customers(
        &self,
        keep: CustomerId,
        other: CustomerId,
    ) -> StoreResult<MergeReport>;
}
