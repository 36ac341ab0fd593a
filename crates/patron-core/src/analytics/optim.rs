//! A small BFGS minimiser with a strong-Wolfe line search (Nocedal & Wright, "Numerical
//! Optimization", 2nd ed., algorithms 6.1, 3.5 and 3.6), for the handful of log-parameters of the
//! customer-base models.
//!
//! Written here rather than taken from `argmin` because the problems are tiny (3–4 parameters,
//! analytic gradients), the whole fit has to run in a few milliseconds, and the models need to
//! know *why* a run stopped (converged, ran out of iterations, stalled, or drifted to a boundary
//! of the parameter space, which for these models means the data do not identify a parameter).

use super::FitError;

/// The log-parameters beyond which a parameter counts as gone to 0 or ∞ (e^±18 ≈ 6.6e7,
/// 1.5e-8): no real customer base has a purchase-rate shape, drop-out or spend parameter there,
/// so it means the data do not identify the model.
pub(crate) const LOG_BOUND: f64 = 18.0;

/// An unconverged run whose log-parameters went beyond this (e^±12 ≈ 1.6e5, 6e-6) is creeping
/// along a ridge towards a boundary (e.g. BG/NBD a, b → ∞ together when everyone drops out
/// with the same probability), not approaching an interior maximum.
pub(crate) const DRIFT_BOUND: f64 = 12.0;

/// An unconverged run whose largest gradient component (of the mean log-likelihood, in
/// log-parameters) is below this is accepted as an approximate optimum (`converged: false`).
pub(crate) const APPROXIMATE_GTOL: f64 = 1e-5;

/// Whether log-parameters `x` lie well inside the box where fits are accepted (a start from a
/// previous fit must not begin on a ridge towards a boundary).
pub(crate) fn is_interior(x: &[f64]) -> bool {
    x.iter().all(|v| v.is_finite() && v.abs() < DRIFT_BOUND)
}

/// Why the minimiser stopped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Stop {
    /// The largest gradient component fell below the tolerance.
    Converged,
    /// The iteration limit was reached first.
    MaxIterations,
    /// The line search could not decrease the objective any further (floating-point limit or a
    /// badly scaled problem) while the gradient was still above the tolerance.
    Stalled,
    /// Coordinate `i` left the box |x| ≤ `Options::bound`: the optimum is at a boundary
    /// (a parameter → 0 or → ∞).
    Diverged(usize),
    /// The objective is not finite at the starting point.
    BadStart,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Options {
    /// Convergence when max |∂f/∂xᵢ| ≤ `gtol`.
    pub gtol: f64,
    pub max_iterations: u32,
    /// The largest change of any coordinate in one step (the parameters are logarithms, so 3
    /// is a factor of 20).
    pub max_step: f64,
    /// |xᵢ| beyond this means divergence (e^±25 ≈ 7e10, 1e-11).
    pub bound: f64,
    /// `x0` lies next to the minimum (a previous fit to nearly the same data): start from the
    /// inverse of a finite-difference Hessian instead of the identity. Near the minimum the
    /// gradient is tiny, so BFGS's first steps learn the curvature of these ill-conditioned
    /// likelihoods slowly from noisy gradient differences (a warm Gamma-Gamma fit once took 49
    /// iterations where a cold one took 20); N more evaluations give it at once.
    pub warm: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            gtol: 1e-9,
            max_iterations: 500,
            max_step: 3.0,
            bound: 25.0,
            warm: false,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Outcome<const N: usize> {
    pub x: [f64; N],
    pub f: f64,
    /// max |∂f/∂xᵢ| at `x`
    pub grad_max: f64,
    pub iterations: u32,
    pub stop: Stop,
}

fn dot<const N: usize>(a: &[f64; N], b: &[f64; N]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn max_abs<const N: usize>(a: &[f64; N]) -> f64 {
    a.iter().fold(0.0_f64, |m, v| m.max(v.abs()))
}

fn axpy<const N: usize>(x: &[f64; N], t: f64, d: &[f64; N]) -> [f64; N] {
    let mut out = *x;
    for (o, di) in out.iter_mut().zip(d) {
        *o += t * di;
    }
    out
}

fn identity<const N: usize>() -> [[f64; N]; N] {
    let mut h = [[0.0; N]; N];
    for (i, row) in h.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    h
}

/// One evaluated trial point of a line search.
#[derive(Clone, Copy)]
struct Point<const N: usize> {
    t: f64,
    f: f64,
    /// directional derivative ∇f·d
    slope: f64,
    g: [f64; N],
}

const C1: f64 = 1e-4;
const C2: f64 = 0.9;
/// Relative rounding noise assumed in f (a sum of thousands of logarithms).
const NOISE: f64 = 1e-13;

/// Minimiser of the cubic through (a, fa, da) and (b, fb, db), kept inside the middle 80 % of
/// the interval; bisection when the cubic has no usable minimum or a value is not finite.
fn interpolate<const N: usize>(lo: &Point<N>, hi: &Point<N>) -> f64 {
    let (a, b) = (lo.t, hi.t);
    let width = b - a;
    let mid = a + 0.5 * width;
    if !(lo.f.is_finite() && hi.f.is_finite() && lo.slope.is_finite() && hi.slope.is_finite()) {
        return mid;
    }
    let d1 = lo.slope + hi.slope - 3.0 * (lo.f - hi.f) / (a - b);
    let disc = d1 * d1 - lo.slope * hi.slope;
    if disc < 0.0 {
        return mid;
    }
    let d2 = width.signum() * disc.sqrt();
    let t = b - width * (hi.slope + d2 - d1) / (hi.slope - lo.slope + 2.0 * d2);
    let (low, high) = if a < b {
        (a + 0.1 * width, b - 0.1 * width)
    } else {
        (b - 0.1 * width, a + 0.1 * width)
    };
    if t.is_finite() {
        t.clamp(low.min(high), low.max(high))
    } else {
        mid
    }
}

/// Finds a step length t along `d` satisfying the strong Wolfe conditions, or the best point
/// with sufficient decrease found; `None` when no decrease at all was found.
fn line_search<const N: usize>(
    eval: &mut impl FnMut(&[f64; N], &mut [f64; N]) -> f64,
    x: &[f64; N],
    f0: f64,
    slope0: f64,
    d: &[f64; N],
    t0: f64,
) -> Option<Point<N>> {
    let mut probe = |t: f64| -> Point<N> {
        let mut g = [0.0; N];
        let f = eval(&axpy(x, t, d), &mut g);
        let f = if f.is_finite() { f } else { f64::INFINITY };
        let slope = if f.is_finite() { dot(&g, d) } else { f64::NAN };
        Point { t, f, slope, g }
    };
    // Near the optimum the decrease of f along a step (~ gradient²) falls below the rounding
    // noise of f itself, and comparisons of f values become coin flips. Within that noise the
    // search trusts the directional derivative instead — Hager & Zhang's "approximate Wolfe"
    // conditions — which lets the gradient tolerance be met although f no longer resolves it.
    let noise = NOISE * f0.abs().max(1.0);
    let armijo = |p: &Point<N>| {
        p.f <= f0 + C1 * p.t * slope0
            || (p.f <= f0 + noise && p.slope <= -(1.0 - 2.0 * C1) * slope0)
    };
    let curvature = |p: &Point<N>| p.slope.abs() <= -C2 * slope0;
    // p is no better than q: clearly higher, or level within noise and already climbing
    let not_lower = move |p: &Point<N>, q: &Point<N>| {
        p.f > q.f + noise || (p.f >= q.f - noise && p.slope >= 0.0)
    };

    let zoom = |probe: &mut dyn FnMut(f64) -> Point<N>,
                mut lo: Point<N>,
                mut hi: Point<N>|
     -> Option<Point<N>> {
        for _ in 0..40 {
            let t = interpolate(&lo, &hi);
            let p = probe(t);
            if !armijo(&p) || not_lower(&p, &lo) {
                hi = p;
            } else {
                if curvature(&p) {
                    return Some(p);
                }
                if p.slope * (hi.t - lo.t) >= 0.0 {
                    hi = lo;
                }
                lo = p;
            }
            if (hi.t - lo.t).abs() <= 1e-14 * lo.t.abs().max(1e-300) {
                break;
            }
        }
        // lo always satisfies (approximate) sufficient decrease; t = 0 means no progress.
        (lo.t > 0.0).then_some(lo)
    };

    let start = Point {
        t: 0.0,
        f: f0,
        slope: slope0,
        g: [0.0; N],
    };
    let mut prev = start;
    let mut t = t0;
    for i in 0..30 {
        let p = probe(t);
        if !armijo(&p) || (i > 0 && not_lower(&p, &prev)) {
            return zoom(&mut probe, prev, p);
        }
        if curvature(&p) {
            return Some(p);
        }
        if p.slope >= 0.0 {
            return zoom(&mut probe, p, prev);
        }
        prev = p;
        t *= 2.0;
    }
    (prev.t > 0.0).then_some(prev)
}

/// Minimises `eval` (which returns f and writes ∇f; non-finite f means "outside the domain")
/// from `x0` by BFGS.
pub(crate) fn minimise<const N: usize>(
    mut eval: impl FnMut(&[f64; N], &mut [f64; N]) -> f64,
    x0: [f64; N],
    opts: Options,
) -> Outcome<N> {
    let mut x = x0;
    let mut g = [0.0; N];
    let mut f = eval(&x, &mut g);
    if !f.is_finite() || g.iter().any(|v| !v.is_finite()) {
        return Outcome {
            x,
            f,
            grad_max: f64::INFINITY,
            iterations: 0,
            stop: Stop::BadStart,
        };
    }
    // Inverse Hessian approximation; scaled after the first step (N&W eq. 6.20), unless a warm
    // start measured it.
    let mut h = identity::<N>();
    let mut scaled = false;
    if opts.warm && max_abs(&g) > opts.gtol {
        if let Some(inv) = inverse_hessian(&mut eval, &x, &g) {
            h = inv;
            scaled = true;
        }
    }
    let mut iterations = 0;
    loop {
        let grad_max = max_abs(&g);
        let outcome = |x, f, stop, iterations| Outcome {
            x,
            f,
            grad_max,
            iterations,
            stop,
        };
        if grad_max <= opts.gtol {
            return outcome(x, f, Stop::Converged, iterations);
        }
        if iterations >= opts.max_iterations {
            return outcome(x, f, Stop::MaxIterations, iterations);
        }
        iterations += 1;

        let mut d = [0.0; N];
        for (di, row) in d.iter_mut().zip(&h) {
            *di = -dot(row, &g);
        }
        let mut slope = dot(&g, &d);
        if slope >= 0.0 || slope.is_nan() {
            // not a descent direction: forget the curvature information
            h = identity();
            scaled = false;
            d = g.map(|v| -v);
            slope = dot(&g, &d);
        }
        let biggest = max_abs(&d);
        let t0 = if biggest > opts.max_step {
            opts.max_step / biggest
        } else {
            1.0
        };
        let step = match line_search(&mut eval, &x, f, slope, &d, t0) {
            Some(p) => p,
            None if scaled => {
                // retry once along the steepest descent before giving up
                h = identity();
                scaled = false;
                iterations -= 1;
                continue;
            }
            None => return outcome(x, f, Stop::Stalled, iterations),
        };

        let s = d.map(|v| v * step.t);
        let mut y = step.g;
        for (yi, gi) in y.iter_mut().zip(&g) {
            *yi -= gi;
        }
        let sy = dot(&s, &y);
        let yy = dot(&y, &y);
        if sy > 1e-12 * dot(&s, &s).sqrt() * yy.sqrt() && sy.is_finite() {
            if !scaled {
                let gamma = sy / yy;
                h = identity();
                for (i, row) in h.iter_mut().enumerate() {
                    row[i] = gamma;
                }
                scaled = true;
            }
            // H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ
            let rho = 1.0 / sy;
            let mut hy = [0.0; N];
            for (v, row) in hy.iter_mut().zip(&h) {
                *v = dot(row, &y);
            }
            let yhy = dot(&y, &hy);
            for i in 0..N {
                for j in 0..N {
                    h[i][j] += -rho * (s[i] * hy[j] + hy[i] * s[j])
                        + (rho * rho * yhy + rho) * s[i] * s[j];
                }
            }
        }
        x = axpy(&x, step.t, &d);
        f = step.f;
        g = step.g;
        if let Some(i) = x.iter().position(|v| v.abs() > opts.bound) {
            return Outcome {
                x,
                f,
                grad_max: max_abs(&g),
                iterations,
                stop: Stop::Diverged(i),
            };
        }
    }
}

/// The inverse of the Hessian at `x` (gradient `g`) from forward differences of the gradient;
/// `None` unless it is finite and positive definite (then the identity start is the safer one).
// Matrix algebra on N ≤ 4: indices read like the formulas.
#[allow(clippy::needless_range_loop)]
fn inverse_hessian<const N: usize>(
    eval: &mut impl FnMut(&[f64; N], &mut [f64; N]) -> f64,
    x: &[f64; N],
    g: &[f64; N],
) -> Option<[[f64; N]; N]> {
    /// Step in log-parameters: large against the gradient's rounding, small against the
    /// curvature's change.
    const DELTA: f64 = 1e-5;
    let mut hess = [[0.0; N]; N];
    for j in 0..N {
        let mut xj = *x;
        xj[j] += DELTA;
        let mut gj = [0.0; N];
        if !eval(&xj, &mut gj).is_finite() {
            return None;
        }
        for i in 0..N {
            hess[i][j] = (gj[i] - g[i]) / DELTA;
        }
    }
    for i in 0..N {
        for j in 0..i {
            let m = 0.5 * (hess[i][j] + hess[j][i]);
            hess[i][j] = m;
            hess[j][i] = m;
        }
    }
    // Cholesky H = L Lᵀ: fails unless positive definite.
    let mut l = [[0.0; N]; N];
    for i in 0..N {
        for j in 0..=i {
            let mut sum = hess[i][j];
            for k in 0..j {
                sum -= l[i][k] * l[j][k];
            }
            if i == j {
                if !(sum > 0.0 && sum.is_finite()) {
                    return None;
                }
                l[i][i] = sum.sqrt();
            } else {
                l[i][j] = sum / l[j][j];
            }
        }
    }
    // H⁻¹ column by column: solve L z = eₖ, then Lᵀ y = z.
    let mut inv = [[0.0; N]; N];
    for k in 0..N {
        let mut z = [0.0; N];
        for i in 0..N {
            let mut sum = if i == k { 1.0 } else { 0.0 };
            for m in 0..i {
                sum -= l[i][m] * z[m];
            }
            z[i] = sum / l[i][i];
        }
        for i in (0..N).rev() {
            let mut sum = z[i];
            for m in i + 1..N {
                sum -= l[m][i] * inv[m][k];
            }
            inv[i][k] = sum / l[i][i];
        }
    }
    inv.iter().flatten().all(|v| v.is_finite()).then_some(inv)
}

/// Maximises a mean log-likelihood over positive parameters by minimising its negative in
/// log-parameter space (both models fit this way). `params` builds the model's parameters from
/// their natural values (`None`: outside the model's domain, an infinite objective there);
/// `eval` returns the summed log-likelihood of the `n` customers and fills its gradient with
/// respect to the natural parameters, which the chain rule turns into the log-space gradient.
/// `warm`: `x0` is a previous fit's optimum (see [`Options::warm`]).
pub(crate) fn maximise_log_likelihood<const N: usize, P>(
    x0: [f64; N],
    n: f64,
    bound: f64,
    warm: bool,
    params: impl Fn([f64; N]) -> Option<P>,
    eval: impl Fn(&P, &mut [f64; N]) -> f64,
) -> Outcome<N> {
    let objective = |lx: &[f64; N], g: &mut [f64; N]| -> f64 {
        let natural = lx.map(f64::exp);
        let Some(p) = params(natural) else {
            return f64::INFINITY;
        };
        let mut gn = [0.0; N];
        let ll = eval(&p, &mut gn);
        for i in 0..N {
            g[i] = -gn[i] * natural[i] / n;
        }
        -ll / n
    };
    minimise(
        objective,
        x0,
        Options {
            bound,
            warm,
            ..Options::default()
        },
    )
}

/// Turns a minimisation of a model's negative log-likelihood into the fit's `converged` flag
/// or the reason there is no fit. `value(i)` is parameter i in the caller's units (for the
/// error message).
pub(crate) fn classify<const N: usize>(
    out: &Outcome<N>,
    names: &[&'static str; N],
    value: impl Fn(usize) -> f64,
) -> Result<bool, FitError> {
    let degenerate = |i: usize| FitError::Degenerate {
        parameter: names[i],
        value: value(i),
    };
    let converged = match out.stop {
        Stop::BadStart => return Err(FitError::NotConverged { iterations: 0 }),
        Stop::Diverged(i) => return Err(degenerate(i)),
        Stop::Converged => true,
        Stop::MaxIterations | Stop::Stalled => false,
    };
    let bound = if converged { LOG_BOUND } else { DRIFT_BOUND };
    if let Some(i) = out.x.iter().position(|v| v.abs() > bound) {
        return Err(degenerate(i));
    }
    if !converged && (out.grad_max > APPROXIMATE_GTOL || out.grad_max.is_nan()) {
        return Err(FitError::NotConverged {
            iterations: out.iterations,
        });
    }
    Ok(converged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rosenbrock() {
        let out = minimise(
            |x: &[f64; 2], g: &mut [f64; 2]| {
                let (a, b) = (1.0 - x[0], x[1] - x[0] * x[0]);
                g[0] = -2.0 * a - 400.0 * x[0] * b;
                g[1] = 200.0 * b;
                a * a + 100.0 * b * b
            },
            [-1.2, 1.0],
            Options {
                gtol: 1e-10,
                bound: 1e3,
                ..Options::default()
            },
        );
        assert_eq!(out.stop, Stop::Converged, "{out:?}");
        assert!((out.x[0] - 1.0).abs() < 1e-8 && (out.x[1] - 1.0).abs() < 1e-8);
        assert!(out.iterations < 100);
    }

    #[test]
    fn reports_divergence_and_bad_start() {
        // f = e^{-x/10}: decreasing forever, the minimiser must leave the box and say so
        let out = minimise(
            |x: &[f64; 1], g: &mut [f64; 1]| {
                g[0] = -0.1 * (-0.1 * x[0]).exp();
                (-0.1 * x[0]).exp()
            },
            [0.0],
            Options::default(),
        );
        assert!(
            matches!(out.stop, Stop::Diverged(0) | Stop::Stalled),
            "{out:?}"
        );
        let out = minimise(
            |_: &[f64; 1], g: &mut [f64; 1]| {
                g[0] = 0.0;
                f64::NAN
            },
            [0.0],
            Options::default(),
        );
        assert_eq!(out.stop, Stop::BadStart);
    }
}
