//! The arguments: the metric (an expression, e.g. `HTTP.latency` or
//! `HTTP.by_method.get(&Method::Get)`), then `on = "err" | "panic"` (count_exceptions) and
//! `crate = path`.

use proc_macro2::TokenStream;
use syn::parse::{ParseStream, Parser as _};
use syn::{Expr, LitStr, Path, Token};

use super::Kind;

pub(crate) struct Args {
    pub(crate) metric: Expr,
    pub(crate) on_err: bool,
    pub(crate) on_panic: bool,
    pub(crate) krate: Path,
}

mod kw {
    syn::custom_keyword!(on);
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
                proc_macro2::Span::call_site(),
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
                krate: crate::crate_path::default(),
            };
            let mut seen_on = false;
            let mut seen_crate = false;
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
                    if seen_on {
                        return Err(syn::Error::new(key.span, "duplicate `on`"));
                    }
                    seen_on = true;
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
                } else if lookahead.peek(Token![crate]) {
                    let key = input.parse::<Token![crate]>()?;
                    if seen_crate {
                        return Err(syn::Error::new(key.span, "duplicate `crate`"));
                    }
                    seen_crate = true;
                    input.parse::<Token![=]>()?;
                    args.krate = input.parse()?;
                } else {
                    let supported = if kind == Kind::CountExceptions {
                        "on, crate"
                    } else {
                        "crate"
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
