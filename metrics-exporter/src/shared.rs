//! A registry an exporter can keep: the process-wide one or one the caller shares.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use coremeter::Registry;

/// A registry an exporter keeps for as long as it runs: `&'static Registry` (such as
/// [`coremeter::default_registry`]) or an `Arc<Registry>`. Every exporter entry point takes
/// `impl Into<SharedRegistry>`.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use coremeter::Registry;
/// use coremeter_exporter::SharedRegistry;
///
/// let global = SharedRegistry::from(coremeter::default_registry());
/// let mine = SharedRegistry::from(Arc::new(Registry::new()));
/// assert!(mine.samples().is_empty());
/// # let _ = global;
/// ```
#[derive(Clone)]
pub struct SharedRegistry(Inner);

#[derive(Clone)]
enum Inner {
    Static(&'static Registry),
    Shared(Arc<Registry>),
}

impl Deref for SharedRegistry {
    type Target = Registry;

    fn deref(&self) -> &Registry {
        match &self.0 {
            Inner::Static(r) => r,
            Inner::Shared(r) => r,
        }
    }
}

impl From<&'static Registry> for SharedRegistry {
    fn from(registry: &'static Registry) -> Self {
        SharedRegistry(Inner::Static(registry))
    }
}

impl From<Arc<Registry>> for SharedRegistry {
    fn from(registry: Arc<Registry>) -> Self {
        SharedRegistry(Inner::Shared(registry))
    }
}

impl From<&Arc<Registry>> for SharedRegistry {
    fn from(registry: &Arc<Registry>) -> Self {
        SharedRegistry(Inner::Shared(Arc::clone(registry)))
    }
}

impl fmt::Debug for SharedRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SharedRegistry").field(&**self).finish()
    }
}
