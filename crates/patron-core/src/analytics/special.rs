//! Special functions the customer-base models need: log-gamma, digamma and the Gaussian
//! hypergeometric function ₂F₁.
//!
//! They are written here rather than taken from a crate because the maintained statistics crate
//! (`statrs` 0.19) needs a newer Rust than the workspace's `rust-version`, and because the models
//! call them in their inner loops: the versions below are short, branch-light and tested against
//! closed forms.

/// ½·ln(2π), the constant of Stirling's series.
const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;

/// Below this argument the recurrences shift the argument up before the asymptotic series is
/// used; at 10 the omitted terms of both series are below 1e-16.
const ASYMPTOTIC_FROM: f64 = 10.0;

/// ln Γ(x) for x > 0 (NaN for x ≤ 0 or NaN; +∞ for x = +∞).
///
/// Method: Γ(x) = Γ(x+n) / (x(x+1)…(x+n−1)) moves the argument to x+n ≥ 10, where Stirling's
/// series ln Γ(z) = (z−½)ln z − z + ½ln 2π + Σ B₂ₖ / (2k(2k−1) z²ᵏ⁻¹) is summed to k = 7.
/// Absolute error about 1e-15 (relative error near the zeros at 1 and 2 is larger, which does not
/// matter for log-likelihood sums).
pub fn ln_gamma(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NAN;
    }
    if x.is_infinite() {
        return f64::INFINITY;
    }
    let mut z = x;
    let mut product = 1.0;
    while z < ASYMPTOTIC_FROM {
        product *= z;
        z += 1.0;
    }
    let inv = 1.0 / z;
    let inv2 = inv * inv;
    // B₂ₖ/(2k(2k−1)) for k = 1..7, in Horner form in 1/z².
    let series = inv
        * (1.0 / 12.0
            + inv2
                * (-1.0 / 360.0
                    + inv2
                        * (1.0 / 1260.0
                            + inv2
                                * (-1.0 / 1680.0
                                    + inv2
                                        * (1.0 / 1188.0
                                            + inv2
                                                * (-691.0 / 360_360.0 + inv2 * (1.0 / 156.0)))))));
    (z - 0.5) * z.ln() - z + HALF_LN_2PI + series - product.ln()
}

/// ψ(x) = d/dx ln Γ(x) for x > 0 (NaN for x ≤ 0 or NaN).
///
/// Method: ψ(x) = ψ(x+1) − 1/x moves the argument to ≥ 10, then the asymptotic series
/// ψ(z) = ln z − 1/(2z) − Σ B₂ₖ / (2k z²ᵏ) is summed to k = 7. Absolute error about 1e-15.
pub fn digamma(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NAN;
    }
    if x.is_infinite() {
        return f64::INFINITY;
    }
    let mut z = x;
    let mut shift = 0.0;
    while z < ASYMPTOTIC_FROM {
        shift += 1.0 / z;
        z += 1.0;
    }
    let inv2 = 1.0 / (z * z);
    let series = inv2
        * (1.0 / 12.0
            + inv2
                * (-1.0 / 120.0
                    + inv2
                        * (1.0 / 252.0
                            + inv2
                                * (-1.0 / 240.0
                                    + inv2
                                        * (1.0 / 132.0
                                            + inv2 * (-691.0 / 32_760.0 + inv2 * (1.0 / 12.0)))))));
    z.ln() - 0.5 / z - series - shift
}

/// The most terms a hypergeometric series may take before it is declared not convergent. The
/// terms shrink roughly like zⁿ, so this reaches 1e-16 for z up to about 1 − 4e-5; a term costs a
/// few nanoseconds, so even the limit is a few milliseconds.
const MAX_TERMS: u32 = 1_000_000;

/// Relative accuracy at which a series is stopped (on the estimated remaining tail).
const SERIES_TOL: f64 = 1e-16;

/// Partial sums beyond this are rescaled by [`RESCALE`] (powers of two, so exactly).
const RESCALE_ABOVE: f64 = 5.260_135_901_548_374e210; // 2^700
const RESCALE: f64 = 1.901_091_566_295_16e-211; // 2^-700
/// ln 2^700
pub(crate) const LN_RESCALE: f64 = 485.203_026_391_961_7;

/// Sums Σ_{n ≥ n0} tₙ with t_{n0} = `first` and t_{n+1}/tₙ = (a+n)(b+n) z / ((c+n)(n+1)),
/// returned as (s, k) with the sum = s · 2^(700k), so that a series whose sum is beyond the
/// floating-point range (and is to be multiplied by a tiny prefactor) can still be summed.
///
/// Stops when the estimated tail |tₙ|·q/(1−q), with q the larger of the next ratio's magnitude
/// and |z| (the ratios tend to z), is below [`SERIES_TOL`] times Σ|tₙ| — measured against the
/// sum of magnitudes so that a sum that cancels to near zero still terminates. A term that is
/// exactly zero (a or b a non-positive integer) ends a terminating polynomial. `None` when the
/// series does not settle within [`MAX_TERMS`] terms or a value is not a number.
pub(crate) fn hypergeometric_tail_scaled(
    first: f64,
    n0: u32,
    a: f64,
    b: f64,
    c: f64,
    z: f64,
) -> Option<(f64, i32)> {
    let mut term = first;
    let mut sum = first;
    let mut abs_sum = first.abs();
    let mut scale = 0_i32;
    let zabs = z.abs();
    let mut n = n0;
    while n < n0.saturating_add(MAX_TERMS) {
        if term == 0.0 {
            return Some((sum, scale));
        }
        let nf = f64::from(n);
        let ratio = (a + nf) * (b + nf) * z / ((c + nf) * (nf + 1.0));
        let q = ratio.abs().max(zabs);
        if q < 1.0 && term.abs() * q / (1.0 - q) <= SERIES_TOL * abs_sum {
            return Some((sum, scale));
        }
        term *= ratio;
        sum += term;
        abs_sum += term.abs();
        if abs_sum > RESCALE_ABOVE {
            term *= RESCALE;
            sum *= RESCALE;
            abs_sum *= RESCALE;
            scale += 1;
        }
        if !(sum.is_finite() && abs_sum.is_finite() && term.is_finite()) {
            return None;
        }
        n += 1;
    }
    None
}

/// [`hypergeometric_tail_scaled`] for sums within the floating-point range (`None` beyond it).
pub(crate) fn hypergeometric_tail(
    first: f64,
    n0: u32,
    a: f64,
    b: f64,
    c: f64,
    z: f64,
) -> Option<f64> {
    match hypergeometric_tail_scaled(first, n0, a, b, c, z)? {
        (sum, 0) => Some(sum),
        _ => None,
    }
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// The Gaussian hypergeometric function ₂F₁(a, b; c; z) = Σₙ (a)ₙ(b)ₙ / ((c)ₙ n!) zⁿ.
///
/// Domain: finite a, b, c with c not 0, −1, −2, …, and z < 1. Relative accuracy is about
/// 1e-16 per term that matters, i.e. ~1e-16/(1−z) for well-conditioned parameters. For −½ ≤ z < 1 the series is
/// summed directly (it converges for |z| < 1; close to 1 it needs ~37/(1−z) terms, so z within
/// about 4e-5 of 1 gives `None`). For z < −½ Pfaff's transformation
/// ₂F₁(a, b; c; z) = (1−z)^(−a) ₂F₁(a, c−b; c; z/(z−1)) maps the argument into (⅓, 1).
/// `None` outside the domain or when the series does not converge (never NaN).
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Option<f64> {
    if !(a.is_finite() && b.is_finite() && c.is_finite() && z.is_finite()) || z >= 1.0 {
        return None;
    }
    if c <= 0.0 && c == c.floor() {
        return None;
    }
    if z < -0.5 {
        let w = z / (z - 1.0);
        let s = hypergeometric_tail(1.0, 0, a, c - b, c, w)?;
        return finite((1.0 - z).powf(-a) * s);
    }
    hypergeometric_tail(1.0, 0, a, b, c, z).and_then(finite)
}

/// (₂F₁(a, b; c; z) − 1) / b, continued analytically to b = 0:
/// Σ_{n ≥ 1} (a)ₙ (b+1)ₙ₋₁ / ((c)ₙ n!) zⁿ.
///
/// The BG/NBD expectations need ₂F₁ with b = a_BG − 1 divided by a_BG − 1; summing the quotient
/// directly keeps them exact when the fitted a is (close to) 1, where the textbook formula is
/// 0/0. Domain: finite a, b, c with c not a non-positive integer, and |z| < 1 (same convergence
/// as [`hyp2f1`]). `None` outside it.
pub fn hyp2f1_minus_one_over_b(a: f64, b: f64, c: f64, z: f64) -> Option<f64> {
    if !(a.is_finite() && b.is_finite() && c.is_finite() && z.is_finite()) || z.abs() >= 1.0 {
        return None;
    }
    if c <= 0.0 && c == c.floor() {
        return None;
    }
    hypergeometric_tail(a * z / c, 1, a, b, c, z).and_then(finite)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1.0)
    }

    #[test]
    fn ln_gamma_known_values() {
        // Γ(n) = (n−1)!
        let mut fact = 1.0_f64;
        for n in 1..30 {
            assert!(close(ln_gamma(f64::from(n)), fact.ln(), 1e-14), "n = {n}");
            fact *= f64::from(n);
        }
        // Γ(½) = √π
        assert!(close(ln_gamma(0.5), 0.5 * std::f64::consts::PI.ln(), 1e-14));
        // Γ(x+1) = xΓ(x) at small arguments (the fitted r and a are often below 1)
        for &x in &[1e-8, 1e-3, 0.243, 0.793, 2.426, 4.414, 17.5] {
            assert!(
                close(ln_gamma(x + 1.0), ln_gamma(x) + f64::ln(x), 1e-13),
                "x = {x}"
            );
        }
        assert!(close(
            ln_gamma(1e-10),
            -(1e-10_f64).ln() - 0.577_215_664_9e-10,
            1e-14
        ));
        assert!(close(ln_gamma(100.0), 359.134_205_369_575_4, 1e-14));
        assert!(ln_gamma(0.0).is_nan());
        assert!(ln_gamma(-1.5).is_nan());
        assert!(ln_gamma(f64::NAN).is_nan());
    }

    #[test]
    fn digamma_known_values() {
        let euler = 0.577_215_664_901_532_9;
        assert!(close(digamma(1.0), -euler, 1e-14));
        assert!(close(
            digamma(0.5),
            -euler - 2.0 * std::f64::consts::LN_2,
            1e-14
        ));
        // ψ(n) = H_{n−1} − γ
        let mut h = 0.0;
        for n in 1..40 {
            assert!(close(digamma(f64::from(n)), h - euler, 1e-14), "n = {n}");
            h += 1.0 / f64::from(n);
        }
        // derivative of ln_gamma by central differences
        for &x in &[0.05_f64, 0.243, 1.7, 9.99, 10.01, 55.0] {
            let h = 1e-5 * x.max(1.0);
            let numeric = (ln_gamma(x + h) - ln_gamma(x - h)) / (2.0 * h);
            assert!(close(digamma(x), numeric, 1e-7), "x = {x}");
        }
        assert!(digamma(0.0).is_nan());
    }

    #[test]
    fn hyp2f1_closed_forms() {
        for &z in &[-0.99_f64, -0.7, -0.3, 1e-9, 0.1, 0.47, 0.9, 0.99, 0.9999] {
            // rounding accumulates over the ~1/(1−z) terms that matter
            let tol = 1e-15 / (1.0 - z.max(0.0)) + 1e-14;
            // ₂F₁(1,1;2;z) = −ln(1−z)/z
            let f = hyp2f1(1.0, 1.0, 2.0, z).expect("converges");
            assert!(close(f, -(-z).ln_1p() / z, tol), "z = {z}: {f}");
            // ₂F₁(a,b;b;z) = (1−z)^(−a)
            let f = hyp2f1(0.7, 2.3, 2.3, z).expect("converges");
            assert!(close(f, (1.0 - z).powf(-0.7), tol), "z = {z}: {f}");
        }
        // ₂F₁(½,½;3/2;z²) = arcsin(z)/z
        for &z in &[0.1_f64, 0.5, 0.9, 0.99] {
            let f = hyp2f1(0.5, 0.5, 1.5, z * z).expect("converges");
            assert!(close(f, z.asin() / z, 1e-13), "z = {z}");
        }
        // Pfaff branch, beyond the unit disc: ₂F₁(1,1;2;z) = ln(1−z)/(−z)
        for &z in &[-2.0_f64, -10.0, -1000.0] {
            let f = hyp2f1(1.0, 1.0, 2.0, z).expect("converges");
            assert!(close(f, -(-z).ln_1p() / z, 1e-13), "z = {z}");
        }
        // constants of the rescaling are exact powers of two
        assert_eq!(RESCALE_ABOVE, 2f64.powi(700));
        assert_eq!(RESCALE, 2f64.powi(-700));
        assert!((LN_RESCALE - 700.0 * std::f64::consts::LN_2).abs() < 1e-12);
        // a sum beyond the float range, rescaled: Σ zⁿ (a)ₙ/n! = (1−z)^(−a) with a = 2000
        let (s, k) = hypergeometric_tail_scaled(1.0, 0, 2000.0, 1.0, 1.0, 0.5).expect("converges");
        let ln = s.ln() + f64::from(k) * LN_RESCALE;
        assert!(k > 0 && (ln - 2000.0 * 2f64.ln()).abs() < 1e-9, "{s} {k}");
        // terminating: ₂F₁(−2, b; c; z) = 1 − 2bz/c + b(b+1)z²/(c(c+1))
        let (b, c, z) = (1.5, 2.5, 0.3);
        let expect = 1.0 - 2.0 * b * z / c + b * (b + 1.0) * z * z / (c * (c + 1.0));
        assert!(close(
            hyp2f1(-2.0, b, c, z).expect("polynomial"),
            expect,
            1e-15
        ));
        // Gauss's sum approached from below: ₂F₁(a,b;c;1) = Γ(c)Γ(c−a−b)/(Γ(c−a)Γ(c−b))
        let (a, b, c) = (0.3, 0.4, 2.5);
        let gauss = (ln_gamma(c) + ln_gamma(c - a - b) - ln_gamma(c - a) - ln_gamma(c - b)).exp();
        let near = hyp2f1(a, b, c, 1.0 - 1e-4).expect("converges");
        assert!((near - gauss).abs() < 1e-3, "{near} vs {gauss}");
    }

    #[test]
    fn hyp2f1_domain() {
        assert_eq!(hyp2f1(1.0, 1.0, 2.0, 1.0), None);
        assert_eq!(hyp2f1(1.0, 1.0, 2.0, 1.5), None);
        assert_eq!(hyp2f1(1.0, 1.0, -2.0, 0.5), None);
        assert_eq!(hyp2f1(f64::NAN, 1.0, 2.0, 0.5), None);
        assert_eq!(hyp2f1(1.0, 1.0, 2.0, f64::NEG_INFINITY), None);
        // too close to 1 for the series: reported, not a wrong number
        assert_eq!(hyp2f1(1.0, 1.0, 2.0, 1.0 - 1e-9), None);
        assert_eq!(hyp2f1_minus_one_over_b(1.0, 1.0, 2.0, 1.0), None);
    }

    #[test]
    fn hyp2f1_minus_one_over_b_matches_and_continues() {
        for &(a, b, c, z) in &[
            (1.2, 0.7, 3.1, 0.4),
            (0.5, -0.2, 2.2, 0.9),
            (3.0, 2.0, 1.5, -0.6),
            (0.45, 1e-3, 2.7, 0.47),
        ] {
            let direct = (hyp2f1(a, b, c, z).expect("converges") - 1.0) / b;
            let g = hyp2f1_minus_one_over_b(a, b, c, z).expect("converges");
            assert!(close(g, direct, 1e-11), "{a} {b} {c} {z}: {g} vs {direct}");
        }
        // at b = 0 with a = c it is Σ zⁿ/n = −ln(1−z)
        for &z in &[0.2_f64, 0.8, 0.999] {
            let g = hyp2f1_minus_one_over_b(1.7, 0.0, 1.7, z).expect("converges");
            assert!(close(g, -(-z).ln_1p(), 1e-13), "z = {z}");
        }
    }
}
