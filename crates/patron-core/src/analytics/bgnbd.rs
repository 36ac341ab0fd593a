//! The BG/NBD model of repeat buying (Fader, Hardie & Lee 2005, "Counting your customers the
//! easy way: an alternative to the Pareto/NBD model", Marketing Science 24(2)).
//!
//! While active, a customer buys as a Poisson process with rate λ ~ Gamma(r, α); after each
//! purchase they drop out with probability p ~ Beta(a, b). From each customer's (x, tₓ, T) — repeat
//! purchase days, time of the last one and time since the first, see
//! [`CustomerSummary`] — the model gives the probability they are still
//! active and how many purchases to expect from them.
//!
//! The fit maximises the likelihood (FHL 2005, eq. 6) over ln r, ln α, ln a, ln b with an
//! analytic gradient (BFGS, in the private `optim` module), so the parameters stay positive without
//! constraints and are comparably scaled.

use super::optim::{self, LOG_BOUND};
use super::special::{
    digamma, hypergeometric_tail, hypergeometric_tail_scaled, ln_gamma, LN_RESCALE,
};
use super::{CustomerSummary, FitError};
use serde::{Deserialize, Serialize};

/// BG/NBD parameters. `alpha` is in the time unit of the summaries it was fitted on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BgNbdParams {
    /// shape of the Gamma distribution of purchase rates
    pub r: f64,
    /// scale (a time) of the Gamma distribution of purchase rates
    pub alpha: f64,
    /// Beta distribution of the drop-out probability: a
    pub a: f64,
    /// Beta distribution of the drop-out probability: b
    pub b: f64,
}

/// The names of the parameters, in the order of the optimiser's coordinates.
const NAMES: [&str; 4] = ["r", "alpha", "a", "b"];

impl BgNbdParams {
    /// All four parameters are finite and positive — the only values the formulas accept. The
    /// methods below return NaN for parameters that are not (e.g. read back from a damaged
    /// store); parameters from [`fit`] always are.
    pub fn is_valid(&self) -> bool {
        [self.r, self.alpha, self.a, self.b]
            .iter()
            .all(|v| v.is_finite() && *v > 0.0)
    }

    /// Log-likelihood of the customers' (x, tₓ, T) under these parameters (FHL 2005, eq. 6),
    /// summed over customers. −∞ when the parameters are not valid or a summary is not (negative,
    /// non-finite or fractional frequency, recency beyond T); 0 for no customers; never NaN.
    pub fn log_likelihood(&self, data: &[CustomerSummary]) -> f64 {
        if !self.is_valid() {
            return f64::NEG_INFINITY;
        }
        match Compact::new(data) {
            Ok(c) => {
                let ll = c.eval(self, &mut [0.0; 4]);
                if ll.is_nan() {
                    f64::NEG_INFINITY
                } else {
                    ll
                }
            }
            Err(FitError::NoCustomers) => 0.0,
            Err(_) => f64::NEG_INFINITY,
        }
    }

    /// E[number of purchases in (T, T+t]] for a customer with history (x, t_x, T) — conditional
    /// expectation (FHL 2005, eq. 10).
    ///
    /// Eq. 10 is (a+b+x−1)/(a−1) · [1 − (1−z)^(r+x) ₂F₁(r+x, b+x; a+b+x−1; z)] · P(alive) with
    /// z = t/(α+T+t). As printed it is 0/0 at a = 1 and its ₂F₁ overflows for heavy buyers, so
    /// the bracket is evaluated through Euler's transformation
    /// ₂F₁(A,B;C;z) = (1−z)^(C−A−B) ₂F₁(C−A,C−B;C;z), which gives
    /// (1−z)^(a−1) ₂F₁(a+b−1−r, a−1; a+b+x−1; z) with the division by a − 1 carried out on the
    /// series; the printed form (summed with rescaling) serves the parameters where that series
    /// would cancel or run long. See `bracket` for the choice.
    ///
    /// t ≤ 0 gives 0. Histories are clamped to the model's domain (x rounded to a whole number
    /// ≥ 0, 0 ≤ t_x ≤ T). NaN only for invalid parameters or arguments, or when t exceeds α + T
    /// by a factor of about 25,000 (the series would need more than a million terms).
    pub fn expected_purchases(&self, t: f64, x: f64, t_x: f64, big_t: f64) -> f64 {
        if !(self.is_valid()
            && t.is_finite()
            && x.is_finite()
            && t_x.is_finite()
            && big_t.is_finite())
        {
            return f64::NAN;
        }
        if t <= 0.0 {
            return 0.0;
        }
        // `p_alive` rounds x and clamps T and t_x as above.
        let alive = self.p_alive(x, t_x, big_t);
        if alive == 0.0 {
            return 0.0;
        }
        self.expected_purchases_if_alive(t, x, big_t) * alive
    }

    /// E[number of purchases in (T, T+t]] for a customer known to be alive at T: the bracket of
    /// [`Self::expected_purchases`], which is this times P(alive). It does not depend on t_x, so
    /// a scorer computes it once per (x, T) — far fewer than the customers' (x, t_x, T) on a day
    /// grid — and multiplies by each customer's P(alive).
    ///
    /// t ≤ 0 gives 0; x is rounded to a whole number ≥ 0 and T clamped to ≥ 0. NaN for invalid
    /// parameters or arguments, as [`Self::expected_purchases`].
    pub fn expected_purchases_if_alive(&self, t: f64, x: f64, big_t: f64) -> f64 {
        if !(self.is_valid() && t.is_finite() && x.is_finite() && big_t.is_finite()) {
            return f64::NAN;
        }
        if t <= 0.0 {
            return 0.0;
        }
        let x = x.round().max(0.0);
        let big_t = big_t.max(0.0);
        self.bracket(t, x, big_t).unwrap_or(f64::NAN)
    }

    /// (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))], the
    /// expected purchases in (T, T+t] of a customer known to be alive at T.
    ///
    /// Two equivalent series, chosen so that neither cancels nor runs long:
    /// - the Euler-transformed one ([`Self::bracket_euler`]) for the usual parameters: exact at
    ///   a = 1 and immune to large x;
    /// - the direct one ([`Self::bracket_direct`]) when r > a + b + 1 (the Euler series would
    ///   alternate with terms far larger than its sum) or (a − 1)·z > 30 (it would need more
    ///   than ~(a − 1)·z terms — fits where a and b run large together).
    ///
    /// The direct form divides by a − 1 and by a + b + x − 1 (in the series); in the rare case
    /// that needs it with a within 1e-7 of 1, or with a + b + x − 1 exactly 0, the value is the
    /// mean of the values at a ± 1e-6·min(a, 1), accurate to ~1e-12 since the expectation is
    /// smooth in a.
    fn bracket(&self, t: f64, x: f64, big_t: f64) -> Option<f64> {
        let z = t / (self.alpha + big_t + t);
        let eps = self.a - 1.0;
        let c = self.a + self.b + x - 1.0;
        let a1 = self.a + self.b - 1.0 - self.r;
        let v = if a1 >= -2.0 && eps * z <= 30.0 {
            self.bracket_euler(z, x)?
        } else if eps.abs() >= 1e-7 && c != 0.0 {
            self.bracket_direct(z, x)?
        } else {
            let h = 1e-6 * self.a.min(1.0);
            let up = Self {
                a: self.a + h,
                ..*self
            };
            let down = Self {
                a: self.a - h,
                ..*self
            };
            0.5 * (up.bracket_direct(z, x)? + down.bracket_direct(z, x)?)
        };
        (v.is_finite()).then_some(v.max(0.0))
    }

    /// The bracket via Euler's transformation: (1−z)^(a−1) ₂F₁(a+b−1−r, a−1; a+b+x−1; z) replaces
    /// (1−z)^(r+x) ₂F₁(r+x, b+x; a+b+x−1; z), and the division by a − 1 is carried out on the
    /// series: c·[(1 − (1−z)^ε)/ε − (1−z)^ε (₂F₁(a1, ε; c; z) − 1)/ε] with ε = a − 1,
    /// c = a+b+x−1, a1 = a+b−1−r. Its terms are positive when a1 ≥ 0 and do not grow with x.
    fn bracket_euler(&self, z: f64, x: f64) -> Option<f64> {
        let Self { r, a, b, .. } = *self;
        let ln_1mz = (-z).ln_1p(); // ln((α+T)/(α+T+t))
        let eps = a - 1.0;
        let c = a + b + x - 1.0; // > −1 because a, b > 0
        let a1 = a + b - 1.0 - r;
        // c · (₂F₁(a1, ε; c; z) − 1)/ε, summed from its first term a1·z: the factor c cancels
        // the (c)ₙ in the first denominator, so c = 0 (a + b = 1, x = 0) needs no special case.
        let c_g = hypergeometric_tail(a1 * z, 1, a1, eps, c, z)?;
        // (1 − (1−z)^ε)/ε, → −ln(1−z) as ε → 0
        let first = if eps == 0.0 {
            -ln_1mz
        } else {
            -(eps * ln_1mz).exp_m1() / eps
        };
        Some(c * first - (eps * ln_1mz).exp() * c_g)
    }

    /// The bracket as printed. The series is summed with rescaling and multiplied by
    /// (1−z)^(r+x) in logarithms, because for large r + x the series overflows while the
    /// prefactor underflows (their product is moderate).
    fn bracket_direct(&self, z: f64, x: f64) -> Option<f64> {
        let Self { r, a, b, .. } = *self;
        let c = a + b + x - 1.0;
        let (sum, k) = hypergeometric_tail_scaled(1.0, 0, r + x, b + x, c, z)?;
        let p = sum * (f64::from(k) * LN_RESCALE + (r + x) * (-z).ln_1p()).exp();
        Some(c / (a - 1.0) * (1.0 - p))
    }

    /// P(alive at T | x, t_x, T) = 1 / (1 + δ(x>0) · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x))
    /// (FHL 2005; Fader & Hardie's note on P(alive)). x == 0 → 1.0: in the BG/NBD model a customer
    /// can only drop out right after a purchase, and the first purchase is not a repeat purchase.
    /// Computed in logs so that heavy buyers who have been silent long give 0, not NaN.
    pub fn p_alive(&self, x: f64, t_x: f64, big_t: f64) -> f64 {
        if !(self.is_valid() && x.is_finite() && t_x.is_finite() && big_t.is_finite()) {
            return f64::NAN;
        }
        // x counts purchase days; rounding keeps b + x − 1 > 0 for any input
        let x = x.round();
        if x <= 0.0 {
            return 1.0;
        }
        let big_t = big_t.max(0.0);
        let t_x = t_x.clamp(0.0, big_t);
        let Self { r, alpha, a, b } = *self;
        let log_odds_dead =
            a.ln() - (b + x - 1.0).ln() + (r + x) * ((alpha + big_t).ln() - (alpha + t_x).ln());
        1.0 / (1.0 + log_odds_dead.exp())
    }

    /// E[X(t)] for a randomly chosen new customer over a period of length t (FHL 2005, eq. 9) —
    /// the curve the holdout check compares with actual repeat purchases. It is eq. 10 with
    /// x = 0, T = 0.
    pub fn expected_purchases_new(&self, t: f64) -> f64 {
        self.expected_purchases(t, 0.0, 0.0, 0.0)
    }
}

/// A BG/NBD fit.
pub type BgNbdFit = super::Fit<BgNbdParams>;

/// A customer row of the likelihood: customers with the same (x, t_x, T) share a row.
#[derive(Debug, Clone, Copy)]
struct Row {
    t_x: f64,
    t: f64,
    weight: f64,
}

/// Rows with the same x: the terms that depend only on x and the parameters (log-gamma and
/// digamma values) are computed once per group per evaluation.
#[derive(Debug, Clone)]
struct Group {
    x: f64,
    rows: std::ops::Range<usize>,
    weight: f64,
}

/// The customers, validated and compacted for fast likelihood evaluations.
#[derive(Debug, Clone)]
struct Compact {
    rows: Vec<Row>,
    groups: Vec<Group>,
    customers: usize,
    repeat_buyers: usize,
    sum_x: f64,
    sum_t: f64,
}

/// Checks one summary for the BG/NBD domain.
fn check(index: usize, s: &CustomerSummary) -> Result<(), FitError> {
    let bad = |reason| Err(FitError::InvalidSummary { index, reason });
    if !(s.frequency.is_finite() && s.recency.is_finite() && s.t.is_finite()) {
        return bad("frequency, recency and T must be finite numbers");
    }
    if s.frequency < 0.0 || s.recency < 0.0 || s.t < 0.0 {
        return bad("frequency, recency and T must not be negative");
    }
    if s.recency > s.t * (1.0 + 1e-12) + 1e-12 {
        return bad("recency is later than T");
    }
    if s.frequency.fract() != 0.0 {
        return bad("frequency must be a whole number of purchase days");
    }
    Ok(())
}

impl Compact {
    fn new(data: &[CustomerSummary]) -> Result<Self, FitError> {
        if data.is_empty() {
            return Err(FitError::NoCustomers);
        }
        let mut keys = Vec::with_capacity(data.len());
        for (i, s) in data.iter().enumerate() {
            check(i, s)?;
            // t_x does not enter the likelihood when x = 0
            let t_x = if s.frequency > 0.0 { s.recency } else { 0.0 };
            keys.push((s.frequency, t_x, s.t));
        }
        keys.sort_unstable_by(|l, r| {
            l.0.total_cmp(&r.0)
                .then(l.1.total_cmp(&r.1))
                .then(l.2.total_cmp(&r.2))
        });
        let mut rows: Vec<Row> = Vec::new();
        let mut groups: Vec<Group> = Vec::new();
        let mut prev: Option<(f64, f64, f64)> = None;
        for &(x, t_x, t) in &keys {
            let new_group = groups.last().is_none_or(|g| g.x != x);
            if new_group {
                groups.push(Group {
                    x,
                    rows: rows.len()..rows.len(),
                    weight: 0.0,
                });
            }
            match (prev, rows.last_mut()) {
                (Some(p), Some(row)) if p == (x, t_x, t) => row.weight += 1.0,
                _ => rows.push(Row {
                    t_x,
                    t,
                    weight: 1.0,
                }),
            }
            if let Some(g) = groups.last_mut() {
                g.rows.end = rows.len();
                g.weight += 1.0;
            }
            prev = Some((x, t_x, t));
        }
        Ok(Self {
            rows,
            groups,
            customers: data.len(),
            repeat_buyers: data.iter().filter(|s| s.frequency > 0.0).count(),
            sum_x: data.iter().map(|s| s.frequency).sum(),
            sum_t: data.iter().map(|s| s.t).sum(),
        })
    }

    /// Σ ln L over the customers, and its gradient with respect to (r, α, a, b) in `grad`.
    ///
    /// Per customer, with A = ln Γ(r+x) − ln Γ(r) + r ln α + ln B(a, b+x) − ln B(a, b),
    /// u₁ = −(r+x) ln(α+T) and u₂ = ln a − ln(b+x−1) − (r+x) ln(α+tₓ) (only when x > 0):
    /// ln L = A + ln(e^u₁ + e^u₂), evaluated as max + ln1p(e^−|u₁−u₂|) so it never overflows;
    /// w = e^u₂/(e^u₁+e^u₂) weights the two terms' derivatives.
    fn eval(&self, p: &BgNbdParams, grad: &mut [f64; 4]) -> f64 {
        let BgNbdParams { r, alpha, a, b } = *p;
        let ln_alpha = alpha.ln();
        let (lg_r, dg_r) = (ln_gamma(r), digamma(r));
        let (lg_b, dg_b) = (ln_gamma(b), digamma(b));
        let (lg_ab, dg_ab) = (ln_gamma(a + b), digamma(a + b));
        let ln_a = a.ln();
        let mut ll = 0.0;
        let (mut gr, mut galpha, mut ga, mut gb) = (0.0, 0.0, 0.0, 0.0);
        for g in &self.groups {
            let x = g.x;
            let rx = r + x;
            let (lg_rx, dg_rx) = (ln_gamma(rx), digamma(rx));
            let (lg_bx, dg_bx) = (ln_gamma(b + x), digamma(b + x));
            let (lg_abx, dg_abx) = (ln_gamma(a + b + x), digamma(a + b + x));
            let common = lg_rx - lg_r + r * ln_alpha + lg_ab + lg_bx - lg_b - lg_abx;
            ll += g.weight * common;
            gr += g.weight * (dg_rx - dg_r + ln_alpha);
            galpha += g.weight * r / alpha;
            ga += g.weight * (dg_ab - dg_abx);
            gb += g.weight * (dg_ab + dg_bx - dg_b - dg_abx);
            let rows = &self.rows[g.rows.clone()];
            if x > 0.0 {
                let bx1 = b + x - 1.0;
                let ln_c = ln_a - bx1.ln();
                let (mut s_ll, mut s_r, mut s_alpha, mut s_w) = (0.0, 0.0, 0.0, 0.0);
                for row in rows {
                    let l1 = (alpha + row.t).ln();
                    let l2 = (alpha + row.t_x).ln();
                    let u1 = -rx * l1;
                    let u2 = ln_c - rx * l2;
                    let d = u2 - u1;
                    let e = (-d.abs()).exp();
                    let (top, w) = if d > 0.0 {
                        (u2, 1.0 / (1.0 + e))
                    } else {
                        (u1, e / (1.0 + e))
                    };
                    s_ll += row.weight * (top + e.ln_1p());
                    s_r -= row.weight * ((1.0 - w) * l1 + w * l2);
                    s_alpha -=
                        row.weight * rx * ((1.0 - w) / (alpha + row.t) + w / (alpha + row.t_x));
                    s_w += row.weight * w;
                }
                ll += s_ll;
                gr += s_r;
                galpha += s_alpha;
                ga += s_w / a;
                gb -= s_w / bx1;
            } else {
                for row in rows {
                    let l1 = (alpha + row.t).ln();
                    ll -= row.weight * rx * l1;
                    gr -= row.weight * l1;
                    galpha -= row.weight * rx / (alpha + row.t);
                }
            }
        }
        *grad = [gr, galpha, ga, gb];
        ll
    }
}

/// Maximum-likelihood BG/NBD fit to the customers' calibration summaries.
///
/// Errors: no customers; invalid summaries; no repeat buyer (with x = 0 for everyone the
/// likelihood grows without bound as r → 0, so there is nothing to estimate); fewer customers
/// than the four parameters; the optimum lies at a boundary of the parameter space
/// ([`FitError::Degenerate`], e.g. b → ∞ when nobody seems to drop out); the optimiser stopped
/// far from a maximum.
pub fn fit(data: &[CustomerSummary]) -> Result<BgNbdFit, FitError> {
    fit_from(data, None)
}

/// [`fit`], starting the optimiser at `start` when it is given: a previous fit to nearly the
/// same customers (yesterday's, in a daily run) lies next to today's maximum, so the optimiser
/// needs a few iterations instead of a few dozen. The answer is the same maximum, to the
/// optimiser's tolerance; when the run from `start` does not converge, the fit starts again
/// from the usual point, so a stale start can cost time but never change the answer's quality.
pub fn fit_from(
    data: &[CustomerSummary],
    start: Option<&BgNbdParams>,
) -> Result<BgNbdFit, FitError> {
    let compact = Compact::new(data)?;
    if compact.repeat_buyers == 0 {
        return Err(FitError::NoRepeatBuyers);
    }
    if compact.customers < NAMES.len() {
        return Err(FitError::TooFewCustomers {
            have: compact.customers,
            need: NAMES.len(),
        });
    }
    let n = compact.customers as f64;
    // Start at r = a = b = 1 with α matching the observed mean repeat rate r/α = Σx / ΣT, so
    // the start is sensible in days and in weeks alike.
    let alpha0 = if compact.sum_t > 0.0 {
        compact.sum_t / compact.sum_x
    } else {
        1.0
    };
    let x0 = [
        0.0,
        alpha0.ln().clamp(-LOG_BOUND / 2.0, LOG_BOUND / 2.0),
        0.0,
        0.0,
    ];
    if let Some(x) = start
        .filter(|p| p.is_valid())
        .map(|p| [p.r.ln(), p.alpha.ln(), p.a.ln(), p.b.ln()])
        .filter(|x| optim::is_interior(x))
    {
        if let Ok(f) = fit_compact(&compact, x, n, true) {
            if f.converged {
                return Ok(f);
            }
        }
    }
    fit_compact(&compact, x0, n, false)
}

/// Runs the optimiser on `compact` from the log-parameters `x0` (`warm`: a previous optimum).
fn fit_compact(compact: &Compact, x0: [f64; 4], n: f64, warm: bool) -> Result<BgNbdFit, FitError> {
    let out = optim::maximise_log_likelihood(
        x0,
        n,
        LOG_BOUND,
        warm,
        |[r, alpha, a, b]| Some(BgNbdParams { r, alpha, a, b }).filter(BgNbdParams::is_valid),
        |p, g| compact.eval(p, g),
    );
    let params = BgNbdParams {
        r: out.x[0].exp(),
        alpha: out.x[1].exp(),
        a: out.x[2].exp(),
        b: out.x[3].exp(),
    };
    let converged = optim::classify(&out, &NAMES, |i| out.x[i].exp())?;
    let log_likelihood = -out.f * n;
    if !params.is_valid() || !log_likelihood.is_finite() {
        return Err(FitError::NotConverged {
            iterations: out.iterations,
        });
    }
    Ok(BgNbdFit {
        params,
        log_likelihood,
        customers: compact.customers,
        converged,
        iterations: out.iterations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(frequency: f64, recency: f64, t: f64) -> CustomerSummary {
        CustomerSummary {
            frequency,
            recency,
            t,
            monetary: 0.0,
        }
    }

    const CDNOW: BgNbdParams = BgNbdParams {
        r: 0.243,
        alpha: 4.414,
        a: 0.793,
        b: 2.426,
    };

    /// ln L of one customer straight from FHL 2005 eq. 6, without the reformulation.
    fn direct_ll(p: &BgNbdParams, x: f64, t_x: f64, t: f64) -> f64 {
        let BgNbdParams { r, alpha, a, b } = *p;
        let lbeta = |u: f64, v: f64| ln_gamma(u) + ln_gamma(v) - ln_gamma(u + v);
        let g = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln();
        let t1 = (lbeta(a, b + x) - lbeta(a, b) + g - (r + x) * (alpha + t).ln()).exp();
        let t2 = if x > 0.0 {
            (lbeta(a + 1.0, b + x - 1.0) - lbeta(a, b) + g - (r + x) * (alpha + t_x).ln()).exp()
        } else {
            0.0
        };
        (t1 + t2).ln()
    }

    #[test]
    fn likelihood_matches_the_paper_formula_and_gradient_matches_differences() {
        let data = [
            s(2.0, 30.43, 38.86),
            s(1.0, 1.71, 38.86),
            s(0.0, 0.0, 38.86),
            s(0.0, 0.0, 38.86),
            s(5.0, 20.0, 31.0),
            s(1.0, 0.5, 32.0),
        ];
        let direct: f64 = data
            .iter()
            .map(|c| direct_ll(&CDNOW, c.frequency, c.recency, c.t))
            .sum();
        assert!((CDNOW.log_likelihood(&data) - direct).abs() < 1e-10);

        let compact = Compact::new(&data).expect("valid");
        let mut g = [0.0; 4];
        compact.eval(&CDNOW, &mut g);
        let base = [CDNOW.r, CDNOW.alpha, CDNOW.a, CDNOW.b];
        for i in 0..4 {
            let h = 1e-6 * base[i];
            let mut up = base;
            let mut down = base;
            up[i] += h;
            down[i] -= h;
            let p = |v: [f64; 4]| BgNbdParams {
                r: v[0],
                alpha: v[1],
                a: v[2],
                b: v[3],
            };
            let numeric = (p(up).log_likelihood(&data) - p(down).log_likelihood(&data)) / (2.0 * h);
            assert!(
                (g[i] - numeric).abs() < 1e-5 * numeric.abs().max(1.0),
                "{}: {} vs {}",
                NAMES[i],
                g[i],
                numeric
            );
        }
    }

    #[test]
    fn expectations_agree_with_the_untransformed_formula() {
        // eq. 10 as printed, with the plain ₂F₁ series
        for &(t, x, t_x, big_t) in &[
            (39.0, 2.0, 30.43, 38.86),
            (10.0, 0.0, 0.0, 20.0),
            (52.0, 7.0, 35.0, 36.0),
            (5.0, 1.0, 0.5, 1.0),
        ] {
            let p = CDNOW;
            let z = t / (p.alpha + big_t + t);
            let f = super::super::special::hyp2f1(p.r + x, p.b + x, p.a + p.b + x - 1.0, z)
                .expect("converges");
            let bracket = (p.a + p.b + x - 1.0) / (p.a - 1.0)
                * (1.0 - ((p.alpha + big_t) / (p.alpha + big_t + t)).powf(p.r + x) * f);
            let expect = bracket * p.p_alive(x, t_x, big_t);
            let got = p.expected_purchases(t, x, t_x, big_t);
            assert!((got - expect).abs() < 1e-10, "{got} vs {expect}");
        }
        // the paper's spot value
        let e = CDNOW.expected_purchases(39.0, 2.0, 30.43, 38.86);
        assert!((e - 1.226).abs() < 0.002, "{e}");
    }

    #[test]
    fn a_equal_to_one_is_the_limit() {
        let at = |a: f64| BgNbdParams { a, ..CDNOW }.expected_purchases(39.0, 3.0, 20.0, 38.0);
        let one = at(1.0);
        assert!(one.is_finite() && one > 0.0);
        assert!((at(1.0 + 1e-7) - one).abs() < 1e-6);
        assert!((at(1.0 - 1e-7) - one).abs() < 1e-6);
        // a + b = 1 with x = 0 (c = 0 in the series) is fine too
        let p = BgNbdParams {
            a: 0.4,
            b: 0.6,
            ..CDNOW
        };
        let v = p.expected_purchases_new(20.0);
        let near = BgNbdParams {
            a: 0.4,
            b: 0.6 + 1e-9,
            ..CDNOW
        }
        .expected_purchases_new(20.0);
        assert!(v.is_finite() && (v - near).abs() < 1e-6);
    }

    #[test]
    fn both_series_agree_and_extreme_parameters_stay_finite() {
        for p in [
            CDNOW,
            BgNbdParams {
                a: 3.0,
                b: 9.0,
                ..CDNOW
            },
            BgNbdParams {
                r: 2.0,
                a: 0.5,
                b: 4.0,
                ..CDNOW
            },
        ] {
            for &(z, x) in &[(0.1, 0.0), (0.47, 2.0), (0.8, 5.0), (0.95, 1.0)] {
                let e = p.bracket_euler(z, x).expect("converges");
                let d = p.bracket_direct(z, x).expect("converges");
                assert!(
                    (e - d).abs() < 1e-10 * d.abs().max(1.0),
                    "{p:?} {z} {x}: {e} vs {d}"
                );
            }
        }
        // fitted parameters seen on tiny bases: a and b run off together, r large, a ≈ 1 with
        // r > b, a + b = 1 with r large
        for p in [
            BgNbdParams {
                r: 0.37,
                alpha: 0.064,
                a: 7.1e6,
                b: 5.1e7,
            },
            BgNbdParams {
                r: 1000.0,
                alpha: 300.0,
                a: 0.8,
                b: 2.4,
            },
            BgNbdParams {
                r: 50.0,
                alpha: 10.0,
                a: 1.0,
                b: 0.5,
            },
            BgNbdParams {
                r: 5.0,
                alpha: 10.0,
                a: 0.4,
                b: 0.6,
            },
        ] {
            let mut prev = 0.0;
            for t in [1.0, 10.0, 52.0, 520.0] {
                for &(x, t_x, big_t) in &[(0.0, 0.0, 20.0), (5.0, 10.0, 15.0), (2.0, 0.0, 0.0)] {
                    let e = p.expected_purchases(t, x, t_x, big_t);
                    assert!(e.is_finite() && e >= 0.0, "{p:?} t = {t}, x = {x}: {e}");
                }
                let e = p.expected_purchases_new(t);
                assert!(e.is_finite() && e >= prev, "{p:?} t = {t}: {e}");
                prev = e;
            }
        }
        // a ≈ 1 on the direct path: continuous across a = 1
        let at = |a: f64| {
            BgNbdParams {
                r: 50.0,
                alpha: 10.0,
                a,
                b: 0.5,
            }
            .expected_purchases_new(10.0)
        };
        assert!((at(1.0) - at(1.0 + 1e-5)).abs() < 1e-4 * at(1.0));
    }

    #[test]
    fn p_alive_and_edge_cases() {
        assert_eq!(CDNOW.p_alive(0.0, 0.0, 38.0), 1.0);
        let recent = CDNOW.p_alive(3.0, 38.0, 38.0);
        let silent = CDNOW.p_alive(3.0, 2.0, 38.0);
        assert!(recent > silent && silent > 0.0 && recent < 1.0);
        // heavy buyer silent for long: 0, not NaN
        let gone = CDNOW.p_alive(2000.0, 1.0, 1000.0);
        assert_eq!(gone, 0.0);
        assert_eq!(CDNOW.expected_purchases(39.0, 2000.0, 1.0, 1000.0), 0.0);
        assert_eq!(CDNOW.expected_purchases(0.0, 1.0, 1.0, 2.0), 0.0);
        assert!(CDNOW.expected_purchases(39.0, 500.0, 38.0, 38.0) > 100.0);
        assert!(CDNOW.expected_purchases(f64::NAN, 1.0, 1.0, 2.0).is_nan());
        let bad = BgNbdParams { r: -1.0, ..CDNOW };
        assert!(bad.p_alive(1.0, 1.0, 2.0).is_nan());
        assert_eq!(bad.log_likelihood(&[s(1.0, 1.0, 2.0)]), f64::NEG_INFINITY);
        // E[X(t)] grows with t and is 0 at 0
        let e1 = CDNOW.expected_purchases_new(10.0);
        let e2 = CDNOW.expected_purchases_new(78.0);
        assert!(0.0 < e1 && e1 < e2);
    }

    #[test]
    fn bad_input_is_an_error_not_nan() {
        assert_eq!(fit(&[]), Err(FitError::NoCustomers));
        assert_eq!(
            fit(&[s(0.0, 0.0, 10.0), s(0.0, 0.0, 12.0), s(0.0, 0.0, 3.0)]),
            Err(FitError::NoRepeatBuyers)
        );
        assert_eq!(
            fit(&[s(1.0, 1.0, 10.0), s(0.0, 0.0, 12.0)]),
            Err(FitError::TooFewCustomers { have: 2, need: 4 })
        );
        assert!(matches!(
            fit(&[s(1.0, 11.0, 10.0), s(0.0, 0.0, 12.0)]),
            Err(FitError::InvalidSummary { index: 0, .. })
        ));
        assert!(matches!(
            fit(&[s(0.0, 0.0, 10.0), s(f64::NAN, 0.0, 12.0)]),
            Err(FitError::InvalidSummary { index: 1, .. })
        ));
        assert!(matches!(
            fit(&[s(0.0, 0.0, -1.0)]),
            Err(FitError::InvalidSummary { index: 0, .. })
        ));
        assert!(matches!(
            fit(&[s(0.5, 1.0, 2.0)]),
            Err(FitError::InvalidSummary { index: 0, .. })
        ));
        // a fractional x is rounded by the expectations, never NaN (b + x − 1 < 0 otherwise)
        let small_b = BgNbdParams { b: 0.2, ..CDNOW };
        assert!(small_b.p_alive(0.4, 1.0, 2.0) == 1.0);
        assert!(small_b.expected_purchases(5.0, 0.6, 1.0, 2.0).is_finite());
    }

    #[test]
    fn tiny_or_uniform_data_is_reported_not_garbage() {
        // everyone bought exactly once more, on their last day: nobody seems to drop out
        let data: Vec<_> = (0..50)
            .map(|i| s(1.0, 10.0 + f64::from(i % 5), 10.0 + f64::from(i % 5)))
            .collect();
        match fit(&data) {
            Err(FitError::Degenerate { .. }) | Err(FitError::NotConverged { .. }) => {}
            Ok(f) => {
                // if it does fit, the answer must be a finite likelihood maximum
                assert!(f.params.is_valid() && f.log_likelihood.is_finite(), "{f:?}");
            }
            Err(e) => panic!("unexpected {e}"),
        }
        // a few one-time buyers and one repeat buyer: still never NaN
        let data = [
            s(0.0, 0.0, 30.0),
            s(0.0, 0.0, 20.0),
            s(0.0, 0.0, 25.0),
            s(1.0, 3.0, 30.0),
        ];
        if let Ok(f) = fit(&data) {
            assert!(f.params.is_valid() && f.log_likelihood.is_finite(), "{f:?}");
        }
    }

    #[test]
    fn recovers_parameters_from_a_simulated_base() {
        // Deterministic simulation from the CDNOW parameters: a quasi-random sequence drives
        // the draws so the test needs no random-number crate.
        let truth = CDNOW;
        let data = simulate(&truth, 4000, 39.0);
        let f = fit(&data).expect("fits");
        assert!(f.converged);
        assert!((f.params.r / truth.r - 1.0).abs() < 0.25, "{f:?}");
        assert!((f.params.alpha / truth.alpha - 1.0).abs() < 0.35, "{f:?}");
        assert!(f.log_likelihood >= truth.log_likelihood(&data) - 1e-6);
    }

    /// splitmix64: a tiny, well-known generator, so the test needs no random-number crate.
    struct Rng(u64);

    impl Rng {
        fn uniform(&mut self) -> f64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        }

        /// Gamma(k, 1) by Marsaglia & Tsang (2000); Gamma(k) = Gamma(k+1)·U^(1/k) for k < 1.
        fn gamma(&mut self, k: f64) -> f64 {
            let shape = if k < 1.0 { k + 1.0 } else { k };
            let d = shape - 1.0 / 3.0;
            let c = 1.0 / (9.0 * d).sqrt();
            let draw = loop {
                let z = (-2.0 * self.uniform().ln()).sqrt()
                    * (std::f64::consts::TAU * self.uniform()).cos();
                let v = (1.0 + c * z).powi(3);
                if v > 0.0 && self.uniform().ln() < 0.5 * z * z + d - d * v + d * v.ln() {
                    break d * v;
                }
            };
            if k < 1.0 {
                draw * self.uniform().powf(1.0 / k)
            } else {
                draw
            }
        }
    }

    /// Simulates BG/NBD customers (all with calibration length `t`) from a fixed seed.
    fn simulate(p: &BgNbdParams, n: usize, t: f64) -> Vec<CustomerSummary> {
        let mut rng = Rng(20_050_401);
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let lambda = rng.gamma(p.r) / p.alpha;
            let (ga, gb) = (rng.gamma(p.a), rng.gamma(p.b));
            let drop = ga / (ga + gb);
            let (mut now, mut x, mut last) = (0.0, 0.0, 0.0);
            while lambda > 0.0 && now <= t {
                now += -rng.uniform().ln() / lambda;
                if now > t {
                    break;
                }
                x += 1.0;
                last = now;
                if rng.uniform() < drop {
                    break;
                }
            }
            out.push(s(x, last, t));
        }
        out
    }
}
