//! Wrapping a function so that a guard measures the execution of its work, in every shape the
//! work takes:
//!
//! - a plain `fn`: the guard is a local made before the body's statements, so `return`, `?` and
//!   a panic all end the measurement; when the result is needed (`#[timed]`, and
//!   `#[count_exceptions]` of `Err` returns) the statements run in a closure called once
//!   (`FnOnce`, `move`), which borrow-checks as the function body does;
//! - an `async fn`: the same inside the future, so the guard is made at the first poll and ends
//!   at completion or drop (cancellation); the result is read from an inner `async move` block;
//! - a `fn` returning `impl Future`, `Pin<Box<dyn Future>>` or `BoxFuture`: the body makes the
//!   future, and the returned future wraps it, measuring from its first poll;
//! - the `#[async_trait]` expansion (a body ending in `Box::pin(async move { .. })`, found as
//!   tracing's `#[instrument]` finds it): the async block is measured in place;
//! - any other `fn` whose return type is a future (a named future type): a compile error saying
//!   what to write instead, never a measurement of the future's creation.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{
    AttrStyle, Expr, ExprAsync, ExprCall, GenericArgument, ItemFn, PathArguments, ReturnType, Stmt,
    Type, TypeParamBound,
};

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
    let guard = Guard::new(kind, args, &sig.output, &sig.ident);
    let stmts = &function.block.stmts;
    let inner_attrs = function
        .attrs
        .iter()
        .filter(|a| matches!(a.style, AttrStyle::Inner(_)));
    let outer_attrs = function
        .attrs
        .iter()
        .filter(|a| matches!(a.style, AttrStyle::Outer));
    let krate = &args.krate;
    let body = match Shape::of(function) {
        Shape::AsyncFn => {
            let annotation = let_annotation(&sig.output);
            guard.around(
                &quote!(#(#stmts)*),
                |body| quote!(async move { #body }.await),
                annotation,
            )
        }
        Shape::Sync => {
            let probe = future_probe(krate, &sig.output);
            let annotation = closure_annotation(&sig.output);
            let measured = guard.around(
                &quote!(#(#stmts)*),
                |body| quote!(#krate::__private::call_once(move || #annotation { #body })),
                None,
            );
            quote!(#probe #measured)
        }
        Shape::ReturnsFuture { boxed } => {
            let measured = guard.around(&quote!(__coremeter_future.await), Clone::clone, None);
            let future = quote!(async move { #measured });
            let future = if boxed {
                quote!(::std::boxed::Box::pin(#future))
            } else {
                future
            };
            quote! {
                let __coremeter_future = #krate::__private::call_once(move || { #(#stmts)* });
                #future
            }
        }
        Shape::AsyncTrait { call, block } => {
            let inner = &block.block.stmts;
            let measured = guard.around(
                &quote!(#(#inner)*),
                |body| quote!(async move { #body }.await),
                None,
            );
            let func = &call.func;
            let before = &stmts[..stmts.len() - 1];
            quote! {
                #(#before)*
                #func(async move { #measured })
            }
        }
    };
    let vis = &function.vis;
    Ok(quote! {
        #(#outer_attrs)*
        #vis #sig {
            #(#inner_attrs)*
            #body
        }
    })
}

/// Where the function's work runs.
enum Shape<'a> {
    /// A plain `fn`: its body is the work.
    Sync,
    /// An `async fn`.
    AsyncFn,
    /// A `fn` whose body makes a future (`impl Future`, `Pin<Box<dyn Future>>`, `BoxFuture`):
    /// the work is the future's.
    ReturnsFuture { boxed: bool },
    /// The `#[async_trait]` expansion: the work is the async block in `Box::pin(..)`.
    AsyncTrait {
        call: &'a ExprCall,
        block: &'a ExprAsync,
    },
}

impl<'a> Shape<'a> {
    fn of(function: &'a ItemFn) -> Shape<'a> {
        if function.sig.asyncness.is_some() {
            return Shape::AsyncFn;
        }
        if let Some((call, block)) = async_trait_block(function) {
            return Shape::AsyncTrait { call, block };
        }
        match &function.sig.output {
            ReturnType::Type(_, ty) if is_impl_future(ty) => Shape::ReturnsFuture { boxed: false },
            ReturnType::Type(_, ty) if is_boxed_future(ty) => Shape::ReturnsFuture { boxed: true },
            _ => Shape::Sync,
        }
    }
}

/// The last statement `Box::pin(async move { .. })`, as `#[async_trait]` writes it.
fn async_trait_block(function: &ItemFn) -> Option<(&ExprCall, &ExprAsync)> {
    let Some(Stmt::Expr(Expr::Call(call), None)) = function.block.stmts.last() else {
        return None;
    };
    let Expr::Path(path) = &*call.func else {
        return None;
    };
    let segments: Vec<String> = path
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    if !segments.ends_with(&["Box".to_owned(), "pin".to_owned()]) || call.args.len() != 1 {
        return None;
    }
    match call.args.first() {
        Some(Expr::Async(block)) if block.capture.is_some() => Some((call, block)),
        _ => None,
    }
}

/// `impl Future<..> (+ ..)`.
fn is_impl_future(ty: &Type) -> bool {
    match ty {
        Type::ImplTrait(t) => t.bounds.iter().any(is_future_bound),
        Type::Paren(p) => is_impl_future(&p.elem),
        _ => false,
    }
}

/// `Pin<Box<dyn Future<..> + ..>>`, or the futures crate's `BoxFuture` / `LocalBoxFuture`.
fn is_boxed_future(ty: &Type) -> bool {
    let Some(last) = last_segment(ty) else {
        return false;
    };
    if last.ident == "BoxFuture" || last.ident == "LocalBoxFuture" {
        return true;
    }
    if last.ident != "Pin" {
        return false;
    }
    let Some(Type::Path(boxed)) = first_type_argument(&last.arguments) else {
        return false;
    };
    let Some(boxed) = boxed.path.segments.last() else {
        return false;
    };
    boxed.ident == "Box"
        && matches!(first_type_argument(&boxed.arguments), Some(Type::TraitObject(o)) if o.bounds.iter().any(is_future_bound))
}

fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        _ => None,
    }
}

fn first_type_argument(arguments: &PathArguments) -> Option<&Type> {
    let PathArguments::AngleBracketed(args) = arguments else {
        return None;
    };
    args.args.iter().find_map(|a| match a {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    })
}

fn is_future_bound(bound: &TypeParamBound) -> bool {
    matches!(bound, TypeParamBound::Trait(t) if t.path.segments.last().is_some_and(|s| s.ident == "Future"))
}

fn has_impl_trait(ty: &Type) -> bool {
    ty.to_token_stream()
        .to_string()
        .split_whitespace()
        .any(|t| t == "impl")
}

/// `-> T` for the closure of a plain `fn`, unless `T` holds `impl Trait` (not allowed there).
fn closure_annotation(output: &ReturnType) -> TokenStream {
    match output {
        ReturnType::Type(arrow, ty) if !has_impl_trait(ty) => quote!(#arrow #ty),
        _ => quote!(),
    }
}

/// `: T` for the result of an `async fn`'s inner block (so that `?` in it knows its error
/// type), unless `T` holds `impl Trait`.
fn let_annotation(output: &ReturnType) -> Option<TokenStream> {
    match output {
        ReturnType::Type(_, ty) if !has_impl_trait(ty) => Some(quote!(: #ty)),
        _ => None,
    }
}

/// For a plain `fn` with a named return type: a compile error if that type is a future (the
/// attributes would measure only its creation).
fn future_probe(krate: &syn::Path, output: &ReturnType) -> TokenStream {
    let ReturnType::Type(_, ty) = output else {
        return quote!();
    };
    if has_impl_trait(ty) || matches!(**ty, Type::Never(_)) {
        return quote!();
    }
    quote_spanned! {ty.span()=>
        {
            #[allow(unused_imports)]
            use #krate::__private::{ProbeFuture as _, ProbeOther as _};
            #krate::__private::measurable((&#krate::__private::Probe::<#ty>::new()).__coremeter_probe());
        }
    }
}

/// The guard of one attribute: the statements that make it, and, when it needs the function's
/// result, the statements that finish it with `__coremeter_result`.
struct Guard {
    enter: TokenStream,
    finish: Option<TokenStream>,
}

impl Guard {
    fn new(kind: Kind, args: &Args, output: &ReturnType, ident: &syn::Ident) -> Guard {
        let krate = &args.krate;
        let metric = &args.metric;
        // Errors about the result's type point at the return type.
        let result_span = match output {
            ReturnType::Type(_, ty) => ty.span(),
            ReturnType::Default => ident.span(),
        };
        let target = quote!(let __coremeter_target = &(#metric););
        match kind {
            Kind::Timed => {
                let (start, finish) = match &args.exemplar {
                    Some(exemplar) => (
                        quote!(#krate::CallTimer::start_with_exemplar(__coremeter_target, #exemplar)),
                        quote_spanned!(result_span=> #krate::CallTimer::finish_with_exemplar(__coremeter_timer, &__coremeter_result);),
                    ),
                    None => (
                        quote!(#krate::CallTimer::start(__coremeter_target)),
                        quote_spanned!(result_span=> #krate::CallTimer::finish(__coremeter_timer, &__coremeter_result);),
                    ),
                };
                Guard {
                    enter: quote!(#target let __coremeter_timer = #start;),
                    finish: Some(finish),
                }
            }
            Kind::InProgress => Guard {
                enter: quote!(#target let __coremeter_in_progress = #krate::InProgress::new(__coremeter_target);),
                finish: None,
            },
            Kind::CountExceptions => {
                let (on_panic, on_err) = (args.on_panic, args.on_err);
                Guard {
                    enter: quote!(#target let __coremeter_failures = #krate::FailureGuard::new(__coremeter_target, #on_panic, #on_err);),
                    finish: on_err.then(|| {
                        quote_spanned! {result_span=>
                            let __coremeter_result = #krate::FailureGuard::check(__coremeter_failures, __coremeter_result);
                        }
                    }),
                }
            }
        }
    }

    /// `work` (statements, or an expression giving the result) measured by this guard; when the
    /// result is needed, `capture(work)` is the expression that runs it and gives the result.
    fn around(
        &self,
        work: &TokenStream,
        capture: impl FnOnce(&TokenStream) -> TokenStream,
        annotation: Option<TokenStream>,
    ) -> TokenStream {
        let enter = &self.enter;
        match &self.finish {
            None => quote!(#enter #work),
            Some(finish) => {
                let run = capture(work);
                quote! {
                    #enter
                    let __coremeter_result #annotation = #run;
                    #finish
                    __coremeter_result
                }
            }
        }
    }
}
