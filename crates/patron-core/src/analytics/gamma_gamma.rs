//! The Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005, "RFM and CLV:
//! using iso-value curves for customer base analysis", Journal of Marketing Research 42(4);
//! after Colombo & Jiang 1999).
//!
//! A customer's transaction values are Gamma(p, ν) around their own mean p/ν, and ν varies across
//! customers as Gamma(q, γ). The mean m̄ of a customer's x repeat transactions then has the
//! marginal density f(m̄ | p, q, γ; x) = Γ(px+q)/(Γ(px)Γ(q)) · γ^q m̄^(px−1) x^(px) / (γ+m̄x)^(px+q),
//! which the fit maximises; the posterior mean spend shrinks a customer's own average towards
//! the population mean, the more so the fewer transactions they made.
//!
//! Only customers with at least one repeat purchase and a positive mean repeat spend are used:
//! the model describes positive amounts, so free orders and net refunds (m̄ ≤ 0) cannot enter its
//! likelihood. They are left out, not clamped, because a clamped value would invent a spend.

use super::optim::{self, LOG_BOUND};
use super::special::{digamma, ln_gamma};
use super::{CustomerSummary, FitError};
use serde::{Deserialize, Serialize};

/// Gamma-Gamma parameters. `gamma` is in the currency unit of the spends it was fitted on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GammaGammaParams {
    /// shape of a customer's transaction values
    pub p: f64,
    /// shape of the distribution of the customers' rate parameters ν
    pub q: f64,
    /// scale of the distribution of ν (a currency amount)
    pub gamma: f64,
}

const NAMES: [&str; 3] = ["p", "q", "gamma"];

/// Whether a summary enters the Gamma-Gamma likelihood (see the module documentation).
fn usable(s: &CustomerSummary) -> bool {
    s.frequency > 0.0 && s.frequency.is_finite() && s.monetary > 0.0 && s.monetary.is_finite()
}

impl GammaGammaParams {
    /// All three parameters are finite and positive. The methods return NaN for parameters
    /// that are not; parameters from [`fit`] always are, and have q > 1.
    pub fn is_valid(&self) -> bool {
        [self.p, self.q, self.gamma]
            .iter()
            .all(|v| v.is_finite() && *v > 0.0)
    }

    /// The population mean spend per transaction, pγ/(q−1); `None` when q ≤ 1 (the mean is
    /// infinite) or the parameters are invalid.
    pub fn population_mean(&self) -> Option<f64> {
        (self.is_valid() && self.q > 1.0).then(|| self.p * self.gamma / (self.q - 1.0))
    }

    /// Log-likelihood over customers with frequency > 0 and a positive finite monetary value
    /// (the others are not part of the model; see the module documentation). 0 when there are
    /// none, −∞ for invalid parameters; never NaN.
    pub fn log_likelihood(&self, data: &[CustomerSummary]) -> f64 {
        if !self.is_valid() {
            return f64::NEG_INFINITY;
        }
        let compact = Compact::new(data.iter().filter(|s| usable(s)), 1.0);
        let ll = compact.eval(self, &mut [0.0; 3]);
        if ll.is_nan() {
            f64::NEG_INFINITY
        } else {
            ll
        }
    }

    /// Expected average spend per transaction given x repeat days with mean spend m:
    /// E[M | p, q, γ, m, x] = p(γ + m x)/(p x + q − 1) — a weighted mean of the population mean
    /// pγ/(q−1) and the customer's own m, with weight px/(px+q−1) on m.
    ///
    /// x == 0, or an m that is not a positive finite number (no spend information the model can
    /// use, see the module documentation), gives the population mean. NaN only for invalid
    /// parameters, or when that mean (q ≤ 1) or the posterior (px + q ≤ 1) does not exist.
    pub fn expected_spend(&self, x: f64, m: f64) -> f64 {
        if !self.is_valid() || x.is_nan() {
            return f64::NAN;
        }
        if x <= 0.0 || !(m > 0.0 && m.is_finite()) || x.is_infinite() {
            return self.population_mean().unwrap_or(f64::NAN);
        }
        let denominator = self.p * x + self.q - 1.0;
        if denominator <= 0.0 {
            return f64::NAN;
        }
        self.p * (self.gamma + m * x) / denominator
    }
}

/// A Gamma-Gamma fit (`customers`: those with frequency > 0 and a positive mean spend).
pub type GammaGammaFit = super::Fit<GammaGammaParams>;

#[derive(Debug, Clone, Copy)]
struct Row {
    /// m̄ / scale
    m: f64,
}

#[derive(Debug, Clone)]
struct Group {
    x: f64,
    ln_x: f64,
    rows: std::ops::Range<usize>,
    sum_ln_m: f64,
}

/// The customers used, sorted into groups of equal x.
#[derive(Debug, Clone)]
struct Compact {
    rows: Vec<Row>,
    groups: Vec<Group>,
}

impl Compact {
    /// `scale` divides every spend (the fit works on spends relative to their mean, so that
    /// γ is of order 1 in any currency).
    fn new<'a>(data: impl Iterator<Item = &'a CustomerSummary>, scale: f64) -> Self {
        let mut pairs: Vec<(f64, f64)> = data.map(|s| (s.frequency, s.monetary / scale)).collect();
        pairs.sort_unstable_by(|l, r| l.0.total_cmp(&r.0).then(l.1.total_cmp(&r.1)));
        let mut rows = Vec::with_capacity(pairs.len());
        let mut groups: Vec<Group> = Vec::new();
        for (x, m) in pairs {
            if groups.last().is_none_or(|g| g.x != x) {
                groups.push(Group {
                    x,
                    ln_x: x.ln(),
                    rows: rows.len()..rows.len(),
                    sum_ln_m: 0.0,
                });
            }
            let ln_m = m.ln();
            rows.push(Row { m });
            if let Some(g) = groups.last_mut() {
                g.rows.end = rows.len();
                g.sum_ln_m += ln_m;
            }
        }
        Self { rows, groups }
    }

    fn count(&self) -> usize {
        self.rows.len()
    }

    /// Σ ln f(m̄ | p, q, γ; x) and its gradient with respect to (p, q, γ).
    fn eval(&self, params: &GammaGammaParams, grad: &mut [f64; 3]) -> f64 {
        let GammaGammaParams { p, q, gamma } = *params;
        let (lg_q, dg_q) = (ln_gamma(q), digamma(q));
        let ln_gamma_scale = gamma.ln();
        let mut ll = 0.0;
        let (mut gp, mut gq, mut gg) = (0.0, 0.0, 0.0);
        for g in &self.groups {
            let x = g.x;
            let px = p * x;
            let n = g.rows.len() as f64;
            let (lg_pxq, dg_pxq) = (ln_gamma(px + q), digamma(px + q));
            let (lg_px, dg_px) = (ln_gamma(px), digamma(px));
            let (mut sum_ln_den, mut sum_inv_den) = (0.0, 0.0);
            for row in &self.rows[g.rows.clone()] {
                let den = gamma + row.m * x;
                sum_ln_den += den.ln();
                sum_inv_den += 1.0 / den;
            }
            ll += n * (lg_pxq - lg_px - lg_q + px * g.ln_x + q * ln_gamma_scale)
                + (px - 1.0) * g.sum_ln_m
                - (px + q) * sum_ln_den;
            gp += x * (n * (dg_pxq - dg_px + g.ln_x) + g.sum_ln_m - sum_ln_den);
            gq += n * (dg_pxq - dg_q + ln_gamma_scale) - sum_ln_den;
            gg += n * q / gamma - (px + q) * sum_inv_den;
        }
        *grad = [gp, gq, gg];
        ll
    }
}

/// Maximum-likelihood Gamma-Gamma fit to the customers with frequency > 0 and a positive
/// mean repeat spend (`monetary`); the others are skipped (see the module documentation).
///
/// The spends are divided by their mean before fitting (γ scales with the currency unit, p and q
/// do not), so the optimiser sees the same problem in dollars, yen or dong.
///
/// Errors: no customers; a frequency that is negative or not a number; no repeat buyer; no
/// repeat buyer with positive spend; fewer usable customers than the three parameters; an
/// optimum at a boundary (e.g. every customer spends the same, so the spread parameters run to
/// ∞); a fitted q ≤ 1, for which the mean spend is infinite and the model cannot value a
/// customer; the optimiser stopped far from a maximum.
pub fn fit(data: &[CustomerSummary]) -> Result<GammaGammaFit, FitError> {
    fit_from(data, None)
}

/// [`fit`], starting the optimiser at `start` when it is given (a previous fit to nearly the
/// same customers; see [`super::bgnbd::fit_from`]). When the run from `start` does not
/// converge, the fit starts again from the usual point.
pub fn fit_from(
    data: &[CustomerSummary],
    start: Option<&GammaGammaParams>,
) -> Result<GammaGammaFit, FitError> {
    if data.is_empty() {
        return Err(FitError::NoCustomers);
    }
    if let Some(index) = data
        .iter()
        .position(|s| !(s.frequency.is_finite() && s.frequency >= 0.0))
    {
        return Err(FitError::InvalidSummary {
            index,
            reason: "frequency must be a finite, non-negative number",
        });
    }
    if !data.iter().any(|s| s.frequency > 0.0) {
        return Err(FitError::NoRepeatBuyers);
    }
    let used: Vec<&CustomerSummary> = data.iter().filter(|s| usable(s)).collect();
    if used.is_empty() {
        return Err(FitError::NoPositiveSpend);
    }
    if used.len() < NAMES.len() {
        return Err(FitError::TooFewCustomers {
            have: used.len(),
            need: NAMES.len(),
        });
    }
    let scale = used.iter().map(|s| s.monetary).sum::<f64>() / used.len() as f64;
    let compact = Compact::new(used.iter().copied(), scale);
    // Start at p = 1, q = 2, γ = 1: the population mean pγ/(q−1) equals the observed mean (1
    // after scaling).
    let x0 = [0.0, std::f64::consts::LN_2, 0.0];
    let customers = used.len();
    if let Some(x) = start
        .filter(|p| p.is_valid())
        .map(|p| [p.p.ln(), p.q.ln(), (p.gamma / scale).ln()])
        .filter(|x| optim::is_interior(x))
    {
        if let Ok(f) = fit_compact(&compact, x, scale, customers, true) {
            if f.converged {
                return Ok(f);
            }
        }
    }
    fit_compact(&compact, x0, scale, customers, false)
}

/// Runs the optimiser on `compact` (spends divided by `scale`) from the log-parameters `x0`
/// (`warm`: a previous optimum).
fn fit_compact(
    compact: &Compact,
    x0: [f64; 3],
    scale: f64,
    customers: usize,
    warm: bool,
) -> Result<GammaGammaFit, FitError> {
    let n = compact.count() as f64;
    let out = optim::maximise_log_likelihood(
        x0,
        n,
        LOG_BOUND,
        warm,
        |[p, q, gamma]| Some(GammaGammaParams { p, q, gamma }).filter(GammaGammaParams::is_valid),
        |p, g| compact.eval(p, g),
    );
    let converged = optim::classify(&out, &NAMES, |i| {
        out.x[i].exp() * if i == 2 { scale } else { 1.0 }
    })?;
    let params = GammaGammaParams {
        p: out.x[0].exp(),
        q: out.x[1].exp(),
        gamma: out.x[2].exp() * scale,
    };
    // Back to the original currency unit: each density picks up a factor 1/scale.
    let log_likelihood = -out.f * n - n * scale.ln();
    if !params.is_valid() || !log_likelihood.is_finite() {
        return Err(FitError::NotConverged {
            iterations: out.iterations,
        });
    }
    if params.q <= 1.0 {
        return Err(FitError::InfiniteMeanSpend { q: params.q });
    }
    Ok(GammaGammaFit {
        params,
        log_likelihood,
        customers,
        converged,
        iterations: out.iterations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(frequency: f64, monetary: f64) -> CustomerSummary {
        CustomerSummary {
            frequency,
            recency: frequency,
            t: 40.0,
            monetary,
        }
    }

    const CDNOW: GammaGammaParams = GammaGammaParams {
        p: 6.25,
        q: 3.74,
        gamma: 15.44,
    };

    #[test]
    fn likelihood_matches_the_density_and_its_gradient() {
        let data = [
            s(1.0, 20.0),
            s(2.0, 35.5),
            s(2.0, 12.0),
            s(7.0, 41.0),
            s(0.0, 0.0),
        ];
        let direct: f64 = data
            .iter()
            .filter(|c| c.frequency > 0.0)
            .map(|c| {
                let GammaGammaParams { p, q, gamma } = CDNOW;
                let (x, m) = (c.frequency, c.monetary);
                ln_gamma(p * x + q) - ln_gamma(p * x) - ln_gamma(q)
                    + q * gamma.ln()
                    + (p * x - 1.0) * m.ln()
                    + p * x * x.ln()
                    - (p * x + q) * (gamma + m * x).ln()
            })
            .sum();
        assert!((CDNOW.log_likelihood(&data) - direct).abs() < 1e-10);

        let compact = Compact::new(data.iter().filter(|c| usable(c)), 1.0);
        let mut g = [0.0; 3];
        compact.eval(&CDNOW, &mut g);
        let base = [CDNOW.p, CDNOW.q, CDNOW.gamma];
        for i in 0..3 {
            let h = 1e-6 * base[i];
            let (mut up, mut down) = (base, base);
            up[i] += h;
            down[i] -= h;
            let at = |v: [f64; 3]| {
                GammaGammaParams {
                    p: v[0],
                    q: v[1],
                    gamma: v[2],
                }
                .log_likelihood(&data)
            };
            let numeric = (at(up) - at(down)) / (2.0 * h);
            assert!(
                (g[i] - numeric).abs() < 1e-5 * numeric.abs().max(1.0),
                "{}: {} vs {numeric}",
                NAMES[i],
                g[i]
            );
        }
    }

    #[test]
    fn expected_spend_shrinks_towards_the_population_mean() {
        let mean = CDNOW.population_mean().expect("q > 1");
        assert!((mean - 6.25 * 15.44 / 2.74).abs() < 1e-12);
        assert_eq!(CDNOW.expected_spend(0.0, 0.0), mean);
        assert_eq!(CDNOW.expected_spend(3.0, -5.0), mean);
        assert_eq!(CDNOW.expected_spend(3.0, f64::NAN), mean);
        let one = CDNOW.expected_spend(1.0, 100.0);
        let many = CDNOW.expected_spend(20.0, 100.0);
        assert!(mean < one && one < many && many < 100.0);
        let heavy_tail = GammaGammaParams { q: 0.8, ..CDNOW };
        assert!(heavy_tail.expected_spend(0.0, 0.0).is_nan());
        assert!(heavy_tail.expected_spend(2.0, 10.0).is_finite());
    }

    #[test]
    fn bad_input_is_an_error_not_nan() {
        assert_eq!(fit(&[]), Err(FitError::NoCustomers));
        assert_eq!(
            fit(&[s(0.0, 0.0), s(0.0, 0.0)]),
            Err(FitError::NoRepeatBuyers)
        );
        assert_eq!(
            fit(&[s(1.0, 0.0), s(2.0, -3.0), s(0.0, 0.0)]),
            Err(FitError::NoPositiveSpend)
        );
        assert_eq!(
            fit(&[s(1.0, 10.0), s(2.0, -3.0), s(2.0, 12.0)]),
            Err(FitError::TooFewCustomers { have: 2, need: 3 })
        );
        assert!(matches!(
            fit(&[s(1.0, 10.0), s(f64::NAN, 3.0)]),
            Err(FitError::InvalidSummary { index: 1, .. })
        ));
        // everyone spends exactly the same: no spread to estimate
        let same: Vec<_> = (0..30).map(|i| s(f64::from(1 + i % 4), 25.0)).collect();
        match fit(&same) {
            Err(FitError::Degenerate { .. } | FitError::NotConverged { .. }) => {}
            other => panic!("expected a degenerate fit, got {other:?}"),
        }
    }

    #[test]
    fn currency_scale_only_moves_gamma() {
        let data: Vec<_> = (0..200)
            .map(|i| {
                let x = f64::from(1 + i % 6);
                let m = 10.0 + f64::from((i * 37) % 53) + 3.0 * x;
                s(x, m)
            })
            .collect();
        let dollars = fit(&data).expect("fits");
        let cents: Vec<_> = data
            .iter()
            .map(|c| CustomerSummary {
                monetary: c.monetary * 100.0,
                ..*c
            })
            .collect();
        let cents = fit(&cents).expect("fits");
        assert!((dollars.params.p / cents.params.p - 1.0).abs() < 1e-6);
        assert!((dollars.params.q / cents.params.q - 1.0).abs() < 1e-6);
        assert!((cents.params.gamma / dollars.params.gamma / 100.0 - 1.0).abs() < 1e-6);
        let shift = 200.0 * 100f64.ln();
        assert!((dollars.log_likelihood - cents.log_likelihood - shift).abs() < 1e-6);
        assert!((dollars.params.log_likelihood(&data) - dollars.log_likelihood).abs() < 1e-6);
    }
}
