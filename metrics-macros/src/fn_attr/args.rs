//! The arguments: the metric (an expression, e.g. `HTTP.latency` or
//! `HTTP.by_method.get(&Method::Get)`), then `on = "err" | "panic"` (count_exceptions),
//! `exemplar = EXPR` (timed) and `crate = path`, each at most once.

use proc_macro2::{Span, TokenStream};
use syn::parse::{ParseStream, Parser as _};
use syn::{Expr, LitStr, Path, Token};

use super::Kind;

pub(crate) struct Args {
    pub(crate) metric: Expr,
    pub(crate) on_err: bool,
    pub(crate) on_panic: bool,
    /// `exemplar = EXPR`: the labels of the observation's exemplar.
    pub(crate) exemplar: Option<Expr>,
    pub(crate) krate: Path,
}

mod kw {
    syn::custom_keyword!(on);
    syn::custom_keyword!(exemplar);
}

impl Args {
    pub(crate) fn parse(kind: Kind, tokens: TokenStream) -> syn::Result<Args> {
        let example = match kind {
            Kind::Timed => "#[timed(HTTP.latency)]",
            Kind::CountExceptions => "#[count_exceptions(HTTP.errors)]",
            Kind::InProgress => "#[in_progress(HTTP.in_flight)]",
        };
        if tokens.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                format!(
                    "#[{}] needs the metric to update, e.g. {example}",
                    kind.name()
                ),
            ));
        }
        let parser = |input: ParseStream<'_>| {
            let metric: Expr = input.parse()?;
            let mut args = Args {
                metric,
                on_err: true,
                on_panic: true,
                exemplar: None,
                krate: crate::crate_path::default(),
            };
            let mut seen: Vec<&'static str> = Vec::new();
            let mut once = |key: &'static str, span: Span| {
                if seen.contains(&key) {
                    return Err(syn::Error::new(span, format!("duplicate `{key}`")));
                }
                seen.push(key);
                Ok(())
            };
            while !input.is_empty() {
                input.parse::<Token![,]>()?;
                if input.is_empty() {
                    break;
                }
                let lookahead = input.lookahead1();
                if lookahead.peek(kw::on) {
                    let key = input.parse::<kw::on>()?;
                    if kind != Kind::CountExceptions {
                        return Err(syn::Error::new(
                            key.span,
                            "`on` applies to #[count_exceptions]",
                        ));
                    }
                    once("on", key.span)?;
                    input.parse::<Token![=]>()?;
                    let value: LitStr = input.parse()?;
                    match value.value().as_str() {
                        "err" => args.on_panic = false,
                        "panic" => args.on_err = false,
                        other => {
                            return Err(syn::Error::new(
                                value.span(),
                                format!(
                                    "unknown `on = {other:?}`: write on = \"err\" (Err returns only) or on = \"panic\" (panics only); without `on`, both count"
                                ),
                            ));
                        }
                    }
                } else if lookahead.peek(kw::exemplar) {
                    let key = input.parse::<kw::exemplar>()?;
                    if kind != Kind::Timed {
                        return Err(syn::Error::new(
                            key.span,
                            "`exemplar` applies to #[timed] (exemplars are kept with observations)",
                        ));
                    }
                    once("exemplar", key.span)?;
                    input.parse::<Token![=]>()?;
                    args.exemplar = Some(input.parse()?);
                } else if lookahead.peek(Token![crate]) {
                    let key = input.parse::<Token![crate]>()?;
                    once("crate", key.span)?;
                    input.parse::<Token![=]>()?;
                    args.krate = input.parse()?;
                } else {
                    let supported = match kind {
                        Kind::Timed => "exemplar, crate",
                        Kind::CountExceptions => "on, crate",
                        Kind::InProgress => "crate",
                    };
                    return Err(syn::Error::new(
                        input.span(),
                        format!(
                            "unknown argument of #[{}]; after the metric it takes: {supported}",
                            kind.name()
                        ),
                    ));
                }
            }
            Ok(args)
        };
        parser.parse2(tokens)
    }
}
