//! Two `#[metrics(static = ..)]` structs that produce one sample name: a programming error that
//! fails loudly at the first use of the default registry, naming the sample name the user sees
//! and both declarations (this file is its own test binary: the clash is process-wide).

use std::panic::catch_unwind;

use coremeter::{Metrics, Registry, RegistryError, default_registry};

mod a {
    use coremeter::{Counter, Metrics};

    #[derive(Metrics)]
    #[metrics(namespace = "svc", static = FIRST)]
    pub(crate) struct First {
        /// Requests (first declaration).
        pub(crate) requests: Counter,
    }
}

mod b {
    use coremeter::{Counter, Metrics};

    #[derive(Metrics)]
    #[metrics(namespace = "svc", static = SECOND)]
    pub(crate) struct Second {
        /// Requests (second declaration).
        pub(crate) requests: Counter,
    }
}

#[test]
fn the_default_registry_panics_naming_the_sample_and_both_declarations() {
    // Both are used, as in the repro: each counts, and neither may silently vanish.
    a::FIRST.requests.inc();
    b::SECOND.requests.inc();
    for _ in 0..2 {
        let panic = catch_unwind(default_registry).expect_err("a clash must not pass silently");
        let message = panic
            .downcast_ref::<String>()
            .expect("a formatted message")
            .clone();
        assert!(message.contains("\"svc_requests_total\""), "{message}");
        assert!(
            message.contains("static_clash::a::First.requests"),
            "{message}"
        );
        assert!(
            message.contains("static_clash::b::Second.requests"),
            "{message}"
        );
    }
}

#[test]
fn an_explicit_registration_returns_the_clash_as_an_error() {
    let registry = Registry::new();
    a::First::new().register(&registry).unwrap();
    let error = b::Second::new().register(&registry).unwrap_err();
    let RegistryError::Duplicate {
        name,
        registered,
        declarations,
    } = &error
    else {
        panic!("{error}");
    };
    assert_eq!(name, "svc_requests_total");
    assert_eq!(registered, "svc_requests");
    assert_eq!(
        *declarations,
        (
            Some("static_clash::b::Second.requests"),
            Some("static_clash::a::First.requests")
        )
    );
}
