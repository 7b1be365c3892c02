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

/// After an error: the error, and an impl of the trait so that uses of the struct do not add
/// errors of their own.
pub(crate) fn fallback(input: &DeriveInput, error: syn::Error) -> TokenStream {
    let error = error.into_compile_error();
    let ident = &input.ident;
    if !input.generics.params.is_empty() {
        return error;
    }
    let krate = crate::crate_path::default();
    quote! {
        #error
        const _: () = {
            #[automatically_derived]
            impl #krate::Metrics for #ident {
                fn register_with_prefix(
                    &self,
                    _: &#krate::Registry,
                    _: &str,
                ) -> ::core::result::Result<(), #krate::RegistryError> {
                    ::core::result::Result::Ok(())
                }
            }
        };
    }
}
