//! HTML pages: `GET /`, the session dashboard.

use std::time::SystemTime;

use rocket::{Route, State, get, routes};
use rocket_dyn_templates::{Template, context};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::session::{Session, SessionLayer};

#[derive(Serialize)]
struct Entry {
    key: String,
    value: String,
}

fn timestamp(t: Option<SystemTime>) -> Option<String> {
    let whole_seconds = OffsetDateTime::from(t?).replace_nanosecond(0).ok()?;
    whole_seconds.format(&Rfc3339).ok()
}

/// Lists every key and value of the visitor's session, with its times and store.
#[get("/")]
fn index(session: Session<'_>, layer: &State<SessionLayer>) -> Template {
    let entries: Vec<Entry> = session
        .entries()
        .into_iter()
        .map(|(key, value)| Entry { key, value: value.to_string() })
        .collect();
    Template::render(
        "index",
        context! {
            title: "Your session",
            entries,
            created_at: timestamp(session.created_at()),
            expires_at: timestamp(session.expires_at()),
            store: layer.store().name(),
            fallback: layer.is_fallback(),
        },
    )
}

pub(super) fn routes() -> Vec<Route> {
    routes![index]
}
