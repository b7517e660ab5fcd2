//! `GET /metrics`: the session layer's metrics (see `rocket_redis_sessions::metrics`) in
//! Prometheus's text format, from the exporter this binary installs as the `metrics`
//! recorder. The store's round-trip times are a histogram with buckets from 0.1 ms to
//! 2.5 s. Counts only, no session data; a deployment that does not want them public
//! keeps the path off its proxy.

use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use rocket::fairing::AdHoc;
use rocket::http::ContentType;
use rocket::{State, get, routes};

/// Bucket bounds of `sessions_store_duration_seconds`, in seconds.
const BUCKETS: &[f64] =
    &[0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

/// How often recorded samples are folded into the histograms, scraped or not (so that
/// memory does not grow between scrapes).
const UPKEEP: Duration = Duration::from_secs(5);

/// Installs the Prometheus recorder as the process's `metrics` recorder; `None` (with a
/// warning) when another recorder is installed already.
pub fn install() -> Option<PrometheusHandle> {
    let builder = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full("sessions_store_duration_seconds".into()), BUCKETS);
    match builder.and_then(PrometheusBuilder::install_recorder) {
        Ok(handle) => Some(handle),
        Err(e) => {
            rocket::warn!("metrics: no Prometheus exporter ({e}); /metrics is not served");
            None
        }
    }
}

/// Serves `handle` at `/metrics` and keeps its histograms folded.
pub fn stage(handle: PrometheusHandle) -> AdHoc {
    AdHoc::on_ignite("Prometheus metrics", |rocket| async {
        let upkeep = handle.clone();
        rocket.manage(handle).mount("/", routes![metrics]).attach(AdHoc::on_liftoff(
            "Metrics upkeep",
            |_| {
                Box::pin(async move {
                    rocket::tokio::spawn(async move {
                        loop {
                            rocket::tokio::time::sleep(UPKEEP).await;
                            upkeep.run_upkeep();
                        }
                    });
                })
            },
        ))
    })
}

/// The metrics in the text exposition format (version 0.0.4).
#[get("/metrics")]
fn metrics(handle: &State<PrometheusHandle>) -> (ContentType, String) {
    let content_type = ContentType::new("text", "plain").with_params(("version", "0.0.4"));
    (content_type, handle.render())
}
