//! Compile-time checks of a `#[derive(Metrics)]` model, each error spanned on the field or
//! attribute at fault; all are reported together.

use std::collections::HashMap;

use quote::ToTokens as _;
use syn::spanned::Spanned as _;

use super::model::{Container, Field, Kind, Simple};
use crate::attr::Errors;
use crate::names;

/// The full name of a field's metric without the outer prefix: namespace, subsystem, name and
/// unit suffix joined with `_` (as coremeter joins them).
pub(crate) fn full_name(c: &Container<'_>, f: &Field<'_>) -> String {
    let mut name = c.name_of(f);
    if let Some(unit) = &f.attrs.unit {
        let unit = unit.value();
        if !name.strip_suffix(&unit).is_some_and(|r| r.ends_with('_')) {
            name.push('_');
            name.push_str(&unit);
        }
    }
    name
}

pub(crate) fn check(c: &Container<'_>) -> syn::Result<()> {
    let mut errors = Errors::default();
    for part in c.namespace.iter().chain(&c.subsystem) {
        if let Some(why) = names::metric_name_error(&part.value()) {
            errors.at(
                part.span(),
                format!("invalid name part {:?}: {why}", part.value()),
            );
        }
    }
    for (name, _) in &c.const_labels {
        if let Some(why) = names::label_name_error(&name.value()) {
            errors.at(
                name.span(),
                format!("invalid label name {:?}: {why}", name.value()),
            );
        }
    }
    // Sample name -> the field that produces it.
    let mut samples: HashMap<String, String> = HashMap::new();
    for f in &c.fields {
        check_field(c, f, &mut errors, &mut samples);
    }
    errors.finish()
}

fn check_field(
    c: &Container<'_>,
    f: &Field<'_>,
    errors: &mut Errors,
    samples: &mut HashMap<String, String>,
) {
    let a = &f.attrs;
    if let (Some(skip), Some(_)) = (a.skip, a.flatten) {
        errors.at(skip, "a field is either skipped or flattened, not both");
        return;
    }
    if a.skip.is_some() {
        return;
    }
    let metric_keys = [
        a.name.as_ref().map(|n| n.span()),
        a.help.as_ref().map(|n| n.span()),
        a.unit.as_ref().map(|n| n.span()),
        a.buckets.as_ref().map(|b| b.span),
        a.labels.as_ref().map(|l| l.1),
        a.limit.map(|l| l.1),
    ];
    if let Some(flatten) = a.flatten {
        if f.kind != Kind::Other {
            errors.at(
                flatten,
                "`flatten` is for a nested #[derive(Metrics)] struct; this field is a metric",
            );
        }
        if let Some(span) = metric_keys.into_iter().flatten().next() {
            errors.at(
                span,
                "a flattened struct names its own metrics: only `flatten` applies to this field",
            );
        }
        return;
    }
    let Some(simple) = f.kind.simple() else {
        errors.at(
            f.ty.span(),
            format!(
                "unsupported field type `{}`: fields of #[derive(Metrics)] are {}; mark a nested \
                 #[derive(Metrics)] struct with #[metric(flatten)] and anything else with \
                 #[metric(skip)]",
                f.ty.to_token_stream().to_string().replace(' ', ""),
                Simple::SUPPORTED
            ),
        );
        return;
    };
    let (base, base_span) = f.base_name();
    if f.help.is_none() {
        errors.at(
            f.ident.span(),
            format!(
                "metric `{base}` has no HELP text: add a doc comment (`/// What it measures.`) or \
                 #[metric(help = \"...\")]; Prometheus' lint asks for HELP on every metric"
            ),
        );
    }
    if let Some(why) = names::metric_name_error(&base) {
        errors.at(base_span, format!("invalid metric name {base:?}: {why}"));
        return;
    }
    if let Some(unit) = &a.unit
        && let Some(why) = names::unit_error(&unit.value())
    {
        errors.at(
            unit.span(),
            format!("invalid unit {:?}: {why}", unit.value()),
        );
        return;
    }
    if let Some(unit) = &a.unit
        && matches!(simple, Simple::Info | Simple::StateSet)
    {
        errors.at(
            unit.span(),
            format!(
                "{} has no unit: its samples are 0 or 1",
                if simple == Simple::Info {
                    "an info"
                } else {
                    "a state set"
                }
            ),
        );
        return;
    }
    match (&a.states, simple) {
        (None, Simple::StateSet) => errors.at(
            f.ty.span(),
            "a StateSet field needs its states: #[metric(states = Phase)], with `Phase` an enum \
             deriving LabelValue (its values are the states, the first one current at the start)",
        ),
        (Some(states), other) if other != Simple::StateSet => errors.at(
            states.span(),
            format!(
                "`states` applies to StateSet fields; this is a {}",
                other.type_name()
            ),
        ),
        _ => {}
    }
    if simple == Simple::StateSet
        && let Some(why) = names::label_name_error(&full_name(c, f))
    {
        errors.at(
            base_span,
            format!(
                "a state set's name is also its label name, and `{}` is not a valid one: {why}",
                full_name(c, f)
            ),
        );
        return;
    }
    if let Some(unit) = &a.unit
        && matches!(
            simple,
            Simple::Histogram | Simple::NativeHistogram | Simple::Summary | Simple::Statistics
        )
        && let Some(why) = names::time_unit_error(&unit.value())
    {
        errors.at(unit.span(), why);
        return;
    }
    let full = full_name(c, f);
    for suffix in simple.reserved_suffixes() {
        if full.ends_with(suffix) {
            let span = a.unit.as_ref().map_or(base_span, |u| u.span());
            errors.at(
                span,
                format!(
                    "`{full}` ends with `{suffix}`, which the exposition adds to {} samples: \
                     name it `{}`",
                    simple.type_name(),
                    base.strip_suffix(suffix).unwrap_or(&base)
                ),
            );
            return;
        }
    }
    for sample in simple.samples(&full) {
        if let Some(other) = samples.get(&sample) {
            errors.at(
                base_span,
                format!(
                    "`{}` produces samples named `{sample}`, as field `{other}` does: choose \
                     another name",
                    f.ident
                ),
            );
            return;
        }
    }
    for sample in simple.samples(&full) {
        samples.insert(sample, f.ident.to_string());
    }
    if let Some(b) = &a.buckets {
        if !matches!(simple, Simple::Histogram | Simple::NativeHistogram) {
            errors.at(
                b.span,
                format!(
                    "`buckets` applies to histograms (a native histogram's are classic buckets \
                     beside its own); this is a {}",
                    simple.type_name()
                ),
            );
        } else if b.bounds.is_empty() {
            errors.at(
                b.span,
                "a histogram needs at least one bucket bound (+Inf is implied)",
            );
        } else if let Some(v) = b.bounds.iter().find(|v| !v.is_finite()) {
            errors.at(
                b.span,
                format!("bucket bound {v} is not finite (+Inf is implied)"),
            );
        } else if let Some(w) = b.bounds.windows(2).find(|w| w[0] >= w[1]) {
            errors.at(
                b.span,
                format!(
                    "bucket bounds must be strictly increasing: {} then {}",
                    w[0], w[1]
                ),
            );
        }
    }
    for (name, _) in &c.const_labels {
        if simple.reserved_labels().contains(&name.value().as_str()) {
            errors.at(
                name.span(),
                format!(
                    "label `{}` is used by {} samples (field `{}`)",
                    name.value(),
                    simple.type_name(),
                    f.ident
                ),
            );
        }
    }
    match &f.kind {
        Kind::Family { dynamic: true, .. } => match &a.labels {
            None => errors.at(
                f.ty.span(),
                "a Family<DynLabels, _> needs its label names: #[metric(labels = [\"method\", \"code\"])]",
            ),
            Some((labels, span)) => {
                if labels.is_empty() {
                    errors.at(*span, "a family needs at least one label name");
                }
                for (i, l) in labels.iter().enumerate() {
                    let v = l.value();
                    if let Some(why) = names::label_name_error(&v) {
                        errors.at(l.span(), format!("invalid label name {v:?}: {why}"));
                    } else if simple.reserved_labels().contains(&v.as_str()) {
                        errors.at(l.span(), format!("label `{v}` is used by {} samples itself", simple.type_name()));
                    } else if labels[..i].iter().any(|p| p.value() == v) {
                        errors.at(l.span(), format!("duplicate label name `{v}`"));
                    } else if c.const_labels.iter().any(|(n, _)| n.value() == v) {
                        errors.at(l.span(), format!("`{v}` is also a constant label of the struct"));
                    }
                }
            }
        },
        Kind::Family { .. } => {
            if let Some((_, span)) = &a.labels {
                errors.at(
                    *span,
                    "`labels` is for Family<DynLabels, _>; this family's label names come from its LabelSet type",
                );
            }
        }
        _ => {
            if let Some((_, span)) = &a.labels {
                errors.at(*span, "`labels` applies to a Family<DynLabels, _> field");
            }
            if let Some((_, span)) = a.limit {
                errors.at(span, "`limit` (a cardinality limit) applies to Family fields");
            }
        }
    }
}
