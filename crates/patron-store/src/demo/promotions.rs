//! Demo promotions (METHOD §7), so the promotions pages have something to show from the start:
//!
//! * a **finished** promotion that ran two to three months before the demo's last day with the
//!   four dealers who bought most in the month before it — enthusiastic, positive, reluctant and
//!   one who refused — with material discounts, advertising and gifts as its cost, and extra
//!   orders from the three who took part during its days, so the evaluation shows an effect
//!   against the preceding month (the refusal shows as a comparison that is not counted);
//! * a **planned** promotion starting in two weeks with two other dealers.
//!
//! Everything is derived from the generated archive and `opts.today` (never the clock), and the
//! customers are taken in id order, so both databases get the same promotions.

use super::{local_price, DemoOptions, DemoReport};
use crate::error::StoreResult;
use crate::query::{CustomerQuery, OrderQuery, ProductQuery};
use crate::store::Store;
use chrono::Duration;
use patron_core::promotion::{
    Attitude, Baseline, CostInput, CostKind, ParticipantInput, PromotionInput, PromotionStatus,
};
use patron_core::{CustomerId, CustomerKind, OrderInput, OrderLineInput, Scope, StaffLevel};

/// The tags the generator gives dealers (see `org_tag`), in every market's words.
const DEALER_TAGS: &[&str] = &["dealer", "wholesale", "经销商", "經銷商", "대리점"];

/// How many candidate dealers are read per tag.
const PER_TAG: u32 = 50;

/// Writes the demo promotions; returns how many.
pub async fn generate(
    store: &dyn Store,
    opts: &DemoOptions,
    report: &DemoReport,
) -> StoreResult<u64> {
    let cur = opts.currency.clone();
    let manager = report
        .users
        .iter()
        .find(|u| u.staff_level == StaffLevel::BusinessManager)
        .map(|u| u.id);
    let mut dealers: Vec<CustomerId> = Vec::new();
    for tag in DEALER_TAGS {
        let page = store
            .list_customers(&CustomerQuery {
                tag: Some((*tag).to_owned()),
                kind: Some(CustomerKind::Organisation),
                limit: Some(PER_TAG),
                ..Default::default()
            })
            .await?;
        dealers.extend(page.items.iter().map(|c| c.id));
    }
    dealers.sort_by_key(|c| c.0);
    dealers.dedup();
    if dealers.len() < 6 {
        return Ok(0); // a tiny demo: nobody to run a promotion with
    }

    // The finished promotion: 30 days, ending two months ago; baseline the 30 days before.
    let starts = opts.today - Duration::days(90);
    let ends = starts + Duration::days(29);
    let base_from = starts - Duration::days(30);
    let base_to = starts - Duration::days(1);
    let mut ranked: Vec<(i64, CustomerId)> = Vec::with_capacity(dealers.len());
    for c in &dealers {
        let orders = store
            .list_orders(&OrderQuery {
                customer_id: Some(*c),
                from: Some(base_from),
                to: Some(base_to),
                limit: Some(500),
                scope: Scope::All,
                ..Default::default()
            })
            .await?;
        let sum: i64 = orders
            .items
            .iter()
            .filter(|o| o.currency == cur)
            .map(|o| o.total_minor)
            .sum();
        ranked.push((sum, *c));
    }
    // Biggest baseline first; ids break ties so both databases agree.
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1 .0.cmp(&b.1 .0)));
    let chosen: Vec<(i64, CustomerId)> = ranked.iter().take(4).copied().collect();
    let others: Vec<CustomerId> = ranked.iter().skip(4).take(2).map(|r| r.1).collect();

    let taking_part: i64 = chosen.iter().take(3).map(|c| c.0).sum();
    let expected = (taking_part * 35 / 100).max(local_price(300_000, &cur));
    let unit = local_price(100, &cur).max(1); // one major unit, roughly
    let round = |v: i64| (v / unit).max(1) * unit;
    let costs = vec![
        CostInput {
            kind: CostKind::MaterialDiscount,
            description: Some("8% off machines and grinders".into()),
            amount_minor: round(expected * 8 / 100),
        },
        CostInput {
            kind: CostKind::Advertising,
            description: Some("Dealer flyers and a trade-magazine page".into()),
            amount_minor: round(expected * 4 / 100),
        },
        CostInput {
            kind: CostKind::Gift,
            description: Some("Barista aprons for the dealers' staff".into()),
            amount_minor: round(expected * 2 / 100),
        },
    ];
    let cost: i64 = costs.iter().map(|c| c.amount_minor).sum();
    let spring = PromotionInput {
        name: "Dealer machine push".into(),
        description: Some(
            "Dealers stock the new grinder range; 8% off machines during the month.".into(),
        ),
        starts_on: starts,
        ends_on: ends,
        currency: Some(cur.clone()),
        budget_minor: round(cost * 115 / 100),
        expected_extra_sales_minor: round(expected),
        gross_margin_bp: Some(3000),
        status: None,
        baseline: Some(Baseline::Preceding),
        costs,
    };
    let done = store.create_promotion(manager, spring.clone()).await?;
    let id = done.promotion.id;
    let attitudes = [
        (
            Attitude::Enthusiastic,
            Some("Wants the same terms before the autumn season."),
        ),
        (Attitude::Positive, None),
        (
            Attitude::Reluctant,
            Some("Finds the discount too small for the effort."),
        ),
        (Attitude::Refused, Some("Overstocked after the new year.")),
    ];
    for ((_, c), (attitude, notes)) in chosen.iter().zip(attitudes) {
        store
            .add_promotion_participant(
                manager,
                id,
                Scope::All,
                ParticipantInput {
                    customer_id: *c,
                    attitude: Some(attitude),
                    notes: notes.map(str::to_owned),
                },
            )
            .await?;
    }
    // The effect: extra orders from those who took part, about 90% of the expectation in all.
    let product = store
        .list_products(&ProductQuery {
            limit: Some(100),
            ..Default::default()
        })
        .await?
        .items
        .into_iter()
        .filter(|p| p.currency == cur)
        .filter_map(|p| p.unit_price_minor.map(|price| (price, p.id)))
        .filter(|(price, _)| *price > 0)
        // A product costing about a tenth of the expectation, so the quantities look ordered.
        .min_by_key(|(price, id)| ((price - expected / 10).abs(), id.0));
    if let Some((price, product)) = product {
        for ((baseline, c), (share, day)) in chosen.iter().zip([(50, 5), (30, 12), (10, 20)]) {
            // What they bought anyway during those days, so the extra order tops it up to
            // their baseline plus their share of the expectation.
            let natural: i64 = store
                .list_orders(&OrderQuery {
                    customer_id: Some(*c),
                    from: Some(starts),
                    to: Some(ends),
                    limit: Some(500),
                    ..Default::default()
                })
                .await?
                .items
                .iter()
                .filter(|o| o.currency == cur)
                .map(|o| o.total_minor)
                .sum();
            let needed = baseline + expected * share / 100 - natural;
            if needed <= 0 {
                continue;
            }
            let quantity = (needed + price - 1) / price;
            store
                .create_order(OrderInput {
                    customer_id: *c,
                    order_ref: None,
                    order_date: starts + Duration::days(day),
                    currency: Some(cur.clone()),
                    asked_by_name: true,
                    notes: Some("Ordered during the dealer machine push".into()),
                    lines: vec![OrderLineInput {
                        product_id: Some(product),
                        product_line: None,
                        quantity,
                        unit_price_minor: Some(price),
                        amount_minor: None,
                    }],
                })
                .await?;
        }
    }
    let mut closed = spring;
    closed.status = Some(PromotionStatus::Done);
    store.update_promotion(id, Scope::All, closed).await?;

    // The planned one: in two weeks, for a month, with two other dealers.
    let starts = opts.today + Duration::days(14);
    let planned = store
        .create_promotion(
            manager,
            PromotionInput {
                name: "Autumn tea tasting days".into(),
                description: Some(
                    "Tasting days in the dealers' shops with our staff and samples.".into(),
                ),
                starts_on: starts,
                ends_on: starts + Duration::days(30),
                currency: Some(cur.clone()),
                budget_minor: local_price(400_000, &cur),
                expected_extra_sales_minor: local_price(2_000_000, &cur),
                gross_margin_bp: Some(4000),
                status: None,
                baseline: Some(Baseline::PreviousYear),
                costs: vec![
                    CostInput {
                        kind: CostKind::Display,
                        description: Some("Tasting counters and samples".into()),
                        amount_minor: local_price(150_000, &cur),
                    },
                    CostInput {
                        kind: CostKind::Staff,
                        description: Some("Two tea specialists, eight days".into()),
                        amount_minor: local_price(180_000, &cur),
                    },
                ],
            },
        )
        .await?;
    for (c, attitude) in others.iter().zip([Attitude::Positive, Attitude::Neutral]) {
        store
            .add_promotion_participant(
                manager,
                planned.promotion.id,
                Scope::All,
                ParticipantInput {
                    customer_id: *c,
                    attitude: Some(attitude),
                    notes: None,
                },
            )
            .await?;
    }
    Ok(2)
}
