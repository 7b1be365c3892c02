//! `install()`: the facade's global recorder over the default registry (one test in its own
//! binary: the facade takes one global recorder per process).

#[test]
fn install_records_into_the_default_registry_once() {
    coremeter_recorder::install().expect("first install");
    assert!(coremeter_recorder::install().is_err());
    facade_user::run_job("global", 0.01);
    let registry = coremeter::default_registry();
    assert_eq!(
        registry.sample_value("jobs_done_total", &[("queue", "global")]),
        Some(1.0)
    );
    assert_eq!(
        registry.sample_value("job_duration_count", &[("queue", "global")]),
        Some(1.0)
    );
}
