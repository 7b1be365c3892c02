//! The gauge families statistics write after their own (`_min` and `_max`), in every format:
//! their HELP is the family's, followed by one of these sentences.

/// The second sentence of a `_min` family's HELP.
pub(crate) const MIN_HELP: &str = "Smallest observation.";
/// The second sentence of a `_max` family's HELP.
pub(crate) const MAX_HELP: &str = "Largest observation.";

/// The whole HELP of an extreme's family: the family's HELP, then `sentence` after a space.
pub(crate) fn help(family_help: &str, sentence: &str) -> String {
    if family_help.is_empty() {
        sentence.to_owned()
    } else {
        format!("{family_help} {sentence}")
    }
}
