//! Bulk insertion of generated data (the demo generator and benchmarks): one transaction per
//! chunk, multi-row statements on SQLite, COPY on PostgreSQL. Records refer to customers by their
//! index in the chunk, because ids are only known once the chunk is written.

use patron_core::{CustomerId, InteractionInput, KeyPersonInput, ValidCustomer, ValidOrder};

#[derive(Debug, Default)]
pub struct BulkChunk {
    pub customers: Vec<ValidCustomer>,
    /// (index into `customers`, key person)
    pub key_persons: Vec<(usize, KeyPersonInput)>,
    /// Orders; `customer_id` is ignored and `customer` (an index into `customers`) used instead.
    pub orders: Vec<BulkOrder>,
    /// (index into `customers`, interaction); the input's `customer_id` is ignored.
    pub interactions: Vec<(usize, InteractionInput)>,
}

#[derive(Debug)]
pub struct BulkOrder {
    pub customer: usize,
    pub order: ValidOrder,
}

/// Ids given to the chunk's customers, in chunk order.
#[derive(Debug, Default)]
pub struct BulkIds {
    pub customers: Vec<CustomerId>,
}
