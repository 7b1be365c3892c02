//! The path generated code uses for `coremeter`: `::coremeter`, or what `crate = path`
//! says (for a renamed dependency).

use syn::{Path, parse_quote};

pub(crate) fn default() -> Path {
    parse_quote!(::coremeter)
}
