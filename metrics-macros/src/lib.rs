//! Procedural macros for `coremeter`, re-exported by it (feature `macros`, on by default):
//! depend on `coremeter` and write `use coremeter::{Metrics, timed};`. The user
//! documentation is on the re-exports in `coremeter`.
//!
//! - `#[derive(Metrics)]`: a struct of metrics, its names and HELP checked at compile time,
//!   registered in any registry or, with `#[metrics(static = NAME)]`, at link time in the
//!   default registry.
//! - `#[derive(LabelSet)]`, `#[derive(LabelValue)]`: typed labels; enums make dense families.
//! - `#[timed]`, `#[count_exceptions]`, `#[in_progress]`: measure a function with drop guards.
//!
//! Each macro goes parse -> model -> validate -> expand, with spanned errors and no panics on
//! user input.

#![forbid(unsafe_code)]

mod attr;
mod crate_path;
mod derive;
mod fn_attr;
mod labels;
mod names;
mod span;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// See `coremeter::Metrics` (the derive's documentation is on the re-export).
#[proc_macro_derive(Metrics, attributes(metrics, metric))]
pub fn derive_metrics(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    derive::expand(&input)
        .unwrap_or_else(|e| derive::fallback(&input, e))
        .into()
}

/// See `coremeter::LabelSet`.
#[proc_macro_derive(LabelSet, attributes(label))]
pub fn derive_label_set(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    labels::expand_set(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// See `coremeter::LabelValue`.
#[proc_macro_derive(LabelValue, attributes(label))]
pub fn derive_label_value(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    labels::expand_value(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// See `coremeter::timed`.
#[proc_macro_attribute]
pub fn timed(args: TokenStream, item: TokenStream) -> TokenStream {
    fn_attr::expand(fn_attr::Kind::Timed, args.into(), item.into()).into()
}

/// See `coremeter::count_exceptions`.
#[proc_macro_attribute]
pub fn count_exceptions(args: TokenStream, item: TokenStream) -> TokenStream {
    fn_attr::expand(fn_attr::Kind::CountExceptions, args.into(), item.into()).into()
}

/// See `coremeter::in_progress`.
#[proc_macro_attribute]
pub fn in_progress(args: TokenStream, item: TokenStream) -> TokenStream {
    fn_attr::expand(fn_attr::Kind::InProgress, args.into(), item.into()).into()
}
