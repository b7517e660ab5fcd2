//! The demo app's routes: the JSON API, the health check, the pages and error pages.

mod api;
mod devices;
mod forms;
mod health;
mod pages;

use rocket::fairing::AdHoc;
use rocket::fs::{FileServer, Options};

use crate::page::{self, AppKeys};

/// Mounts every route, the static files (`static_dir`, default `static`) and the catchers.
/// The dashboard shows the app's own keys in the words `app_keys` gives them.
pub fn stage(app_keys: AppKeys) -> AdHoc {
    AdHoc::on_ignite("Routes", |rocket| async {
        let static_dir: String =
            rocket.figment().extract_inner("static_dir").unwrap_or_else(|_| "static".into());
        rocket
            .manage(app_keys)
            .mount("/", api::routes())
            .mount("/", health::routes())
            .mount("/", pages::routes())
            .mount("/", forms::routes())
            .mount("/", devices::routes())
            .mount("/static", FileServer::new(static_dir, Options::Missing))
            .register("/", page::catchers())
    })
}
