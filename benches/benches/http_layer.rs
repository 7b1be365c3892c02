//! Request metrics in a tower service: coremeter-exporter's `HttpMetricsLayer` against
//! hand-written layers that record the same histogram and gauge, with the same labels, through
//! prometheus-client (a borrowed label set, as its docs show) and through the `metrics` facade
//! into metrics-exporter-prometheus (what axum-prometheus does), and the service without a layer.
//! Each request is made anew (method, path, the route in its extensions) and its future polled
//! once (the inner service answers at once), so each row less the bare row is what the layer
//! adds to a request.

use std::future::{Ready, ready};
use std::hint::black_box;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use coremeter_exporter::HttpMetricsLayer;
use criterion::{Criterion, criterion_group, criterion_main};
use http::{Method, Request, Response};
use prometheus_client::metrics::family::Family as PcFamily;
use prometheus_client::metrics::gauge::Gauge as PcGauge;
use prometheus_client::metrics::histogram::Histogram as PcHistogram;
use tower_layer::Layer;
use tower_service::Service;

/// The route template a router put in the request's extensions.
#[derive(Clone, Copy)]
struct Route(&'static str);

const ROUTES: [&str; 4] = ["/", "/users/{id}", "/cart", "/checkout"];
const METHODS: [Method; 2] = [Method::GET, Method::POST];

/// The inner service: answers 200 at once.
#[derive(Clone, Copy)]
struct Answer;

impl Service<Request<()>> for Answer {
    type Response = Response<()>;
    type Error = std::convert::Infallible;
    type Future = Ready<Result<Response<()>, Self::Error>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Request<()>) -> Self::Future {
        ready(Ok(Response::new(())))
    }
}

fn request(i: usize) -> Request<()> {
    let mut request = Request::new(());
    *request.method_mut() = METHODS[i & 1].clone();
    request.extensions_mut().insert(Route(ROUTES[i & 3]));
    request
}

/// Calls `service` with request `i` and polls the answer once.
fn serve<S>(service: &mut S, i: usize)
where
    S: Service<Request<()>, Response = Response<()>>,
{
    let mut future = std::pin::pin!(service.call(request(i)));
    let mut cx = Context::from_waker(Waker::noop());
    let answered = future.as_mut().poll(&mut cx);
    assert!(matches!(answered, Poll::Ready(Ok(_))));
}

/// The OpenTelemetry buckets `HttpMetricsLayer` uses, for the hand-written layers.
const BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

#[derive(Clone, Debug, PartialEq, Eq, Hash, prometheus_client::encoding::EncodeLabelSet)]
struct PcDuration {
    http_request_method: &'static str,
    http_route: &'static str,
    http_response_status_code: &'static str,
    error_type: &'static str,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, prometheus_client::encoding::EncodeLabelSet)]
struct PcActive {
    http_request_method: &'static str,
}

/// prometheus-client's families for the hand-written layer.
struct PcMetrics {
    duration: PcFamily<PcDuration, PcHistogram, fn() -> PcHistogram>,
    active: PcFamily<PcActive, PcGauge>,
}

/// A hand-written layer of the same metrics: prometheus-client, or the `metrics` facade.
#[derive(Clone)]
enum Peer {
    PrometheusClient(Arc<PcMetrics>),
    Facade,
}

#[derive(Clone)]
struct PeerService {
    peer: Peer,
    inner: Answer,
}

impl Service<Request<()>> for PeerService {
    type Response = Response<()>;
    type Error = std::convert::Infallible;
    type Future = Ready<Result<Response<()>, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<()>) -> Self::Future {
        let method = if request.method() == Method::GET {
            "GET"
        } else {
            "POST"
        };
        let route = request
            .extensions()
            .get::<Route>()
            .map_or("unmatched", |r| r.0);
        let start = Instant::now();
        match &self.peer {
            Peer::PrometheusClient(m) => {
                m.active
                    .get_or_create(&PcActive {
                        http_request_method: method,
                    })
                    .inc();
            }
            Peer::Facade => metrics::gauge!("http_server_active_requests",
                "http_request_method" => method)
            .increment(1.0),
        }
        let answer = self.inner.call(request);
        // The inner future is ready: record as a layer's future does when it completes.
        let status = "200";
        let seconds = start.elapsed().as_secs_f64();
        match &self.peer {
            Peer::PrometheusClient(m) => {
                m.duration
                    .get_or_create(&PcDuration {
                        http_request_method: method,
                        http_route: route,
                        http_response_status_code: status,
                        error_type: "",
                    })
                    .observe(seconds);
                m.active
                    .get_or_create(&PcActive {
                        http_request_method: method,
                    })
                    .dec();
            }
            Peer::Facade => {
                metrics::histogram!("http_server_request_duration_seconds",
                    "http_request_method" => method, "http_route" => route,
                    "http_response_status_code" => status, "error_type" => "")
                .record(seconds);
                metrics::gauge!("http_server_active_requests",
                    "http_request_method" => method)
                .decrement(1.0);
            }
        }
        answer
    }
}

fn per_request(c: &mut Criterion) {
    let registry = coremeter::Registry::new();
    let ours = HttpMetricsLayer::new(&registry)
        .expect("registers")
        .route_from(|extensions| extensions.get::<Route>().map(|r| r.0.to_owned()));
    let pc = Arc::new(PcMetrics {
        duration: PcFamily::new_with_constructor(|| PcHistogram::new(BUCKETS)),
        active: PcFamily::default(),
    });
    let facade = metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets(&BUCKETS)
        .expect("buckets")
        .build_recorder();
    let mut g = c.benchmark_group("http_layer/request");
    let mut i = 0usize;
    let mut bare = Answer;
    g.bench_function("no layer", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            serve(black_box(&mut bare), i);
        })
    });
    let mut layered = ours.layer(Answer);
    g.bench_function("coremeter HttpMetricsLayer", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            serve(black_box(&mut layered), i);
        })
    });
    let mut with_pc = PeerService {
        peer: Peer::PrometheusClient(Arc::clone(&pc)),
        inner: Answer,
    };
    g.bench_function("prometheus-client, hand-written layer", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            serve(black_box(&mut with_pc), i);
        })
    });
    let mut with_facade = PeerService {
        peer: Peer::Facade,
        inner: Answer,
    };
    g.bench_function(
        "metrics facade + metrics-exporter-prometheus, hand-written layer",
        |b| {
            metrics::with_local_recorder(&facade, || {
                b.iter(|| {
                    i = i.wrapping_add(1);
                    serve(black_box(&mut with_facade), i);
                })
            })
        },
    );
    g.finish();
}

criterion_group!(benches, per_request);
criterion_main!(benches);
