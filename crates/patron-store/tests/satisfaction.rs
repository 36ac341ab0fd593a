//! Satisfaction ratings and the loyalty matrix (METHOD §2.3) on both databases: recording,
//! validation, the latest rating per aspect, the quadrant, and the matrix counted within a scope.

use chrono::{Duration, NaiveDate, Utc};
use patron_core::classify::{Aspect, Quadrant};
use patron_core::*;
use patron_store::*;
use std::sync::Arc;

/// Each backend in turn (see [`patron_store::testkit::each_store`]).
use patron_store::testkit::each_store as each;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

async fn customer(s: &Arc<dyn Store>, name: &str, owner: Option<UserId>) -> CustomerId {
    s.create_customer(CustomerInput {
        kind: CustomerKind::Organisation,
        name: name.into(),
        owner_id: owner,
        ..Default::default()
    })
    .await
    .expect("customer")
    .id
}

fn field_of(e: &StoreError) -> String {
    match e {
        StoreError::Invalid(v) => v.first().map(|f| f.field.clone()).unwrap_or_default(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

fn count(m: &[(Quadrant, i64)], q: Quadrant) -> i64 {
    m.iter()
        .find(|(k, _)| *k == q)
        .map(|(_, n)| *n)
        .unwrap_or(-1)
}

#[tokio::test]
async fn ratings_quadrants_and_the_matrix() {
    each(|s| async move {
        let rep = s
            .create_user(UserInput {
                email: "rep@x.com".into(),
                name: "Rep".into(),
                staff_level: StaffLevel::SalesRepresentative,
                manager_id: None,
            })
            .await
            .expect("user");
        let a = customer(&s, "Alpha", Some(rep.id)).await;
        let b = customer(&s, "Beta", None).await;
        let c = customer(&s, "Gamma", Some(rep.id)).await;

        // Nothing recorded yet: unknown.
        let none = s.customer_satisfaction(a).await.expect("satisfaction");
        assert_eq!(none.quadrant, Quadrant::Unknown);
        assert!(none.product.is_none() && none.service.is_none());

        // Validation names the field.
        let e = s
            .record_satisfaction(None, a, Aspect::Product, 6, None, None)
            .await
            .expect_err("score 6");
        assert_eq!(field_of(&e), "score");
        let e = s
            .record_satisfaction(None, a, Aspect::Product, 0, None, None)
            .await
            .expect_err("score 0");
        assert_eq!(field_of(&e), "score");
        let tomorrow = Utc::now().date_naive() + Duration::days(1);
        let e = s
            .record_satisfaction(None, a, Aspect::Product, 4, None, Some(tomorrow))
            .await
            .expect_err("future");
        assert_eq!(field_of(&e), "rated_on");
        assert!(matches!(
            s.record_satisfaction(None, CustomerId(999_999), Aspect::Product, 4, None, None)
                .await,
            Err(StoreError::NotFound { .. })
        ));

        // The latest by day wins, not the latest recorded; on the same day the later record.
        let r = s
            .record_satisfaction(
                Some(rep.id),
                a,
                Aspect::Product,
                4,
                Some("  likes the range ".into()),
                Some(d(2026, 3, 1)),
            )
            .await
            .expect("product");
        assert_eq!(r.score, 4);
        assert_eq!(r.note.as_deref(), Some("likes the range"));
        assert_eq!(r.user_name.as_deref(), Some("Rep"));
        assert_eq!(r.rated_on, d(2026, 3, 1));
        s.record_satisfaction(None, a, Aspect::Product, 1, None, Some(d(2026, 1, 1)))
            .await
            .expect("older product");
        let half = s.customer_satisfaction(a).await.expect("satisfaction");
        assert_eq!(half.product.as_ref().map(|r| r.score), Some(4));
        assert_eq!(half.quadrant, Quadrant::Unknown);
        s.record_satisfaction(None, a, Aspect::Service, 5, None, Some(d(2026, 3, 2)))
            .await
            .expect("service");
        s.record_satisfaction(None, a, Aspect::Service, 2, None, Some(d(2026, 3, 2)))
            .await
            .expect("service again");
        let full = s.customer_satisfaction(a).await.expect("satisfaction");
        assert_eq!(full.service.as_ref().map(|r| r.score), Some(2));
        assert_eq!(full.quadrant, Quadrant::EasilyTaken);

        // Beta loyal, Gamma destructive (rated today by default).
        for (cust, p, sv) in [(b, 3, 3), (c, 2, 1)] {
            s.record_satisfaction(None, cust, Aspect::Product, p, None, None)
                .await
                .expect("product");
            s.record_satisfaction(None, cust, Aspect::Service, sv, None, None)
                .await
                .expect("service");
        }
        let gamma = s.customer_satisfaction(c).await.expect("satisfaction");
        assert_eq!(gamma.quadrant, Quadrant::Destructive);
        assert_eq!(
            gamma.product.as_ref().map(|r| r.rated_on),
            Some(Utc::now().date_naive())
        );
        customer(&s, "Delta", None).await;

        let all = s.loyalty_matrix(Scope::All).await.expect("matrix");
        assert_eq!(all.len(), Quadrant::ALL.len());
        assert_eq!(count(&all, Quadrant::Loyal), 1);
        assert_eq!(count(&all, Quadrant::EasilyTaken), 1);
        assert_eq!(count(&all, Quadrant::StillHopeful), 0);
        assert_eq!(count(&all, Quadrant::Destructive), 1);
        assert_eq!(count(&all, Quadrant::Unknown), 1);

        let own = s.loyalty_matrix(Scope::Own(rep.id)).await.expect("matrix");
        assert_eq!(count(&own, Quadrant::Loyal), 0);
        assert_eq!(count(&own, Quadrant::EasilyTaken), 1);
        assert_eq!(count(&own, Quadrant::Destructive), 1);
        assert_eq!(count(&own, Quadrant::Unknown), 0);

        // Ratings go with their customer.
        s.delete_customer(a).await.expect("delete");
        let after = s.loyalty_matrix(Scope::All).await.expect("matrix");
        assert_eq!(count(&after, Quadrant::EasilyTaken), 0);
    })
    .await;
}
