//! HTML pages: `GET /`, the session dashboard, and `GET /counter`.

use std::time::{Duration, SystemTime};

use rocket::http::Status;
use rocket::{Route, State, get, routes};
use rocket_dyn_templates::{Template, context};
use serde::Serialize;

use rocket_redis_sessions::{Session, SessionLayer};

use crate::page::{AppKeyView, AppKeys, Common, ErrorResponse, app_entries, is_app_key, rfc3339};

/// One of the visitor's own keys (not starting with `_`) on the dashboard.
#[derive(Serialize)]
struct Entry {
    key: String,
    /// The value as JSON.
    value: String,
}

/// What the dashboard says about the session itself.
#[derive(Serialize)]
struct Facts {
    /// The id, shortened.
    id: Option<String>,
    /// The start of its key in the store.
    storage_key: Option<String>,
    /// RFC 3339 times.
    created_at: Option<String>,
    idle_expires_at: Option<String>,
    absolute_expires_at: Option<String>,
    /// The timeouts, in words ("30 minutes").
    idle_timeout: String,
    absolute_timeout: String,
    /// How often a read restarts the idle timeout in the store, in words.
    touch_after: String,
}

/// `d` in words: "30 minutes", "24 hours", "1 second".
fn in_words(d: Duration) -> String {
    let secs = d.as_secs();
    let (n, unit) = match secs {
        0 => (0, "second"),
        s if s % 3600 == 0 => (s / 3600, "hour"),
        s if s % 60 == 0 => (s / 60, "minute"),
        s => (s, "second"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

fn facts(session: &Session<'_>, layer: &SessionLayer) -> Facts {
    let config = layer.config();
    let created = session.created_at();
    let absolute = created.and_then(|c| c.checked_add(config.absolute()));
    Facts {
        id: session.id_hint(),
        storage_key: session.storage_key_hint(),
        created_at: created.and_then(rfc3339),
        idle_expires_at: session.expires_at().and_then(rfc3339),
        absolute_expires_at: absolute.and_then(rfc3339),
        idle_timeout: in_words(config.idle()),
        absolute_timeout: in_words(config.absolute()),
        touch_after: match config.touch_after().as_secs() {
            0 => "on every read".into(),
            60 => "at most once a minute".into(),
            3600 => "at most once an hour".into(),
            _ => format!("at most once every {}", in_words(config.touch_after())),
        },
    }
}

/// What the dashboard form sent back when it was refused, to show it again.
#[derive(Debug, Default, Serialize)]
pub(super) struct Refused {
    pub(super) error: String,
    pub(super) key: String,
    pub(super) value: String,
}

/// The dashboard; `refused` re-renders it after a refused form with the visitor's input.
pub(super) async fn dashboard(
    session: &Session<'_>,
    layer: &SessionLayer,
    app_keys: &AppKeys,
    refused: Option<Refused>,
) -> Result<Template, ErrorResponse> {
    let page = Common::new(session, layer)?;
    let mine = session.entries().into_iter().filter(|(key, _)| !is_app_key(key));
    let entries: Vec<Entry> =
        mine.map(|(key, value)| Entry { key, value: value.to_string() }).collect();
    let app_entries: Vec<AppKeyView> = app_entries(session, app_keys);
    let devices = super::devices::devices(session).await;
    Ok(Template::render(
        "index",
        context! {
            title: "Your session",
            page,
            entries,
            app_entries,
            refused,
            devices,
            session: facts(session, layer),
            now: rfc3339(SystemTime::now()),
        },
    ))
}

/// Every key and value of the visitor's session, its times and store, and forms to change
/// it.
#[get("/")]
async fn index(
    session: Session<'_>,
    layer: &State<SessionLayer>,
    app_keys: &State<AppKeys>,
) -> Result<Template, ErrorResponse> {
    dashboard(&session, layer, app_keys, None).await
}

/// The tutorial's example: counts this visitor's visits.
#[get("/counter")]
fn counter(
    session: Session<'_>,
    layer: &State<SessionLayer>,
) -> Result<(Status, Template), ErrorResponse> {
    let count = session.get::<u64>("count")?.unwrap_or(0).saturating_add(1);
    session.insert("count", &count)?;
    let page = Common::new(&session, layer)?;
    Ok((Status::Ok, Template::render("counter", context! { title: "Counter", page, count })))
}

pub(super) fn routes() -> Vec<Route> {
    routes![index, counter]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_words() {
        assert_eq!(in_words(Duration::from_secs(1800)), "30 minutes");
        assert_eq!(in_words(Duration::from_secs(86400)), "24 hours");
        assert_eq!(in_words(Duration::from_secs(3600)), "1 hour");
        assert_eq!(in_words(Duration::from_secs(90)), "90 seconds");
        assert_eq!(in_words(Duration::from_secs(1)), "1 second");
    }
}
