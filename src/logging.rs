//! The app's log: Rocket's messages and ours, at the configured `log_level`, with nothing
//! secret in them.
//!
//! Rocket's own logger prints each request's URI (an OAuth callback's `code` and
//! `state`, an authorization request's `state`) and, at `debug`, dumps whole requests and
//! responses with their headers (session cookies, `Set-Cookie`, `Authorization` with a
//! bearer token or a client's secret). This logger takes its place, installed before
//! Rocket's: it writes the same messages in the same shape, except that
//! - the request and response dumps and the form fields (Rocket's `debug` records of
//!   `rocket::server` and `rocket::form`) are left out: they are made of headers and
//!   values;
//! - every query string is written with its names only (`/oauth/callback?code=…&state=…`):
//!   the values of a query are the part that carries secrets.
//!
//! Nothing else the app or the library logs carries a secret: session ids appear nowhere
//! (the store logs the SHA-256 key name), neither do tokens, verifiers or client secrets.

use std::fmt::Write as _;
use std::io::Write as _;

use log::{Level, LevelFilter, Log, Metadata, Record};
use rocket::config::LogLevel;
use rocket::figment::Figment;

/// Installs the logger at the `log_level` of `figment` (Rocket's default for its profile
/// when unset), unless a logger is installed already. Call it before `rocket::custom`,
/// which would install Rocket's.
pub fn install(figment: &Figment) {
    let level = figment.extract_inner::<LogLevel>("log_level").unwrap_or_else(|_| {
        match figment.profile() == rocket::Config::DEBUG_PROFILE {
            true => LogLevel::Normal,
            false => LogLevel::Critical,
        }
    });
    if log::set_boxed_logger(Box::new(RedactingLogger)).is_ok() {
        log::set_max_level(LevelFilter::from(level));
    }
}

/// The logger [`install`] puts in place.
struct RedactingLogger;

/// Records of Rocket's launch (its configuration, the routes, "launched"): shown at every
/// level but `off`, as Rocket shows them.
fn is_launch(metadata: &Metadata<'_>) -> bool {
    metadata.target().contains("rocket::launch")
}

impl Log for RedactingLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        match log::max_level().to_level() {
            Some(max) => metadata.level() <= max || is_launch(metadata),
            None => false,
        }
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) || is_dump(record) {
            return;
        }
        let module = record.module_path().unwrap_or_default();
        let chatty = ["hyper", "rustls", "h2", "reqwest"].iter().any(|m| module.starts_with(m));
        if chatty && log::max_level() < LevelFilter::Trace {
            return;
        }
        let mut line = String::with_capacity(128);
        // Rocket marks records that belong under the previous one with a target ending
        // in `_`.
        let indented = record.target().ends_with('_');
        if indented {
            line.push_str("   >> ");
        }
        let level = match is_launch(record.metadata()) {
            true => Level::Info,
            false => record.level(),
        };
        match level {
            Level::Error if !indented => line.push_str("Error: "),
            Level::Warn if !indented => line.push_str("Warning: "),
            _ => {}
        }
        let _ = write!(line, "{}", record.args());
        let mut line = redact_queries(&line);
        line.push('\n');
        write_out(&line);
    }

    fn flush(&self) {
        let _ = std::io::stdout().flush();
    }
}

/// Rocket's `debug` records that dump what a request carries: whole requests and
/// responses with their headers (`rocket::server`), each field of a form
/// (`rocket::form`).
fn is_dump(record: &Record<'_>) -> bool {
    let target = record.target();
    record.level() >= Level::Debug
        && (target.starts_with("rocket::server") || target.starts_with("rocket::form"))
}

/// Writes `line` to stdout. In debug builds through `print!`, which the test harness
/// captures (as Rocket does); elsewhere without it, so that a closed stdout loses the log
/// instead of panicking.
fn write_out(line: &str) {
    #[cfg(debug_assertions)]
    print!("{line}");
    #[cfg(not(debug_assertions))]
    {
        let _ = std::io::stdout().lock().write_all(line.as_bytes());
    }
}

/// `text` with the value of every query parameter replaced by `…`: a `?` followed by a
/// non-space character starts a query, which runs to the next space, quote or angle
/// bracket. Names stay, so the log still tells which parameters came.
pub fn redact_queries(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('?') {
        let (before, query) = rest.split_at(at + 1);
        out.push_str(before);
        let end = query.find(|c: char| c.is_whitespace() || "\"'<>`".contains(c));
        let (query, after) = query.split_at(end.unwrap_or(query.len()));
        for (i, pair) in query.split('&').enumerate() {
            if i > 0 {
                out.push('&');
            }
            match pair.split_once('=') {
                Some((name, _)) => {
                    out.push_str(name);
                    out.push_str("=…");
                }
                None if pair.is_empty() => {}
                None => out.push('…'),
            }
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::redact_queries;

    #[test]
    fn query_values_go_and_names_stay() {
        let line = "GET /oauth/callback?code=abc&state=xyz text/html:";
        assert_eq!(redact_queries(line), "GET /oauth/callback?code=…&state=… text/html:");
        assert_eq!(redact_queries("uri: \"/a?t=s3cret\""), "uri: \"/a?t=…\"");
        assert_eq!(redact_queries("/x?lonely"), "/x?…");
        assert_eq!(redact_queries("/x?a=1&&b"), "/x?a=…&&…");
        assert_eq!(redact_queries("Did it work? Yes?"), "Did it work? Yes?");
        assert_eq!(redact_queries("/x?a=1 and /y?b=2"), "/x?a=… and /y?b=…");
        assert_eq!(redact_queries("no query"), "no query");
    }
}
