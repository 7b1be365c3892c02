//! Property test: arbitrary label values, HELP texts and values (any Unicode, newlines, quotes,
//! backslashes, NaN and infinities) render, in both formats, to text that a strict test-only
//! parser reads back to the same HELP, label values and values.

mod parser;

use std::collections::HashMap;

use coremeter::{DynLabels, Family, FloatGauge, Opts, Registry};
use coremeter_encode::{Encoder, Format};
use proptest::prelude::*;

fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(-0.0),
        (-1e6..1e6f64),
        (0u64..1 << 53).prop_map(|v| v as f64),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a\\\\\"\n ]{0,12}",
        "(\\\\n|\\\\|\"|\n|x|ü|😀){0,10}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn what_is_rendered_reads_back(
        help in text(),
        series in prop::collection::vec((text(), text(), float()), 0..8),
    ) {
        let registry = Registry::new();
        let family: Family<DynLabels, FloatGauge> =
            Family::with_label_names(&["first", "second"]).expect("valid names");
        registry.register(Opts::new("prop", help.clone()), family.clone()).expect("register");
        let mut want: HashMap<(String, String), f64> = HashMap::new();
        for (a, b, v) in &series {
            family.labels(&[a, b]).expect("two values").set(*v);
            want.insert((a.clone(), b.clone()), *v);
        }
        let mut encoder = Encoder::new();
        for format in [Format::Text, Format::OpenMetrics] {
            let bytes = encoder.encode(&registry, format).expect("renders");
            let text = std::str::from_utf8(bytes).expect("utf-8");
            let families = parser::parse(text, format).map_err(|e| {
                TestCaseError::fail(format!("{format}: {e}\n{text}"))
            })?;
            prop_assert_eq!(families.len(), 1);
            let family = &families[0];
            let help_want = (!help.is_empty()).then(|| help.clone());
            prop_assert_eq!(&family.help, &help_want, "{}", format);
            prop_assert_eq!(family.type_name.as_deref(), Some("gauge"));
            prop_assert_eq!(family.samples.len(), want.len());
            for sample in &family.samples {
                prop_assert_eq!(&sample.name, "prop");
                let pairs = &sample.labels;
                prop_assert_eq!(pairs.len(), 2);
                prop_assert_eq!(&pairs[0].0, "first");
                prop_assert_eq!(&pairs[1].0, "second");
                let key = (pairs[0].1.clone(), pairs[1].1.clone());
                let expected = want.get(&key).copied();
                prop_assert!(
                    expected.is_some_and(|e| same(e, sample.value)),
                    "{:?}: parsed {}, set {:?}", key, sample.value, expected
                );
            }
        }
    }
}
