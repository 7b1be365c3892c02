//! The warm render of `benches/encode.rs`'s 10,000 counter series in a process of its own,
//! timed render by render: minimum and median per series, for values unchanged since the
//! previous render and for every value changed. Criterion's rows share the process with four
//! other libraries' registries, built series by series in turn, so our families' memory is
//! scattered among theirs; `--fragment` reproduces that here with filler allocations.
//!
//! ```sh
//! cargo run --release -p coremeter-benches --example render_min -- [renders] [--fragment] [--reset] [--cold] [--protobuf]
//! ```
//!
//! `--reset` makes every render a reset-on-read scrape (what `/metricsandreset` serves).
//! `--cold` renders with a new encoder each time: the first scrape of a process, every series
//! read with its labels and its lines built from nothing. `--protobuf` renders the protobuf
//! exposition instead of text 0.0.4.

use std::time::Instant;

use coremeter::{Counter, Family, Opts, Registry};
use coremeter_benches::counter_value;
use coremeter_benches::path::{ByPath, values};
use coremeter_encode::{Encoder, Format, Scrape};

const FAMILIES: usize = 1_000;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let renders: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(2_000);
    let fragment = args.iter().any(|a| a == "--fragment");
    let cold = args.iter().any(|a| a == "--cold");
    let format = match args.iter().any(|a| a == "--protobuf") {
        true => Format::Protobuf,
        false => Format::Text,
    };
    let scrape = Scrape::new(format).reset(args.iter().any(|a| a == "--reset"));
    let paths = values(10);
    let registry = Registry::new();
    let mut families = Vec::with_capacity(FAMILIES);
    let mut filler: Vec<Vec<u8>> = Vec::new();
    for f in 0..FAMILIES {
        let family: Family<ByPath, Counter> = Family::new();
        registry
            .register(
                Opts::new(format!("requests_{f}"), "Requests served."),
                family.clone(),
            )
            .expect("register");
        for (i, path) in paths.iter().enumerate() {
            if fragment {
                filler.push(vec![1; 2_000 + i * 100]);
            }
            family.get(&ByPath(path)).inc_by(counter_value(f, i));
        }
        families.push(family);
    }
    let series = (FAMILIES * paths.len()) as f64;
    let mut encoder = Encoder::new();
    let mut bytes = encoder.render(&registry, &scrape).expect("renders").len();
    for changed in [false, true] {
        let mut times = Vec::with_capacity(renders);
        for _ in 0..renders {
            if changed {
                for family in &families {
                    for path in &paths {
                        family.get(&ByPath(path)).inc();
                    }
                }
            }
            if cold {
                encoder = Encoder::new();
            }
            let start = Instant::now();
            bytes = bytes.max(encoder.render(&registry, &scrape).expect("renders").len());
            times.push(start.elapsed().as_secs_f64() * 1e9 / series);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{}: min {:.1} ns, median {:.1} ns per series ({renders} renders of {bytes} bytes{}{})",
            if changed {
                "every value changed"
            } else {
                "values unchanged"
            },
            times[0],
            times[renders / 2],
            if fragment { ", fragmented heap" } else { "" },
            if scrape.is_reset() {
                ", reset-on-read"
            } else {
                ""
            },
        );
        if cold {
            println!("  (a new encoder for every render: first scrapes)");
        }
    }
    drop(filler);
}
