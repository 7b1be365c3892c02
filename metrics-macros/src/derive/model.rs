//! The model of a `#[derive(Metrics)]` struct: what each field is and what its attributes say,
//! each node keeping the syn node it came from for spans.

use proc_macro2::Span;
use syn::spanned::Spanned as _;
use syn::{
    Data, DeriveInput, Fields, GenericArgument, Ident, LitStr, Path, PathArguments, Type,
    Visibility,
};

use super::attr;

/// The struct.
pub(crate) struct Container<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) vis: &'a Visibility,
    pub(crate) namespace: Option<LitStr>,
    pub(crate) subsystem: Option<LitStr>,
    pub(crate) const_labels: Vec<(LitStr, LitStr)>,
    pub(crate) static_name: Option<Ident>,
    pub(crate) krate: Path,
    pub(crate) fields: Vec<Field<'a>>,
}

/// One field.
pub(crate) struct Field<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) ty: &'a Type,
    pub(crate) kind: Kind,
    pub(crate) attrs: attr::FieldAttrs,
    /// HELP: `#[metric(help)]`, else the doc comment.
    pub(crate) help: Option<(String, Span)>,
}

/// The metric type of a field, from the last segment of its type's path.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Kind {
    Simple(Simple),
    /// `Family<L, M>`; `dynamic` when `L` is `DynLabels`.
    Family {
        labels: Box<Type>,
        dynamic: bool,
        metric: Simple,
        metric_ty: Box<Type>,
    },
    /// Anything else (allowed with `flatten` or `skip`).
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Simple {
    Counter,
    FloatCounter,
    Gauge,
    FloatGauge,
    Histogram,
    NativeHistogram,
    Summary,
    Statistics,
    Info,
    StateSet,
}

impl Simple {
    pub(crate) const SUPPORTED: &'static str = "Counter, FloatCounter, Gauge, FloatGauge, \
         Histogram, NativeHistogram, Summary, Statistics, Info, StateSet, or Family<L, M> of one \
         of them";

    fn from_ident(ident: &str) -> Option<Simple> {
        Some(match ident {
            "Counter" => Simple::Counter,
            "FloatCounter" => Simple::FloatCounter,
            "Gauge" => Simple::Gauge,
            "FloatGauge" => Simple::FloatGauge,
            "Histogram" => Simple::Histogram,
            "NativeHistogram" => Simple::NativeHistogram,
            "Summary" => Simple::Summary,
            "Statistics" => Simple::Statistics,
            "Info" => Simple::Info,
            "StateSet" => Simple::StateSet,
            _ => return None,
        })
    }

    pub(crate) fn type_name(self) -> &'static str {
        match self {
            Simple::Counter | Simple::FloatCounter => "counter",
            Simple::Gauge | Simple::FloatGauge => "gauge",
            Simple::Histogram => "histogram",
            Simple::NativeHistogram => "native histogram",
            Simple::Summary => "summary",
            Simple::Statistics => "statistics",
            Simple::Info => "info",
            Simple::StateSet => "state set",
        }
    }

    /// Suffixes a name of this type may not end with (coremeter's rule).
    pub(crate) fn reserved_suffixes(self) -> &'static [&'static str] {
        match self {
            Simple::Counter | Simple::FloatCounter => &["_total"],
            Simple::Gauge | Simple::FloatGauge => &[],
            Simple::Histogram | Simple::NativeHistogram => &["_bucket", "_count", "_sum"],
            Simple::Summary => &["_count", "_sum"],
            Simple::Statistics => &["_count", "_sum", "_min", "_max"],
            Simple::Info => &["_info"],
            Simple::StateSet => &[],
        }
    }

    /// The sample names a family `name` of this type produces.
    pub(crate) fn samples(self, name: &str) -> Vec<String> {
        let suffixes: &[&str] = match self {
            Simple::Counter | Simple::FloatCounter => &["_total", "_created"],
            Simple::Gauge | Simple::FloatGauge => &[""],
            Simple::Histogram | Simple::NativeHistogram => {
                &["_bucket", "_count", "_sum", "_created"]
            }
            Simple::Summary => &["_count", "_sum", "_created"],
            Simple::Statistics => &["_count", "_sum", "_min", "_max", "_created"],
            Simple::Info => &["_info"],
            Simple::StateSet => &[""],
        };
        suffixes.iter().map(|s| format!("{name}{s}")).collect()
    }

    /// Label names the type uses itself.
    pub(crate) fn reserved_labels(self) -> &'static [&'static str] {
        match self {
            Simple::Histogram | Simple::NativeHistogram => &["le"],
            Simple::Summary | Simple::Statistics => &["quantile"],
            _ => &[],
        }
    }
}

impl Kind {
    fn of(ty: &Type) -> Kind {
        let Type::Path(path) = ty else {
            return Kind::Other;
        };
        if path.qself.is_some() {
            return Kind::Other;
        }
        let Some(last) = path.path.segments.last() else {
            return Kind::Other;
        };
        let name = last.ident.to_string();
        if let Some(simple) = Simple::from_ident(&name) {
            return if last.arguments.is_empty() {
                Kind::Simple(simple)
            } else {
                Kind::Other
            };
        }
        if name != "Family" {
            return Kind::Other;
        }
        let PathArguments::AngleBracketed(args) = &last.arguments else {
            return Kind::Other;
        };
        let types: Vec<&Type> = args
            .args
            .iter()
            .filter_map(|a| match a {
                GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect();
        let [labels, metric] = types[..] else {
            return Kind::Other;
        };
        let Kind::Simple(simple) = Kind::of(metric) else {
            return Kind::Other;
        };
        let dynamic = matches!(labels, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "DynLabels"));
        Kind::Family {
            labels: Box::new(labels.clone()),
            dynamic,
            metric: simple,
            metric_ty: Box::new(metric.clone()),
        }
    }

    /// The metric type whose rules apply (a family's child type).
    pub(crate) fn simple(&self) -> Option<Simple> {
        match self {
            Kind::Simple(s) | Kind::Family { metric: s, .. } => Some(*s),
            Kind::Other => None,
        }
    }
}

impl<'a> Container<'a> {
    pub(crate) fn from_input(input: &'a DeriveInput) -> syn::Result<Container<'a>> {
        let fields = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => &named.named,
                Fields::Unnamed(f) => {
                    return Err(syn::Error::new(
                        f.span(),
                        "#[derive(Metrics)] needs named fields: each field's name is a metric's name",
                    ));
                }
                Fields::Unit => {
                    return Err(syn::Error::new(
                        input.ident.span(),
                        "#[derive(Metrics)] needs a struct with named fields, one per metric",
                    ));
                }
            },
            Data::Enum(e) => {
                return Err(syn::Error::new(
                    e.enum_token.span,
                    "#[derive(Metrics)] works on structs with named fields, not enums \
                     (for label values, use #[derive(LabelValue)])",
                ));
            }
            Data::Union(u) => {
                return Err(syn::Error::new(
                    u.union_token.span,
                    "#[derive(Metrics)] works on structs with named fields, not unions",
                ));
            }
        };
        if let Some(param) = input.generics.params.first() {
            return Err(syn::Error::new(
                param.span(),
                "#[derive(Metrics)] does not support generic parameters: the metrics struct is \
                 built and registered as one concrete type",
            ));
        }
        let mut errors = crate::attr::Errors::default();
        let container = errors.ok(attr::ContainerAttrs::from_attrs(&input.attrs));
        let mut out = Vec::new();
        for field in fields {
            let Some(ident) = &field.ident else { continue };
            let attrs = errors.ok(attr::FieldAttrs::from_attrs(&field.attrs));
            let help = attrs
                .as_ref()
                .and_then(|a| a.help.as_ref().map(|h| (h.value(), h.span())))
                .or_else(|| crate::attr::doc(&field.attrs));
            if let Some(attrs) = attrs {
                out.push(Field {
                    ident,
                    ty: &field.ty,
                    kind: Kind::of(&field.ty),
                    attrs,
                    help,
                });
            }
        }
        errors.finish()?;
        let Some(container) = container else {
            return Err(syn::Error::new(
                input.ident.span(),
                "invalid #[metrics(..)] attribute",
            ));
        };
        Ok(Container {
            ident: &input.ident,
            vis: &input.vis,
            namespace: container.namespace,
            subsystem: container.subsystem,
            const_labels: container.const_labels,
            static_name: container.static_name,
            krate: container.krate.unwrap_or_else(crate::crate_path::default),
            fields: out,
        })
    }
}

impl Container<'_> {
    /// Namespace and subsystem joined with `_` (empty when neither is set).
    pub(crate) fn prefix(&self) -> String {
        let parts: Vec<String> = self
            .namespace
            .iter()
            .chain(&self.subsystem)
            .map(LitStr::value)
            .collect();
        parts.join("_")
    }

    /// A field's name after the prefix, without its unit suffix (what `Opts::new` gets; the
    /// registry adds the unit).
    pub(crate) fn name_of(&self, f: &Field<'_>) -> String {
        let prefix = self.prefix();
        let base = f.base_name().0;
        if prefix.is_empty() {
            base
        } else {
            format!("{prefix}_{base}")
        }
    }
}

impl Field<'_> {
    /// The field's name as written (without `r#`).
    pub(crate) fn base_name(&self) -> (String, Span) {
        match &self.attrs.name {
            Some(n) => (n.value(), n.span()),
            None => (
                self.ident.to_string().trim_start_matches("r#").to_owned(),
                self.ident.span(),
            ),
        }
    }
}
