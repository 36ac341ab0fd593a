//! The customer-base models reproduce the published CDNOW results (Fader, Hardie & Lee 2005):
//! the calibration summaries, the BG/NBD and Gamma-Gamma fits, the paper's spot forecast, and a
//! holdout check of the forecast against the 39 weeks that followed.
//!
//! Data: `tests/data/CDNOW_sample.txt` (2,357 customers, 6,919 purchases) and
//! `tests/data/cdnow_customers_summary.csv` (the published calibration summary), both from the
//! MIT-licensed `lifetimes` package's datasets.

use chrono::NaiveDate;
use patron_core::analytics::{
    bgnbd, clv, gamma_gamma, summarise, BgNbdParams, CustomerSummary, TimeUnit,
};
use std::collections::{BTreeMap, BTreeSet};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn calibration_end() -> NaiveDate {
    date(1997, 9, 30)
}

fn holdout_end() -> NaiveDate {
    date(1998, 6, 30)
}

/// Customer id → purchases (date, dollars), all 78 weeks.
fn purchases() -> BTreeMap<u32, Vec<(NaiveDate, f64)>> {
    let text = include_str!("data/CDNOW_sample.txt");
    let mut out: BTreeMap<u32, Vec<(NaiveDate, f64)>> = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.is_empty() {
            continue;
        }
        assert_eq!(cols.len(), 5, "line {}: {line}", n + 1);
        let id: u32 = cols[1].parse().expect("customer id");
        let day = NaiveDate::parse_from_str(cols[2], "%Y%m%d").expect("date");
        let dollars: f64 = cols[4].parse().expect("dollar value");
        out.entry(id).or_default().push((day, dollars));
    }
    out
}

/// Customer id → calibration summary in weeks.
fn summaries() -> BTreeMap<u32, CustomerSummary> {
    purchases()
        .into_iter()
        .map(|(id, p)| {
            let s = summarise(&p, calibration_end(), TimeUnit::Week)
                .expect("every CDNOW customer bought in the first quarter of 1997");
            (id, s)
        })
        .collect()
}

fn within(value: f64, target: f64, relative: f64) -> bool {
    (value / target - 1.0).abs() <= relative
}

#[test]
fn summaries_match_the_published_file() {
    let ours = summaries();
    let text = include_str!("data/cdnow_customers_summary.csv");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("ID,frequency,recency,T"));
    let mut n = 0;
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split(',').collect();
        let id: u32 = cols[0].parse().expect("id");
        let frequency: f64 = cols[1].parse().expect("frequency");
        let recency: f64 = cols[2].parse().expect("recency");
        let t: f64 = cols[3].parse().expect("T");
        let s = ours.get(&id).expect("customer in the purchase log");
        assert_eq!(s.frequency, frequency, "customer {id}");
        // The published file rounds weeks to two decimals: ours, rounded the same way, must
        // equal it (to 1e-6), i.e. they differ by at most half a hundredth of a week.
        let round2 = |v: f64| (v * 100.0).round() / 100.0;
        assert!(
            (round2(s.recency) - recency).abs() < 1e-6,
            "customer {id}: {s:?}"
        );
        assert!((round2(s.t) - t).abs() < 1e-6, "customer {id}: {s:?}");
        n += 1;
    }
    assert_eq!(n, 2357);
    assert_eq!(ours.len(), 2357);
}

#[test]
fn bg_nbd_reproduces_the_paper() {
    let data: Vec<_> = summaries().into_values().collect();
    let fit = bgnbd::fit(&data).expect("fits");
    let p = fit.params;
    eprintln!(
        "BG/NBD: r = {:.4}, alpha = {:.4}, a = {:.4}, b = {:.4}, LL = {:.3}, {} iterations, converged = {}",
        p.r, p.alpha, p.a, p.b, fit.log_likelihood, fit.iterations, fit.converged
    );
    assert!(fit.converged);
    assert_eq!(fit.customers, 2357);
    assert!(within(p.r, 0.243, 0.005), "r = {}", p.r);
    assert!(within(p.alpha, 4.414, 0.005), "alpha = {}", p.alpha);
    assert!(within(p.a, 0.793, 0.005), "a = {}", p.a);
    assert!(within(p.b, 2.426, 0.005), "b = {}", p.b);
    assert!(
        (fit.log_likelihood - (-9582.4)).abs() < 0.1,
        "LL = {}",
        fit.log_likelihood
    );
    assert!((p.log_likelihood(&data) - fit.log_likelihood).abs() < 1e-6);
    // it is a maximum: moving any parameter by 1 % lowers the likelihood
    for i in 0..4 {
        for f in [0.99, 1.01] {
            let mut v = [p.r, p.alpha, p.a, p.b];
            v[i] *= f;
            let q = BgNbdParams {
                r: v[0],
                alpha: v[1],
                a: v[2],
                b: v[3],
            };
            assert!(q.log_likelihood(&data) < fit.log_likelihood);
        }
    }
    let spot = p.expected_purchases(39.0, 2.0, 30.43, 38.86);
    eprintln!("BG/NBD: E[Y(39) | x = 2, t_x = 30.43, T = 38.86] = {spot:.4}");
    assert!((spot - 1.226).abs() < 0.002, "{spot}");
}

#[test]
fn the_fit_does_not_depend_on_the_time_unit() {
    // In days, α is 7 times larger and r, a, b are unchanged (the likelihood only rescales).
    let weeks: Vec<_> = summaries().into_values().collect();
    let days: Vec<_> = purchases()
        .values()
        .map(|p| summarise(p, calibration_end(), TimeUnit::Day).expect("summary"))
        .collect();
    let w = bgnbd::fit(&weeks).expect("fits").params;
    let d = bgnbd::fit(&days).expect("fits").params;
    eprintln!("BG/NBD in days: {d:?}");
    assert!(within(d.r, w.r, 1e-5));
    assert!(within(d.alpha, 7.0 * w.alpha, 1e-5));
    assert!(within(d.a, w.a, 1e-5));
    assert!(within(d.b, w.b, 1e-5));
    let e_w = w.expected_purchases(39.0, 2.0, 30.43, 38.86);
    let e_d = d.expected_purchases(273.0, 2.0, 30.43 * 7.0, 38.86 * 7.0);
    assert!(within(e_d, e_w, 1e-5));
}

#[test]
fn gamma_gamma_reproduces_the_paper() {
    let data: Vec<_> = summaries().into_values().collect();
    let fit = gamma_gamma::fit(&data).expect("fits");
    let p = fit.params;
    eprintln!(
        "Gamma-Gamma: p = {:.4}, q = {:.4}, gamma = {:.4}, LL = {:.3}, {} customers, {} iterations, converged = {}",
        p.p, p.q, p.gamma, fit.log_likelihood, fit.customers, fit.iterations, fit.converged
    );
    assert!(fit.converged);
    // customers with a repeat purchase (946 in the sample) less those whose repeat spend is 0
    let repeat_buyers = data.iter().filter(|s| s.frequency > 0.0).count();
    let positive = data
        .iter()
        .filter(|s| s.frequency > 0.0 && s.monetary > 0.0)
        .count();
    assert_eq!(fit.customers, positive);
    assert!(positive <= repeat_buyers && repeat_buyers - positive < 10);
    assert!(within(p.p, 6.25, 0.01), "p = {}", p.p);
    assert!(within(p.q, 3.74, 0.01), "q = {}", p.q);
    assert!(within(p.gamma, 15.44, 0.01), "gamma = {}", p.gamma);
    assert!((p.log_likelihood(&data) - fit.log_likelihood).abs() < 1e-6);
}

#[test]
fn holdout_forecast_is_close_to_what_happened() {
    let all = purchases();
    let data: BTreeMap<u32, CustomerSummary> = summaries();
    let fit = bgnbd::fit(&data.values().copied().collect::<Vec<_>>()).expect("fits");
    let p = fit.params;
    // 1997-10-01 … 1998-06-30: 273 days = 39 weeks after the calibration end
    let holdout_weeks =
        f64::from(u32::try_from((holdout_end() - calibration_end()).num_days()).expect("positive"))
            / 7.0;
    assert_eq!(holdout_weeks, 39.0);
    let mut expected = 0.0;
    let mut actual = 0_usize;
    for (id, s) in &data {
        expected += p.expected_purchases(holdout_weeks, s.frequency, s.recency, s.t);
        // repeat purchase days in the holdout: distinct days, as in the calibration count
        let days: BTreeSet<NaiveDate> = all[id]
            .iter()
            .map(|(d, _)| *d)
            .filter(|d| *d > calibration_end() && *d <= holdout_end())
            .collect();
        actual += days.len();
    }
    // The same forecast from the unconditional curve E[X(t)] (each customer's expected
    // purchases between their age now and 39 weeks later), and the model's in-sample total.
    let unconditional: f64 = data
        .values()
        .map(|s| p.expected_purchases_new(s.t + holdout_weeks) - p.expected_purchases_new(s.t))
        .sum();
    let calibration_model: f64 = data.values().map(|s| p.expected_purchases_new(s.t)).sum();
    let calibration_actual: f64 = data.values().map(|s| s.frequency).sum();
    eprintln!(
        "Calibration weeks 1-39: model {calibration_model:.1} repeat purchase days, actual {calibration_actual}"
    );
    eprintln!(
        "Holdout weeks 40-78: expected {expected:.1} repeat purchase days (unconditional curve {unconditional:.1}), actual {actual} ({:+.1} %)",
        100.0 * (expected / actual as f64 - 1.0)
    );
    assert!(within(calibration_model, calibration_actual, 0.03));
    assert!(within(expected, unconditional, 0.02));
    // Measured: 1653 expected against 1882 actual purchase days, −12 %. The in-sample total is
    // within 2 % and the conditional and unconditional forecasts agree, so the gap is the
    // model's own under-forecast of this holdout, not a computation error; 15 % allows for it
    // and still fails a broken expectation formula, which is off by far more.
    assert!(expected < actual as f64);
    assert!(within(expected, actual as f64, 0.15));

    // Every customer gets a finite, non-negative P(alive) and lifetime value.
    let gg = gamma_gamma::fit(&data.values().copied().collect::<Vec<_>>())
        .expect("fits")
        .params;
    let mut total = 0.0;
    for s in data.values() {
        let alive = p.p_alive(s.frequency, s.recency, s.t);
        assert!((0.0..=1.0).contains(&alive), "{s:?}");
        let v = clv(&p, &gg, s, 52.0, TimeUnit::Week, 0.10);
        assert!(v.is_finite() && v >= 0.0, "{s:?}: {v}");
        total += v;
    }
    eprintln!("CLV of the base over the next 52 weeks at 10 %/year: ${total:.0}");
}

/// A fit started from a previous optimum (`fit_from`, what `patron model fit` does with the kept
/// fit) reaches the same maximum as a cold start: at once from the optimum itself, in a few
/// iterations from a neighbouring day's optimum, and from a stale or senseless start no worse
/// than cold.
#[test]
fn a_warm_start_reaches_the_same_fit_in_fewer_iterations() {
    let data: Vec<_> = summaries().into_values().collect();
    let close = |a: f64, b: f64| within(a, b, 1e-6);
    let cold = bgnbd::fit(&data).expect("fits");
    let at_optimum = bgnbd::fit_from(&data, Some(&cold.params)).expect("fits");
    assert_eq!(at_optimum.iterations, 0);
    assert_eq!(at_optimum.params, cold.params);

    // The optimum of the data one week earlier: every customer's T shorter, the buyers of
    // that week with a purchase less.
    let end = calibration_end() - chrono::Duration::days(7);
    let earlier: Vec<_> = purchases()
        .values()
        .filter_map(|p| summarise(p, end, TimeUnit::Week))
        .collect();
    let yesterday = bgnbd::fit(&earlier).expect("fits");
    let warm = bgnbd::fit_from(&data, Some(&yesterday.params)).expect("fits");
    eprintln!(
        "BG/NBD: cold {} iterations, warm from a week earlier {}",
        cold.iterations, warm.iterations
    );
    assert!(warm.converged && warm.iterations < cold.iterations);
    let (w, c) = (warm.params, cold.params);
    assert!(close(w.r, c.r) && close(w.alpha, c.alpha) && close(w.a, c.a) && close(w.b, c.b));
    assert!((warm.log_likelihood - cold.log_likelihood).abs() < 1e-6);

    // A start far away or outside the model: the same answer as cold.
    for start in [
        BgNbdParams {
            r: 50.0,
            alpha: 0.01,
            a: 40.0,
            b: 0.02,
        },
        BgNbdParams {
            r: f64::NAN,
            alpha: 1.0,
            a: 1.0,
            b: 1.0,
        },
    ] {
        let f = bgnbd::fit_from(&data, Some(&start)).expect("fits");
        assert!(f.converged);
        assert!((f.log_likelihood - cold.log_likelihood).abs() < 1e-6);
    }

    let cold = gamma_gamma::fit(&data).expect("fits");
    let earlier_gg = gamma_gamma::fit(&earlier).expect("fits");
    let warm = gamma_gamma::fit_from(&data, Some(&earlier_gg.params)).expect("fits");
    eprintln!(
        "Gamma-Gamma: cold {} iterations, warm from a week earlier {}",
        cold.iterations, warm.iterations
    );
    assert!(warm.converged && warm.iterations < cold.iterations);
    let (w, c) = (warm.params, cold.params);
    assert!(close(w.p, c.p) && close(w.q, c.q) && close(w.gamma, c.gamma));
    assert_eq!(
        gamma_gamma::fit_from(&data, Some(&cold.params))
            .expect("fits")
            .iterations,
        0
    );
}
