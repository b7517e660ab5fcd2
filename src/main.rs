//! Runs the demo app: `cargo run`, then open http://127.0.0.1:8000.

#[rocket::launch]
fn launch() -> _ {
    rocket_redis_sessions_demo::rocket()
}
