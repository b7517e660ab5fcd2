//! HTML pages: `GET /`, the session dashboard, and `GET /counter`.

use std::time::SystemTime;

use rocket::http::Status;
use rocket::{Route, State, get, routes};
use rocket_dyn_templates::{Template, context};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use rocket_redis_sessions::{Session, SessionLayer};

use crate::page::{Common, ErrorResponse};

/// Prefixes of session keys whose values the dashboard never shows (a pending sign-in's
/// verifier and full `state`, say), with what it shows instead.
pub struct HiddenKeys(pub Vec<(&'static str, &'static str)>);

/// One row of the dashboard's table.
#[derive(Serialize)]
struct Entry {
    key: String,
    value: String,
    /// Keys starting with `_` belong to the app and cannot be edited from the page.
    managed: bool,
}

fn timestamp(t: Option<SystemTime>) -> Option<String> {
    let whole_seconds = OffsetDateTime::from(t?).replace_nanosecond(0).ok()?;
    whole_seconds.format(&Rfc3339).ok()
}

/// What the dashboard form sent back when it was refused, to show it again.
#[derive(Debug, Default, Serialize)]
pub(super) struct Refused {
    pub(super) error: String,
    pub(super) key: String,
    pub(super) value: String,
}

/// The dashboard; `refused` re-renders it after a refused form with the visitor's input.
pub(super) fn dashboard(
    session: &Session<'_>,
    layer: &SessionLayer,
    hidden: &HiddenKeys,
    refused: Option<Refused>,
) -> Result<Template, ErrorResponse> {
    let page = Common::new(session, layer)?;
    let entries: Vec<Entry> = session
        .entries()
        .into_iter()
        .map(|(key, value)| {
            let shown = hidden.0.iter().find(|(prefix, _)| key.starts_with(prefix));
            let value = shown.map_or_else(|| value.to_string(), |(_, text)| (*text).to_owned());
            Entry { managed: key.starts_with('_'), key, value }
        })
        .collect();
    Ok(Template::render(
        "index",
        context! {
            title: "Your session",
            page,
            entries,
            refused,
            created_at: timestamp(session.created_at()),
            expires_at: timestamp(session.expires_at()),
        },
    ))
}

/// Every key and value of the visitor's session, its times and store, and forms to change
/// it.
#[get("/")]
fn index(
    session: Session<'_>,
    layer: &State<SessionLayer>,
    hidden: &State<HiddenKeys>,
) -> Result<Template, ErrorResponse> {
    dashboard(&session, layer, hidden, None)
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
