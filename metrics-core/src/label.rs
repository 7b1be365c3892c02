//! Label sets and label values: how a [`Family`](crate::Family) names its series.
//!
//! A label set is a struct whose fields are the labels, in order; each field's type is a
//! [`LabelValue`]. When every field has a fixed, finite set of values (unit-only enums, `bool`),
//! the family is *dense*: all its series exist from the start, and finding one is index
//! arithmetic. Otherwise (strings, integers) the family keeps a map from the values to series.
//!
//! `#[derive(LabelSet)]` and `#[derive(LabelValue)]` write these impls; by hand they look like
//! this:
//!
//! ```
//! use coremeter::{LabelSet, LabelValue, LabelVisitor, ValueWriter};
//!
//! #[derive(Clone, Copy)]
//! enum Method { Get, Post }
//!
//! impl LabelValue for Method {
//!     const VALUES: Option<&'static [&'static str]> = Some(&["GET", "POST"]);
//!     fn index(&self) -> usize {
//!         *self as usize
//!     }
//! }
//!
//! struct Route { method: Method, path: &'static str }
//!
//! impl LabelSet for Route {
//!     const NAMES: &'static [&'static str] = &["method", "path"];
//!     const VALUES: &'static [Option<&'static [&'static str]>] =
//!         &[Method::VALUES, <&'static str>::VALUES];
//!     fn visit<V: LabelVisitor>(&self, v: &mut V) {
//!         v.value(&self.method);
//!         v.value(&self.path);
//!     }
//! }
//! ```

use std::borrow::Cow;
use std::sync::Arc;

/// A type whose values can be label values.
///
/// Types with a fixed set of values (unit-only enums, `bool`) give [`VALUES`](Self::VALUES) and
/// [`index`](Self::index); the default [`write`](Self::write) then writes `VALUES[index]`. Types
/// with open sets (strings, integers) leave `VALUES` as `None` and implement `write`.
///
/// # Examples
///
/// ```
/// use coremeter::{Counter, Family, LabelSet, LabelValue, LabelVisitor};
///
/// // What #[derive(LabelValue)] writes for `enum Tier { Free, Pro }`.
/// #[derive(Clone, Copy)]
/// enum Tier { Free, Pro }
/// impl LabelValue for Tier {
///     const VALUES: Option<&'static [&'static str]> = Some(&["free", "pro"]);
///     fn index(&self) -> usize { *self as usize }
/// }
/// struct ByTier { tier: Tier }
/// impl LabelSet for ByTier {
///     const NAMES: &'static [&'static str] = &["tier"];
///     const VALUES: &'static [Option<&'static [&'static str]>] = &[Tier::VALUES];
///     fn visit<V: LabelVisitor>(&self, v: &mut V) { v.value(&self.tier) }
/// }
/// let users: Family<ByTier, Counter> = Family::new();
/// users.get(&ByTier { tier: Tier::Pro }).inc();
/// assert_eq!(users.get(&ByTier { tier: Tier::Pro }).get(), 1);
/// assert_eq!(<&str as LabelValue>::VALUES, None); // strings are an open set
/// ```
pub trait LabelValue {
    /// Every value of a fixed set, in index order; `None` for an open set.
    const VALUES: Option<&'static [&'static str]> = None;

    /// This value's position in [`VALUES`](Self::VALUES); only called when that is `Some`, and
    /// must then be below its length.
    #[inline]
    fn index(&self) -> usize {
        0
    }

    /// Writes the value's text.
    fn write(&self, out: &mut ValueWriter<'_>) {
        if let Some(s) = self.as_str() {
            out.push_str(s);
        }
    }

    /// The value's text, if it is at hand without formatting (strings, and fixed sets by
    /// default): lets a family of one label look the value up without copying it.
    #[inline]
    fn as_str(&self) -> Option<&str> {
        Self::VALUES.and_then(|values| values.get(self.index()).copied())
    }
}

/// A set of labels: names in order, and a way to visit the values in the same order.
///
/// # Examples
///
/// ```
/// use coremeter::{Counter, Family, LabelSet, LabelVisitor};
///
/// // What #[derive(LabelSet)] writes for `struct Route<'a> { method: &'a str, path: &'a str }`.
/// struct Route<'a> { method: &'a str, path: &'a str }
/// impl LabelSet for Route<'_> {
///     const NAMES: &'static [&'static str] = &["method", "path"];
///     const VALUES: &'static [Option<&'static [&'static str]>] = &[None, None];
///     fn visit<V: LabelVisitor>(&self, v: &mut V) {
///         v.value(self.method);
///         v.value(self.path);
///     }
/// }
/// let hits: Family<Route<'static>, Counter> = Family::new();
/// hits.get(&Route { method: "GET", path: "/" }).inc();
/// assert_eq!(hits.len(), 1);
/// ```
pub trait LabelSet {
    /// The label names, in order. They are checked when the family is registered (and at
    /// compile time by the derive).
    const NAMES: &'static [&'static str];

    /// The fixed values of each label (its type's [`LabelValue::VALUES`]), in order.
    const VALUES: &'static [Option<&'static [&'static str]>];

    /// Calls `visitor.value(..)` with each label value, in the order of [`NAMES`](Self::NAMES).
    fn visit<V: LabelVisitor>(&self, visitor: &mut V);
}

/// Receives the values of a [`LabelSet`]; implemented by this crate (a dense index, an encoded
/// key), called by label sets.
///
/// # Examples
///
/// ```
/// use coremeter::{LabelSet, LabelValue, LabelVisitor};
///
/// #[derive(coremeter::LabelSet)]
/// struct Route<'a> { method: &'a str, path: &'a str }
///
/// struct Texts(Vec<String>);
/// impl LabelVisitor for Texts {
///     fn value<T: LabelValue + ?Sized>(&mut self, value: &T) {
///         self.0.push(value.as_str().unwrap_or_default().to_owned());
///     }
/// }
/// let mut texts = Texts(Vec::new());
/// Route { method: "GET", path: "/" }.visit(&mut texts);
/// assert_eq!(texts.0, ["GET", "/"]);
/// ```
pub trait LabelVisitor {
    /// One label value.
    fn value<T: LabelValue + ?Sized>(&mut self, value: &T);
}

/// The number of series of a dense family, or `None` if a label has an open set of values.
pub(crate) const fn cardinality(values: &[Option<&[&str]>]) -> Option<usize> {
    let mut n: usize = 1;
    let mut i = 0;
    while i < values.len() {
        match values[i] {
            Some(v) => match n.checked_mul(v.len()) {
                Some(product) => n = product,
                None => return None,
            },
            None => return None,
        }
        i += 1;
    }
    Some(n)
}

/// Computes a dense family's index: mixed radix over the labels' fixed sets.
pub(crate) struct DenseIndex(pub(crate) usize);

impl LabelVisitor for DenseIndex {
    #[inline(always)]
    fn value<T: LabelValue + ?Sized>(&mut self, value: &T) {
        let radix = match T::VALUES {
            Some(values) => values.len(),
            None => 1,
        };
        self.0 = self.0 * radix + value.index().min(radix.saturating_sub(1));
    }
}

/// The byte between two values in an encoded key. It never occurs in UTF-8, so keys of
/// different value lists of one family (which has a fixed number of labels) never collide:
/// `["ab", "c"]` and `["a", "bc"]` differ.
pub(crate) const SEP: u8 = 0xFF;

/// Writes label values into a key: their UTF-8 bytes, separated by [`SEP`].
struct KeyWriter<'a> {
    key: &'a mut Vec<u8>,
    first: bool,
}

impl LabelVisitor for KeyWriter<'_> {
    #[inline]
    fn value<T: LabelValue + ?Sized>(&mut self, value: &T) {
        if !std::mem::take(&mut self.first) {
            self.key.push(SEP);
        }
        value.write(&mut ValueWriter { key: self.key });
    }
}

/// Where a [`LabelValue`] writes its text.
///
/// # Examples
///
/// ```
/// use coremeter::{LabelValue, ValueWriter};
///
/// struct Port(u16);
/// impl LabelValue for Port {
///     fn write(&self, out: &mut ValueWriter<'_>) {
///         out.push_str(&self.0.to_string());
///     }
/// }
/// #[derive(coremeter::LabelSet)]
/// struct ByPort { port: Port }
/// let f = coremeter::Family::<ByPort, coremeter::Counter>::new();
/// f.get(&ByPort { port: Port(8080) }).inc();
/// assert_eq!(f.len(), 1);
/// ```
pub struct ValueWriter<'a> {
    key: &'a mut Vec<u8>,
}

impl ValueWriter<'_> {
    /// Appends text to the value.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter::{LabelValue, ValueWriter};
    ///
    /// // A label value type with an open set of values, written at scrape time.
    /// struct Version(u32, u32);
    /// impl LabelValue for Version {
    ///     fn write(&self, out: &mut ValueWriter<'_>) {
    ///         out.push_str(&format!("{}.{}", self.0, self.1));
    ///     }
    /// }
    /// #[derive(coremeter::LabelSet)]
    /// struct ByVersion { version: Version }
    ///
    /// let f = coremeter::Family::<ByVersion, coremeter::Counter>::new();
    /// f.get(&ByVersion { version: Version(1, 2) }).inc();
    /// assert_eq!(f.get(&ByVersion { version: Version(1, 2) }).get(), 1);
    /// ```
    #[inline]
    pub fn push_str(&mut self, s: &str) {
        self.key.extend_from_slice(s.as_bytes());
    }
}

impl std::fmt::Debug for ValueWriter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValueWriter").finish_non_exhaustive()
    }
}

crate::sync::thread_local_const! {
    /// The buffer keys are encoded into for a lookup, reused so that a lookup allocates nothing.
    static KEY: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(Vec::new());
}

/// Runs `f` with the key `fill` writes, in this thread's reusable buffer (or, if that is busy or
/// gone, in a fresh one).
#[inline]
fn with_buffer<R>(fill: impl FnOnce(&mut Vec<u8>), f: impl FnOnce(&[u8]) -> R) -> R {
    let mut fill = Some(fill);
    let mut f = Some(f);
    let reused = KEY.try_with(|key| {
        let mut key = key.try_borrow_mut().ok()?;
        key.clear();
        (fill.take()?)(&mut key);
        Some((f.take()?)(&key))
    });
    match (reused, fill, f) {
        (Ok(Some(r)), _, _) => r,
        (_, Some(fill), Some(f)) => {
            let mut key = Vec::new();
            fill(&mut key);
            f(&key)
        }
        // `fill` ran in the reused buffer and `f` did not: not possible, both run together.
        (_, _, Some(f)) => f(&[]),
        (_, _, None) => unreachable!("`f` ran but produced no result"),
    }
}

/// Runs `f` with the encoded key of `labels`. The key of one label whose text is at hand
/// ([`LabelValue::as_str`]) is that text itself: no copy.
#[inline]
pub(crate) fn with_key<L: LabelSet + ?Sized, R>(labels: &L, f: impl FnOnce(&[u8]) -> R) -> R {
    if L::NAMES.len() == 1 {
        let mut single = Single {
            f: Some(f),
            result: None,
        };
        labels.visit(&mut single);
        match single {
            Single {
                result: Some(r), ..
            } => return r,
            Single { f: Some(f), .. } => return with_encoded(labels, f),
            Single {
                f: None,
                result: None,
            } => unreachable!("`f` ran without a result"),
        }
    }
    with_encoded(labels, f)
}

fn with_encoded<L: LabelSet + ?Sized, R>(labels: &L, f: impl FnOnce(&[u8]) -> R) -> R {
    with_buffer(
        |key| {
            labels.visit(&mut KeyWriter { key, first: true });
        },
        f,
    )
}

/// Runs `f` on the text of a single label value, if it is at hand.
struct Single<F, R> {
    f: Option<F>,
    result: Option<R>,
}

impl<F: FnOnce(&[u8]) -> R, R> LabelVisitor for Single<F, R> {
    #[inline]
    fn value<T: LabelValue + ?Sized>(&mut self, value: &T) {
        if let Some(s) = value.as_str()
            && let Some(f) = self.f.take()
        {
            self.result = Some(f(s.as_bytes()));
        }
    }
}

/// Runs `f` with the encoded key of string values: one value is its own key (no copy).
#[inline]
pub(crate) fn with_key_of_strs<R>(values: &[&str], f: impl FnOnce(&[u8]) -> R) -> R {
    if let [value] = values {
        return f(value.as_bytes());
    }
    with_buffer(
        |key| {
            for (i, v) in values.iter().enumerate() {
                if i > 0 {
                    key.push(SEP);
                }
                key.extend_from_slice(v.as_bytes());
            }
        },
        f,
    )
}

/// Splits an encoded key of a family with at least one label back into its values.
pub(crate) fn decode(key: &[u8]) -> impl Iterator<Item = &str> {
    // Keys are written from `&str`s and `SEP`, so each part is UTF-8.
    key.split(|&b| b == SEP)
        .map(|v| std::str::from_utf8(v).unwrap_or(""))
}

impl LabelValue for bool {
    const VALUES: Option<&'static [&'static str]> = Some(&["false", "true"]);

    #[inline]
    fn index(&self) -> usize {
        usize::from(*self)
    }
}

impl LabelValue for str {
    #[inline]
    fn as_str(&self) -> Option<&str> {
        Some(self)
    }
}

impl LabelValue for String {
    #[inline]
    fn as_str(&self) -> Option<&str> {
        Some(self)
    }
}

impl LabelValue for Cow<'_, str> {
    #[inline]
    fn as_str(&self) -> Option<&str> {
        Some(self)
    }
}

impl LabelValue for Box<str> {
    #[inline]
    fn as_str(&self) -> Option<&str> {
        Some(self)
    }
}

impl LabelValue for Arc<str> {
    #[inline]
    fn as_str(&self) -> Option<&str> {
        Some(self)
    }
}

impl<T: LabelValue + ?Sized> LabelValue for &T {
    const VALUES: Option<&'static [&'static str]> = T::VALUES;

    #[inline]
    fn index(&self) -> usize {
        (**self).index()
    }

    fn write(&self, out: &mut ValueWriter<'_>) {
        (**self).write(out);
    }

    #[inline]
    fn as_str(&self) -> Option<&str> {
        (**self).as_str()
    }
}

macro_rules! integer_label_values {
    ($($t:ty),*) => {$(
        impl LabelValue for $t {
            fn write(&self, out: &mut ValueWriter<'_>) {
                out.push_str(itoa::Buffer::new().format(*self));
            }

            #[inline]
            fn as_str(&self) -> Option<&str> {
                None
            }
        }
    )*};
}
integer_label_values!(
    u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize
);

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[derive(Clone, Copy)]
    enum Class {
        Ok,
        Err,
        Other,
    }

    impl LabelValue for Class {
        const VALUES: Option<&'static [&'static str]> = Some(&["ok", "err", "other"]);
        fn index(&self) -> usize {
            *self as usize
        }
    }

    struct Fixed(bool, Class);

    impl LabelSet for Fixed {
        const NAMES: &'static [&'static str] = &["cached", "class"];
        const VALUES: &'static [Option<&'static [&'static str]>] = &[bool::VALUES, Class::VALUES];
        fn visit<V: LabelVisitor>(&self, v: &mut V) {
            v.value(&self.0);
            v.value(&self.1);
        }
    }

    struct Open<'a>(&'a str, i32);

    impl LabelSet for Open<'_> {
        const NAMES: &'static [&'static str] = &["path", "code"];
        const VALUES: &'static [Option<&'static [&'static str]>] = &[None, None];
        fn visit<V: LabelVisitor>(&self, v: &mut V) {
            v.value(self.0);
            v.value(&self.1);
        }
    }

    #[test]
    fn dense_index_is_mixed_radix() {
        assert_eq!(cardinality(Fixed::VALUES), Some(6));
        let index = |l: &Fixed| {
            let mut d = DenseIndex(0);
            l.visit(&mut d);
            d.0
        };
        assert_eq!(index(&Fixed(false, Class::Ok)), 0);
        assert_eq!(index(&Fixed(false, Class::Other)), 2);
        assert_eq!(index(&Fixed(true, Class::Ok)), 3);
        assert_eq!(index(&Fixed(true, Class::Other)), 5);
        let _ = (Class::Err, Open("", 0));
        assert_eq!(cardinality(Open::VALUES), None);
    }

    fn key<L: LabelSet>(labels: &L) -> Vec<u8> {
        with_key(labels, <[u8]>::to_vec)
    }

    fn key_of(values: &[&str]) -> Vec<u8> {
        with_key_of_strs(values, <[u8]>::to_vec)
    }

    #[test]
    fn keys_keep_value_boundaries() {
        assert_ne!(key(&Open("ab", 1)), key(&Open("a", 1)));
        assert_ne!(key_of(&["ab", "c"]), key_of(&["a", "bc"]));
        assert_eq!(key(&Open("x", -7)), key_of(&["x", "-7"]));
        assert_eq!(
            decode(&key_of(&["", "é", "z"])).collect::<Vec<_>>(),
            ["", "é", "z"]
        );
        assert_eq!(decode(&key_of(&[""])).collect::<Vec<_>>(), [""]);
        let long = "y".repeat(300);
        let k = key_of(&["a", &long, "b"]);
        assert_eq!(decode(&k).collect::<Vec<_>>(), ["a", long.as_str(), "b"]);
        // A key made while another is being used (re-entrance) is made in a fresh buffer.
        let nested = with_key_of_strs(&["outer"], |outer| {
            (outer.to_vec(), with_key_of_strs(&["inner"], <[u8]>::to_vec))
        });
        assert_eq!(nested, (b"outer".to_vec(), b"inner".to_vec()));
    }
}
