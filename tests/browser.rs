//! The demo clicked through in a real browser: headless Chromium, driven over WebDriver.
//!
//! The test starts its own `chromedriver` and a Chromium with a fresh profile, then walks
//! the dashboard, the counter and the OAuth sign-in with the built-in provider against the
//! app launched on a free loopback port. It needs Chromium (or Chrome) and its
//! `chromedriver`, found on `PATH` or where `CHROMIUM` and `CHROMEDRIVER` point, and fails
//! at once (never skips) without them; `./test.sh` installs them. With `UPDATE_SCREENSHOTS=1` it also rewrites the
//! screenshots in `docs/`.

use crate::common;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fantoccini::wait::Wait;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use reqwest::Url;
use serde_json::json;

use common::Launched;

/// Names the browser goes by on `PATH`, tried in order.
const CHROMIUM_NAMES: [&str; 4] =
    ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];
/// The most any one step may take before the test gives up on it.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);

#[rocket::async_test]
async fn a_visitor_stores_values_counts_visits_and_signs_in_with_the_demo_provider() {
    let profile = ProfileDir::create();
    let driver = ChromeDriver::start();
    let url = common::redis::shared_url();
    let app = Launched::start(&url, &common::unique_prefix("browser"), json!({})).await;
    let browser = driver.open_browser(&profile).await;

    // The steps run as their own task so that a failed assertion still closes the browser.
    let outcome = rocket::tokio::spawn(visit(browser.clone(), app.base.clone())).await;
    browser.close().await.expect("the browser session closes");
    if let Err(failure) = outcome {
        std::panic::resume_unwind(failure.into_panic());
    }
}

/// The scenario, step by step, as a person would click through it.
async fn visit(browser: Client, base: String) {
    let url = |path: &str| format!("{base}{path}");
    let screenshots = Screenshots::from_env();

    // 1. The dashboard's "Set a value" form stores a value: 303 back to `/`, a flash
    //    message, and the value (as JSON) in the table.
    browser.goto(&url("/")).await.unwrap();
    set_value(&browser, "greeting", "Hello from Chromium").await;
    assert_eq!(browser.current_url().await.unwrap().as_str(), url("/"));
    assert_eq!(flashes(&browser).await, ["Stored “greeting”."]);
    assert_eq!(
        value_in_table(&browser, "greeting").await.as_deref(),
        Some("\"Hello from Chromium\"")
    );

    // 2. A reload still shows the value, and the flash is gone: it is shown once.
    browser.refresh().await.unwrap();
    wait(&browser).for_element(Locator::Css("table.entries")).await.unwrap();
    let flashes_after_reload = flashes(&browser).await;
    assert!(flashes_after_reload.is_empty(), "no flash on reload: {flashes_after_reload:?}");
    assert_eq!(
        value_in_table(&browser, "greeting").await.as_deref(),
        Some("\"Hello from Chromium\"")
    );

    // 3. Two more values, for a dashboard worth a screenshot.
    set_value(&browser, "theme", "dark").await;
    set_value(&browser, "favourite crate", "rocket").await;
    assert_eq!(value_in_table(&browser, "theme").await.as_deref(), Some("\"dark\""));
    screenshots.take(&browser, "dashboard").await;

    // 4. The counter counts this visitor's visits: 1, then 2.
    browser.goto(&url("/counter")).await.unwrap();
    assert_eq!(text_of(&browser, "#count").await, "1");
    browser.goto(&url("/counter")).await.unwrap();
    assert_eq!(text_of(&browser, "#count").await, "2");
    screenshots.take(&browser, "counter").await;

    // 5. The OAuth page, signed out, offers the built-in provider.
    browser.goto(&url("/oauth")).await.unwrap();
    let you = text_of(&browser, "main section.card").await;
    assert!(you.contains("You are not signed in."), "{you}");
    screenshots.take(&browser, "oauth-signed-out").await;
    let cookie_before = browser.get_named_cookie("session").await.expect("a session cookie");
    assert_eq!(cookie_before.http_only(), Some(true), "the session cookie is HttpOnly");

    // 6. "Sign in" leads to the provider's consent page.
    button(&browser, "Sign in with Demo provider (built in)").await.click().await.unwrap();
    let name = wait(&browser).for_element(Locator::Id("name")).await.unwrap();
    assert_eq!(browser.current_url().await.unwrap().path(), "/provider/authorize");
    assert_eq!(text_of(&browser, "h1").await, "Sign in with the demo provider");
    name.clear().await.unwrap();
    name.send_keys("Grace Hopper").await.unwrap();
    screenshots.take(&browser, "consent").await;

    // 7. Approve: back through the callback to `/oauth`, signed in.
    button(&browser, "Approve").await.click().await.unwrap();
    let oauth = Url::parse(&url("/oauth")).unwrap();
    wait(&browser).for_url(&oauth).await.expect("back on /oauth after the callback");
    let signed_in = wait(&browser).for_element(Locator::Id("signed-in")).await.unwrap();
    let signed_in = signed_in.text().await.unwrap();
    assert!(signed_in.starts_with("Signed in as Grace Hopper"), "{signed_in}");
    assert_eq!(text_of(&browser, "header .who").await, "Signed in as Grace Hopper");
    assert_eq!(
        flashes(&browser).await,
        ["Signed in as Grace Hopper with Demo provider (built in)."]
    );
    screenshots.take(&browser, "oauth-signed-in").await;

    // 8. Signing in gave the session a new id, and the data came along.
    let cookie_after = browser.get_named_cookie("session").await.expect("a session cookie");
    assert_ne!(cookie_after.value(), cookie_before.value(), "the session id changes at sign-in");
    browser.goto(&url("/")).await.unwrap();
    assert_eq!(
        value_in_table(&browser, "greeting").await.as_deref(),
        Some("\"Hello from Chromium\"")
    );
}

/// Fills the dashboard's "Set a value" form, submits it, and waits for its flash message.
async fn set_value(browser: &Client, key: &str, value: &str) {
    let form = "form[action='/session']";
    let key_input = browser.find(Locator::Css(&format!("{form} input[name='key']"))).await;
    key_input.unwrap().send_keys(key).await.unwrap();
    let value_input = browser.find(Locator::Css(&format!("{form} textarea[name='value']"))).await;
    value_input.unwrap().send_keys(value).await.unwrap();
    browser.find(Locator::Css(&format!("{form} button"))).await.unwrap().click().await.unwrap();
    // The flash names the key, so an earlier page's flash cannot satisfy the wait.
    let flash = format!("//p[@role='status'][normalize-space()='Stored “{key}”.']");
    wait(browser).for_element(Locator::XPath(&flash)).await.expect("the flash of the stored key");
}

/// The texts of the page's flash messages.
async fn flashes(browser: &Client) -> Vec<String> {
    let mut texts = Vec::new();
    for flash in browser.find_all(Locator::Css("p.banner[role='status']")).await.unwrap() {
        texts.push(flash.text().await.unwrap());
    }
    texts
}

/// The value column of the dashboard row for `key`, if there is one.
async fn value_in_table(browser: &Client, key: &str) -> Option<String> {
    let row = format!("//table[@class='entries']//tr[td[1][normalize-space()='{key}']]/td[2]");
    let cells = browser.find_all(Locator::XPath(&row)).await.unwrap();
    match cells.first() {
        Some(cell) => Some(cell.text().await.unwrap()),
        None => None,
    }
}

/// The text of the first element matching `css`, waiting for it to appear.
async fn text_of(browser: &Client, css: &str) -> String {
    let element = wait(browser).for_element(Locator::Css(css)).await;
    element.unwrap_or_else(|e| panic!("no {css} on the page: {e}")).text().await.unwrap()
}

/// The button labelled `label`.
async fn button(browser: &Client, label: &str) -> fantoccini::elements::Element {
    let xpath = format!("//button[normalize-space()='{label}']");
    wait(browser).for_element(Locator::XPath(&xpath)).await.expect(label)
}

/// A bounded wait that polls often, so each step takes no longer than the page does.
fn wait(browser: &Client) -> Wait<'_> {
    browser.wait().at_most(STEP_TIMEOUT).every(Duration::from_millis(20))
}

/// The PNGs in `docs/`, rewritten only when `UPDATE_SCREENSHOTS=1`, so that a plain
/// `cargo test` leaves tracked files alone.
struct Screenshots {
    dir: Option<PathBuf>,
}

impl Screenshots {
    fn from_env() -> Self {
        let enabled = std::env::var("UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1");
        Self { dir: enabled.then(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("docs")) }
    }

    async fn take(&self, browser: &Client, name: &str) {
        let Some(dir) = &self.dir else { return };
        let png = browser.screenshot().await.expect("a screenshot");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("cannot write {path:?}: {e}"));
    }
}

/// The program `variable` names, or the first of `names` on `PATH`; `None` when neither
/// gives an executable.
fn program(variable: &str, names: &[&str]) -> Option<PathBuf> {
    match std::env::var_os(variable).filter(|v| !v.is_empty()) {
        Some(path) => Some(PathBuf::from(path)).filter(|p| p.is_file()),
        None => names.iter().find_map(|name| common::redis::program_on_path(name)),
    }
}

/// A `chromedriver` of our own on a free loopback port, killed when dropped, and the
/// browser it drives.
struct ChromeDriver {
    child: Child,
    port: u16,
    chromium: PathBuf,
}

impl ChromeDriver {
    /// Finds Chromium and chromedriver, starts the driver and waits (at most 10 s) until it
    /// listens. Without either program, fails at once saying what to install.
    fn start() -> Self {
        let chromium = program("CHROMIUM", &CHROMIUM_NAMES);
        let chromedriver = program("CHROMEDRIVER", &["chromedriver"]);
        let (Some(chromium), Some(chromedriver)) = (chromium, chromedriver) else {
            panic!(
                "the browser test needs Chromium and chromedriver, on PATH or where \
                 CHROMIUM and CHROMEDRIVER point; install them (Debian/Ubuntu: `apt-get \
                 install -y chromium chromium-driver`), or run `./test.sh`, which does"
            );
        };
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {chromedriver:?}: {e}"));
        let mut driver = Self { child, port, chromium };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = driver.child.try_wait() {
                panic!("{chromedriver:?} exited ({status}) before listening on port {port}");
            }
            assert!(Instant::now() < deadline, "chromedriver did not listen within 10 s");
            std::thread::sleep(Duration::from_millis(20));
        }
        driver
    }

    /// A new headless Chromium, 1200×900, with `profile` as its user data directory.
    async fn open_browser(&self, profile: &ProfileDir) -> Client {
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            "--disable-dev-shm-usage",
            "--window-size=1200,900",
            "--hide-scrollbars", // clean screenshots
            &format!("--user-data-dir={}", profile.0.display()),
            // Anything not on loopback goes to a proxy that is not there: the browser
            // cannot fetch from the outside world even if some feature tries to.
            "--proxy-server=127.0.0.1:9",
        ];
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": self.chromium, "args": args },
        });
        let serde_json::Value::Object(capabilities) = capabilities else { unreachable!() };
        let browser = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("chromedriver starts a headless Chromium");
        // `--window-size` counts the (invisible) browser frame: grow the window by it so
        // that pages and screenshots get a 1200×900 viewport.
        let frame = "return [outerWidth - innerWidth, outerHeight - innerHeight];";
        let frame: (u32, u32) =
            serde_json::from_value(browser.execute(frame, vec![]).await.unwrap())
                .expect("the frame's size");
        browser.set_window_size(1200 + frame.0, 900 + frame.1).await.unwrap();
        browser
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh, empty Chromium profile directory, removed when dropped.
struct ProfileDir(PathBuf);

impl ProfileDir {
    fn create() -> Self {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
        let name = format!("rocket-redis-sessions-chromium-{}-{nanos}", std::process::id());
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir(&path).unwrap_or_else(|e| panic!("cannot create {path:?}: {e}"));
        Self(path)
    }
}

impl Drop for ProfileDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
