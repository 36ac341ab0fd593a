//! Demo deliveries and installations (METHOD §6) for recent demo orders, spread around the
//! demo's last day so every state shows: done with the after-sales call made, done with the call
//! still due, late with a newly agreed time, overdue (neither done nor rescheduled), due today
//! (the customer told), and planned for the coming days with and without a time window.
//!
//! Deterministic like the rest of the demo: each job takes the latest order (by day, then id)
//! placed by its promised day, of a customer with an owner, one job per customer; it acts on
//! the demo's day, not the clock's.

use super::DemoOptions;
use crate::after_sales::{ServiceJobAction, ServiceJobInput, ServiceKind};
use crate::error::StoreResult;
use crate::store::Store;
use crate::OrderQuery;
use chrono::{Days, NaiveDate};
use patron_core::{CustomerId, Scope};
use std::collections::HashSet;

/// How far back the demo looks for orders to deliver.
const RECENT_DAYS: u64 = 30;

/// One demo job: days from the demo's last day, kind, window, step.
type Planned = (i64, ServiceKind, Option<(&'static str, &'static str)>, Step);

/// What happens to each demo job: days from the demo's last day to the promise, the kind, the
/// window, and the step taken.
const PLAN: &[Planned] = &[
    (
        -6,
        ServiceKind::Delivery,
        Some(("09:00", "12:00")),
        Step::DoneCalled,
    ),
    (
        -3,
        ServiceKind::Installation,
        Some(("13:00", "17:00")),
        Step::Done,
    ),
    (-2, ServiceKind::Delivery, None, Step::Late),
    (
        -1,
        ServiceKind::Delivery,
        Some(("14:00", "16:00")),
        Step::Nothing,
    ),
    (
        0,
        ServiceKind::Delivery,
        Some(("09:00", "11:00")),
        Step::Notified,
    ),
    (
        1,
        ServiceKind::Installation,
        Some(("10:00", "12:00")),
        Step::Nothing,
    ),
    (3, ServiceKind::Delivery, None, Step::Nothing),
    (
        9,
        ServiceKind::Installation,
        Some(("15:00", "18:00")),
        Step::Nothing,
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Nothing,
    Notified,
    Done,
    DoneCalled,
    Late,
}

fn shift(day: NaiveDate, by: i64) -> NaiveDate {
    if by >= 0 {
        day + Days::new(by.unsigned_abs())
    } else {
        day - Days::new(by.unsigned_abs())
    }
}

/// Writes the demo jobs; returns how many.
pub(crate) async fn generate(store: &dyn Store, opts: &DemoOptions) -> StoreResult<u64> {
    let today = opts.today;
    let orders = store
        .list_orders(&OrderQuery {
            from: Some(today - Days::new(RECENT_DAYS)),
            to: Some(today),
            limit: Some(200),
            ..Default::default()
        })
        .await?;
    let mut used: HashSet<CustomerId> = HashSet::new();
    let mut n = 0;
    for &(offset, kind, window, step) in PLAN {
        let promised_on = shift(today, offset);
        // The latest order placed by the promised day, of a customer with an owner not yet
        // given a job.
        let candidates: Vec<_> = orders
            .items
            .iter()
            .filter(|o| o.order_date <= promised_on && !used.contains(&o.customer_id))
            .collect();
        let mut found = None;
        for o in candidates {
            if !used.insert(o.customer_id) {
                continue;
            }
            let c = store.get_customer(o.customer_id).await?;
            if c.owner_id.is_some() {
                found = Some((o, c));
                break;
            }
        }
        let Some((o, c)) = found else { continue };
        let input = ServiceJobInput {
            customer_id: o.customer_id,
            order_id: Some(o.id.0),
            kind,
            promised_on,
            window_from: window.map(|w| w.0.to_owned()),
            window_to: window.map(|w| w.1.to_owned()),
            address: c.address.clone(),
            notes: None,
            assigned_to: None,
        };
        let job = store
            .create_service_job(c.owner_id, Scope::All, input)
            .await?;
        let by = job.assigned_to.or(c.owner_id);
        let act = |action| store.act_on_service_job(by, Scope::All, job.id, action, today);
        match step {
            Step::Nothing => {}
            Step::Notified => {
                act(ServiceJobAction::Notified).await?;
            }
            Step::Done | Step::DoneCalled => {
                act(ServiceJobAction::Notified).await?;
                act(ServiceJobAction::Done {
                    done_on: Some(promised_on.min(today)),
                })
                .await?;
                if step == Step::DoneCalled {
                    act(ServiceJobAction::AfterSalesCall {
                        outcome: Some(
                            "Satisfied with the delivery; asked about the autumn range".into(),
                        ),
                        notes: None,
                    })
                    .await?;
                }
            }
            Step::Late => {
                if promised_on < today {
                    act(ServiceJobAction::Late {
                        reason: "The van was held up at the warehouse; the customer agreed to the next morning".into(),
                        promised_on: today + Days::new(1),
                        window_from: Some("09:00".into()),
                        window_to: Some("10:00".into()),
                    })
                    .await?;
                }
            }
        }
        n += 1;
    }
    Ok(n)
}
