//! The load driver of `bench/load.sh`: CLIENTS virtual visitors, each with its own
//! `reqwest::Client` (its own keep-alive connection and cookie store, so its own session),
//! each sending REQUESTS sequential `GET /api/counter` to the app at URL. Every response
//! must be 2xx with a body `{"count": n}`, n the visitor's previous count + 1 (the first
//! is 1), and every visitor must end at exactly REQUESTS, all within DEADLINE seconds.
//! A visitor stops at its first failure. Prints requests/s, p50, p99 and max latency
//! (from sending a request to reading its whole body) and the totals; exits 1, saying what
//! went wrong, on any failure.
//!
//! ```text
//! cargo run --release --example load -- [--clients 64] [--requests 1000] \
//!     [--deadline 300] [--threads <cores>] http://127.0.0.1:8000
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

use rocket::serde::Deserialize;
use rocket::tokio::{self, time::Instant as TokioInstant};

/// The body of `/api/counter`: exactly `{"count": n}`.
#[derive(Deserialize)]
#[serde(crate = "rocket::serde", deny_unknown_fields)]
struct Count {
    count: u64,
}

struct Args {
    base: String,
    clients: usize,
    requests: u64,
    deadline: Duration,
    threads: usize,
}

const USAGE: &str = "usage: load [--clients N] [--requests M] [--deadline SECONDS] \
                     [--threads T] BASE_URL";

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (mut clients, mut requests, mut deadline, mut threads) = (64, 1000, 300, cores);
    let mut base = None;
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<u64, String> {
            let value = args.next().ok_or(format!("{name} needs a value"))?;
            match value.parse::<u64>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(format!("{name} {value}: not a positive integer")),
            }
        };
        match arg.as_str() {
            "--clients" => clients = number("--clients")?,
            "--requests" => requests = number("--requests")?,
            "--deadline" => deadline = number("--deadline")?,
            "--threads" => threads = number("--threads")? as usize,
            "-h" | "--help" => return Err(USAGE.into()),
            url if !url.starts_with('-') && base.is_none() => {
                base = Some(url.trim_end_matches('/').to_owned());
            }
            other => return Err(format!("unexpected argument {other}\n{USAGE}")),
        }
    }
    Ok(Args {
        base: base.ok_or(USAGE)?,
        clients: usize::try_from(clients).map_err(|_| "--clients is too large")?,
        requests,
        deadline: Duration::from_secs(deadline),
        threads,
    })
}

/// What one visitor did.
struct Visitor {
    /// One per 2xx response with the right count.
    latencies: Vec<Duration>,
    /// The last count the app answered (0 before any).
    last: u64,
    /// 1 for each kind of failure that stopped it.
    non_2xx: u64,
    connection: u64,
    wrong_count: u64,
    deadline: u64,
    /// Why it stopped early.
    error: Option<String>,
}

async fn visit(
    id: usize,
    http: reqwest::Client,
    url: String,
    requests: u64,
    deadline: TokioInstant,
) -> Visitor {
    let mut visitor = Visitor {
        latencies: Vec::with_capacity(usize::try_from(requests.min(100_000)).unwrap_or(0)),
        last: 0,
        non_2xx: 0,
        connection: 0,
        wrong_count: 0,
        deadline: 0,
        error: None,
    };
    for n in 1..=requests {
        let started = Instant::now();
        let exchange = async {
            let response = http.get(&url).send().await?;
            let status = response.status();
            let body = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, body))
        };
        let (status, body) = match tokio::time::timeout_at(deadline, exchange).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(e)) => {
                visitor.connection = 1;
                visitor.error =
                    Some(format!("client {id}, request {n}: connection failed: {}", chain(&e)));
                break;
            }
            Err(_) => {
                visitor.deadline = 1;
                visitor.error = Some(format!("client {id}, request {n}: the deadline passed"));
                break;
            }
        };
        let latency = started.elapsed();
        if !status.is_success() {
            visitor.non_2xx = 1;
            visitor.error =
                Some(format!("client {id}, request {n}: HTTP {status}: {}", snippet(&body)));
            break;
        }
        let expected = visitor.last + 1;
        match serde_json::from_slice::<Count>(&body) {
            Ok(Count { count }) if count == expected => {
                visitor.last = count;
                visitor.latencies.push(latency);
            }
            Ok(Count { count }) => {
                visitor.wrong_count = 1;
                let lost = if count == 1 && n > 1 {
                    " (the session was lost or its cookie not kept)"
                } else {
                    ""
                };
                visitor.error = Some(format!(
                    "client {id}, request {n}: count {count}, expected {expected}{lost}"
                ));
                break;
            }
            Err(e) => {
                visitor.wrong_count = 1;
                visitor.error = Some(format!(
                    "client {id}, request {n}: body {} is not {{\"count\": n}}: {e}",
                    snippet(&body)
                ));
                break;
            }
        }
    }
    visitor
}

/// An error with its sources, `: `-separated.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text = format!("{text}: {e}");
        source = e.source();
    }
    text
}

/// The start of a response body, for a message.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut end = text.len().min(120);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{:?}", &text[..end])
}

/// The `p`th percentile (nearest rank) of sorted latencies, in milliseconds.
fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1e3
}

async fn run(args: Args) -> Result<(), Vec<String>> {
    let url = format!("{}/api/counter", args.base);
    let started = Instant::now();
    let deadline = TokioInstant::now() + args.deadline;
    let mut tasks = Vec::with_capacity(args.clients);
    for id in 0..args.clients {
        // No proxy from the environment: the app is on loopback.
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .no_proxy()
            .build()
            .map_err(|e| vec![format!("cannot build an HTTP client: {e}")])?;
        tasks.push(tokio::spawn(visit(id, http, url.clone(), args.requests, deadline)));
    }
    let mut visitors = Vec::with_capacity(args.clients);
    let mut failures = Vec::new();
    for (id, task) in tasks.into_iter().enumerate() {
        // Each visitor returns by the deadline; the margin only bounds a stuck task.
        match tokio::time::timeout_at(deadline + Duration::from_secs(5), task).await {
            Ok(Ok(visitor)) => visitors.push(visitor),
            Ok(Err(e)) => failures.push(format!("client {id}: its task failed: {e}")),
            Err(_) => failures.push(format!("client {id}: still running 5 s past the deadline")),
        }
    }
    let elapsed = started.elapsed();

    let mut latencies: Vec<Duration> =
        visitors.iter().flat_map(|v| v.latencies.iter().copied()).collect();
    latencies.sort_unstable();
    let ok = latencies.len() as u64;
    let sum = |f: fn(&Visitor) -> u64| visitors.iter().map(f).sum::<u64>();
    let (non_2xx, connection, wrong, late) =
        (sum(|v| v.non_2xx), sum(|v| v.connection), sum(|v| v.wrong_count), sum(|v| v.deadline));
    let complete = visitors.iter().filter(|v| v.last == args.requests).count();
    let planned = args.clients as u64 * args.requests;

    println!(
        "{} clients x {} requests = {planned} GET /api/counter in {:.2} s",
        args.clients,
        args.requests,
        elapsed.as_secs_f64()
    );
    println!("requests/s  {:.0}", ok as f64 / elapsed.as_secs_f64());
    println!(
        "latency     p50 {:.2} ms   p99 {:.2} ms   max {:.2} ms",
        percentile_ms(&latencies, 50.0),
        percentile_ms(&latencies, 99.0),
        latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1e3)
    );
    println!(
        "totals      {ok}/{planned} ok   non-2xx {non_2xx}   connection failures {connection}   \
         wrong counts {wrong}   past the deadline {late}   clients at {}: {complete}/{}",
        args.requests, args.clients
    );

    if ok != planned || complete != args.clients {
        failures.insert(
            0,
            format!(
                "{ok} of {planned} requests answered right; {complete} of {} clients ended at {}",
                args.clients, args.requests
            ),
        );
    }
    if late > 0 {
        failures.insert(0, format!("the deadline ({} s) passed first", args.deadline.as_secs()));
    }
    let errors: Vec<&String> = visitors.iter().filter_map(|v| v.error.as_ref()).collect();
    failures.extend(errors.iter().take(10).map(|e| e.to_string()));
    if errors.len() > 10 {
        failures.push(format!("... and {} more clients stopped early", errors.len() - 10));
    }
    if failures.is_empty() { Ok(()) } else { Err(failures) }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failures) => {
            for failure in failures {
                eprintln!("FAIL: {failure}");
            }
            ExitCode::FAILURE
        }
    }
}
