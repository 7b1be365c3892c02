//! The names that label families are registered under, interned process-wide: a family keeps
//! the id of its first name (4 bytes, in what was padding) and names itself in its errors
//! ([`LabelError::Count`](crate::LabelError::Count)). The table holds each distinct registered
//! name once, for the life of the process: as many as the program has metric names, not series.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};

/// Id 0 means "not registered"; a name's id is its position in `names` plus 1.
struct Table {
    names: Vec<&'static str>,
    ids: HashMap<&'static str, u32>,
}

fn table() -> &'static Mutex<Table> {
    static TABLE: OnceLock<Mutex<Table>> = OnceLock::new();
    TABLE.get_or_init(|| {
        Mutex::new(Table {
            names: Vec::new(),
            ids: HashMap::new(),
        })
    })
}

/// The id of `name` (never 0), interning it on first use; 0 if the table is full (`u32::MAX`
/// names: the family then stays unnamed in its errors).
pub(crate) fn intern(name: &str) -> u32 {
    let mut table = table().lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(&id) = table.ids.get(name) {
        return id;
    }
    let Ok(id) = u32::try_from(table.names.len() + 1) else {
        return 0;
    };
    let name: &'static str = Box::leak(name.into());
    table.names.push(name);
    table.ids.insert(name, id);
    id
}

/// The name of `id`, if it is one that [`intern`] gave.
pub(crate) fn name(id: u32) -> Option<&'static str> {
    let index = usize::try_from(id).ok()?.checked_sub(1)?;
    let table = table().lock().unwrap_or_else(PoisonError::into_inner);
    table.names.get(index).copied()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_name_is_interned_once_and_read_back() {
        let a = super::intern("family_name_test_a");
        let b = super::intern("family_name_test_b");
        assert_ne!(a, 0);
        assert_ne!(a, b);
        assert_eq!(super::intern("family_name_test_a"), a);
        assert_eq!(super::name(a), Some("family_name_test_a"));
        assert_eq!(super::name(0), None);
    }
}
