//! The app's log holds no secret, at Rocket's `normal` level and at `debug`: the built
//! binary, run with its output captured, through a session's whole life (a write, an id
//! rotation, an OAuth sign-in, a client's own token exchange and userinfo call, a sign-out
//! and a destroy), then every secret seen on the wire looked for in that output.

use crate::common;

use std::process::Stdio;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use sha2::{Digest, Sha256};

use common::binary::{self, App};
use common::input_value;
use common::redis::RedisServer;

/// A random text no log line can contain by chance.
fn random(label: &str) -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).unwrap();
    format!("{label}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// What a browser and a client of the provider do, keeping every secret that crossed
/// the wire.
struct Visit {
    http: Client,
    base: String,
    /// Every cookie the app set and has not removed, by name.
    cookies: std::collections::BTreeMap<String, String>,
    secrets: Vec<String>,
}

impl Visit {
    fn url(&self, path: &str) -> String {
        match path.starts_with("http") {
            true => path.to_owned(),
            false => format!("{}{path}", self.base),
        }
    }

    /// Keeps the cookies the response sets (their values as secrets), drops those it
    /// removes.
    fn keep_cookie(&mut self, headers: &HeaderMap) {
        for value in headers.get_all(SET_COOKIE) {
            let value = value.to_str().unwrap();
            let pair = value.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            match value.is_empty() {
                true => self.cookies.remove(name),
                false => {
                    self.secrets.push(value.to_owned());
                    self.cookies.insert(name.to_owned(), value.to_owned())
                }
            };
        }
    }

    fn with_cookie(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let header: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        match header.is_empty() {
            true => request,
            false => request.header("cookie", header.join("; ")),
        }
    }

    async fn get(&mut self, path: &str) -> (StatusCode, HeaderMap, String) {
        let res = self.with_cookie(self.http.get(self.url(path))).send().await.unwrap();
        let (status, headers) = (res.status(), res.headers().clone());
        self.keep_cookie(&headers);
        (status, headers, res.text().await.unwrap())
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> (StatusCode, HeaderMap) {
        let body = common::form_body(form);
        let request = self.http.post(self.url(path)).body(body);
        let request = request.header("content-type", "application/x-www-form-urlencoded");
        let res = self.with_cookie(request).send().await.unwrap();
        let (status, headers) = (res.status(), res.headers().clone());
        self.keep_cookie(&headers);
        (status, headers)
    }

    /// The CSRF token of the page at `path`, kept as a secret.
    async fn csrf(&mut self, path: &str) -> String {
        let (status, _, page) = self.get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let token = input_value(&page, "csrf_token");
        self.secrets.push(token.clone());
        token
    }

    /// Opens the consent page at `authorize`, approves as `name` and returns where the
    /// provider sends the browser back to.
    async fn approve(&mut self, authorize: &str, name: &str) -> String {
        let (status, _, page) = self.get(authorize).await;
        assert_eq!(status, StatusCode::OK, "{authorize}: {page}");
        let hidden: Vec<(String, String)> = page
            .split("<input")
            .skip(1)
            .filter_map(|tag| tag.split('>').next())
            .filter(|tag| tag.contains("type=\"hidden\""))
            .filter_map(|tag| {
                let field = tag.split("name=\"").nth(1)?.split('"').next()?;
                Some((field.to_owned(), input_value(&format!("<input{tag}>"), field)))
            })
            .collect();
        let mut form: Vec<(&str, &str)> =
            hidden.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        form.extend([("name", name), ("decision", "approve")]);
        let (status, headers) = self.post("/provider/authorize", &form).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        headers[LOCATION].to_str().unwrap().to_owned()
    }
}

/// The value of query parameter `name` in `url`.
fn query_param(url: &str, name: &str) -> String {
    let url = reqwest::Url::parse(url).unwrap();
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned()).unwrap()
}

/// Runs the app at `level` through a session's life; returns its output and the secrets.
async fn run_at(level: &str, redis_url: &str) -> (String, Vec<String>) {
    let client_secret = random("CLIENT-SECRET-");
    let out_path = std::env::temp_dir().join(random("rrs-log-"));
    let out = std::fs::File::create(&out_path).unwrap();
    let (mut command, port) = binary::command(redis_url);
    command
        .env("ROCKET_PROFILE", "debug")
        .env("ROCKET_LOG_LEVEL", level)
        .env("ROCKET_CLI_COLORS", "false")
        .env("ROCKET_SESSIONS", format!("{{key_prefix=\"logs-{level}:\"}}"))
        .env(
            "ROCKET_PROVIDER",
            format!(
                "{{key_prefix=\"logs-{level}:provider:\",\
                 clients={{demo-client={{client_secret=\"{client_secret}\"}}}}}}"
            ),
        )
        .stdout(Stdio::from(out.try_clone().unwrap()))
        .stderr(Stdio::from(out));
    let app = App::run(command, port).await;
    let http = Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let base = app.base.clone();
    let mut v =
        Visit { http, base, cookies: Default::default(), secrets: vec![client_secret.clone()] };

    // A session, a value in it, a new id.
    let csrf = v.csrf("/").await;
    let (status, _) =
        v.post("/session", &[("csrf_token", &csrf), ("key", "k"), ("value", "v")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = v.post("/session/regenerate", &[("csrf_token", &csrf)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // The app's sign-in: `state` and PKCE challenge out, `code` and `state` back.
    let (status, headers, _) = v.get("/oauth/login?provider=demo").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let authorize = headers[LOCATION].to_str().unwrap().to_owned();
    v.secrets.push(query_param(&authorize, "state"));
    let back = v.approve(&authorize, "Logged Nowhere").await;
    v.secrets.push(query_param(&back, "code"));
    let (status, _, _) = v.get(&back).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "signed in");

    // A client of the provider of its own: Basic credentials, a code, a verifier, a
    // bearer token.
    let verifier = random("VERIFIER-");
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let state = random("STATE-");
    let callback = format!("{}/oauth/callback", v.base);
    let authorize = format!(
        "/provider/authorize?response_type=code&client_id=demo-client&redirect_uri={}\
         &state={state}&code_challenge={challenge}&code_challenge_method=S256",
        common::urlencode(&callback)
    );
    let back = v.approve(&authorize, "Client Of Its Own").await;
    let code = query_param(&back, "code");
    let basic = STANDARD.encode(format!("demo-client:{client_secret}"));
    v.secrets.extend([verifier.clone(), state, code.clone(), basic.clone()]);
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", callback.as_str()),
        ("code_verifier", verifier.as_str()),
    ];
    let res = v
        .http
        .post(v.url("/provider/token"))
        .header("authorization", format!("Basic {basic}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(common::form_body(&form))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let token = res.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
    v.secrets.push(token.clone());
    let res = v.http.get(v.url("/provider/userinfo")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // Sign-out (a new id), then the end of the session.
    let csrf = v.csrf("/oauth").await;
    let (status, _) = v.post("/oauth/logout", &[("csrf_token", &csrf)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let csrf = v.csrf("/").await;
    let (status, _) = v.post("/session/destroy", &[("csrf_token", &csrf)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    drop(app); // killed: its output is complete
    let log = std::fs::read_to_string(&out_path).unwrap();
    let _ = std::fs::remove_file(&out_path);
    (log, v.secrets)
}

async fn no_secret_in_the_log_at(level: &str) {
    let redis_server = RedisServer::start();
    let (log, secrets) = run_at(level, &redis_server.url()).await;
    assert!(secrets.len() >= 12, "the visit saw its secrets: {secrets:?}");
    let leaks: Vec<&str> =
        log.lines().filter(|line| secrets.iter().any(|s| line.contains(s.as_str()))).collect();
    assert!(
        leaks.is_empty(),
        "{level}: secrets in {} log lines:\n{}",
        leaks.len(),
        leaks.join("\n")
    );
    // The requests are in the log, their query values are not.
    assert!(log.contains("GET /oauth/callback?code=…&state=…"), "{level}: {log}");
    assert!(log.contains("POST /provider/token"), "{level}: {log}");
}

#[rocket::async_test]
async fn no_secret_reaches_the_log_at_the_normal_level() {
    no_secret_in_the_log_at("normal").await;
}

#[rocket::async_test]
async fn no_secret_reaches_the_log_at_the_debug_level() {
    no_secret_in_the_log_at("debug").await;
}
