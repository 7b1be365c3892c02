//! Reading `#[metrics(..)]` on the struct and `#[metric(..)]` on its fields.

use proc_macro2::Span;
use syn::spanned::Spanned as _;
use syn::{
    Attribute, Expr, ExprArray, ExprCall, ExprLit, ExprUnary, Ident, Lit, LitStr, Path, UnOp,
};

use crate::attr::{Errors, Seen, each_key, named, string};

const CONTAINER_KEYS: &[&str] = &["namespace", "subsystem", "const_labels", "static", "crate"];
const FIELD_KEYS: &[&str] = &[
    "name", "help", "unit", "buckets", "labels", "limit", "states", "skip", "flatten",
];

/// `#[metrics(namespace = "..", subsystem = "..", const_labels(k = "v", ..), static = NAME,
/// crate = path)]`.
#[derive(Default)]
pub(crate) struct ContainerAttrs {
    pub(crate) namespace: Option<LitStr>,
    pub(crate) subsystem: Option<LitStr>,
    pub(crate) const_labels: Vec<(LitStr, LitStr)>,
    pub(crate) static_name: Option<Ident>,
    pub(crate) krate: Option<Path>,
}

impl ContainerAttrs {
    pub(crate) fn from_attrs(attrs: &[Attribute]) -> syn::Result<ContainerAttrs> {
        let mut out = ContainerAttrs::default();
        let mut errors = Errors::default();
        for attr in named(attrs, "metric") {
            errors.at(
                attr.span(),
                "on the struct, write #[metrics(..)]; #[metric(..)] is for fields",
            );
        }
        each_key(
            attrs,
            "metrics",
            CONTAINER_KEYS,
            &mut errors,
            |meta, key| {
                match key {
                    "namespace" => out.namespace = Some(string(meta)?),
                    "subsystem" => out.subsystem = Some(string(meta)?),
                    "static" => out.static_name = Some(meta.value()?.parse()?),
                    "crate" => out.krate = Some(meta.value()?.parse()?),
                    _ => {
                        let mut names = Seen::default();
                        meta.parse_nested_meta(|label| {
                            let name = crate::attr::key(&label);
                            names.first(&label, &name)?;
                            let name_lit = LitStr::new(&name, label.path.span());
                            out.const_labels.push((name_lit, string(&label)?));
                            Ok(())
                        })?;
                    }
                }
                Ok(())
            },
        );
        errors.finish().map(|()| out)
    }
}

/// `static = NAME` and `crate = path` of `#[metrics(..)]`, read past any mistake in the other
/// keys (what the derive's fallback after an error needs).
pub(crate) fn lenient_container(attrs: &[Attribute]) -> (Option<Ident>, Option<Path>) {
    let (mut static_name, mut krate) = (None, None);
    for attr in named(attrs, "metrics") {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("static") {
                static_name = meta.value()?.parse().ok();
            } else if meta.path.is_ident("crate") {
                krate = meta.value()?.parse().ok();
            } else if meta.input.peek(syn::Token![=]) {
                meta.value()?.parse::<Expr>()?;
            } else if meta.input.peek(syn::token::Paren) {
                meta.parse_nested_meta(|inner| {
                    if inner.input.peek(syn::Token![=]) {
                        inner.value()?.parse::<Expr>()?;
                    }
                    Ok(())
                })?;
            }
            Ok(())
        });
    }
    (static_name, krate)
}

/// The buckets of `#[metric(buckets = ..)]`, computed.
pub(crate) struct Buckets {
    pub(crate) bounds: Vec<f64>,
    pub(crate) span: Span,
}

/// `#[metric(..)]` on a field.
#[derive(Default)]
pub(crate) struct FieldAttrs {
    pub(crate) name: Option<LitStr>,
    pub(crate) help: Option<LitStr>,
    pub(crate) unit: Option<LitStr>,
    pub(crate) buckets: Option<Buckets>,
    pub(crate) labels: Option<(Vec<LitStr>, Span)>,
    pub(crate) limit: Option<(usize, Span)>,
    /// `states = Type`: the `#[derive(LabelValue)]` enum whose values a state set's states are.
    pub(crate) states: Option<syn::Type>,
    pub(crate) skip: Option<Span>,
    pub(crate) flatten: Option<Span>,
}

impl FieldAttrs {
    pub(crate) fn from_attrs(attrs: &[Attribute]) -> syn::Result<FieldAttrs> {
        let mut out = FieldAttrs::default();
        let mut errors = Errors::default();
        for attr in named(attrs, "metrics") {
            errors.at(
                attr.span(),
                "on a field, write #[metric(..)]; #[metrics(..)] is for the struct",
            );
        }
        each_key(attrs, "metric", FIELD_KEYS, &mut errors, |meta, key| {
            let span = meta.path.span();
            match key {
                "name" => out.name = Some(string(meta)?),
                "help" => out.help = Some(string(meta)?),
                "unit" => out.unit = Some(string(meta)?),
                "skip" => out.skip = Some(span),
                "flatten" => out.flatten = Some(span),
                "states" => out.states = Some(meta.value()?.parse()?),
                "limit" => {
                    let lit: syn::LitInt = meta.value()?.parse()?;
                    let n: usize = lit.base10_parse()?;
                    if n == 0 {
                        return Err(syn::Error::new(
                            lit.span(),
                            "a cardinality limit must be at least 1",
                        ));
                    }
                    out.limit = Some((n, lit.span()));
                }
                "labels" => {
                    let array: ExprArray = meta.value()?.parse()?;
                    let mut labels = Vec::new();
                    for e in &array.elems {
                        match e {
                            Expr::Lit(ExprLit {
                                lit: Lit::Str(s), ..
                            }) => labels.push(s.clone()),
                            other => {
                                return Err(syn::Error::new(
                                    other.span(),
                                    "label names are string literals: labels = [\"method\", \"code\"]",
                                ));
                            }
                        }
                    }
                    out.labels = Some((labels, array.span()));
                }
                _ => {
                    let expr: Expr = meta.value()?.parse()?;
                    out.buckets = Some(buckets(&expr)?);
                }
            }
            Ok(())
        });
        errors.finish().map(|()| out)
    }
}

const BUCKETS_FORMS: &str = "buckets = [0.1, 0.5, 1.0] | linear(start, width, count) | \
     exponential(start, factor, count)";

fn number(e: &Expr) -> syn::Result<f64> {
    match e {
        Expr::Lit(ExprLit {
            lit: Lit::Float(f), ..
        }) => f.base10_parse(),
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => i.base10_parse::<i64>().map(|v| v as f64),
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr,
            ..
        }) => number(expr).map(|v| -v),
        Expr::Group(g) => number(&g.expr),
        Expr::Paren(p) => number(&p.expr),
        other => Err(syn::Error::new(
            other.span(),
            "expected a number literal (bucket bounds are computed at compile time)",
        )),
    }
}

fn count(e: &Expr) -> syn::Result<usize> {
    match e {
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => i.base10_parse(),
        other => Err(syn::Error::new(
            other.span(),
            "expected the number of buckets, an integer literal",
        )),
    }
}

/// Computes the bounds of a `buckets = ..` expression (checked in validate.rs).
fn buckets(expr: &Expr) -> syn::Result<Buckets> {
    let span = expr.span();
    match expr {
        Expr::Array(array) => Ok(Buckets {
            bounds: array.elems.iter().map(number).collect::<syn::Result<_>>()?,
            span,
        }),
        Expr::Call(ExprCall { func, args, .. }) => {
            let name = match &**func {
                Expr::Path(p) => p.path.get_ident().map(ToString::to_string),
                _ => None,
            };
            let args: Vec<&Expr> = args.iter().collect();
            let [a, b, n] = args[..] else {
                return Err(syn::Error::new(
                    span,
                    format!("expected three arguments: {BUCKETS_FORMS}"),
                ));
            };
            let (start, step, n) = (number(a)?, number(b)?, count(n)?);
            if n == 0 {
                return Err(syn::Error::new(
                    args[2].span(),
                    "the number of buckets must be at least 1",
                ));
            }
            let bounds = match name.as_deref() {
                Some("linear") => {
                    if step <= 0.0 {
                        return Err(syn::Error::new(
                            b.span(),
                            "linear buckets need a width above 0",
                        ));
                    }
                    (0..n).map(|i| start + step * i as f64).collect()
                }
                Some("exponential") => {
                    if start <= 0.0 {
                        return Err(syn::Error::new(
                            a.span(),
                            "exponential buckets need a start above 0",
                        ));
                    }
                    if step <= 1.0 {
                        return Err(syn::Error::new(
                            b.span(),
                            "exponential buckets need a factor above 1",
                        ));
                    }
                    (0..n).map(|i| start * step.powi(i as i32)).collect()
                }
                _ => {
                    return Err(syn::Error::new(
                        func.span(),
                        format!("unknown bucket layout; {BUCKETS_FORMS}"),
                    ));
                }
            };
            Ok(Buckets { bounds, span })
        }
        other => Err(syn::Error::new(
            other.span(),
            format!("expected {BUCKETS_FORMS}"),
        )),
    }
}
