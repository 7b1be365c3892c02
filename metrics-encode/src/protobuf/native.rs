//! A native histogram's buckets in the protobuf `Histogram` message: the schema, the zero
//! bucket, and each sign's buckets as spans of consecutive indexes with delta-encoded counts,
//! as client_golang writes them.

use coremeter::NativeBuckets;

use super::messages::{BucketSpan, Histogram};

/// Gaps of up to this many empty buckets are written as zero counts inside a span rather than
/// as a new span (a span costs two fields, a zero delta one byte), as client_golang does.
const MAX_GAP_IN_SPAN: i32 = 2;

/// Sets `h`'s native fields (and its count and sum, which are the native buckets') from
/// `native`.
pub(super) fn set_native(h: &mut Histogram, native: &NativeBuckets) {
    h.sample_count = Some(native.count());
    h.sample_sum = Some(native.sum());
    h.schema = Some(native.schema());
    h.zero_threshold = Some(native.zero_threshold());
    h.zero_count = Some(native.zero_count());
    (h.positive_span, h.positive_delta) = spans(native.positive());
    (h.negative_span, h.negative_delta) = spans(native.negative());
    if h.positive_span.is_empty() && h.negative_span.is_empty() && native.zero_threshold() == 0.0 {
        // Without a span or a zero threshold, Prometheus would take the histogram for a classic
        // one: an empty span marks it native, as client_golang writes it.
        h.positive_span.push(BucketSpan {
            offset: Some(0),
            length: Some(0),
        });
    }
}

/// `buckets` (index, count), increasing, as spans and the deltas between consecutive counts
/// (from 0 for the first).
fn spans(buckets: &[(i32, u64)]) -> (Vec<BucketSpan>, Vec<i64>) {
    let mut spans: Vec<BucketSpan> = Vec::new();
    let mut deltas = Vec::with_capacity(buckets.len());
    let mut previous_count = 0i64;
    let mut next_index = None;
    for &(index, count) in buckets {
        match next_index {
            Some(next) if index - next <= MAX_GAP_IN_SPAN => {
                for _ in next..index {
                    deltas.push(-previous_count);
                    previous_count = 0;
                }
                let last = spans.last_mut().expect("a span is open");
                last.length = Some(last.length.unwrap_or(0) + (index - next) as u32 + 1);
            }
            _ => spans.push(BucketSpan {
                offset: Some(next_index.map_or(index, |next| index - next)),
                length: Some(1),
            }),
        }
        // Counts are far below 2^63: a histogram's total is a u64 of observations.
        let count = count as i64;
        deltas.push(count - previous_count);
        previous_count = count;
        next_index = Some(index + 1);
    }
    (spans, deltas)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(offset: i32, length: u32) -> BucketSpan {
        BucketSpan {
            offset: Some(offset),
            length: Some(length),
        }
    }

    #[test]
    fn spans_and_deltas() {
        assert_eq!(spans(&[]), (vec![], vec![]));
        // client_golang's documented example: buckets 0, 1 and 4 (a gap of 2 fills in), then
        // 10 (a new span 5 past the end of the first).
        assert_eq!(
            spans(&[(0, 2), (1, 1), (4, 3), (10, 1)]),
            (vec![span(0, 5), span(5, 1)], vec![2, -1, -1, 0, 3, -2])
        );
        assert_eq!(spans(&[(-3, 4), (-2, 4)]), (vec![span(-3, 2)], vec![4, 0]));
    }
}
