//! Wrapping a function's body with a guard. The user's body stays one block of its own; the
//! guard is a local made before it, so `return`, `?`, a panic, and (for `async fn`) dropping
//! the future all end the measurement. For `async fn` the guard is made at the first poll.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{ItemFn, ReturnType, Type};

use super::Kind;
use super::args::Args;

pub(crate) fn wrap(kind: Kind, args: &Args, function: &ItemFn) -> syn::Result<TokenStream> {
    let sig = &function.sig;
    if let Some(constness) = &sig.constness {
        return Err(syn::Error::new(
            constness.span,
            format!(
                "#[{}] cannot measure a `const fn`: it may run at compile time",
                kind.name()
            ),
        ));
    }
    let krate = &args.krate;
    let metric = &args.metric;
    let block = &function.block;
    let is_async = sig.asyncness.is_some();
    let body = match kind {
        Kind::Timed => quote! {
            let __metrics_target = &(#metric);
            let __metrics_timer = #krate::Timer::new(__metrics_target);
            #block
        },
        Kind::InProgress => quote! {
            let __metrics_target = &(#metric);
            let __metrics_in_progress = #krate::InProgress::new(__metrics_target);
            #block
        },
        Kind::CountExceptions if !args.on_err => quote! {
            let __metrics_target = &(#metric);
            let __metrics_guard = #krate::FailureGuard::new(__metrics_target, true, false);
            #block
        },
        Kind::CountExceptions => {
            let on_panic = args.on_panic;
            // The result is checked where the function's return type is known, so that a
            // function that does not return a Result gets the Outcome error on its type.
            let check_span = match &sig.output {
                ReturnType::Type(_, ty) => ty.span(),
                ReturnType::Default => sig.ident.span(),
            };
            let result = if is_async {
                quote!(async move #block.await)
            } else {
                let annotation = match &sig.output {
                    ReturnType::Type(arrow, ty) if !has_impl_trait(ty) => quote!(#arrow #ty),
                    _ => quote!(),
                };
                quote! {
                    (move || #annotation #block)()
                }
            };
            let check = quote_spanned! {check_span=>
                #krate::FailureGuard::check(__metrics_guard, __metrics_result)
            };
            quote! {
                let __metrics_target = &(#metric);
                let __metrics_guard = #krate::FailureGuard::new(__metrics_target, #on_panic, true);
                #[allow(clippy::redundant_closure_call)]
                let __metrics_result = #result;
                #check
            }
        }
    };
    let attrs = &function.attrs;
    let vis = &function.vis;
    Ok(quote! {
        #(#attrs)*
        #vis #sig {
            #body
        }
    })
}

fn has_impl_trait(ty: &Type) -> bool {
    match ty {
        Type::ImplTrait(_) => true,
        other => {
            let tokens = quote!(#other).to_string();
            tokens.split_whitespace().any(|t| t == "impl")
        }
    }
}
