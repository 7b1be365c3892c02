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
//! use metrics_core::{LabelSet, LabelValue, LabelVisitor, ValueWriter};
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
pub trait LabelValue {
    /// Every value of a fixed set, in index order; `None` for an open set.
    const VALUES: Option<&'static [&'static str]> = None;

    /// This value's position in [`VALUES`](Self::VALUES); only called when that is `Some`, and
    /// must then be below its length.
    fn index(&self) -> usize {
        0
    }

    /// Writes the value's text.
    fn write(&self, out: &mut ValueWriter<'_>) {
        if let Some(values) = Self::VALUES {
            out.push_str(values.get(self.index()).copied().unwrap_or(""));
        }
    }
}

/// A set of labels: names in order, and a way to visit the values in the same order.
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
        self.0 = self.0 * radix + value.index().min(radix - 1);
    }
}

/// The byte between two values in an encoded key. It never occurs in UTF-8, so keys of
/// different value lists of one family (which has a fixed number of labels) never collide:
/// `["ab", "c"]` and `["a", "bc"]` differ.
pub(crate) const SEP: u8 = 0xFF;

/// Writes label values into a key: their UTF-8 bytes, separated by [`SEP`].
pub(crate) struct KeyWriter<'a> {
    key: &'a mut Key,
    first: bool,
}

impl LabelVisitor for KeyWriter<'_> {
    #[inline]
    fn value<T: LabelValue + ?Sized>(&mut self, value: &T) {
        if !std::mem::take(&mut self.first) {
            self.key.push(&[SEP]);
        }
        value.write(&mut ValueWriter { key: self.key });
    }
}

/// Where a [`LabelValue`] writes its text.
pub struct ValueWriter<'a> {
    key: &'a mut Key,
}

impl ValueWriter<'_> {
    /// Appends text to the value.
    #[inline]
    pub fn push_str(&mut self, s: &str) {
        self.key.push(s.as_bytes());
    }
}

impl std::fmt::Debug for ValueWriter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValueWriter").finish_non_exhaustive()
    }
}

/// An encoded key: on the stack while short, on the heap beyond.
pub(crate) struct Key {
    inline: [u8; Key::INLINE],
    len: usize,
    heap: Vec<u8>,
}

impl Key {
    const INLINE: usize = 128;

    pub(crate) fn new() -> Self {
        Key {
            inline: [0; Key::INLINE],
            len: 0,
            heap: Vec::new(),
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len();
        if self.heap.is_empty() && end <= Key::INLINE {
            self.inline[self.len..end].copy_from_slice(bytes);
        } else {
            if self.heap.is_empty() {
                self.heap.extend_from_slice(&self.inline[..self.len]);
            }
            self.heap.extend_from_slice(bytes);
        }
        self.len = end;
    }

    #[inline]
    pub(crate) fn as_bytes(&self) -> &[u8] {
        if self.heap.is_empty() {
            &self.inline[..self.len]
        } else {
            &self.heap
        }
    }

    /// Encodes a label set.
    #[inline]
    pub(crate) fn of<L: LabelSet + ?Sized>(labels: &L) -> Self {
        let mut key = Key::new();
        labels.visit(&mut KeyWriter {
            key: &mut key,
            first: true,
        });
        key
    }

    /// Encodes string values.
    pub(crate) fn of_strs(values: &[&str]) -> Self {
        let mut key = Key::new();
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                key.push(&[SEP]);
            }
            key.push(v.as_bytes());
        }
        key
    }
}

/// Splits an encoded key of a family with at least one label back into its values.
pub(crate) fn decode(key: &[u8]) -> impl Iterator<Item = &str> {
    // Keys are written from `&str`s and `SEP`, so each part is UTF-8.
    key.split(|&b| b == SEP)
        .map(|v| std::str::from_utf8(v).unwrap_or(""))
}

impl LabelValue for bool {
    const VALUES: Option<&'static [&'static str]> = Some(&["false", "true"]);

    fn index(&self) -> usize {
        usize::from(*self)
    }
}

impl LabelValue for str {
    fn write(&self, out: &mut ValueWriter<'_>) {
        out.push_str(self);
    }
}

impl LabelValue for String {
    fn write(&self, out: &mut ValueWriter<'_>) {
        out.push_str(self);
    }
}

impl LabelValue for Cow<'_, str> {
    fn write(&self, out: &mut ValueWriter<'_>) {
        out.push_str(self);
    }
}

impl LabelValue for Box<str> {
    fn write(&self, out: &mut ValueWriter<'_>) {
        out.push_str(self);
    }
}

impl LabelValue for Arc<str> {
    fn write(&self, out: &mut ValueWriter<'_>) {
        out.push_str(self);
    }
}

impl<T: LabelValue + ?Sized> LabelValue for &T {
    const VALUES: Option<&'static [&'static str]> = T::VALUES;

    fn index(&self) -> usize {
        (**self).index()
    }

    fn write(&self, out: &mut ValueWriter<'_>) {
        (**self).write(out);
    }
}

macro_rules! integer_label_values {
    ($($t:ty),*) => {$(
        impl LabelValue for $t {
            fn write(&self, out: &mut ValueWriter<'_>) {
                out.push_str(itoa::Buffer::new().format(*self));
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

    #[test]
    fn keys_keep_value_boundaries() {
        let a = Key::of(&Open("ab", 1));
        let b = Key::of(&Open("a", 1));
        assert_ne!(a.as_bytes(), b.as_bytes());
        assert_ne!(
            Key::of_strs(&["ab", "c"]).as_bytes(),
            Key::of_strs(&["a", "bc"]).as_bytes()
        );
        assert_eq!(
            Key::of(&Open("x", -7)).as_bytes(),
            Key::of_strs(&["x", "-7"]).as_bytes()
        );
        assert_eq!(
            decode(Key::of_strs(&["", "é", "z"]).as_bytes()).collect::<Vec<_>>(),
            ["", "é", "z"]
        );
        assert_eq!(
            decode(Key::of_strs(&[""]).as_bytes()).collect::<Vec<_>>(),
            [""]
        );
        let long = "y".repeat(300);
        let k = Key::of_strs(&["a", &long, "b"]);
        assert_eq!(
            decode(k.as_bytes()).collect::<Vec<_>>(),
            ["a", long.as_str(), "b"]
        );
    }
}
