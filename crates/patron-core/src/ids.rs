//! Newtype ids: a `CustomerId` can never be passed where an `OrderId` is meant.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

macro_rules! id_type {
    ($($name:ident),* $(,)?) => {$(
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
    CustomerId,
    UserId,
    KeyPersonId,
    ProductId,
    OrderId,
    InteractionId,
    PaymentId
);
