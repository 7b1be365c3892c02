//! The code `#[derive(Metrics)]` writes: `impl Metrics`, `new()` and `Default`, and for
//! `static = NAME` the static and its link-time registration.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned as _;

use super::model::{Container, Field, Kind, Simple};

pub(crate) fn expand(c: &Container<'_>) -> TokenStream {
    let krate = &c.krate;
    let ident = c.ident;
    let vis = c.vis;
    let ns_sub = c.prefix();

    let mut registrations = Vec::new();
    let mut constructors = Vec::new();
    let mut asserts = Vec::new();
    for f in &c.fields {
        let field = f.ident;
        constructors.push(constructor(c, f));
        if f.attrs.skip.is_some() {
            continue;
        }
        if f.attrs.flatten.is_some() {
            registrations.push(quote_spanned! {f.ty.span()=>
                #krate::Metrics::register_with_prefix(
                    &self.#field,
                    __metrics_registry,
                    &#krate::__private::join(__metrics_prefix, #ns_sub),
                )?;
            });
            continue;
        }
        let name = c.name_of(f);
        let help = f.help.as_ref().map(|h| h.0.clone()).unwrap_or_default();
        let unit = f.attrs.unit.iter().map(|u| quote!(.unit(#u)));
        let const_labels = c
            .const_labels
            .iter()
            .map(|(k, v)| quote!(.const_label(#k, #v)));
        let declared_at = format!("{}.{}", ident, field);
        registrations.push(quote! {
            __metrics_registry.register(
                #krate::__private::opts(#name, #help, __metrics_prefix)
                    .declared_at(::core::concat!(::core::module_path!(), "::", #declared_at))
                    #(#unit)* #(#const_labels)*,
                ::core::clone::Clone::clone(&self.#field),
            )?;
        });
        if let Some(states) = &f.attrs.states {
            asserts.push(crate::span::located_at(
                quote!(const _: () = #krate::__private::assert_states::<#states>();),
                states.span(),
            ));
        }
        if let Kind::Family {
            labels,
            dynamic: false,
            metric,
            ..
        } = &f.kind
        {
            let check = match metric {
                Simple::Histogram | Simple::NativeHistogram => Some(quote!(assert_no_le)),
                Simple::Summary | Simple::Statistics => Some(quote!(assert_no_quantile)),
                _ => None,
            };
            if let Some(check) = check {
                // Every token located at the label set's type, so that the compile error of a
                // failed assertion points at the field, not at the derive.
                asserts.push(crate::span::located_at(
                    quote!(const _: () = #krate::__private::#check::<#labels>();),
                    labels.span(),
                ));
            }
        }
    }

    let fields = c.fields.iter().map(|f| f.ident);
    let static_item = c.static_name.as_ref().map(|name| {
        let force = format_ident!("__METRICS_FORCE_{}", name);
        quote! {
            /// The metrics of this struct, registered in the default registry at link time:
            /// they show at 0 before first use.
            #vis static #name: #krate::__private::LazyLock<#ident> =
                #krate::__private::LazyLock::new(|| #krate::__private::register_static(#ident::new()));

            #[#krate::__private::linkme::distributed_slice(#krate::__private::STATICS)]
            #[linkme(crate = #krate::__private::linkme)]
            #[doc(hidden)]
            static #force: fn() = || {
                #krate::__private::LazyLock::force(&#name);
            };
        }
    });

    let new_body = quote!(#ident { #(#fields: #constructors,)* });
    let impls = struct_impls(
        c.krate.clone(),
        ident,
        vis,
        &quote!(#(#registrations)*),
        &new_body,
    );
    quote! {
        const _: () = {
            #impls
            #(#asserts)*
        };
        #static_item
    }
}

/// What the derive gives the struct: `impl Metrics` registering with `registrations` (statements
/// that may use `__metrics_registry` and `__metrics_prefix`), `Default`, and `new()` whose body
/// is `new_body`; also what its fallback gives after an error.
pub(crate) fn struct_impls(
    krate: syn::Path,
    ident: &syn::Ident,
    vis: &syn::Visibility,
    registrations: &TokenStream,
    new_body: &TokenStream,
) -> TokenStream {
    quote! {
        #[automatically_derived]
        impl #krate::Metrics for #ident {
            #[allow(unused_variables)]
            fn register_with_prefix(
                &self,
                __metrics_registry: &#krate::Registry,
                __metrics_prefix: &str,
            ) -> ::core::result::Result<(), #krate::RegistryError> {
                #registrations
                ::core::result::Result::Ok(())
            }
        }

        #[automatically_derived]
        impl ::core::default::Default for #ident {
            fn default() -> Self {
                Self::new()
            }
        }

        #[automatically_derived]
        impl #ident {
            /// The metrics, at 0 and not registered (see `Metrics::register`).
            #[allow(dead_code)]
            #vis fn new() -> Self {
                #new_body
            }
        }
    }
}

fn constructor(c: &Container<'_>, f: &Field<'_>) -> TokenStream {
    let krate = &c.krate;
    let ty = f.ty;
    if f.attrs.skip.is_some() || f.attrs.flatten.is_some() {
        return quote_spanned!(ty.span()=> ::core::default::Default::default());
    }
    let buckets = f.attrs.buckets.as_ref().map(|b| {
        let bounds = &b.bounds;
        match f.kind.simple() {
            // The native histogram defaults with classic buckets beside.
            Some(Simple::NativeHistogram) => {
                quote!(#krate::__private::native_classic(&[#(#bounds),*]))
            }
            _ => quote!(#krate::__private::buckets(&[#(#bounds),*])),
        }
    });
    // A configuration: a histogram's buckets, or a state set's states.
    let buckets = buckets.or_else(|| {
        f.attrs
            .states
            .as_ref()
            .map(|states| quote!(#krate::__private::states::<#states>()))
    });
    let limit = f.attrs.limit.map(|(n, _)| quote!(.with_limit(#n)));
    match &f.kind {
        Kind::Family {
            dynamic: true,
            metric_ty,
            ..
        } => {
            let names = f.attrs.labels.iter().flat_map(|(l, _)| l.iter());
            match buckets {
                Some(b) => quote_spanned! {ty.span()=>
                    #krate::__private::dyn_family_with::<#metric_ty>(&[#(#names),*], #b) #limit
                },
                None => quote_spanned! {ty.span()=>
                    #krate::__private::dyn_family::<#metric_ty>(&[#(#names),*]) #limit
                },
            }
        }
        Kind::Family { .. } => match buckets {
            Some(b) => quote_spanned!(ty.span()=> <#ty>::with_config(#b) #limit),
            None => quote_spanned!(ty.span()=> <#ty>::new() #limit),
        },
        Kind::Simple(Simple::Info) => {
            quote_spanned!(ty.span()=> ::core::default::Default::default())
        }
        _ => match buckets {
            Some(b) => quote_spanned!(ty.span()=> <#ty>::with_config(#b)),
            None => quote_spanned!(ty.span()=> <#ty>::new()),
        },
    }
}
