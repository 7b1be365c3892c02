//! [`Number`]: a sample value, integers exact.

/// A sample value: integers stay exact, floats are floats.
///
/// # Examples
///
/// ```
/// use coremeter::Number;
///
/// assert_eq!(Number::from(3u64), Number::UInt(3));
/// assert_eq!(Number::from(-2i64).as_f64(), -2.0);
/// assert_eq!(Number::from(0.5f64), Number::Float(0.5));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    /// An unsigned integer (counters).
    UInt(u64),
    /// A signed integer (integer gauges).
    Int(i64),
    /// A float.
    Float(f64),
}

impl Number {
    /// The value as an `f64` (integers above 2^53 round).
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::Number;
    ///
    /// assert_eq!(Number::Int(-3).as_f64(), -3.0);
    /// ```
    pub fn as_f64(self) -> f64 {
        match self {
            Number::UInt(v) => v as f64,
            Number::Int(v) => v as f64,
            Number::Float(v) => v,
        }
    }
}

macro_rules! number_from {
    ($variant:ident: $($t:ty),*) => {$(
        impl From<$t> for Number {
            fn from(v: $t) -> Self {
                Number::$variant(v.into())
            }
        }
    )*};
}
number_from!(UInt: u64, u32, u16, u8);
number_from!(Int: i64, i32, i16, i8);
number_from!(Float: f64, f32);

impl From<usize> for Number {
    fn from(v: usize) -> Self {
        Number::UInt(v as u64)
    }
}

impl From<isize> for Number {
    fn from(v: isize) -> Self {
        Number::Int(v as i64)
    }
}
