//! Which samples of a family a scrape's `name[]` filter selects: a bit per sample suffix.

use coremeter::{Descriptor, MetricType, SampleSuffix};

use crate::error::RenderError;

/// The bit of a sample suffix in a selection (the suffixes themselves are
/// `coremeter::MetricType::samples`).
const fn bit(suffix: SampleSuffix) -> u16 {
    match suffix {
        SampleSuffix::Plain => 1,
        SampleSuffix::Total => 1 << 1,
        SampleSuffix::Bucket => 1 << 2,
        SampleSuffix::Count => 1 << 3,
        SampleSuffix::Sum => 1 << 4,
        SampleSuffix::Info => 1 << 5,
        SampleSuffix::Min => 1 << 6,
        SampleSuffix::Max => 1 << 7,
        // `_created` is never written; a suffix added later is selected with its family.
        _ => 0,
    }
}

pub(crate) const PLAIN: u16 = bit(SampleSuffix::Plain);
pub(crate) const TOTAL: u16 = bit(SampleSuffix::Total);
pub(crate) const BUCKET: u16 = bit(SampleSuffix::Bucket);
pub(crate) const COUNT: u16 = bit(SampleSuffix::Count);
pub(crate) const SUM: u16 = bit(SampleSuffix::Sum);
pub(crate) const INFO: u16 = bit(SampleSuffix::Info);
pub(crate) const MIN: u16 = bit(SampleSuffix::Min);
pub(crate) const MAX: u16 = bit(SampleSuffix::Max);
pub(crate) const ALL: u16 = u16::MAX;

/// Every sample bit of a family of type `t`: a reset scrape must select all or none of them.
fn whole_family(t: MetricType) -> u16 {
    t.samples().iter().fold(0, |all, &s| all | bit(s))
}

/// Which samples of the family `d` the names in `filter` select (0 for none).
#[inline]
pub(crate) fn selection(filter: &[String], d: &Descriptor) -> u16 {
    if filter.is_empty() {
        return ALL;
    }
    filtered(filter, d)
}

/// What a scrape takes of family `d`: [`selection`], or for a reset scrape that names only part
/// of the family, the error that refuses it (a reset takes whole families or nothing).
#[inline]
pub(crate) fn select(filter: &[String], reset: bool, d: &Descriptor) -> Result<u16, RenderError> {
    let selected = selection(filter, d);
    // Only a filtered reset can select part of a family (`ALL` selects every sample).
    let t = d.metric_type();
    if reset && selected != 0 && selected != ALL && selected != whole_family(t) {
        let name = d.name();
        let sample = filter.iter().find(|f| f.starts_with(name));
        return Err(RenderError::PartialReset {
            sample: sample.cloned().unwrap_or_default(),
            family: name.to_owned(),
            metric_type: t,
        });
    }
    Ok(selected)
}

/// [`selection`] by a filter that names something.
fn filtered(filter: &[String], d: &Descriptor) -> u16 {
    let name = d.name();
    let mut selected = 0;
    for f in filter {
        if f == name {
            return ALL;
        }
        if let Some(suffix) = f.strip_prefix(name) {
            for &s in d.metric_type().samples() {
                if s.as_str() == suffix {
                    selected |= bit(s);
                }
            }
        }
    }
    selected
}
