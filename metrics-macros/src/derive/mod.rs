//! `#[derive(Metrics)]`: parse (attr.rs) -> model (model.rs) -> validate (validate.rs) ->
//! expand (expand.rs).

mod attr;
mod expand;
mod model;
mod validate;

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let container = model::Container::from_input(input)?;
    validate::check(&container)?;
    Ok(expand::expand(&container))
}

/// After an error: the error, and what the derive would have given the struct (`Metrics`,
/// `new()`, `Default`, and the `static` of `static = NAME`), so that uses of the struct add no
/// errors of their own: each mistake is one error. None of it runs: the crate does not compile.
pub(crate) fn fallback(input: &DeriveInput, error: syn::Error) -> TokenStream {
    let error = error.into_compile_error();
    let ident = &input.ident;
    if !input.generics.params.is_empty() {
        return error;
    }
    let vis = &input.vis;
    let (static_name, krate) = attr::lenient_container(&input.attrs);
    let krate = krate.unwrap_or_else(crate::crate_path::default);
    let static_item = static_name.map(|name| {
        quote! {
            #vis static #name: #krate::__private::LazyLock<#ident> =
                #krate::__private::LazyLock::new(#ident::new);
        }
    });
    let new_body = quote!(::core::unreachable!(
        "#[derive(Metrics)] reported a compile error"
    ));
    let impls = expand::struct_impls(krate, ident, vis, &quote!(), &new_body);
    quote! {
        #error
        const _: () = {
            #impls
        };
        #static_item
    }
}
