//! The `target_info` family both renderers write first when a registry has target labels: whether
//! a scrape's name filter takes it, and its HELP.

/// The HELP of `target_info`.
pub(crate) const HELP: &str = "Target metadata.";

/// Whether the names in `filter` take `target_info` (no names: everything).
pub(crate) fn wanted(filter: &[String]) -> bool {
    filter.is_empty() || filter.iter().any(|f| f == "target_info" || f == "target")
}
