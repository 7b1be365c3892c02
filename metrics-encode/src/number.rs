//! Numbers as both formats write them.

use coremeter::Number;

use crate::buf::Sink;

/// Writes a sample value: integers exactly, floats as the shortest text that reads back to the
/// same `f64` (`17.0`, `0.1`, `1e-7`), and `NaN`, `+Inf`, `-Inf` as the formats spell them.
#[inline(always)]
pub(crate) fn write_number(out: &mut impl Sink, n: Number) {
    match n {
        Number::UInt(v) => out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes()),
        Number::Int(v) => out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes()),
        Number::Float(v) => write_float(out, v),
    }
}

/// Writes a float (see [`write_number`]).
#[inline]
pub(crate) fn write_float(out: &mut impl Sink, v: f64) {
    if v.is_finite() {
        out.extend_from_slice(ryu::Buffer::new().format_finite(v).as_bytes());
    } else {
        out.extend_from_slice(special(v).as_bytes());
    }
}

/// Writes a count.
#[inline(always)]
pub(crate) fn write_u64(out: &mut impl Sink, v: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

fn special(v: f64) -> &'static str {
    if v.is_nan() {
        "NaN"
    } else if v > 0.0 {
        "+Inf"
    } else {
        "-Inf"
    }
}

/// The canonical text of an `le` or `quantile` label value (OpenMetrics, "Canonical Numbers"):
/// Go's shortest `%g` rendering, with `.0` appended when it has neither a decimal point nor an
/// exponent. So `0.001`, `1.0`, `100000.0`, `1e+06`, `1e-05`, `1.1e+23`, and `+Inf`.
///
/// # Examples
///
/// ```
/// use coremeter_encode::canonical_float;
///
/// let got: Vec<String> = [0.0, 0.001, 1.0, 10.0, 100000.0, 1e6, 1e-5, 1.1e23, f64::INFINITY]
///     .into_iter()
///     .map(canonical_float)
///     .collect();
/// assert_eq!(got, ["0.0", "0.001", "1.0", "10.0", "100000.0", "1e+06", "1e-05", "1.1e+23", "+Inf"]);
/// ```
pub fn canonical_float(v: f64) -> String {
    if !v.is_finite() {
        return special(v).to_owned();
    }
    let mut ryu = ryu::Buffer::new();
    let shortest = ryu.format_finite(v);
    let (negative, unsigned) = match shortest.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, shortest),
    };
    let (mantissa, exp10) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (unsigned, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    // The digits without leading or trailing zeros, and `dp`: value = 0.DIGITS x 10^dp.
    let all: String = format!("{int_part}{frac_part}");
    let leading = all.bytes().take_while(|&b| b == b'0').count();
    let digits = all[leading..].trim_end_matches('0');
    let mut out = String::with_capacity(24);
    if negative {
        out.push('-');
    }
    if digits.is_empty() {
        out.push_str("0.0");
        return out;
    }
    let dp = int_part.len() as i32 - leading as i32 + exp10;
    let exp = dp - 1;
    if !(-4..6).contains(&exp) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let e = exp.unsigned_abs();
        if e < 10 {
            out.push('0');
        }
        out.push_str(itoa::Buffer::new().format(e));
    } else if dp <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-dp) as usize));
        out.push_str(digits);
    } else {
        let dp = dp as usize;
        if dp >= digits.len() {
            out.push_str(digits);
            out.extend(std::iter::repeat_n('0', dp - digits.len()));
            out.push_str(".0");
        } else {
            out.push_str(&digits[..dp]);
            out.push('.');
            out.push_str(&digits[dp..]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_numbers_of_the_spec() {
        // OpenMetrics 1.0, "Canonical Numbers": 0.0 to 10.0 in 0.001 steps, and powers of ten.
        for (v, s) in [
            (0.0, "0.0"),
            (0.001, "0.001"),
            (0.002, "0.002"),
            (0.01, "0.01"),
            (0.1, "0.1"),
            (0.9, "0.9"),
            (0.95, "0.95"),
            (0.99, "0.99"),
            (0.999, "0.999"),
            (1.0, "1.0"),
            (1.7, "1.7"),
            (10.0, "10.0"),
            (1e-10, "1e-10"),
            (1e-9, "1e-09"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (100000.0, "100000.0"),
            (1e6, "1e+06"),
            (1e10, "1e+10"),
            (1e23, "1e+23"),
            (1.1e23, "1.1e+23"),
            (123456.0, "123456.0"),
            (1234567.0, "1.234567e+06"),
            (-2.5, "-2.5"),
            (0.005, "0.005"),
            (7.5, "7.5"),
            (f64::NEG_INFINITY, "-Inf"),
            (f64::NAN, "NaN"),
        ] {
            assert_eq!(canonical_float(v), s, "{v}");
        }
        // Every value reads back to itself.
        for i in 0..=10_000 {
            let v = f64::from(i) * 0.001;
            assert_eq!(canonical_float(v).parse::<f64>().unwrap(), v, "{v}");
        }
    }

    #[test]
    fn sample_values() {
        let mut out = Vec::new();
        for n in [
            Number::UInt(u64::MAX),
            Number::Int(-3),
            Number::Float(17.0),
            Number::Float(9_007_199_254_740_993.0),
            Number::Float(f64::NAN),
            Number::Float(f64::INFINITY),
            Number::Float(f64::NEG_INFINITY),
            Number::Float(1e-7),
        ] {
            write_number(&mut out, n);
            out.push(b' ');
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "18446744073709551615 -3 17.0 9007199254740992.0 NaN +Inf -Inf 1e-7 "
        );
    }
}
