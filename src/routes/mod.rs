//! The demo app's routes: the JSON API, the health check, the pages and error pages.

mod api;
pub mod errors;
mod forms;
mod health;
pub mod page;
mod pages;

use rocket::fairing::AdHoc;
use rocket::fs::{FileServer, Options};

/// Mounts every route, the static files (`static_dir`, default `static`) and the catchers.
pub fn stage() -> AdHoc {
    AdHoc::on_ignite("Routes", |rocket| async {
        let static_dir: String =
            rocket.figment().extract_inner("static_dir").unwrap_or_else(|_| "static".into());
        rocket
            .mount("/", api::routes())
            .mount("/", health::routes())
            .mount("/", pages::routes())
            .mount("/", forms::routes())
            .mount("/static", FileServer::new(static_dir, Options::Missing))
            .register("/", errors::catchers())
    })
}
