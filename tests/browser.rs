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
use serde_json::json;

use common::Launched;

/// Names the browser goes by on `PATH`, tried in order.
const CHROMIUM_NAMES: [&str; 4] =
    ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];
/// The screens the test browses on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Viewport {
    Desktop,
    Phone,
}

/// Their sizes, CSS pixels: a desktop's and a small phone's.
const DESKTOP: (u32, u32) = (1200, 900);
const PHONE: (u32, u32) = (360, 780);
/// What the phone says it is.
const PHONE_AGENT: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 \
    (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36";
/// The most any one step may take before the test gives up on it.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);

#[rocket::async_test]
async fn a_visitor_stores_values_rotates_the_id_counts_visits_denies_and_signs_in_from_either_host_name()
 {
    let driver = ChromeDriver::start();
    let url = common::redis::shared_url();
    let prefix = Screenshots::from_env().key_prefix();
    let app = Launched::start(&url, &prefix, json!({})).await;
    let base = app.base.clone();
    driver
        .run(Viewport::Desktop, |browser| async move {
            visit(browser.clone(), base.clone()).await;
            sign_in_from_another_host_name(browser, base).await;
        })
        .await;
    let base = app.base.clone();
    driver.run(Viewport::Phone, |browser| on_a_phone(browser, base)).await;
}

/// One user signed in on two browsers with profiles of their own (a desktop and a phone):
/// each lists both sessions, and the desktop signs the phone out, first by ending its
/// session, then with "Sign out everywhere else".
#[rocket::async_test]
async fn a_user_signed_in_on_two_browsers_ends_one_from_the_other() {
    let driver = ChromeDriver::start();
    let url = common::redis::shared_url();
    let prefix = Screenshots::from_env().key_prefix();
    let app = Launched::start(&url, &prefix, json!({})).await;
    let (desktop_profile, phone_profile) = (ProfileDir::create(), ProfileDir::create());
    let desktop = driver.open_browser(&desktop_profile, Viewport::Desktop).await;
    let phone = driver.open_browser(&phone_profile, Viewport::Phone).await;
    let steps = two_devices(desktop.clone(), phone.clone(), app.base.clone());
    let outcome = rocket::tokio::spawn(steps).await;
    desktop.close().await.expect("the desktop browser closes");
    phone.close().await.expect("the phone browser closes");
    if let Err(failure) = outcome {
        std::panic::resume_unwind(failure.into_panic());
    }
}

async fn two_devices(desktop: Client, phone: Client, base: String) {
    let url = |path: &str| format!("{base}{path}");
    let screenshots = Screenshots::from_env();
    let name = "Margaret Hamilton";
    for browser in [&phone, &desktop] {
        browser.goto(&url("/oauth")).await.unwrap();
        sign_in_at_the_provider(browser, name).await;
        button(browser, "Approve").await.click().await.unwrap();
        wait_for_flash(browser, "Signed in as Margaret Hamilton with Demo provider (built in).")
            .await;
    }
    // Both devices list both sessions, oldest first, each marking its own.
    phone.goto(&url("/")).await.unwrap();
    assert_eq!(
        devices_listed(&phone).await,
        listed(&[("Chrome on Android", true), ("Headless Chrome on Linux", false)])
    );
    fits_a_phone(&phone, "/").await;
    let show = "document.getElementById('devices').scrollIntoView()";
    phone.execute(show, vec![]).await.unwrap();
    screenshots.take(&phone, "sessions-phone").await;
    desktop.goto(&url("/")).await.unwrap();
    assert_eq!(
        devices_listed(&desktop).await,
        listed(&[("Chrome on Android", false), ("Headless Chrome on Linux", true)])
    );
    screenshots.take(&desktop, "sessions").await;

    // The desktop ends the phone's session: the phone is signed out at its next click.
    let end = "//li[contains(@class,'device')][not(contains(@class,'current'))]//button";
    wait(&desktop).for_element(Locator::XPath(end)).await.unwrap().click().await.unwrap();
    wait_for_flash(&desktop, "That session was ended: its device is signed out.").await;
    assert_eq!(devices_listed(&desktop).await, listed(&[("Headless Chrome on Linux", true)]));
    assert!(button_absent(&desktop, "Sign out everywhere else").await, "one session left");
    phone.goto(&url("/oauth")).await.unwrap();
    let you = text_of(&phone, "main section.card").await;
    assert!(you.contains("You are not signed in."), "{you}");

    // Signed in again on the phone; "Sign out everywhere else" on the desktop ends it.
    sign_in_at_the_provider(&phone, name).await;
    button(&phone, "Approve").await.click().await.unwrap();
    wait_for_flash(&phone, "Signed in as Margaret Hamilton with Demo provider (built in).").await;
    desktop.goto(&url("/")).await.unwrap();
    assert_eq!(devices_listed(&desktop).await.len(), 2);
    button(&desktop, "Sign out everywhere else").await.click().await.unwrap();
    wait_for_flash(&desktop, "Signed out 1 other session.").await;
    assert_eq!(devices_listed(&desktop).await, listed(&[("Headless Chrome on Linux", true)]));
    phone.goto(&url("/")).await.unwrap();
    wait(&phone).for_element(Locator::Css("footer")).await.unwrap();
    assert!(phone.find(Locator::Id("devices")).await.is_err(), "the phone is signed out");
    assert_eq!(text_of(&desktop, "header .who").await, "Signed in as Margaret Hamilton");
}

/// The dashboard's "Your sessions": each device's label, and whether it is this one.
async fn devices_listed(browser: &Client) -> Vec<(String, bool)> {
    wait(browser).for_element(Locator::Css("#devices li.device")).await.expect("Your sessions");
    let mut listed = Vec::new();
    for item in browser.find_all(Locator::Css("#devices li.device")).await.unwrap() {
        let label = item.find(Locator::Css(".device-label")).await.unwrap().text().await.unwrap();
        let class = item.attr("class").await.unwrap().unwrap_or_default();
        let badge = item.find(Locator::Css(".badge")).await.is_ok();
        assert_eq!(badge, class.contains("current"), "{label}: the badge marks this device");
        listed.push((label, badge));
    }
    listed
}

/// `items` as [`devices_listed`] returns them.
fn listed(items: &[(&str, bool)]) -> Vec<(String, bool)> {
    items.iter().map(|(label, here)| (label.to_string(), *here)).collect()
}

/// Whether the page has no button labelled `label`.
async fn button_absent(browser: &Client, label: &str) -> bool {
    let xpath = format!("//button[normalize-space()='{label}']");
    browser.find_all(Locator::XPath(&xpath)).await.unwrap().is_empty()
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

    // 2. A reload still shows the value, and the flash is gone: it is shown once. The
    //    expiries read as local times counting down (the page's script ran).
    browser.refresh().await.unwrap();
    wait(&browser).for_element(Locator::Css("table.entries")).await.unwrap();
    let flashes_after_reload = flashes(&browser).await;
    assert!(flashes_after_reload.is_empty(), "no flash on reload: {flashes_after_reload:?}");
    assert_eq!(
        value_in_table(&browser, "greeting").await.as_deref(),
        Some("\"Hello from Chromium\"")
    );
    let idle = text_of(&browser, "#idle-expiry").await;
    assert!(idle.contains("(in 29 min") || idle.contains("(in 30 min"), "a countdown: {idle}");

    // 3. Rotating the id changes the id and the store key the page shows; the data stays.
    let shown_before =
        (text_of(&browser, "#session-id").await, text_of(&browser, "#storage-key").await);
    let cookie_before = browser.get_named_cookie("session").await.expect("a session cookie");
    assert!(cookie_before.value().starts_with(shown_before.0.split('…').next().unwrap()));
    button(&browser, "Rotate the id").await.click().await.unwrap();
    wait_for_flash(&browser, "Your session has a new id; its data stayed.").await;
    let shown_after =
        (text_of(&browser, "#session-id").await, text_of(&browser, "#storage-key").await);
    assert_ne!(shown_after.0, shown_before.0, "the shown id changed");
    assert_ne!(shown_after.1, shown_before.1, "the shown key changed");
    let cookie_after = browser.get_named_cookie("session").await.expect("a session cookie");
    assert!(cookie_after.value().starts_with(shown_after.0.split('…').next().unwrap()));
    assert_eq!(value_in_table(&browser, "theme").await, None);
    assert!(value_in_table(&browser, "greeting").await.is_some(), "the data stayed");

    // 4. Two more values, for a dashboard worth a screenshot.
    set_value(&browser, "theme", "dark").await;
    set_value(&browser, "favourite crate", "rocket").await;
    assert_eq!(value_in_table(&browser, "theme").await.as_deref(), Some("\"dark\""));
    screenshots.take(&browser, "dashboard").await;

    // 5. The counter counts this visitor's visits: 1, then 2.
    browser.goto(&url("/counter")).await.unwrap();
    assert_eq!(text_of(&browser, "#count").await, "1");
    browser.goto(&url("/counter")).await.unwrap();
    assert_eq!(text_of(&browser, "#count").await, "2");
    screenshots.take(&browser, "counter").await;

    // 6. The OAuth page, signed out, offers the built-in provider.
    browser.goto(&url("/oauth")).await.unwrap();
    let you = text_of(&browser, "main section.card").await;
    assert!(you.contains("You are not signed in."), "{you}");
    screenshots.take(&browser, "oauth-signed-out").await;
    let cookie_before = browser.get_named_cookie("session").await.expect("a session cookie");
    assert_eq!(cookie_before.http_only(), Some(true), "the session cookie is HttpOnly");

    // 7. "Sign in" leads to the provider's consent page; Deny comes back to `/oauth` with
    //    a message, still signed out.
    sign_in_at_the_provider(&browser, "Nobody").await;
    button(&browser, "Deny").await.click().await.unwrap();
    wait_for_flash(
        &browser,
        "You declined to sign in with Demo provider (built in); you are still signed out.",
    )
    .await;
    assert_eq!(browser.current_url().await.unwrap().as_str(), url("/oauth"));
    let you = text_of(&browser, "main section.card").await;
    assert!(you.contains("You are not signed in."), "{you}");

    // 8. Approve: back through the callback to `/oauth`, signed in.
    sign_in_at_the_provider(&browser, "Grace Hopper").await;
    screenshots.take(&browser, "consent").await;
    button(&browser, "Approve").await.click().await.unwrap();
    wait_for_flash(&browser, "Signed in as Grace Hopper with Demo provider (built in).").await;
    assert_eq!(browser.current_url().await.unwrap().as_str(), url("/oauth"));
    let signed_in = text_of(&browser, "#signed-in").await;
    assert!(signed_in.starts_with("Signed in as Grace Hopper"), "{signed_in}");
    assert_eq!(text_of(&browser, "header .who").await, "Signed in as Grace Hopper");
    screenshots.take(&browser, "oauth-signed-in").await;

    // 9. Signing in gave the session a new id, and the data came along; the dashboard
    //    names the user in words.
    let cookie_after = browser.get_named_cookie("session").await.expect("a session cookie");
    assert_ne!(cookie_after.value(), cookie_before.value(), "the session id changes at sign-in");
    browser.goto(&url("/")).await.unwrap();
    assert_eq!(
        value_in_table(&browser, "greeting").await.as_deref(),
        Some("\"Hello from Chromium\"")
    );
    let app_keys = text_of(&browser, "dl.app-keys").await;
    assert!(app_keys.contains("Grace Hopper (through demo)"), "{app_keys}");
}

/// On a phone's screen (a browser emulating a 360 px wide one, with a cookie jar of its
/// own), nothing wraps inside a word and nothing overflows the page, even with a long
/// key and value.
async fn on_a_phone(browser: Client, base: String) {
    let url = |path: &str| format!("{base}{path}");
    let screenshots = Screenshots::from_env();
    browser.goto(&url("/")).await.unwrap();
    set_value(&browser, "a-rather-long-key-that-a-visitor-typed", &"0123456789".repeat(20)).await;
    set_value(&browser, "greeting", "Hello from a phone").await;
    for path in ["/", "/counter", "/oauth"] {
        browser.goto(&url(path)).await.unwrap();
        wait(&browser).for_element(Locator::Css("footer")).await.unwrap();
        fits_a_phone(&browser, path).await;
    }
    browser.goto(&url("/")).await.unwrap();
    wait(&browser).for_element(Locator::Css("table.entries")).await.unwrap();
    screenshots.take(&browser, "dashboard-phone").await;
    browser.goto(&url("/oauth")).await.unwrap();
    wait(&browser).for_element(Locator::Css("footer")).await.unwrap();
    screenshots.take(&browser, "oauth-phone").await;
}

/// The app listens on 127.0.0.1, its public address. A visitor who types `localhost`
/// instead (another host to the browser, so another cookie jar) and signs in is moved to
/// the public address first, and the round trip ends signed in there.
async fn sign_in_from_another_host_name(browser: Client, base: String) {
    let port = base.rsplit(':').next().unwrap();
    let localhost = format!("http://localhost:{port}");
    browser.goto(&format!("{localhost}/oauth")).await.unwrap();
    let you = text_of(&browser, "main section.card").await;
    assert!(you.contains("You are not signed in."), "{you}");
    sign_in_at_the_provider(&browser, "Ada Lovelace").await;
    button(&browser, "Approve").await.click().await.unwrap();
    wait_for_flash(&browser, "Signed in as Ada Lovelace with Demo provider (built in).").await;
    assert_eq!(browser.current_url().await.unwrap().as_str(), format!("{base}/oauth"));
    let signed_in = text_of(&browser, "#signed-in").await;
    assert!(signed_in.starts_with("Signed in as Ada Lovelace"), "{signed_in}");
}

/// Clicks the built-in provider's button on `/oauth` and fills in `name` on its consent
/// page.
async fn sign_in_at_the_provider(browser: &Client, name: &str) {
    button(browser, "Sign in with Demo provider (built in)").await.click().await.unwrap();
    let input = wait(browser).for_element(Locator::Id("name")).await.unwrap();
    assert_eq!(browser.current_url().await.unwrap().path(), "/provider/authorize");
    assert_eq!(text_of(browser, "h1").await, "Sign in with the demo provider");
    input.clear().await.unwrap();
    input.send_keys(name).await.unwrap();
}

/// Waits for the flash message `text`.
async fn wait_for_flash(browser: &Client, text: &str) {
    let xpath = format!("//p[contains(@class,'banner')][normalize-space()=\"{text}\"]");
    if wait(browser).for_element(Locator::XPath(&xpath)).await.is_err() {
        panic!("no flash {text:?}; the page has {:?}", flashes(browser).await);
    }
}

/// Asserts that the page fits the viewport's width, that no style on it lets a word break
/// across lines, and that no text box overflows: at a phone's width, a word either fits or
/// sits in a box that scrolls (a long key or value).
async fn fits_a_phone(browser: &Client, path: &str) {
    let script = r#"
        const all = [...document.querySelectorAll("body *")];
        const overflow = document.documentElement.scrollWidth - window.innerWidth;
        const wide = all.filter(el => !el.closest(".scroll") && el.getBoundingClientRect().right > innerWidth + 1)
            .map(el => el.tagName + "." + el.className + ": " + el.textContent.trim().slice(0, 30));
        const breaking = all.filter(el => !["TEXTAREA", "INPUT"].includes(el.tagName)).filter(el => {
            const s = getComputedStyle(el);
            return ["anywhere", "break-word"].includes(s.overflowWrap)
                || ["break-all", "break-word"].includes(s.wordBreak) || s.hyphens === "auto";
        }).map(el => el.tagName + "." + el.className);
        const blocks = "p, dd, dt, li, h1, h2, label, td, th, button, dl.meta small";
        const overflowing = [...document.querySelectorAll(blocks)]
            .filter(el => !el.closest(".scroll") && el.scrollWidth > el.clientWidth + 1)
            .map(el => el.textContent.trim().slice(0, 40));
        const split = [...document.querySelectorAll("code.key, code.token, nav a")]
            .filter(el => el.getClientRects().length > 1)
            .map(el => el.textContent.trim());
        return [[innerWidth, overflow, wide], breaking, overflowing, split];
    "#;
    type Found = ((u32, i64, Vec<String>), Vec<String>, Vec<String>, Vec<String>);
    let ((width, overflow, wide), breaking, overflowing, split): Found =
        serde_json::from_value(browser.execute(script, vec![]).await.unwrap()).unwrap();
    assert_eq!(width, PHONE.0, "the page is laid out for a phone");
    assert!(overflow <= 0, "{path} is {overflow} px wider than a phone: {wide:?}");
    assert!(breaking.is_empty(), "{path}: styles that break words: {breaking:?}");
    assert!(overflowing.is_empty(), "{path}: text overflows its box: {overflowing:?}");
    assert!(split.is_empty(), "{path}: split across lines: {split:?}");
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

    /// `docs/{name}.png`: the whole page at the viewport's width (the window grows to the
    /// page's height for the shot, then shrinks back).
    async fn take(&self, browser: &Client, name: &str) {
        let Some(dir) = &self.dir else { return };
        let size = "return [innerWidth, innerHeight, document.documentElement.scrollHeight];";
        let (width, height, page_height): (u32, u32, u32) =
            serde_json::from_value(browser.execute(size, vec![]).await.unwrap()).unwrap();
        // A phone's emulated screen keeps its size: it is shot as the phone shows it.
        let resize = width != PHONE.0 && page_height > height;
        if resize {
            set_viewport(browser, width, page_height).await;
        }
        let png = browser.screenshot().await.expect("a screenshot");
        if resize {
            set_viewport(browser, width, height).await;
        }
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("cannot write {path:?}: {e}"));
    }

    /// The key prefix of the app under test: a unique one, except for screenshots, which
    /// show the default so that the page looks as it does for a visitor.
    fn key_prefix(&self) -> String {
        match self.dir {
            Some(_) => "session:".to_owned(),
            None => common::unique_prefix("browser"),
        }
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
    async fn open_browser(&self, profile: &ProfileDir, viewport: Viewport) -> Client {
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
        let mut options = json!({ "binary": self.chromium, "args": args });
        if viewport == Viewport::Phone {
            // A desktop window cannot be made this narrow: the phone is emulated.
            let metrics = json!({ "width": PHONE.0, "height": PHONE.1, "pixelRatio": 1.0 });
            options["mobileEmulation"] =
                json!({ "deviceMetrics": metrics, "userAgent": PHONE_AGENT });
        }
        let capabilities = json!({ "browserName": "chrome", "goog:chromeOptions": options });
        let serde_json::Value::Object(capabilities) = capabilities else { unreachable!() };
        let browser = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("chromedriver starts a headless Chromium");
        if viewport == Viewport::Desktop {
            set_viewport(&browser, DESKTOP.0, DESKTOP.1).await;
        }
        browser
    }

    /// Runs `steps` in a new browser with a fresh profile, as their own task so that a
    /// failed assertion still closes the browser; then fails as they did.
    async fn run<F, Fut>(&self, viewport: Viewport, steps: F)
    where
        F: FnOnce(Client) -> Fut,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let profile = ProfileDir::create();
        let browser = self.open_browser(&profile, viewport).await;
        let outcome = rocket::tokio::spawn(steps(browser.clone())).await;
        browser.close().await.expect("the browser session closes");
        if let Err(failure) = outcome {
            std::panic::resume_unwind(failure.into_panic());
        }
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sizes the window so that pages (and screenshots) get a `width`×`height` viewport: the
/// window's size counts the (invisible) browser frame too.
async fn set_viewport(browser: &Client, width: u32, height: u32) {
    let frame = "return [outerWidth - innerWidth, outerHeight - innerHeight];";
    let frame: (u32, u32) = serde_json::from_value(browser.execute(frame, vec![]).await.unwrap())
        .expect("the frame's size");
    browser.set_window_size(width + frame.0, height + frame.1).await.unwrap();
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
