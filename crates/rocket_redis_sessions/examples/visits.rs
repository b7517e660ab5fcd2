//! The smallest app with sessions: one route that counts a visitor's visits.
//!
//! ```sh
//! ROCKET_DATABASES='{sessions={url="redis://127.0.0.1:6379/0"}}' \
//!     cargo run -p rocket_redis_sessions --example visits
//! curl -c jar -b jar http://127.0.0.1:8000/visits   # visit number 1, 2, 3, ...
//! ```

use rocket::{get, launch, routes};
use rocket_db_pools::Database;
use rocket_redis_sessions::{RedisPool, Session, SessionError, SessionFairing};

#[derive(Database)]
#[database("sessions")] // [default.databases.sessions] url = "redis://127.0.0.1:6379/0"
struct Sessions(RedisPool);

#[get("/visits")]
fn visits(session: Session<'_>) -> Result<String, SessionError> {
    let n = session.get::<u64>("visits")?.unwrap_or(0) + 1;
    session.insert("visits", &n)?;
    Ok(format!("visit number {n}"))
}

#[launch]
fn rocket() -> _ {
    rocket::build()
        .attach(Sessions::init()) // the pool first,
        .attach(SessionFairing::redis::<Sessions>()) // then the sessions
        .mount("/", routes![visits])
}
