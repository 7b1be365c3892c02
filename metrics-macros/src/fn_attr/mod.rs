//! `#[timed]`, `#[count_exceptions]`, `#[in_progress]`: parse the arguments (args.rs), then wrap
//! the function's body with a guard (wrap.rs). After an error the function is emitted unchanged
//! next to the error, so the rest of the crate still type-checks.

mod args;
mod wrap;

use proc_macro2::TokenStream;
use quote::quote;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Timed,
    CountExceptions,
    InProgress,
}

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Timed => "timed",
            Kind::CountExceptions => "count_exceptions",
            Kind::InProgress => "in_progress",
        }
    }
}

pub(crate) fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let function = match syn::parse2::<syn::ItemFn>(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            let error = syn::Error::new(
                proc_macro2::Span::call_site(),
                format!(
                    "#[{}] applies to functions and methods with a body (fn, async fn)",
                    kind.name()
                ),
            )
            .into_compile_error();
            return quote!(#error #item);
        }
    };
    let result = args::Args::parse(kind, args).and_then(|args| wrap::wrap(kind, &args, &function));
    match result {
        Ok(tokens) => tokens,
        Err(error) => {
            let error = error.into_compile_error();
            quote!(#error #function)
        }
    }
}
