//! Fitting the customer-base models on the CDNOW sample (2,357 customers, weeks): the target is
//! under 5 ms per fit, so a base of this size can be refitted on every report request.
//!
//! `cargo bench -p patron-core --bench models`

use chrono::NaiveDate;
use criterion::{criterion_group, criterion_main, Criterion};
use patron_core::analytics::{bgnbd, clv, gamma_gamma, summarise, CustomerSummary, TimeUnit};
use std::collections::BTreeMap;
use std::hint::black_box;

fn cdnow_summaries() -> Vec<CustomerSummary> {
    let text = include_str!("../tests/data/CDNOW_sample.txt");
    let mut purchases: BTreeMap<u32, Vec<(NaiveDate, f64)>> = BTreeMap::new();
    for line in text.lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() != 5 {
            continue;
        }
        let id: u32 = cols[1].parse().expect("customer id");
        let day = NaiveDate::parse_from_str(cols[2], "%Y%m%d").expect("date");
        let dollars: f64 = cols[4].parse().expect("dollar value");
        purchases.entry(id).or_default().push((day, dollars));
    }
    let end = NaiveDate::from_ymd_opt(1997, 9, 30).expect("valid date");
    purchases
        .values()
        .filter_map(|p| summarise(p, end, TimeUnit::Week))
        .collect()
}

fn models(c: &mut Criterion) {
    let data = cdnow_summaries();
    c.bench_function("bgnbd_fit_cdnow", |b| {
        b.iter(|| bgnbd::fit(black_box(&data)).expect("fits"))
    });
    c.bench_function("gamma_gamma_fit_cdnow", |b| {
        b.iter(|| gamma_gamma::fit(black_box(&data)).expect("fits"))
    });
    let fit = bgnbd::fit(&data).expect("fits").params;
    c.bench_function("bgnbd_expected_purchases_cdnow_all", |b| {
        b.iter(|| {
            black_box(&data)
                .iter()
                .map(|s| fit.expected_purchases(39.0, s.frequency, s.recency, s.t))
                .sum::<f64>()
        })
    });
    let spend = gamma_gamma::fit(&data).expect("fits").params;
    c.bench_function("clv_52_weeks_cdnow_all", |b| {
        b.iter(|| {
            black_box(&data)
                .iter()
                .map(|s| clv(&fit, &spend, s, 52.0, TimeUnit::Week, 0.10))
                .sum::<f64>()
        })
    });
}

criterion_group!(benches, models);
criterion_main!(benches);
