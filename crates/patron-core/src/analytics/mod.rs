//! Customer-base analytics of the method's §6: who is still a customer, how much they will buy,
//! and what they are worth.
//!
//! - [`summary`] reduces a purchase history to (frequency, recency, T, mean repeat spend);
//! - [`bgnbd`] fits the BG/NBD model (Fader, Hardie & Lee 2005) of repeat purchases and drop-out,
//!   and gives P(alive) and expected purchases;
//! - [`gamma_gamma`] fits the Gamma-Gamma model of spend per transaction;
//! - [`clv`] combines the two into a discounted customer lifetime value;
//! - [`special`] holds the special functions (ln Γ, ψ, ₂F₁) the models need.
//!
//! Fits are maximum-likelihood estimates found by a BFGS search over the logarithms of the
//! parameters with analytic gradients. Bad input (no customers, no repeat buyers, invalid
//! summaries, data that do not identify the model) is a [`FitError`], never a NaN.

pub mod bgnbd;
pub mod gamma_gamma;
mod optim;
pub mod special;
pub mod summary;

pub use bgnbd::{BgNbdFit, BgNbdParams};
pub use gamma_gamma::{GammaGammaFit, GammaGammaParams};

/// A model fitted by maximum likelihood: its parameters and how the optimisation went.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Fit<P> {
    pub params: P,
    /// The log-likelihood at `params`, summed over the customers used.
    pub log_likelihood: f64,
    /// The customers the model was fitted to.
    pub customers: usize,
    /// `false` when the optimiser stopped close to, but not provably at, the maximum (its
    /// gradient small but above the strict tolerance): the parameters are then usable
    /// approximations. A run that ends far from a maximum is an error, not `converged: false`.
    pub converged: bool,
    pub iterations: u32,
}
pub use summary::{summarise, CustomerSummary, TimeUnit};

/// Why a fit gave no parameters (too few customers, no repeat buyers, optimiser did not
/// converge, …).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    #[error("there are no customers to fit the model to")]
    NoCustomers,
    #[error("no customer bought again in the calibration period; the model needs repeat buyers")]
    NoRepeatBuyers,
    #[error("no repeat buyer has a positive average spend; the spend model needs some")]
    NoPositiveSpend,
    #[error("{have} usable customers are too few to estimate {need} parameters")]
    TooFewCustomers { have: usize, need: usize },
    #[error("customer summary #{index} is invalid: {reason}")]
    InvalidSummary { index: usize, reason: &'static str },
    /// The likelihood keeps increasing as a parameter goes to 0 or ∞: the data cannot tell the
    /// model's parameters apart (too few customers, or all alike).
    #[error("the data do not determine the model: parameter {parameter} runs off to {value:e}")]
    Degenerate { parameter: &'static str, value: f64 },
    #[error("the likelihood maximisation did not converge ({iterations} iterations)")]
    NotConverged { iterations: u32 },
    /// A Gamma-Gamma fit with q ≤ 1: spend is so heavy-tailed that its mean is infinite, so no
    /// expected spend (and no lifetime value) exists.
    #[error("the fitted spend distribution has no finite mean (q = {q:.3} ≤ 1)")]
    InfiniteMeanSpend { q: f64 },
}

/// 8-point Gauss–Legendre nodes on [−1, 1] (positive half) and their weights.
const GL_NODES: [f64; 4] = [
    0.183_434_642_495_649_8,
    0.525_532_409_916_329,
    0.796_666_477_413_626_7,
    0.960_289_856_497_536_3,
];
const GL_WEIGHTS: [f64; 4] = [
    0.362_683_783_378_362,
    0.313_706_645_877_887_3,
    0.222_381_034_453_374_5,
    0.101_228_536_290_376_3,
];

/// Customer lifetime value over the next `horizon` (in `unit`), discounted at
/// `annual_discount_rate` (0.10 = 10 % a year):
/// CLV = E[spend per transaction] × ∫₀ᴴ e^(−δt) dE[Y(t)],
/// with E\[spend\] from the Gamma-Gamma posterior ([`GammaGammaParams::expected_spend`]) and
/// E[Y(t)] the BG/NBD conditional expectation of purchases in (T, T+t]
/// ([`BgNbdParams::expected_purchases`]).
///
/// Method: continuous discounting, δ = ln(1 + annual rate) per year converted to the unit
/// (a year is 365.25 days), so a purchase expected at time t is worth e^(−δt) = (1+rate)^(−t in
/// years) — the limit of summing the incremental expected purchases of ever shorter periods,
/// each discounted to its time. The integral is taken exactly by parts,
/// e^(−δH) E[Y(H)] + δ ∫₀ᴴ e^(−δt) E[Y(t)] dt, with 8-point Gauss–Legendre quadrature on
/// panels of at most a year (E[Y(t)] is smooth, so this is accurate to ~1e-9 relative and
/// costs ~9 evaluations of E\[Y\] per year of horizon, independent of the unit).
///
/// Using the same spend for every future transaction assumes spend and purchase frequency are
/// independent, which the Gamma-Gamma model presumes. Spend and the result are in the currency
/// of the Gamma-Gamma fit. horizon ≤ 0 gives 0; NaN for invalid parameters, a discount rate
/// ≤ −100 % or non-finite arguments.
pub fn clv(
    bg: &BgNbdParams,
    gg: &GammaGammaParams,
    s: &CustomerSummary,
    horizon: f64,
    unit: TimeUnit,
    annual_discount_rate: f64,
) -> f64 {
    let value = discounted_purchases(bg, s, horizon, unit, annual_discount_rate);
    if value.is_nan() {
        return f64::NAN;
    }
    if horizon <= 0.0 {
        return 0.0;
    }
    gg.expected_spend(s.frequency, s.monetary) * value
}

/// The discounted expected purchases of [`clv`] without the spend: ∫₀ᴴ e^(−δt) dE[Y(t)]. It
/// depends on the purchase history's shape (frequency, recency, T) only, not on the amounts;
/// it is P(alive) times [`discounted_purchases_if_alive`], which depends on the frequency and T
/// only, so a scorer computes that once for all the customers who share them and multiplies.
pub fn discounted_purchases(
    bg: &BgNbdParams,
    s: &CustomerSummary,
    horizon: f64,
    unit: TimeUnit,
    annual_discount_rate: f64,
) -> f64 {
    if let Some(v) = without_purchases(horizon, annual_discount_rate) {
        return v;
    }
    let alive = bg.p_alive(s.frequency, s.recency, s.t);
    with_p_alive(
        alive,
        discounted_purchases_if_alive(bg, s.frequency, s.t, horizon, unit, annual_discount_rate),
    )
}

/// The discounted purchases' value where no purchase counts: NaN for a horizon or rate that is
/// not a number (or a rate of −100% or less), 0 for an empty horizon; `None` otherwise.
fn without_purchases(horizon: f64, annual_discount_rate: f64) -> Option<f64> {
    if !(horizon.is_finite() && annual_discount_rate.is_finite()) || annual_discount_rate <= -1.0 {
        Some(f64::NAN)
    } else if horizon <= 0.0 {
        Some(0.0)
    } else {
        None
    }
}

/// An expectation for a customer alive at T times P(alive): the customer's expectation. A
/// customer certainly gone expects nothing, whatever the other factor (even NaN).
pub fn with_p_alive(p_alive: f64, if_alive: f64) -> f64 {
    if p_alive == 0.0 {
        0.0
    } else {
        p_alive * if_alive
    }
}

/// [`discounted_purchases`] for a customer known to be alive at T (it is this times
/// P(alive), see [`with_p_alive`]): it depends on the frequency and T only, not on the recency.
pub fn discounted_purchases_if_alive(
    bg: &BgNbdParams,
    frequency: f64,
    big_t: f64,
    horizon: f64,
    unit: TimeUnit,
    annual_discount_rate: f64,
) -> f64 {
    if let Some(v) = without_purchases(horizon, annual_discount_rate) {
        return v;
    }
    let purchases = |t: f64| bg.expected_purchases_if_alive(t, frequency, big_t);
    let delta = annual_discount_rate.ln_1p() / unit.per_year();
    let mut value = (-delta * horizon).exp() * purchases(horizon);
    if delta != 0.0 {
        // panels of at most a year; past 200 years the discount factor is negligible for any
        // sensible rate, so wider panels are accurate enough and the cost stays bounded
        let panels = (horizon / unit.per_year()).ceil().clamp(1.0, 200.0);
        let width = horizon / panels;
        let mut integral = 0.0;
        for i in 0..(panels as u32) {
            let mid = (f64::from(i) + 0.5) * width;
            for (node, weight) in GL_NODES.iter().zip(GL_WEIGHTS) {
                for t in [mid - 0.5 * width * node, mid + 0.5 * width * node] {
                    integral += weight * 0.5 * width * (-delta * t).exp() * purchases(t);
                }
            }
        }
        value += delta * integral;
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    const BG: BgNbdParams = BgNbdParams {
        r: 0.243,
        alpha: 4.414,
        a: 0.793,
        b: 2.426,
    };
    const GG: GammaGammaParams = GammaGammaParams {
        p: 6.25,
        q: 3.74,
        gamma: 15.44,
    };

    fn customer() -> CustomerSummary {
        CustomerSummary {
            frequency: 2.0,
            recency: 30.43,
            t: 38.86,
            monetary: 40.0,
        }
    }

    #[test]
    fn undiscounted_clv_is_spend_times_purchases() {
        let s = customer();
        let v = clv(&BG, &GG, &s, 39.0, TimeUnit::Week, 0.0);
        let expect = GG.expected_spend(2.0, 40.0) * BG.expected_purchases(39.0, 2.0, 30.43, 38.86);
        assert!((v - expect).abs() < 1e-12 * expect);
    }

    #[test]
    fn discounting_matches_a_fine_period_sum() {
        let s = customer();
        let rate: f64 = 0.10;
        let horizon = 156.0; // three years in weeks
        let v = clv(&BG, &GG, &s, horizon, TimeUnit::Week, rate);
        // Σ over tenth-of-a-week periods of the incremental expected purchases, each discounted
        // continuously to its midpoint
        let delta = rate.ln_1p() / TimeUnit::Week.per_year();
        let steps = 1560;
        let h = horizon / f64::from(steps);
        let mut sum = 0.0;
        let mut prev = 0.0;
        for i in 1..=steps {
            let t = h * f64::from(i);
            let e = BG.expected_purchases(t, 2.0, 30.43, 38.86);
            sum += (e - prev) * (-delta * (t - 0.5 * h)).exp();
            prev = e;
        }
        let expect = GG.expected_spend(2.0, 40.0) * sum;
        assert!((v - expect).abs() < 1e-5 * expect, "{v} vs {expect}");
        let undiscounted = clv(&BG, &GG, &s, horizon, TimeUnit::Week, 0.0);
        assert!(v < undiscounted);
    }

    /// The expectations split into P(alive) and a part that ignores the recency: the split is
    /// exact for the purchases and within rounding for the discounted purchases, and customers
    /// sharing (x, T) share that part.
    #[test]
    fn expectations_are_p_alive_times_a_part_without_recency() {
        for (x, t_x, big_t) in [
            (0.0, 0.0, 38.9),
            (2.0, 30.4, 38.9),
            (2.0, 5.0, 38.9),
            (7.0, 77.0, 78.0),
            (30.0, 10.0, 200.0),
        ] {
            let alive = BG.p_alive(x, t_x, big_t);
            for t in [0.0, 1.0, 52.0, 520.0] {
                assert_eq!(
                    BG.expected_purchases(t, x, t_x, big_t),
                    if t > 0.0 {
                        with_p_alive(alive, BG.expected_purchases_if_alive(t, x, big_t))
                    } else {
                        0.0
                    },
                    "x {x}, t_x {t_x}, T {big_t}, t {t}"
                );
                let s = CustomerSummary {
                    frequency: x,
                    recency: t_x,
                    t: big_t,
                    monetary: 10.0,
                };
                let whole = discounted_purchases(&BG, &s, t, TimeUnit::Week, 0.1);
                let split = with_p_alive(
                    alive,
                    discounted_purchases_if_alive(&BG, x, big_t, t, TimeUnit::Week, 0.1),
                );
                assert!(
                    (whole - split).abs() <= 1e-12 * whole.abs().max(1e-300),
                    "{whole} vs {split}"
                );
            }
        }
        assert_eq!(with_p_alive(0.0, f64::NAN), 0.0);
        assert!(with_p_alive(f64::NAN, 1.0).is_nan());
    }

    #[test]
    fn days_and_weeks_agree() {
        // the same customer and parameters expressed in days
        let s = customer();
        let days = CustomerSummary {
            recency: s.recency * 7.0,
            t: s.t * 7.0,
            ..s
        };
        let bg_days = BgNbdParams {
            alpha: BG.alpha * 7.0,
            ..BG
        };
        let w = clv(&BG, &GG, &s, 52.0, TimeUnit::Week, 0.08);
        let d = clv(&bg_days, &GG, &days, 364.0, TimeUnit::Day, 0.08);
        assert!((w - d).abs() < 1e-9 * w, "{w} vs {d}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Whatever the (valid) data, a fit is an error or finite parameters, and the derived
        /// quantities are finite: never NaN, never a panic.
        #[test]
        fn fits_never_give_nan(
            raw in proptest::collection::vec((0u32..15, 0.0f64..1.0, 0.0f64..60.0, -50.0f64..500.0), 0..40)
        ) {
            let data: Vec<CustomerSummary> = raw
                .iter()
                .map(|&(x, share, t, m)| CustomerSummary {
                    frequency: f64::from(x),
                    recency: if x == 0 { 0.0 } else { share * t },
                    t,
                    monetary: if x == 0 { 0.0 } else { m },
                })
                .collect();
            let bg = bgnbd::fit(&data);
            let gg = gamma_gamma::fit(&data);
            if let Ok(f) = &bg {
                proptest::prop_assert!(f.params.is_valid() && f.log_likelihood.is_finite());
            }
            if let Ok(f) = &gg {
                proptest::prop_assert!(f.params.is_valid() && f.log_likelihood.is_finite());
                proptest::prop_assert!(f.params.q > 1.0);
            }
            if let (Ok(b), Ok(g)) = (bg, gg) {
                for s in &data {
                    let v = clv(&b.params, &g.params, s, 52.0, TimeUnit::Week, 0.1);
                    proptest::prop_assert!(v.is_finite() && v >= 0.0, "{:?} {:?}", s, v);
                    let alive = b.params.p_alive(s.frequency, s.recency, s.t);
                    proptest::prop_assert!((0.0..=1.0).contains(&alive));
                }
            }
        }
    }

    #[test]
    fn edge_cases() {
        let s = customer();
        assert_eq!(clv(&BG, &GG, &s, 0.0, TimeUnit::Week, 0.1), 0.0);
        assert_eq!(clv(&BG, &GG, &s, -5.0, TimeUnit::Week, 0.1), 0.0);
        assert!(clv(&BG, &GG, &s, 10.0, TimeUnit::Week, -1.0).is_nan());
        assert!(clv(&BG, &GG, &s, f64::INFINITY, TimeUnit::Week, 0.1).is_nan());
        // a one-time buyer is valued at the population mean spend
        let once = CustomerSummary {
            frequency: 0.0,
            recency: 0.0,
            t: 20.0,
            monetary: 0.0,
        };
        let v = clv(&BG, &GG, &once, 52.0, TimeUnit::Week, 0.1);
        assert!(v.is_finite() && v > 0.0);
    }
}
