//! Generator tests that need no database: determinism, validity and the shape of the data.

use super::*;
use std::collections::{HashMap, HashSet};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 15).expect("date")
}

fn plan(seed: u64, customers: u64) -> DemoPlan {
    let mut o = DemoOptions::new(today()).with_customers(customers);
    o.seed = seed;
    DemoPlan::offline(o).expect("plan")
}

fn all_chunks(p: &DemoPlan) -> Vec<BulkChunk> {
    (0..p.chunks())
        .map(|k| generate_chunk(p, k).expect("chunk"))
        .collect()
}

fn same(a: &BulkChunk, b: &BulkChunk) -> bool {
    a.customers == b.customers
        && a.key_persons == b.key_persons
        && a.interactions == b.interactions
        && a.complaints == b.complaints
        && a.orders.len() == b.orders.len()
        && a.orders
            .iter()
            .zip(&b.orders)
            .all(|(x, y)| x.customer == y.customer && x.order == y.order)
}

/// One shared mid-sized run for the statistical tests (debug builds are slow; generate once).
fn sample_run() -> &'static (DemoPlan, Vec<BulkChunk>) {
    static RUN: std::sync::OnceLock<(DemoPlan, Vec<BulkChunk>)> = std::sync::OnceLock::new();
    RUN.get_or_init(|| {
        let p = plan(42, 12_000);
        let chunks = all_chunks(&p);
        (p, chunks)
    })
}

#[test]
fn same_seed_same_data_and_chunks_are_independent() {
    let p = plan(7, 12_000);
    let a = generate_chunk(&p, 1).expect("chunk");
    let b = generate_chunk(&p, 1).expect("chunk");
    assert!(same(&a, &b));
    // A chunk does not depend on having generated the ones before it.
    let _ = generate_chunk(&p, 0).expect("chunk");
    let c = generate_chunk(&p, 1).expect("chunk");
    assert!(same(&a, &c));
    // Chunks differ from each other.
    let d = generate_chunk(&p, 2).expect("chunk");
    assert_ne!(a.customers[10].input.name, d.customers[10].input.name);
}

#[test]
fn different_seeds_differ() {
    let a = generate_chunk(&plan(1, 300), 0).expect("chunk");
    let b = generate_chunk(&plan(2, 300), 0).expect("chunk");
    assert!(!same(&a, &b));
    let differing = a
        .customers
        .iter()
        .zip(&b.customers)
        .filter(|(x, y)| x.input.name != y.input.name)
        .count();
    assert!(differing > 250, "only {differing} of 300 names differ");
}

#[test]
fn everything_generated_validates() {
    let p = plan(42, 300);
    let chunk = generate_chunk(&p, 0).expect("chunk");
    let t = today();
    for c in &chunk.customers {
        let again = c.input.clone().validate(t).expect("customer validates");
        assert_eq!(&again, c);
        assert!(c
            .input
            .external_ref
            .as_deref()
            .is_some_and(|r| r.starts_with('C')));
    }
    for (i, k) in &chunk.key_persons {
        assert!(*i < chunk.customers.len());
        assert_eq!(chunk.customers[*i].input.kind, CustomerKind::Organisation);
        assert_eq!(&k.clone().validate(t).expect("key person validates"), k);
    }
    let start = p.start;
    for o in &chunk.orders {
        assert!(is_buyer(chunk.customers[o.customer].stage));
        let input = OrderInput {
            customer_id: o.order.customer_id,
            order_ref: o.order.order_ref.clone(),
            order_date: o.order.order_date,
            currency: Some(o.order.currency.clone()),
            asked_by_name: o.order.asked_by_name,
            notes: o.order.notes.clone(),
            lines: o
                .order
                .lines
                .iter()
                .map(|l| OrderLineInput {
                    product_id: l.product_id,
                    product_line: l.product_line.clone(),
                    quantity: l.quantity,
                    unit_price_minor: Some(l.unit_price_minor),
                    amount_minor: None,
                })
                .collect(),
        };
        let v = input.validate(&p.opts.currency).expect("order validates");
        assert_eq!(v, o.order, "amounts and totals are consistent");
        assert!(o.order.order_date >= start && o.order.order_date <= t);
        assert!(o.order.total_minor > 0);
    }
    let end_of_today = t.and_hms_opt(23, 59, 59).expect("time").and_utc();
    for (i, it) in &chunk.interactions {
        assert!(*i < chunk.customers.len());
        let at = it.occurred_at.expect("dated");
        assert!(at <= end_of_today && at.date_naive() >= start - Duration::days(31));
        assert_eq!(&it.clone().validate(at).expect("interaction validates"), it);
    }
}

#[test]
fn default_size_hits_the_order_target() {
    let p = plan(42, 300);
    let chunk = generate_chunk(&p, 0).expect("chunk");
    assert_eq!(chunk.customers.len(), 300);
    let n = chunk.orders.len() as f64;
    assert!(
        (n - 3000.0).abs() / 3000.0 < 0.02,
        "{n} orders for a target of 3000"
    );
    // Showcase customers for search demos.
    let names: Vec<&str> = chunk
        .customers
        .iter()
        .map(|c| c.input.name.as_str())
        .collect();
    for want in ["张三丰", "김민준", "陳美玲", "Emily Johnson"] {
        assert!(names.contains(&want), "{want} missing");
    }
}

#[test]
fn order_total_is_close_to_target_across_chunks() {
    let (p, chunks) = sample_run();
    let n: usize = chunks.iter().map(|c| c.orders.len()).sum();
    let target = p.opts.orders as f64;
    assert!(
        (n as f64 - target).abs() / target < 0.01,
        "{n} orders for {target}"
    );
    assert_eq!(
        chunks.iter().map(|c| c.customers.len()).sum::<usize>(),
        12_000
    );
}

#[test]
fn proportions_are_roughly_right() {
    let (_, chunks) = sample_run();
    let customers: Vec<&ValidCustomer> = chunks.iter().flat_map(|c| &c.customers).collect();
    let n = customers.len() as f64;
    let share =
        |f: &dyn Fn(&ValidCustomer) -> bool| customers.iter().filter(|c| f(c)).count() as f64 / n;
    let orgs = share(&|c| c.input.kind == CustomerKind::Organisation);
    assert!((0.27..0.33).contains(&orgs), "organisations {orgs}");
    let customer = share(&|c| c.stage == LifecycleStage::Customer);
    let lost = share(&|c| c.stage == LifecycleStage::Lost);
    let leads = share(&|c| {
        matches!(
            c.stage,
            LifecycleStage::Interested | LifecycleStage::Contacted
        )
    });
    assert!(
        (0.72..0.80).contains(&customer),
        "customer stage {customer}"
    );
    assert!((0.08..0.12).contains(&lost), "lost {lost}");
    assert!((0.11..0.17).contains(&leads), "leads {leads}");
    // Churn reasons follow the method's survey (70/13/15/2).
    let lost_n = customers
        .iter()
        .filter(|c| c.stage == LifecycleStage::Lost)
        .count() as f64;
    let reason = |code: &str| {
        customers
            .iter()
            .filter(|c| c.input.churn_reason.as_deref() == Some(code))
            .count() as f64
            / lost_n
    };
    assert!((0.64..0.76).contains(&reason("supplier_problems")));
    assert!((0.09..0.18).contains(&reason("better_product")));
    assert!((0.10..0.20).contains(&reason("bankruptcy_relocation")));
    assert!(reason("other") < 0.05);
    // Archive warnings have something to show.
    assert!((0.02..0.3).contains(&share(&|c| c.input.phone.is_none())));
    assert!((0.1..0.3).contains(&share(&|c| c.input.email.is_none())));
    // Organisations have 1 to 5 key persons; some fewer than three.
    let mut kp: HashMap<(usize, usize), usize> = HashMap::new();
    for (ci, c) in chunks.iter().enumerate() {
        for (i, _) in &c.key_persons {
            *kp.entry((ci, *i)).or_default() += 1;
        }
    }
    assert!(kp.values().all(|&k| (1..=5).contains(&k)));
    let few = kp.values().filter(|&&k| k < MIN_KEY_PERSONS).count() as f64 / kp.len() as f64;
    assert!((0.25..0.45).contains(&few), "few key persons {few}");
    // Leads have no orders.
    for c in chunks {
        assert!(c
            .orders
            .iter()
            .all(|o| is_buyer(c.customers[o.customer].stage)));
    }
}

#[test]
fn revenue_and_repeat_buying_are_skewed() {
    let (_, chunks) = sample_run();
    let mut revenue: Vec<i64> = Vec::new();
    let mut counts: Vec<usize> = Vec::new();
    for c in chunks {
        let mut per = vec![0i64; c.customers.len()];
        let mut cnt = vec![0usize; c.customers.len()];
        for o in &c.orders {
            per[o.customer] += o.order.total_minor;
            cnt[o.customer] += 1;
        }
        for (i, cu) in c.customers.iter().enumerate() {
            if is_buyer(cu.stage) {
                revenue.push(per[i]);
                counts.push(cnt[i]);
            }
        }
    }
    revenue.sort_unstable_by(|a, b| b.cmp(a));
    let total: i64 = revenue.iter().sum();
    let top: i64 = revenue[..revenue.len() / 5].iter().sum();
    let share = top as f64 / total as f64;
    assert!(
        share > 0.6,
        "top 20% of customers make {share:.2} of revenue"
    );
    let one_off = counts.iter().filter(|&&c| c == 1).count() as f64 / counts.len() as f64;
    assert!((0.15..0.5).contains(&one_off), "one-off buyers {one_off}");
    let loyal = counts.iter().filter(|&&c| c >= 20).count() as f64 / counts.len() as f64;
    assert!(loyal > 0.05, "frequent buyers {loyal}");
    assert!(counts
        .iter()
        .all(|&c| c >= 1 && c <= MAX_ORDERS_PER_CUSTOMER as usize));
}

#[test]
fn names_in_all_scripts() {
    let (_, chunks) = sample_run();
    let names: Vec<&str> = chunks
        .iter()
        .flat_map(|c| c.customers.iter().map(|c| c.input.name.as_str()))
        .collect();
    let has = |f: &dyn Fn(char) -> bool| names.iter().filter(|n| n.chars().any(f)).count();
    let hangul = has(&|c| ('\u{AC00}'..='\u{D7A3}').contains(&c));
    let han = has(&|c| ('\u{4E00}'..='\u{9FFF}').contains(&c));
    let latin = names
        .iter()
        .filter(|n| n.chars().all(|c| c.is_ascii() || c == '–' || c == 'é'))
        .count();
    // Characters only Traditional or only Simplified writing uses.
    let traditional = has(&|c| "陳黃張劉楊吳鄭謝許葉蘇蕭羅鍾盧趙顏孫區號樓".contains(c));
    let simplified = has(&|c| "陈黄张刘杨吴郑谢许叶苏肖罗钟卢赵颜孙区号栋".contains(c));
    let n = names.len();
    assert!(hangul > n / 5, "hangul {hangul}");
    assert!(han > n / 3, "han {han}");
    assert!(latin > n / 5, "latin {latin}");
    assert!(traditional > n / 20, "traditional {traditional}");
    assert!(simplified > n / 20, "simplified {simplified}");
    // Mostly distinct.
    let distinct: HashSet<&str> = names.iter().copied().collect();
    assert!(
        distinct.len() as f64 / n as f64 > 0.9,
        "{} distinct of {n}",
        distinct.len()
    );
    // Organisations of every kind and language.
    assert!(names.iter().any(|n| n.contains("대리점")));
    assert!(names
        .iter()
        .any(|n| n.ends_with('점') && !n.contains("대리점")));
    assert!(names.iter().any(|n| n.contains("有限公司")));
    assert!(names.iter().any(|n| n.contains("經銷商")));
}

#[test]
fn owners_are_reps_and_staff_hierarchy_is_sound() {
    let p = plan(42, 300);
    let chunk = generate_chunk(&p, 0).expect("chunk");
    let reps: HashSet<UserId> = p.reps.iter().map(|r| r.id).collect();
    let mut owners: HashSet<UserId> = HashSet::new();
    for c in &chunk.customers {
        let o = c.input.owner_id.expect("owner");
        assert!(reps.contains(&o));
        owners.insert(o);
    }
    assert_eq!(owners.len(), reps.len());
    for s in staff() {
        if s.level == StaffLevel::SalesRepresentative {
            let m = s.manager.expect("rep has a manager");
            assert_eq!(staff()[m].level, StaffLevel::BusinessManager);
        }
    }
}

/// Every complaint of a chunk is one the store's rules could have produced: its status has the
/// steps it requires, the history starts with its recording and runs in time order, the first
/// reply is there from "acknowledged" on, and its order and key person are its customer's.
fn check_complaints(p: &DemoPlan, chunk: &BulkChunk) {
    use patron_core::complaint::{Status, Step};
    let today = p.opts.today;
    let end_of_today = today.and_hms_opt(23, 59, 59).expect("time").and_utc();
    for x in &chunk.complaints {
        assert!(x.customer < chunk.customers.len());
        let done: Vec<Step> = x.steps.iter().map(|s| s.step).collect();
        for s in x.status.required_steps() {
            assert!(done.contains(s), "{:?} without {s:?}: {x:?}", x.status);
        }
        let distinct: HashSet<Step> = done.iter().copied().collect();
        assert_eq!(distinct.len(), done.len(), "a step twice: {x:?}");
        assert_eq!(
            x.first_reply_at.is_some(),
            x.status != Status::Open,
            "{x:?}"
        );
        assert_eq!(x.closed_at.is_some(), x.status == Status::Closed);
        assert_eq!(
            x.events.first().map(|e| e.action.as_str()),
            Some("recorded")
        );
        assert!(x.events.windows(2).all(|w| w[0].at <= w[1].at), "{x:?}");
        assert!(x
            .events
            .iter()
            .all(|e| e.at >= x.recorded_at && e.at <= end_of_today));
        assert_eq!(x.updated_at, x.events.last().expect("events").at);
        assert_eq!(x.reply_due_at, x.recorded_at + Duration::hours(24));
        assert!(
            x.recorded_at
                >= (today - Duration::days(365))
                    .and_hms_opt(0, 0, 0)
                    .expect("t")
                    .and_utc()
        );
        assert!(!x.summary.trim().is_empty() && x.summary.chars().count() <= 200);
        if let Some(o) = x.order {
            assert_eq!(chunk.orders[o].customer, x.customer);
            assert!(chunk.orders[o].order.order_date <= x.recorded_at.date_naive());
        }
        if let Some(k) = x.key_person {
            assert_eq!(chunk.key_persons[k].0, x.customer);
        }
        assert_eq!(x.owner_id, chunk.customers[x.customer].input.owner_id);
        for c in &x.compensations {
            assert!(c.amount_minor > 0 && c.approved_by.is_some(), "{c:?}");
            assert_eq!(c.currency, p.opts.currency.as_str());
        }
    }
}

#[test]
fn complaints_are_deterministic_and_every_state_shows() {
    use patron_core::complaint::{Cause, Status};
    let p = plan(42, 300);
    let a = generate_chunk(&p, 0).expect("chunk");
    let b = generate_chunk(&p, 0).expect("chunk");
    assert!(!a.complaints.is_empty());
    assert_eq!(a.complaints, b.complaints, "same seed, same complaints");
    let other = generate_chunk(&plan(43, 300), 0).expect("chunk");
    assert_ne!(a.complaints, other.complaints);
    check_complaints(&p, &a);
    // About one per 40 customers, and at least one in every state the board shows.
    let n = a.complaints.len();
    assert!((8..=16).contains(&n), "{n} complaints for 300 customers");
    let cutoff = today().and_hms_opt(0, 0, 0).expect("t").and_utc();
    let overdue = a
        .complaints
        .iter()
        .filter(|x| x.first_reply_at.is_none() && x.reply_due_at < cutoff)
        .count();
    assert!(overdue >= 1, "an overdue complaint");
    assert!(a
        .complaints
        .iter()
        .any(|x| x.status == Status::Open && x.reply_due_at > cutoff));
    for st in [Status::Acknowledged, Status::Investigating, Status::Closed] {
        assert!(a.complaints.iter().any(|x| x.status == st), "{st:?}");
    }
    // The biggest buyers complained more than once.
    let mut per: HashMap<usize, usize> = HashMap::new();
    for x in &a.complaints {
        *per.entry(x.customer).or_default() += 1;
    }
    assert!(per.values().filter(|&&v| v >= 2).count() >= 2, "{per:?}");

    // Over a larger run: the rate, the causes, most closed, some compensated and promised.
    let (p, chunks) = sample_run();
    for c in chunks {
        check_complaints(p, c);
    }
    let all: Vec<&crate::bulk::BulkComplaint> = chunks.iter().flat_map(|c| &c.complaints).collect();
    let n = all.len();
    assert!(
        (280..=360).contains(&n),
        "{n} complaints for 12,000 customers"
    );
    let mut causes: HashMap<Cause, usize> = HashMap::new();
    for x in &all {
        *causes.entry(x.cause).or_default() += 1;
    }
    let mut ranked: Vec<(Cause, usize)> = causes.into_iter().collect();
    ranked.sort_by_key(|r| std::cmp::Reverse(r.1));
    let top: HashSet<Cause> = ranked.iter().take(2).map(|r| r.0).collect();
    assert_eq!(
        top,
        HashSet::from([Cause::ProductQuality, Cause::Delivery]),
        "{ranked:?}"
    );
    assert!(ranked.len() >= 6, "causes spread: {ranked:?}");
    let closed = all.iter().filter(|x| x.status == Status::Closed).count();
    assert!(closed * 10 >= n * 7, "{closed} of {n} closed");
    assert!(all
        .iter()
        .filter(|x| x.status == Status::Closed)
        .all(|x| x.steps.len() == 6));
    assert!(all.iter().filter(|x| !x.compensations.is_empty()).count() * 20 >= n);
    assert!(all.iter().filter(|x| x.promise.is_some()).count() * 10 >= n);
    assert!(all
        .iter()
        .any(|x| x.first_reply_at.is_some_and(|t| t > x.reply_due_at)));
}

#[test]
fn calibration_handles_edge_cases() {
    // No orders wanted: each buyer still has the first one, and nothing panics.
    let mut o = DemoOptions::new(today()).with_customers(50);
    o.orders = 0;
    let p = DemoPlan::offline(o).expect("plan");
    let c = generate_chunk(&p, 0).expect("chunk");
    let buyers = c.customers.iter().filter(|c| is_buyer(c.stage)).count();
    assert_eq!(c.orders.len(), buyers);
    // Zero customers: no chunks.
    let p = DemoPlan::offline(DemoOptions::new(today()).with_customers(0)).expect("plan");
    assert_eq!(p.chunks(), 0);
    // Prices follow the currency.
    let krw = Currency::parse("c", "KRW").expect("krw");
    let cat = catalogue(&krw);
    assert_eq!(cat.len(), CATALOGUE.len());
    assert_eq!(cat[0].unit_price_minor, Some(31_200));
    assert_eq!(cat[0].external_ref.as_deref(), Some("P0001"));
}

/// Prints the shape of a run; `cargo test --release -p patron-store --lib demo::tests::stats -- --ignored --nocapture`.
#[test]
#[ignore]
fn stats() {
    let customers: u64 = std::env::var("DEMO_STATS_CUSTOMERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let p = plan(42, customers);
    let t0 = std::time::Instant::now();
    let (mut orders, mut kps, mut its, mut lines) = (0usize, 0usize, 0usize, 0usize);
    let mut names: HashSet<String> = HashSet::new();
    // (persons seen, distinct person names) by script family: hangul, han, latin
    let mut by_script: [(usize, HashSet<String>); 3] = Default::default();
    let mut revenue: Vec<i64> = Vec::new();
    let mut counts: Vec<usize> = Vec::new();
    for k in 0..p.chunks() {
        let c = generate_chunk(&p, k).expect("chunk");
        orders += c.orders.len();
        kps += c.key_persons.len();
        its += c.interactions.len();
        lines += c.orders.iter().map(|o| o.order.lines.len()).sum::<usize>();
        let mut per = vec![0i64; c.customers.len()];
        let mut cnt = vec![0usize; c.customers.len()];
        for o in &c.orders {
            per[o.customer] += o.order.total_minor;
            cnt[o.customer] += 1;
        }
        for (i, cu) in c.customers.iter().enumerate() {
            names.insert(cu.input.name.clone());
            if cu.input.kind == CustomerKind::Person {
                let n = &cu.input.name;
                let f = if n.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c)) {
                    0
                } else if n.is_ascii() {
                    2
                } else {
                    1
                };
                by_script[f].0 += 1;
                by_script[f].1.insert(n.clone());
            }
            if is_buyer(cu.stage) {
                revenue.push(per[i]);
                counts.push(cnt[i]);
            }
        }
    }
    let el = t0.elapsed();
    revenue.sort_unstable_by(|a, b| b.cmp(a));
    counts.sort_unstable();
    let total: i64 = revenue.iter().sum();
    let top20: i64 = revenue[..revenue.len() / 5].iter().sum();
    let q = |f: f64| counts[((counts.len() - 1) as f64 * f) as usize];
    println!("{customers} customers in {el:?}: {orders} orders ({lines} lines), {kps} key persons, {its} interactions");
    println!(
        "distinct names {} ({:.1}%)",
        names.len(),
        100.0 * names.len() as f64 / customers as f64
    );
    for (label, (seen, set)) in ["hangul", "han", "latin"].iter().zip(&by_script) {
        println!("  persons {label}: {} distinct of {seen}", set.len());
    }
    println!("top 20% revenue share {:.3}", top20 as f64 / total as f64);
    println!(
        "orders per buyer: p10 {} p25 {} median {} p75 {} p90 {} p99 {} max {}; one-off {:.3}",
        q(0.1),
        q(0.25),
        q(0.5),
        q(0.75),
        q(0.9),
        q(0.99),
        q(1.0),
        counts.iter().filter(|&&c| c == 1).count() as f64 / counts.len() as f64
    );
}

/// Prints a few generated records to eyeball; `cargo test -p patron-store --lib demo::tests::print_sample -- --ignored --nocapture`.
#[test]
#[ignore]
fn print_sample() {
    let p = plan(42, 300);
    let c = generate_chunk(&p, 0).expect("chunk");
    for (i, cu) in c.customers.iter().enumerate().take(40) {
        let x = &cu.input;
        let orders: Vec<_> = c.orders.iter().filter(|o| o.customer == i).collect();
        println!(
            "{} {:?} {:?} {} | {:?} | {:?} | {:?} | {:?} | tags {:?} lvl {:?} src {:?} | {} orders, kp {}",
            x.external_ref.as_deref().unwrap_or(""),
            x.kind,
            cu.stage,
            x.name,
            x.phone,
            x.email,
            x.address,
            x.churn_reason,
            x.tags,
            x.level,
            x.source,
            orders.len(),
            c.key_persons.iter().filter(|k| k.0 == i).count()
        );
    }
    for o in c.orders.iter().take(5) {
        println!("{:?}", o.order);
    }
    for k in c.key_persons.iter().take(5) {
        println!("{:?}", k);
    }
    for it in c.interactions.iter().take(8) {
        println!("{:?}", it);
    }
}
