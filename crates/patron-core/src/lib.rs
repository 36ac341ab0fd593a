//! Patron's domain: the customer archive's types, the rules that validate them, and (in later
//! modules) the method's analytics. Pure by design — no I/O, no SQL, no HTTP — so every rule can
//! be unit-tested and reused unchanged by the store, the web server and the CLI.
#![forbid(unsafe_code)]

pub mod access;
pub mod analytics;
pub mod archive;
pub mod classify;
pub mod complaint;
pub mod contact;
pub mod credit;
pub mod dedupe;
pub mod ids;
pub mod indicators;
pub mod model;
pub mod money;
pub mod promotion;
pub mod survey;
pub mod validation;
pub mod values;

pub use access::*;
pub use archive::*;
pub use ids::*;
pub use model::*;
pub use money::{parse_amount, Currency, Money};
pub use validation::{FieldError, ValidationErrors};
