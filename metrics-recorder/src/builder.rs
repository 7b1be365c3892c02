//! [`RecorderBuilder`]: which registry, which histogram buckets.

use std::sync::Arc;

use coremeter::{BucketError, Buckets, Registry};

use crate::InstallError;
use crate::matcher::Matcher;
use crate::recorder::{CoremeterRecorder, Target};

/// Builds a [`CoremeterRecorder`]: over the default registry unless told another, with
/// coremeter's default histogram buckets unless told others for some names.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use coremeter_recorder::{Matcher, RecorderBuilder};
///
/// let registry = Arc::new(coremeter::Registry::new());
/// let recorder = RecorderBuilder::new()
///     .registry(&registry)
///     .buckets_for_metric(Matcher::Suffix("_bytes".into()), &[1e3, 1e6, 1e9])?
///     .build();
/// metrics::with_local_recorder(&recorder, || metrics::histogram!("body_bytes").record(2e4));
/// assert_eq!(registry.sample_value("body_bytes_bucket", &[("le", "1000000")]), Some(1.0));
/// # Ok::<(), coremeter::BucketError>(())
/// ```
#[derive(Debug, Default)]
pub struct RecorderBuilder {
    registry: Option<Arc<Registry>>,
    buckets: Vec<(Matcher, Buckets)>,
    default_buckets: Option<Buckets>,
}

impl RecorderBuilder {
    /// Over the default registry, with coremeter's default buckets.
    ///
    /// # Examples
    ///
    /// ```
    /// let recorder = coremeter_recorder::RecorderBuilder::new().build();
    /// assert!(std::ptr::eq(recorder.registry(), coremeter::default_registry()));
    /// ```
    pub fn new() -> Self {
        RecorderBuilder::default()
    }

    /// Records into `registry` instead of the default one.
    ///
    /// # Examples
    ///
    /// ```
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// let recorder = coremeter_recorder::RecorderBuilder::new().registry(&registry).build();
    /// assert!(std::ptr::eq(recorder.registry(), &*registry));
    /// ```
    pub fn registry(mut self, registry: &Arc<Registry>) -> Self {
        self.registry = Some(Arc::clone(registry));
        self
    }

    /// The bucket bounds of the histograms whose facade name `matcher` matches (the first
    /// matcher given that matches wins).
    ///
    /// # Errors
    ///
    /// If the bounds are not finite and strictly increasing, or too many.
    ///
    /// # Examples
    ///
    /// ```
    /// use coremeter_recorder::{Matcher, RecorderBuilder};
    ///
    /// assert!(RecorderBuilder::new().buckets_for_metric(Matcher::Full("x".into()), &[2.0, 1.0]).is_err());
    /// ```
    pub fn buckets_for_metric(
        mut self,
        matcher: Matcher,
        bounds: &[f64],
    ) -> Result<Self, BucketError> {
        self.buckets.push((matcher, Buckets::new(bounds)?));
        Ok(self)
    }

    /// The bucket bounds of the other histograms (coremeter's defaults otherwise).
    ///
    /// # Errors
    ///
    /// As [`buckets_for_metric`](Self::buckets_for_metric).
    ///
    /// # Examples
    ///
    /// ```
    /// let builder = coremeter_recorder::RecorderBuilder::new().default_buckets(&[0.1, 1.0])?;
    /// # Ok::<(), coremeter::BucketError>(())
    /// ```
    pub fn default_buckets(mut self, bounds: &[f64]) -> Result<Self, BucketError> {
        self.default_buckets = Some(Buckets::new(bounds)?);
        Ok(self)
    }

    /// The recorder, for `metrics::set_global_recorder` or `metrics::with_local_recorder`.
    ///
    /// # Examples
    ///
    /// ```
    /// let recorder = coremeter_recorder::RecorderBuilder::new().build();
    /// metrics::with_local_recorder(&recorder, || metrics::gauge!("doc_builder_gauge").set(1.0));
    /// ```
    pub fn build(self) -> CoremeterRecorder {
        let target = match self.registry {
            Some(registry) => Target::Shared(registry),
            None => Target::Default,
        };
        CoremeterRecorder::new(
            target,
            self.buckets,
            self.default_buckets.unwrap_or_default(),
        )
    }

    /// Builds the recorder and makes it the facade's global recorder.
    ///
    /// # Errors
    ///
    /// If a global recorder was set already (the facade allows one per process).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// let registry = std::sync::Arc::new(coremeter::Registry::new());
    /// coremeter_recorder::RecorderBuilder::new().registry(&registry).install()?;
    /// # Ok::<(), coremeter_recorder::InstallError>(())
    /// ```
    pub fn install(self) -> Result<(), InstallError> {
        metrics::set_global_recorder(self.build()).map_err(|_| InstallError(()))
    }
}
