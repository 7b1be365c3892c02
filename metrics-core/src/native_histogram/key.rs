//! The exponential bucket a value falls in, for a schema (as client_golang and Prometheus number
//! them): bucket `k` holds `(2^((k-1) * 2^-s), 2^(k * 2^-s)]`.

use std::sync::LazyLock;

/// The coarsest schema: 2^16 per bucket.
pub(crate) const MIN_SCHEMA: i32 = -4;
/// The finest schema: 256 buckets per power of 2.
pub(crate) const MAX_SCHEMA: i32 = 8;

/// For each schema `s` in 1..=8, the `2^s` bounds `2^(i / 2^s) / 2` that split `[0.5, 1)`, the
/// range of a mantissa (index 0 is empty: schemas up to 0 need none).
static BOUNDS: LazyLock<[Box<[f64]>; 9]> = LazyLock::new(|| {
    std::array::from_fn(|s| {
        if s == 0 {
            return Box::default();
        }
        let n = 1u32 << s;
        (0..n)
            .map(|i| (f64::from(i) / f64::from(n)).exp2() / 2.0)
            .collect()
    })
});

/// The bounds of `schema` (empty for schemas up to 0), for [`key`].
pub(crate) fn bounds(schema: i32) -> &'static [f64] {
    match usize::try_from(schema) {
        Ok(s) if s > 0 => &BOUNDS[s],
        _ => &[],
    }
}

/// The bucket of `v`, a magnitude above 0 (or `+Inf`), at `schema`, whose bounds (from
/// [`bounds`]) are `bounds`. `+Inf` lands one bucket above `f64::MAX`'s, as in client_golang.
#[inline(always)]
pub(crate) fn key(v: f64, schema: i32, bounds: &[f64]) -> i32 {
    let (v, inf) = if v == f64::INFINITY {
        (f64::MAX, 1)
    } else {
        (v, 0)
    };
    let (frac, exp) = frexp(v);
    let key = if schema > 0 {
        // The number of bounds below `frac`: the first bound at or above it.
        let within = if bounds.len() <= 64 {
            bounds.iter().map(|&b| i32::from(b < frac)).sum::<i32>()
        } else {
            bounds.partition_point(|&b| b < frac) as i32
        };
        within + (exp - 1) * bounds.len() as i32
    } else {
        // A power of 2 is the top of its bucket.
        let key = exp - i32::from(frac == 0.5);
        let shift = -schema;
        (key + (1 << shift) - 1) >> shift
    };
    key + inf
}

/// `v` as `frac * 2^exp` with `frac` in `[0.5, 1)`, for `v` finite and above 0.
#[inline(always)]
fn frexp(v: f64) -> (f64, i32) {
    const MANTISSA: u64 = (1 << 52) - 1;
    let bits = v.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    if biased == 0 {
        // Subnormal: scale into the normal range first.
        let (frac, exp) = frexp(v * 2f64.powi(64));
        return (frac, exp - 64);
    }
    (
        f64::from_bits((bits & MANTISSA) | (1022 << 52)),
        biased - 1022,
    )
}

/// Bucket `key` of schema `from` in the coarser schema `to` (`to <= from`): each step merges
/// pairs, `k -> ceil(k / 2)`.
#[inline]
pub(crate) fn coarsen(key: i32, from: i32, to: i32) -> i32 {
    let shift = from - to;
    (key + (1 << shift) - 1) >> shift
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn upper(k: i32, schema: i32) -> f64 {
        (f64::from(k) * (-f64::from(schema)).exp2()).exp2()
    }

    #[test]
    fn powers_of_two_top_their_bucket() {
        for schema in MIN_SCHEMA..=MAX_SCHEMA {
            let b = bounds(schema);
            assert_eq!(key(1.0, schema, b), 0, "schema {schema}");
            assert_eq!(key(1.000_001, schema, b), 1, "schema {schema}");
            let per_octave = if schema >= 0 { 1 << schema } else { 1 };
            let two = key(2.0, schema, b);
            assert_eq!(two, if schema >= 0 { per_octave } else { 1 });
        }
        // Schema 0 splits at powers of 2: (0.5, 1] is 0, (1, 2] is 1, (2, 4] is 2.
        assert_eq!(key(3.0, 0, &[]), 2);
        assert_eq!(key(0.75, 0, &[]), 0);
        // Schema -1 buckets span factors of 4: (1, 4] is 1.
        assert_eq!(key(4.0, -1, &[]), 1);
        assert_eq!(key(4.1, -1, &[]), 2);
    }

    #[test]
    fn every_value_lies_within_its_bucket() {
        let mut v = 1e-300_f64;
        while v < 1e300 {
            for schema in MIN_SCHEMA..=MAX_SCHEMA {
                let k = key(v, schema, bounds(schema));
                // With a relative tolerance for the exp2 of the check itself.
                assert!(
                    v <= upper(k, schema) * (1.0 + 1e-12),
                    "{v} at {schema}: {k}"
                );
                assert!(
                    v > upper(k - 1, schema) * (1.0 - 1e-12),
                    "{v} at {schema}: {k}"
                );
            }
            v *= 1.37;
        }
    }

    #[test]
    fn extremes() {
        let min = f64::from_bits(1); // the smallest subnormal, 2^-1074
        assert_eq!(key(min, 0, &[]), -1074);
        assert_eq!(key(min, -4, &[]), -67);
        assert_eq!(key(f64::MAX, 0, &[]), 1024);
        assert_eq!(key(f64::INFINITY, 0, &[]), 1025);
        assert_eq!(key(f64::INFINITY, -4, &[]), 65);
        assert_eq!(key(f64::MAX, 8, bounds(8)), 1024 * 256);
    }

    #[test]
    fn coarsening_matches_the_coarser_key() {
        let mut v = 1e-20_f64;
        while v < 1e20 {
            for from in MIN_SCHEMA..=MAX_SCHEMA {
                for to in MIN_SCHEMA..=from {
                    let k = key(v, from, bounds(from));
                    assert_eq!(
                        coarsen(k, from, to),
                        key(v, to, bounds(to)),
                        "{v} {from} {to}"
                    );
                }
            }
            v *= 1.91;
        }
    }
}
