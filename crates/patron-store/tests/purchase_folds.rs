//! The folds of every customer's orders kept between runs (migration 0026) stay true on both
//! databases: after orders are added, moved to another day or customer, changed or deleted,
//! customers merged or deleted, and as the runs' days move forwards and backwards, the models'
//! purchase histories and classification's window revenue are what the orders say.

use chrono::{Months, NaiveDate};
use patron_core::classify::{ClassRules, Periods};
use patron_core::*;
use patron_store::testkit::each_store as each;
use patron_store::*;
use std::collections::BTreeMap;
use std::sync::Arc;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

/// A small deterministic generator (the test needs variety, not randomness).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

#[derive(Clone, Copy)]
struct Kept {
    customer: CustomerId,
    day: NaiveDate,
    amount: i64,
}

/// The orders as the test knows them.
#[derive(Default)]
struct Model {
    orders: BTreeMap<OrderId, Kept>,
    customers: Vec<CustomerId>,
}

impl Model {
    /// Creates an order in the store and notes it.
    async fn add(&mut self, s: &Arc<dyn Store>, customer: CustomerId, day: NaiveDate, amount: i64) {
        let o = s
            .create_order(input(customer, day, amount))
            .await
            .expect("order");
        self.orders.insert(
            o.id,
            Kept {
                customer,
                day,
                amount: o.total_minor,
            },
        );
    }

    /// Per customer: (first, last, distinct days, total, first day's amount) up to `until`.
    fn histories(
        &self,
        until: NaiveDate,
    ) -> Vec<(CustomerId, NaiveDate, NaiveDate, i64, i64, i64)> {
        let mut by: BTreeMap<CustomerId, BTreeMap<NaiveDate, i64>> = BTreeMap::new();
        for k in self.orders.values().filter(|k| k.day <= until) {
            *by.entry(k.customer).or_default().entry(k.day).or_default() += k.amount;
        }
        by.into_iter()
            .map(|(c, days)| {
                let (first, first_amount) =
                    days.iter().next().map(|(d, a)| (*d, *a)).expect("a day");
                let last = *days.keys().next_back().expect("a day");
                (
                    c,
                    first,
                    last,
                    days.len() as i64,
                    days.values().sum(),
                    first_amount,
                )
            })
            .collect()
    }

    fn window_revenue(&self, customer: CustomerId, p: &Periods) -> i64 {
        self.orders
            .values()
            .filter(|k| k.customer == customer && k.day > p.window_start && k.day <= p.as_of)
            .map(|k| k.amount)
            .sum()
    }
}

fn input(customer: CustomerId, day: NaiveDate, amount: i64) -> OrderInput {
    patron_store::testkit::one_line_order(customer, day, amount)
}

async fn check_histories(s: &Arc<dyn Store>, m: &Model, until: NaiveDate, round: usize) {
    let usd = Currency::default();
    let got: Vec<_> = s
        .purchase_histories(until, &usd)
        .await
        .expect("histories")
        .into_iter()
        .map(|h| {
            (
                h.customer_id,
                h.first_day,
                h.last_day,
                h.days,
                h.total_minor,
                h.first_day_minor,
            )
        })
        .collect();
    assert_eq!(got, m.histories(until), "round {round}, until {until}");
}

async fn check_classes(s: &Arc<dyn Store>, m: &Model, as_of: NaiveDate, round: usize) {
    let rules = ClassRules::default();
    let p = Periods::new(as_of, rules.abc.window_months);
    let r = s
        .classify(as_of, &rules, &Currency::default())
        .await
        .expect("classify");
    let want: i64 = m.customers.iter().map(|c| m.window_revenue(*c, &p)).sum();
    assert_eq!(
        r.revenue_by_abc.values().sum::<i64>(),
        want,
        "round {round}, as of {as_of}"
    );
    if r.current {
        for c in &m.customers {
            let k = s
                .customer_classes(*c)
                .await
                .expect("read")
                .expect("classified");
            assert_eq!(
                k.revenue_minor,
                m.window_revenue(*c, &p),
                "round {round}, as of {as_of}, customer {c:?}"
            );
        }
    }
}

#[tokio::test]
async fn kept_folds_follow_every_change_of_the_orders() {
    each(|s| async move {
        let mut rng = Lcg(7);
        let mut m = Model::default();
        for i in 0..12 {
            let c = s
                .create_customer(CustomerInput {
                    kind: CustomerKind::Organisation,
                    name: format!("客户 {i}"),
                    ..Default::default()
                })
                .await
                .expect("customer")
                .id;
            m.customers.push(c);
        }
        let start = d(2024, 1, 1);
        let day = |rng: &mut Lcg| start + chrono::Days::new(rng.next(1100));
        for _ in 0..60 {
            let c = m.customers[rng.next(m.customers.len() as u64) as usize];
            let (dd, amount) = (day(&mut rng), 100 + rng.next(9_000) as i64);
            m.add(&s, c, dd, amount).await;
        }
        // An order in another currency is folded with nothing.
        let won = s
            .create_order(OrderInput {
                currency: Some(Currency::parse("c", "KRW").expect("krw")),
                ..input(m.customers[0], d(2025, 5, 5), 1_000_000)
            })
            .await
            .expect("won");
        assert_ne!(won.currency, Currency::default());

        // The models fold first here: their fold is kept without a window, and the first
        // classification's window replaces it.
        check_histories(&s, &m, d(2025, 12, 31), 0).await;
        let mut as_of = d(2025, 3, 1);
        for round in 0..10 {
            for _ in 0..3 {
                let ids: Vec<OrderId> = m.orders.keys().copied().collect();
                match rng.next(6) {
                    0 | 1 => {
                        let c = m.customers[rng.next(m.customers.len() as u64) as usize];
                        let (dd, amount) = (day(&mut rng), 100 + rng.next(9_000) as i64);
                        m.add(&s, c, dd, amount).await;
                    }
                    2 if !ids.is_empty() => {
                        let id = ids[rng.next(ids.len() as u64) as usize];
                        s.delete_order(id).await.expect("delete");
                        m.orders.remove(&id);
                    }
                    3 if !ids.is_empty() => {
                        // Another day, amount and customer.
                        let id = ids[rng.next(ids.len() as u64) as usize];
                        let c = m.customers[rng.next(m.customers.len() as u64) as usize];
                        let (dd, amount) = (day(&mut rng), 100 + rng.next(9_000) as i64);
                        let o = s
                            .update_order(id, input(c, dd, amount))
                            .await
                            .expect("update");
                        m.orders.insert(
                            id,
                            Kept {
                                customer: c,
                                day: dd,
                                amount: o.total_minor,
                            },
                        );
                    }
                    4 if m.customers.len() > 4 => {
                        let keep = m.customers[0];
                        let other = m.customers.pop().expect("a customer");
                        s.merge_customers(keep, other).await.expect("merge");
                        for k in m.orders.values_mut().filter(|k| k.customer == other) {
                            k.customer = keep;
                        }
                    }
                    5 if m.customers.len() > 4 => {
                        let gone = m.customers.remove(1);
                        s.delete_customer(gone).await.expect("delete customer");
                        m.orders.retain(|_, k| k.customer != gone);
                    }
                    _ => {}
                }
            }
            // The runs' days move forward, by a day or by weeks; now and then one looks back.
            as_of = as_of + chrono::Days::new([1, 1, 30, 97][rng.next(4) as usize]);
            check_classes(&s, &m, as_of, round).await;
            if round % 3 == 2 {
                let back = as_of.checked_sub_months(Months::new(7)).expect("a day");
                check_classes(&s, &m, back, round).await;
            }
            for until in [as_of, d(9999, 12, 31), d(2024, 9, 30), as_of] {
                check_histories(&s, &m, until, round).await;
            }
        }
        // A buyer deleted: its orders go with it, and so does its fold.
        let buyer = m
            .orders
            .values()
            .map(|k| k.customer)
            .find(|c| *c != m.customers[0])
            .expect("a buyer besides the first");
        s.delete_customer(buyer).await.expect("delete a buyer");
        m.customers.retain(|c| *c != buyer);
        m.orders.retain(|_, k| k.customer != buyer);
        check_histories(&s, &m, d(9999, 12, 31), 99).await;
        check_classes(&s, &m, as_of, 99).await;
    })
    .await;
}
