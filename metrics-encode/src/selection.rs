//! Which samples of a family a scrape's `name[]` filter selects: a bit per sample suffix.

use coremeter::{Descriptor, MetricType};

// Which samples of a family are selected (a bit per suffix).
pub(crate) const PLAIN: u16 = 1;
pub(crate) const TOTAL: u16 = 1 << 1;
pub(crate) const BUCKET: u16 = 1 << 2;
pub(crate) const COUNT: u16 = 1 << 3;
pub(crate) const SUM: u16 = 1 << 4;
pub(crate) const INFO: u16 = 1 << 5;
pub(crate) const MIN: u16 = 1 << 6;
pub(crate) const MAX: u16 = 1 << 7;
pub(crate) const ALL: u16 = u16::MAX;

/// The samples of `t`: suffix and selection bit.
fn samples_of(t: MetricType) -> &'static [(&'static str, u16)] {
    match t {
        MetricType::Counter => &[("_total", TOTAL)],
        MetricType::Histogram => &[("_bucket", BUCKET), ("_count", COUNT), ("_sum", SUM)],
        MetricType::Summary => &[("_count", COUNT), ("_sum", SUM)],
        MetricType::Statistics => &[
            ("_count", COUNT),
            ("_sum", SUM),
            ("_min", MIN),
            ("_max", MAX),
        ],
        MetricType::Info => &[("_info", INFO)],
        _ => &[("", PLAIN)],
    }
}

/// Every sample bit of a family of type `t`: a reset scrape must select all or none of them.
pub(crate) fn whole_family(t: MetricType) -> u16 {
    samples_of(t).iter().fold(0, |all, &(_, bit)| all | bit)
}

/// Which samples of the family `d` the names in `filter` select (0 for none).
pub(crate) fn selection(filter: &[String], d: &Descriptor) -> u16 {
    if filter.is_empty() {
        return ALL;
    }
    let name = d.name();
    let mut selected = 0;
    for f in filter {
        if f == name {
            return ALL;
        }
        if let Some(suffix) = f.strip_prefix(name) {
            for &(s, bit) in samples_of(d.metric_type()) {
                if s == suffix {
                    selected |= bit;
                }
            }
        }
    }
    selected
}
