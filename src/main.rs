//! Runs the demo app: `cargo run`, then open http://127.0.0.1:8000.

use std::process::ExitCode;

#[rocket::main]
async fn main() -> ExitCode {
    match rocket_redis_sessions_demo::rocket().launch().await {
        Ok(_) => ExitCode::SUCCESS,
        Err(error) => {
            // A launch that fails (a configuration that cannot work, a port in use) has
            // logged its reasons; this names the outcome and leaves with status 1, where
            // the error left unhandled would panic.
            let abort = error.pretty_print();
            eprintln!("rocket-redis-sessions-demo: {abort}");
            ExitCode::FAILURE
        }
    }
}
