//! The exponential bucket a value falls in, for a schema (as client_golang and Prometheus number
//! them): bucket `k` holds `(2^((k-1) * 2^-s), 2^(k * 2^-s)]`.

use std::sync::LazyLock;

/// The coarsest schema: 2^16 per bucket.
pub(crate) const MIN_SCHEMA: i32 = -4;
/// The finest schema: 256 buckets per power of 2.
pub(crate) const MAX_SCHEMA: i32 = 8;

/// Top bits of a mantissa that index [`Bounds::first_at_or_above`].
const CELL_BITS: u32 = 10;

/// The bounds `2^(i / 2^s) / 2` (`i` in `0..2^s`) that split `[0.5, 1)`, the range of a mantissa,
/// into the buckets of schema `s` (above 0), and a table that finds a mantissa's bucket in one
/// step: the mantissas that share their top 10 bits (a *cell*, 1/2048 wide) have at most one
/// bound among them, since at schema 8 bounds are at least `0.5 * (2^(1/256) - 1)`, 0.00135,
/// apart.
pub(crate) struct Bounds {
    /// The `2^s` bounds, then 1.0 (above every mantissa).
    bounds: Box<[f64]>,
    /// For each cell, the index of the first bound at or above the cell's lowest mantissa.
    first_at_or_above: [u16; 1 << CELL_BITS],
}

impl Bounds {
    fn new(schema: u32) -> Bounds {
        let n = 1u32 << schema;
        let bounds: Box<[f64]> = (0..n)
            .map(|i| (f64::from(i) / f64::from(n)).exp2() / 2.0)
            .chain([1.0])
            .collect();
        let first_at_or_above = std::array::from_fn(|cell| {
            let lowest = 0.5 + cell as f64 / f64::from(2u32 << CELL_BITS);
            bounds.partition_point(|&b| b < lowest) as u16
        });
        Bounds {
            bounds,
            first_at_or_above,
        }
    }

    /// The number of buckets per power of 2.
    #[inline(always)]
    fn len(&self) -> i32 {
        self.bounds.len() as i32 - 1
    }

    /// The number of bounds below `frac` (in `[0.5, 1)`), whose mantissa bits are `mantissa`.
    #[inline(always)]
    fn below(&self, frac: f64, mantissa: u64) -> i32 {
        let first = self.first_at_or_above[(mantissa >> (52 - CELL_BITS)) as usize];
        // The bound at `first` is the only one that may lie between the cell's start and `frac`.
        let above = self
            .bounds
            .get(usize::from(first))
            .is_some_and(|&b| b < frac);
        i32::from(first) + i32::from(above)
    }
}

/// The bounds of each schema in 1..=8 (index 0: schemas up to 0 need none).
static BOUNDS: LazyLock<[Option<Bounds>; 9]> =
    LazyLock::new(|| std::array::from_fn(|s| (s > 0).then(|| Bounds::new(s as u32))));

/// The bounds of `schema` (`None` for schemas up to 0), for [`key`].
pub(crate) fn bounds(schema: i32) -> Option<&'static Bounds> {
    BOUNDS[usize::try_from(schema).ok()?].as_ref()
}

/// The bucket of `v`, a magnitude above 0 (or `+Inf`), at `schema`, whose bounds (from
/// [`bounds`]) are `bounds`. `+Inf` lands one bucket above `f64::MAX`'s, as in client_golang.
#[inline(always)]
pub(crate) fn key(v: f64, schema: i32, bounds: Option<&Bounds>) -> i32 {
    if v == f64::INFINITY {
        return key(f64::MAX, schema, bounds) + 1;
    }
    let (frac, exp) = frexp(v);
    match bounds {
        Some(bounds) => bounds.below(frac, frac.to_bits() & MANTISSA) + (exp - 1) * bounds.len(),
        None => {
            // A power of 2 is the top of its bucket.
            let key = exp - i32::from(frac == 0.5);
            let shift = -schema;
            (key + (1 << shift) - 1) >> shift
        }
    }
}

/// Buckets per chunk (see [`chunk_of`]).
pub(crate) const CHUNK: i32 = 16;

/// The chunk that holds bucket `key`: chunk `c` holds buckets `16c + 1 ..= 16c + 16`, one past
/// the multiples of 16 so that the buckets of one power of 2 at schemas 1 to 4,
/// `(e - 1) * 2^s + 1 ..= e * 2^s`, share a chunk (see [`position`]).
#[inline(always)]
pub(crate) fn chunk_of(key: i32) -> i32 {
    (key - 1) >> CHUNK.trailing_zeros()
}

/// Where bucket `key` lies in its chunk.
#[inline(always)]
pub(crate) fn index_in_chunk(key: i32) -> usize {
    ((key - 1) & (CHUNK - 1)) as usize
}

/// The bucket at `index` of chunk `chunk`.
#[inline]
pub(crate) fn key_at(chunk: i32, index: usize) -> i32 {
    chunk * CHUNK + index as i32 + 1
}

/// The chunk and the index in it of the bucket of `v`, finite and above 0: [`key`]'s, found so
/// that at schemas 1 to 4 the chunk comes from the exponent alone, and the observation's loads
/// of the chunk do not wait for the search of the bounds.
#[inline(always)]
pub(crate) fn position(v: f64, schema: i32, bounds: Option<&Bounds>) -> (i32, usize) {
    let (frac, exp) = frexp(v);
    match bounds {
        Some(bounds) if schema <= 4 => {
            // The buckets of this power of 2 are `octave + 1 ..= octave + 2^s`, and a power of 2
            // itself (`frac == 0.5`) is `octave`, the top of the one below.
            let octave = (exp - 1) << schema;
            let chunk = chunk_of(octave + 1 - i32::from(frac == 0.5));
            let key = octave + bounds.below(frac, frac.to_bits() & MANTISSA);
            (chunk, index_in_chunk(key))
        }
        _ => {
            let key = key(v, schema, bounds);
            (chunk_of(key), index_in_chunk(key))
        }
    }
}

/// The mantissa bits of an `f64`.
const MANTISSA: u64 = (1 << 52) - 1;

/// `v` as `frac * 2^exp` with `frac` in `[0.5, 1)`, for `v` finite and above 0.
#[inline(always)]
fn frexp(v: f64) -> (f64, i32) {
    let biased = ((v.to_bits() >> 52) & 0x7ff) as i32;
    if biased == 0 {
        return frexp_subnormal(v);
    }
    (with_exponent_of_half(v), biased - 1022)
}

/// [`frexp`] of a subnormal `v`: scaled into the normal range first.
#[cold]
fn frexp_subnormal(v: f64) -> (f64, i32) {
    let scaled = v * 2f64.powi(64);
    let biased = ((scaled.to_bits() >> 52) & 0x7ff) as i32;
    (with_exponent_of_half(scaled), biased - 1022 - 64)
}

/// `v`'s mantissa with the exponent of 0.5: a value in `[0.5, 1)`.
#[inline(always)]
fn with_exponent_of_half(v: f64) -> f64 {
    f64::from_bits((v.to_bits() & MANTISSA) | (1022 << 52))
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
        assert_eq!(key(3.0, 0, None), 2);
        assert_eq!(key(0.75, 0, None), 0);
        // Schema -1 buckets span factors of 4: (1, 4] is 1.
        assert_eq!(key(4.0, -1, None), 1);
        assert_eq!(key(4.1, -1, None), 2);
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
    fn the_cell_table_agrees_with_a_search_of_the_bounds() {
        for schema in 1..=MAX_SCHEMA {
            let b = bounds(schema).unwrap();
            let n = b.len() as usize;
            let mut fracs: Vec<f64> = b.bounds[..n].to_vec();
            // Each bound, its neighbours, and values spread over [0.5, 1).
            fracs.extend(b.bounds[..n].iter().flat_map(|&x| {
                [
                    f64::from_bits(x.to_bits() - 1),
                    f64::from_bits(x.to_bits() + 1),
                ]
            }));
            fracs.extend((0..100_000).map(|i| 0.5 + f64::from(i) / 200_000.0));
            for frac in fracs.into_iter().filter(|f| (0.5..1.0).contains(f)) {
                let searched = b.bounds[..n].partition_point(|&x| x < frac) as i32;
                assert_eq!(
                    b.below(frac, frac.to_bits() & MANTISSA),
                    searched,
                    "{frac} at {schema}"
                );
            }
        }
    }

    #[test]
    fn positions_agree_with_keys() {
        let mut v = 1e-300_f64;
        while v < 1e300 {
            for schema in MIN_SCHEMA..=MAX_SCHEMA {
                let b = bounds(schema);
                for v in [v, 2f64.powi(v.log2().round() as i32)] {
                    let k = key(v, schema, b);
                    assert_eq!(
                        position(v, schema, b),
                        (chunk_of(k), index_in_chunk(k)),
                        "{v} at {schema}"
                    );
                    assert_eq!(key_at(chunk_of(k), index_in_chunk(k)), k);
                }
            }
            v *= 1.37;
        }
    }

    #[test]
    fn extremes() {
        let min = f64::from_bits(1); // the smallest subnormal, 2^-1074
        assert_eq!(key(min, 0, None), -1074);
        assert_eq!(key(min, -4, None), -67);
        assert_eq!(key(f64::MAX, 0, None), 1024);
        assert_eq!(key(f64::INFINITY, 0, None), 1025);
        assert_eq!(key(f64::INFINITY, -4, None), 65);
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
