//! Temporary skeleton; replaced by the real implementation.
#![allow(unused_variables)]
use super::*;
#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        self.backend
    }
    async fn create_user(&self, input: UserInput) -> StoreResult<User> {
        todo!()
    }
    async fn get_user(&self, id: UserId) -> StoreResult<User> {
        todo!()
    }
    async fn list_users(&self) -> StoreResult<Vec<User>> {
        todo!()
    }
    async fn find_user(&self, email_or_name: &str) -> StoreResult<Option<User>> {
        todo!()
    }
    async fn create_customer(&self, input: CustomerInput) -> StoreResult<Customer> {
        todo!()
    }
    async fn get_customer(&self, id: CustomerId) -> StoreResult<Customer> {
        todo!()
    }
    async fn update_customer(&self, id: CustomerId, input: CustomerInput) -> StoreResult<Customer> {
        todo!()
    }
    async fn delete_customer(&self, id: CustomerId) -> StoreResult<()> {
        todo!()
    }
    async fn list_customers(&self, q: &CustomerQuery) -> StoreResult<Page<Customer>> {
        todo!()
    }
    async fn customer_overview(&self, id: CustomerId) -> StoreResult<CustomerOverview> {
        todo!()
    }
    async fn count_customers(&self) -> StoreResult<i64> {
        todo!()
    }
    async fn create_key_person(&self, customer: CustomerId, input: KeyPersonInput) -> StoreResult<KeyPerson> {
        todo!()
    }
    async fn get_key_person(&self, id: KeyPersonId) -> StoreResult<KeyPerson> {
        todo!()
    }
    async fn update_key_person(&self, id: KeyPersonId, input: KeyPersonInput) -> StoreResult<KeyPerson> {
        todo!()
    }
    async fn delete_key_person(&self, id: KeyPersonId) -> StoreResult<()> {
        todo!()
    }
    async fn list_key_persons(&self, q: &KeyPersonQuery) -> StoreResult<Page<KeyPerson>> {
        todo!()
    }
    async fn create_product(&self, input: ProductInput) -> StoreResult<Product> {
        todo!()
    }
    async fn get_product(&self, id: ProductId) -> StoreResult<Product> {
        todo!()
    }
    async fn update_product(&self, id: ProductId, input: ProductInput) -> StoreResult<Product> {
        todo!()
    }
    async fn delete_product(&self, id: ProductId) -> StoreResult<()> {
        todo!()
    }
    async fn list_products(&self, q: &ProductQuery) -> StoreResult<Page<Product>> {
        todo!()
    }
    async fn create_order(&self, input: OrderInput) -> StoreResult<Order> {
        todo!()
    }
    async fn get_order(&self, id: OrderId) -> StoreResult<Order> {
        todo!()
    }
    async fn update_order(&self, id: OrderId, input: OrderInput) -> StoreResult<Order> {
        todo!()
    }
    async fn delete_order(&self, id: OrderId) -> StoreResult<()> {
        todo!()
    }
    async fn list_orders(&self, q: &OrderQuery) -> StoreResult<Page<Order>> {
        todo!()
    }
    async fn create_interaction(&self, input: InteractionInput) -> StoreResult<Interaction> {
        todo!()
    }
    async fn get_interaction(&self, id: InteractionId) -> StoreResult<Interaction> {
        todo!()
    }
    async fn update_interaction(&self, id: InteractionId, input: InteractionInput) -> StoreResult<Interaction> {
        todo!()
    }
    async fn delete_interaction(&self, id: InteractionId) -> StoreResult<()> {
        todo!()
    }
    async fn list_interactions(&self, q: &InteractionQuery) -> StoreResult<Page<Interaction>> {
        todo!()
    }
    async fn list_churn_reasons(&self) -> StoreResult<Vec<ChurnReason>> {
        todo!()
    }
    async fn list_custom_fields(&self) -> StoreResult<Vec<CustomFieldDef>> {
        todo!()
    }
    async fn define_custom_field(&self, def: CustomFieldDef) -> StoreResult<CustomFieldDef> {
        todo!()
    }
    async fn get_setting(&self, key: &str) -> StoreResult<Option<String>> {
        todo!()
    }
    async fn set_setting(&self, key: &str, value: &str) -> StoreResult<()> {
        todo!()
    }
    async fn apply_import(&self, batch: ImportBatch, opts: ApplyOptions) -> StoreResult<ImportOutcome> {
        todo!()
    }
    async fn bulk_insert(&self, chunk: BulkChunk) -> StoreResult<BulkIds> {
        todo!()
    }
    async fn find_duplicates(&self, limit: usize) -> StoreResult<Vec<DuplicatePair>> {
        todo!()
    }
    async fn merge_customers(&self, keep: CustomerId, other: CustomerId) -> StoreResult<MergeReport> {
        todo!()
    }
}
