//! The built binary, launched for real on a free port: a process of its own (its own
//! logger, its own metrics recorder), killed when dropped.

use std::net::TcpListener;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// The app's binary, running until dropped.
pub struct App {
    /// The process (its output, if piped, can be taken).
    pub child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
}

/// The app's binary on a free port, on `redis_url`, configured by `ROCKET_*` variables;
/// add more with `Command::env` (a later value of the same variable wins).
pub fn command(redis_url: &str) -> (Command, u16) {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_rocket-redis-sessions-demo"));
    command
        .env("ROCKET_ADDRESS", "127.0.0.1")
        .env("ROCKET_PORT", port.to_string())
        .env("ROCKET_DATABASES", format!("{{sessions={{url=\"{redis_url}\"}}}}"));
    (command, port)
}

impl App {
    /// Starts `command` and waits until the app answers `/health` on `port`.
    pub async fn run(mut command: Command, port: u16) -> Self {
        let child = command.spawn().expect("the app binary starts");
        let app = Self { child, base: format!("http://127.0.0.1:{port}") };
        app.wait_ready().await
    }

    async fn wait_ready(mut self) -> Self {
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = reqwest::Client::new();
        while client.get(format!("{}/health", self.base)).send().await.is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the app exited ({status}) before answering");
            }
            assert!(Instant::now() < deadline, "the app did not answer within 30 s");
            rocket::tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self
    }

    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
