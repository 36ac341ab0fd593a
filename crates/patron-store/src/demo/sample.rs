//! Small, portable random helpers for the demo generator.
//!
//! They are written here rather than taken from a distribution crate so the exact stream of
//! numbers — and therefore the demo data of a given seed — is fixed by this file alone and does
//! not change when a dependency is upgraded. Integer draws always use fixed-width types (never
//! `usize`), because `rand` samples `usize` differently on 32- and 64-bit targets.

use rand::Rng;

/// A uniform draw in `0..n` (`n > 0`), as `usize` for indexing.
pub(crate) fn below<R: Rng + ?Sized>(rng: &mut R, n: usize) -> usize {
    debug_assert!(n > 0);
    rng.gen_range(0..n as u32) as usize
}

/// A uniform integer in `lo..=hi`.
pub(crate) fn between<R: Rng + ?Sized>(rng: &mut R, lo: u32, hi: u32) -> u32 {
    rng.gen_range(lo..=hi)
}

/// True with probability `p`.
pub(crate) fn chance<R: Rng + ?Sized>(rng: &mut R, p: f64) -> bool {
    rng.gen::<f64>() < p
}

/// A uniform pick from a non-empty slice.
pub(crate) fn pick<'a, T, R: Rng + ?Sized>(rng: &mut R, items: &'a [T]) -> &'a T {
    &items[below(rng, items.len())]
}

/// Picks an index with probability proportional to `weights` (not all zero). A linear scan:
/// every table here has a few dozen entries at most, so this beats building alias tables.
pub(crate) fn weighted<R: Rng + ?Sized>(rng: &mut R, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut x = rng.gen_range(0..total.max(1));
    for (i, &w) in weights.iter().enumerate() {
        if x < w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

/// Picks from `(item, weight)` pairs.
pub(crate) fn weighted_pick<'a, T, R: Rng + ?Sized>(rng: &mut R, items: &'a [(T, u32)]) -> &'a T {
    let total: u32 = items.iter().map(|(_, w)| *w).sum();
    let mut x = rng.gen_range(0..total.max(1));
    for (item, w) in items {
        if x < *w {
            return item;
        }
        x -= *w;
    }
    &items[items.len() - 1].0
}

/// A uniform draw in the open interval (0, 1), safe to take the logarithm of.
pub(crate) fn open01<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    loop {
        let u: f64 = rng.gen();
        if u > 0.0 {
            return u;
        }
    }
}

/// A standard normal draw (Box–Muller; the second value is discarded to keep the generator
/// stateless).
pub(crate) fn normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    let u1 = open01(rng);
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A Gamma(shape, scale) draw by Marsaglia and Tsang's method; shapes below one use the
/// boost `Gamma(shape + 1) · U^(1/shape)`. Used for the purchase rates (BG/NBD) and the spend
/// levels (Gamma-Gamma) that make the customer base heterogeneous.
pub(crate) fn gamma<R: Rng + ?Sized>(rng: &mut R, shape: f64, scale: f64) -> f64 {
    if shape < 1.0 {
        let boost = open01(rng).powf(1.0 / shape);
        return gamma(rng, shape + 1.0, scale) * boost;
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = normal(rng);
        let v = 1.0 + c * x;
        if v <= 0.0 {
            continue;
        }
        let v = v * v * v;
        let u = open01(rng);
        if u < 1.0 - 0.0331 * x * x * x * x || u.ln() < 0.5 * x * x + d * (1.0 - v + v.ln()) {
            return d * v * scale;
        }
    }
}

/// A Beta(a, b) draw as a ratio of Gamma draws. Used for the dropout probabilities (BG/NBD).
pub(crate) fn beta<R: Rng + ?Sized>(rng: &mut R, a: f64, b: f64) -> f64 {
    let x = gamma(rng, a, 1.0);
    let y = gamma(rng, b, 1.0);
    if x + y > 0.0 {
        x / (x + y)
    } else {
        0.5
    }
}

/// A tiny SplitMix64 generator for the per-customer purchase process. The calibration replays
/// each customer's process many times, so it must be cheap to create and step, and it must be
/// separate from the chunk's main stream so replays do not disturb it.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix(u64);

impl SplitMix {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 bits of precision.
    pub(crate) fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// Mixes two numbers into one well-spread seed (the SplitMix64 finaliser), so neighbouring
/// chunk numbers give unrelated streams.
pub(crate) fn mix(a: u64, b: u64) -> u64 {
    let mut s = SplitMix::new(a ^ b.wrapping_mul(0xD1B5_4A32_D192_ED03));
    s.next_u64()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn gamma_and_beta_have_the_right_means() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let n = 40_000;
        for (shape, scale) in [(0.5, 2.0), (1.0, 1.0), (3.0, 0.5)] {
            let m: f64 = (0..n).map(|_| gamma(&mut rng, shape, scale)).sum::<f64>() / n as f64;
            let want = shape * scale;
            assert!(
                (m - want).abs() < 0.05 * want.max(1.0),
                "gamma({shape},{scale}) mean {m}"
            );
        }
        let m: f64 = (0..n).map(|_| beta(&mut rng, 0.8, 3.2)).sum::<f64>() / n as f64;
        assert!((m - 0.2).abs() < 0.01, "beta mean {m}");
    }

    #[test]
    fn weighted_respects_weights() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut counts = [0u32; 3];
        for _ in 0..30_000 {
            counts[weighted(&mut rng, &[1, 0, 3])] += 1;
        }
        assert_eq!(counts[1], 0);
        assert!(
            (counts[2] as f64 / counts[0] as f64 - 3.0).abs() < 0.3,
            "{counts:?}"
        );
    }

    #[test]
    fn splitmix_is_uniform_enough() {
        let mut s = SplitMix::new(3);
        let m: f64 = (0..10_000).map(|_| s.next_f64()).sum::<f64>() / 10_000.0;
        assert!((m - 0.5).abs() < 0.02);
        assert_ne!(mix(1, 0), mix(1, 1));
    }
}
