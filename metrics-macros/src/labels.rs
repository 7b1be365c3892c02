//! `#[derive(LabelSet)]` on a struct (its fields are the labels) and `#[derive(LabelValue)]` on
//! a unit-only enum (its variants are the values): parse -> model -> validate -> expand in one
//! file, they are small.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::spanned::Spanned as _;
use syn::{Attribute, Data, DeriveInput, Fields, LitStr, Path};

use crate::attr::{Errors, each_key, string};
use crate::names::{self, Case};

const SET_CONTAINER_KEYS: &[&str] = &["rename_all", "crate"];
const ITEM_KEYS: &[&str] = &["rename"];

/// `#[label(rename_all = "..", crate = path)]` on the type.
struct ContainerAttrs {
    rename_all: Option<Case>,
    krate: Path,
}

fn container_attrs(attrs: &[Attribute], errors: &mut Errors) -> ContainerAttrs {
    let mut out = ContainerAttrs {
        rename_all: None,
        krate: crate::crate_path::default(),
    };
    each_key(attrs, "label", SET_CONTAINER_KEYS, errors, |meta, key| {
        if key == "crate" {
            out.krate = meta.value()?.parse()?;
            return Ok(());
        }
        let lit = string(meta)?;
        out.rename_all = Some(Case::from_str(&lit.value()).ok_or_else(|| {
            syn::Error::new(
                lit.span(),
                format!("unknown case {:?}; supported: {}", lit.value(), Case::ALL),
            )
        })?);
        Ok(())
    });
    out
}

/// `#[label(rename = "..")]` on a field or variant.
fn rename(attrs: &[Attribute], errors: &mut Errors) -> Option<LitStr> {
    let mut out = None;
    each_key(attrs, "label", ITEM_KEYS, errors, |meta, _| {
        out = Some(string(meta)?);
        Ok(())
    });
    out
}

fn named_text(ident: &syn::Ident, rename: Option<&LitStr>, case: Option<Case>) -> (String, Span) {
    match rename {
        Some(r) => (r.value(), r.span()),
        None => {
            let raw = ident.to_string();
            let raw = raw.trim_start_matches("r#");
            (
                case.map_or_else(|| raw.to_owned(), |c| c.apply(raw)),
                ident.span(),
            )
        }
    }
}

pub(crate) fn expand_set(input: &DeriveInput) -> syn::Result<TokenStream> {
    let fields = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(n) => &n.named,
            other => {
                return Err(syn::Error::new(
                    other.span(),
                    "#[derive(LabelSet)] needs named fields: each field's name is a label name",
                ));
            }
        },
        _ => {
            return Err(syn::Error::new(
                input.ident.span(),
                "#[derive(LabelSet)] works on structs with named fields (for the values of one \
                 label, use #[derive(LabelValue)] on an enum)",
            ));
        }
    };
    let mut errors = Errors::default();
    let container = container_attrs(&input.attrs, &mut errors);
    let mut label_names: Vec<String> = Vec::new();
    let mut idents = Vec::new();
    let mut types = Vec::new();
    for field in fields {
        let Some(ident) = &field.ident else { continue };
        let rename = rename(&field.attrs, &mut errors);
        let (name, span) = named_text(ident, rename.as_ref(), container.rename_all);
        if let Some(why) = names::label_name_error(&name) {
            errors.at(span, format!("invalid label name {name:?}: {why}"));
        } else if label_names.contains(&name) {
            errors.at(span, format!("duplicate label name `{name}`"));
        }
        label_names.push(name);
        idents.push(ident);
        types.push(&field.ty);
    }
    if fields.is_empty() {
        errors.at(
            input.ident.span(),
            "a label set needs at least one field (one label)",
        );
    }
    errors.finish()?;
    let krate = &container.krate;
    let ident = &input.ident;
    let mut generics = input.generics.clone();
    for param in generics.type_params_mut() {
        param.bounds.push(syn::parse_quote!(#krate::LabelValue));
    }
    // Each field's type is a label value: one bound per field, so that a type that is not
    // is one error at its field (the uses below rely on the bound).
    let where_clause = generics.make_where_clause();
    for ty in &types {
        let predicate = crate::span::located_at(quote!(#ty: #krate::LabelValue), ty.span());
        where_clause.predicates.push(syn::parse2(predicate)?);
    }
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    Ok(quote! {
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #krate::LabelSet for #ident #ty_generics #where_clause {
                const NAMES: &'static [&'static str] = &[#(#label_names),*];
                const VALUES: &'static [::core::option::Option<&'static [&'static str]>] =
                    &[#(<#types as #krate::LabelValue>::VALUES),*];

                #[inline]
                fn visit<__MetricsV: #krate::LabelVisitor>(&self, __metrics_visitor: &mut __MetricsV) {
                    #(__metrics_visitor.value(&self.#idents);)*
                }
            }
        };
    })
}

pub(crate) fn expand_value(input: &DeriveInput) -> syn::Result<TokenStream> {
    let Data::Enum(data) = &input.data else {
        return Err(syn::Error::new(
            input.ident.span(),
            "#[derive(LabelValue)] works on enums whose variants have no fields; strings and \
             integers are label values already",
        ));
    };
    if let Some(param) = input.generics.params.first() {
        return Err(syn::Error::new(
            param.span(),
            "#[derive(LabelValue)] does not support generic parameters",
        ));
    }
    let mut errors = Errors::default();
    let container = container_attrs(&input.attrs, &mut errors);
    let mut values: Vec<String> = Vec::new();
    let mut variants = Vec::new();
    for variant in &data.variants {
        if !matches!(variant.fields, Fields::Unit) {
            errors.at(
                variant.fields.span(),
                "#[derive(LabelValue)] needs unit variants: a label value is one of a fixed set of names",
            );
            continue;
        }
        let rename = rename(&variant.attrs, &mut errors);
        let (value, span) = named_text(&variant.ident, rename.as_ref(), container.rename_all);
        if values.contains(&value) {
            errors.at(span, format!("two variants have the label value {value:?}"));
        }
        values.push(value);
        variants.push(&variant.ident);
    }
    if data.variants.is_empty() {
        errors.at(
            input.ident.span(),
            "a label value enum needs at least one variant",
        );
    }
    errors.finish()?;
    let krate = &container.krate;
    let ident = &input.ident;
    let indices = 0..variants.len();
    Ok(quote! {
        const _: () = {
            #[automatically_derived]
            impl #krate::LabelValue for #ident {
                const VALUES: ::core::option::Option<&'static [&'static str]> =
                    ::core::option::Option::Some(&[#(#values),*]);

                #[inline]
                fn index(&self) -> usize {
                    match *self {
                        #(#ident::#variants => #indices,)*
                    }
                }
            }
        };
    })
}
