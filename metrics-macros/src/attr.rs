//! Helpers for the helper attributes (`#[metrics(..)]`, `#[metric(..)]`, `#[label(..)]`):
//! errors collected and combined, duplicates reported at their second occurrence, unknown keys
//! answered with the list of supported ones.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::{Attribute, LitStr};

/// Errors collected while reading attributes, reported together.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub(crate) fn at(&mut self, span: Span, message: impl std::fmt::Display) {
        self.push(syn::Error::new(span, message));
    }

    /// Records the error of `result`, if any, and gives its value.
    pub(crate) fn ok<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|e| self.push(e)).ok()
    }

    pub(crate) fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

/// The keys seen in one attribute list, to refuse a repeated one.
#[derive(Default)]
pub(crate) struct Seen(Vec<String>);

impl Seen {
    /// Errs if `key` was given before in this list.
    pub(crate) fn first(&mut self, meta: &ParseNestedMeta<'_>, key: &str) -> syn::Result<()> {
        if self.0.iter().any(|k| k == key) {
            return Err(meta.error(format!("duplicate `{key}`")));
        }
        self.0.push(key.to_owned());
        Ok(())
    }
}

/// The key of a nested meta as a string (`name`, `crate`, `static`).
pub(crate) fn key(meta: &ParseNestedMeta<'_>) -> String {
    meta.path
        .get_ident()
        .map(|i| i.to_string().trim_start_matches("r#").to_owned())
        .unwrap_or_else(|| {
            let tokens = &meta.path;
            quote::quote!(#tokens).to_string().replace(' ', "")
        })
}

/// The error for a key the attribute does not know.
pub(crate) fn unknown(
    meta: &ParseNestedMeta<'_>,
    attribute: &str,
    supported: &[&str],
) -> syn::Error {
    meta.error(format!(
        "unknown key `{}` in #[{attribute}(..)]; supported: {}",
        key(meta),
        supported.join(", ")
    ))
}

/// Reads every key of the `#[attribute(..)]` lists in `attrs` with `read(meta, key)`, after
/// checking it: a key not in `supported` or given twice is an error. Every error goes to
/// `errors`; a list with an error is read no further.
pub(crate) fn each_key(
    attrs: &[Attribute],
    attribute: &str,
    supported: &[&str],
    errors: &mut Errors,
    mut read: impl FnMut(&ParseNestedMeta<'_>, &str) -> syn::Result<()>,
) {
    let mut seen = Seen::default();
    for attr in named(attrs, attribute) {
        let result = attr.parse_nested_meta(|meta| {
            let key = key(&meta);
            if !supported.contains(&key.as_str()) {
                return Err(unknown(&meta, attribute, supported));
            }
            seen.first(&meta, &key)?;
            read(&meta, &key)
        });
        if let Err(e) = result {
            errors.push(e);
        }
    }
}

/// `key = "string"`.
pub(crate) fn string(meta: &ParseNestedMeta<'_>) -> syn::Result<LitStr> {
    meta.value()?.parse()
}

/// The attributes named `name` among `attrs`.
pub(crate) fn named<'a>(
    attrs: &'a [Attribute],
    name: &'a str,
) -> impl Iterator<Item = &'a Attribute> {
    attrs.iter().filter(move |a| a.path().is_ident(name))
}

/// The text of the doc comments, lines trimmed and joined with spaces (Markdown paragraphs
/// become one line: HELP is one line).
pub(crate) fn doc(attrs: &[Attribute]) -> Option<(String, Span)> {
    let mut lines = Vec::new();
    let mut span = None;
    for attr in named(attrs, "doc") {
        if let syn::Meta::NameValue(nv) = &attr.meta
            && let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) = &nv.value
        {
            span.get_or_insert_with(|| s.span());
            lines.push(s.value().trim().to_owned());
        }
    }
    let text = lines
        .into_iter()
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (!text.is_empty()).then(|| (text, span.unwrap_or_else(Span::call_site)))
}
