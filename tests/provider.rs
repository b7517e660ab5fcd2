//! The built-in demo authorization server over HTTP (RFC 6749 + RFC 7636): authorize,
//! consent, token and userinfo, through Rocket's local client and a real Redis.

use crate::common;

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use oauth2::url::{Url, form_urlencoded};
use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::{Client, LocalResponse};
use rocket_redis_sessions::redis;
use rocket_redis_sessions_demo::provider::BuiltinClients;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use common::json_body;
use common::redis as test_redis;

const CLIENT: &str = "test-client";
/// Characters that RFC 6749 §2.3.1 form-encodes inside HTTP Basic.
const SECRET: &str = "s3cret+/:é";
const REDIRECT: &str = "https://client.example/cb?tenant=1";
const OTHER_REDIRECT: &str = "https://client.example/other";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const STATE: &str = "a b&c=d/é";

/// Parameters to change in a request: `None` removes one.
type Changes<'a> = &'a [(&'a str, Option<&'a str>)];

struct Ctx {
    url: String,
    prefix: String,
}

impl Ctx {
    fn new(test: &str) -> Self {
        Self { url: test_redis::shared_url(), prefix: common::unique_prefix(test) }
    }

    /// Where the provider's keys go.
    fn provider_prefix(&self) -> String {
        format!("{}provider:", self.prefix)
    }

    /// The provider's keys under this test's prefix, and a test client besides the demo one.
    fn settings(&self) -> Value {
        json!({
            "provider.key_prefix": self.provider_prefix(),
            "provider.clients.test-client.redirect_uris": [REDIRECT, OTHER_REDIRECT],
            "provider.clients.test-client.client_secret": SECRET,
        })
    }

    fn rocket_with(&self, overrides: Value) -> rocket::Rocket<rocket::Build> {
        let figment = common::figment(&self.url, &self.prefix, self.settings());
        let figment = common::with(figment, overrides);
        rocket_redis_sessions_demo::rocket_from(figment)
    }

    async fn client(&self) -> Client {
        common::client(self.rocket_with(json!({}))).await
    }

    async fn keys(&self) -> Vec<String> {
        test_redis::keys(&self.url, &self.provider_prefix()).await
    }

    async fn pttl(&self, key: &str) -> i64 {
        test_redis::query(&self.url, redis::cmd("PTTL").arg(key)).await
    }
}

/// Lowercase hex SHA-256, as the provider names its keys.
fn hex(value: &str) -> String {
    Sha256::digest(value.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// `base` with `changes` applied: a parameter is replaced, added, or removed (`None`).
fn changed(base: &[(&str, &str)], changes: Changes<'_>) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> =
        base.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    for (name, value) in changes {
        params.retain(|(k, _)| k != name);
        params.extend(value.map(|value| ((*name).to_owned(), value.to_owned())));
    }
    params
}

/// A valid authorization request, with `changes`.
fn params(changes: Changes<'_>) -> Vec<(String, String)> {
    let code_challenge = challenge(VERIFIER);
    let base = [
        ("client_id", CLIENT),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "profile"),
        ("state", STATE),
        ("code_challenge", code_challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    changed(&base, changes)
}

fn encode(params: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish()
}

fn authorize_uri(params: &[(String, String)]) -> String {
    format!("/provider/authorize?{}", encode(params))
}

fn location(res: &LocalResponse<'_>) -> Option<Url> {
    res.headers().get_one("Location").map(|l| Url::parse(l).expect("an absolute Location"))
}

fn query(url: &Url) -> HashMap<String, String> {
    url.query_pairs().into_owned().collect()
}

/// The hidden `csrf_token` of the consent form.
fn csrf_token(html: &str) -> String {
    let start = html.find("name=\"csrf_token\" value=\"").expect("a csrf_token field") + 25;
    html[start..].split('"').next().unwrap().to_owned()
}

/// Opens the consent page for `params` and posts `decision` with its CSRF token.
async fn decide<'c>(
    client: &'c Client,
    params: &[(String, String)],
    decision: &str,
    name: &str,
) -> LocalResponse<'c> {
    let page = client.get(authorize_uri(params)).dispatch().await;
    assert_eq!(page.status(), Status::Ok, "the consent page");
    let token = csrf_token(&page.into_string().await.unwrap());
    let mut form = params.to_vec();
    form.extend(
        [("csrf_token", token.as_str()), ("decision", decision), ("name", name)]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    client
        .post("/provider/authorize")
        .header(ContentType::Form)
        .body(encode(&form))
        .dispatch()
        .await
}

/// Approves a valid request and returns the code.
async fn code(client: &Client) -> String {
    let res = decide(client, &params(&[]), "approve", "Grace Hopper").await;
    assert_eq!(res.status(), Status::SeeOther);
    query(&location(&res).unwrap()).remove("code").expect("a code")
}

fn basic(id: &str, secret: &str) -> Header<'static> {
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let credentials = STANDARD.encode(format!("{}:{}", enc(id), enc(secret)));
    Header::new("Authorization", format!("Basic {credentials}"))
}

/// A valid token request for `code`, with `changes`.
fn exchange_form(code: &str, changes: Changes<'_>) -> Vec<(String, String)> {
    let base = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    changed(&base, changes)
}

/// Posts `form` to the token endpoint, authenticated by Basic as the test client.
async fn exchange<'c>(client: &'c Client, form: &[(String, String)]) -> LocalResponse<'c> {
    let req =
        client.post("/provider/token").header(ContentType::Form).header(basic(CLIENT, SECRET));
    req.body(encode(form)).dispatch().await
}

/// The error code of a token-endpoint answer, after checking its status and no-store headers.
async fn oauth_error(res: LocalResponse<'_>, status: Status) -> String {
    assert_eq!(res.headers().get_one("Cache-Control"), Some("no-store"));
    assert_eq!(res.headers().get_one("Pragma"), Some("no-cache"));
    let body = json_body(res, status).await;
    assert!(body.get("access_token").is_none(), "no token with an error: {body}");
    body["error"].as_str().expect("an error code").to_owned()
}

async fn userinfo<'c>(client: &'c Client, token: &str) -> LocalResponse<'c> {
    let bearer = Header::new("Authorization", format!("Bearer {token}"));
    client.get("/provider/userinfo").header(bearer).dispatch().await
}

#[rocket::async_test]
async fn an_unknown_or_missing_client_id_gets_an_error_page_and_no_redirect() {
    let ctx = Ctx::new("unknown-client");
    let client = ctx.client().await;
    for changes in [[("client_id", Some("evil-client"))], [("client_id", None)]] {
        let res = client.get(authorize_uri(&params(&changes))).dispatch().await;
        assert_eq!(res.status(), Status::BadRequest, "{changes:?}");
        assert!(res.headers().get_one("Location").is_none(), "never a redirect: {changes:?}");
        assert!(res.into_string().await.unwrap().contains("<html"), "an HTML page");
    }
}

#[rocket::async_test]
async fn an_unregistered_or_missing_redirect_uri_gets_an_error_page_and_no_redirect() {
    let ctx = Ctx::new("bad-redirect");
    let client = ctx.client().await;
    let attempts = [
        Some("https://evil.example/cb"),
        Some("https://client.example/cb?tenant=1&next=https://evil.example"),
        Some("https://client.example/cb"),
        Some("https://CLIENT.example/cb?tenant=1"),
        None,
    ];
    for uri in attempts {
        // Everything else is wrong too: the redirect URI is checked first.
        let changes = [("redirect_uri", uri), ("response_type", Some("token"))];
        let res = client.get(authorize_uri(&params(&changes))).dispatch().await;
        assert_eq!(res.status(), Status::BadRequest, "{uri:?}");
        assert!(res.headers().get_one("Location").is_none(), "never a redirect: {uri:?}");
    }
}

#[rocket::async_test]
async fn request_errors_after_the_redirect_uri_go_back_to_it_with_the_state() {
    let ctx = Ctx::new("redirect-errors");
    let client = ctx.client().await;
    let cases: [(Changes<'_>, &str); 6] = [
        (&[("response_type", Some("token"))], "unsupported_response_type"),
        (&[("response_type", None)], "invalid_request"),
        (&[("code_challenge", None)], "invalid_request"),
        (&[("code_challenge", Some("too-short"))], "invalid_request"),
        (&[("code_challenge_method", Some("plain"))], "invalid_request"),
        (&[("code_challenge_method", None)], "invalid_request"),
    ];
    for (changes, error) in cases {
        let res = client.get(authorize_uri(&params(changes))).dispatch().await;
        assert_eq!(res.status(), Status::SeeOther, "{changes:?}");
        let to = location(&res).expect("a redirect");
        assert_eq!((to.host_str(), to.path()), (Some("client.example"), "/cb"));
        let query = query(&to);
        assert_eq!(query.get("error").map(String::as_str), Some(error), "{changes:?}");
        assert_eq!(query.get("state").map(String::as_str), Some(STATE), "{changes:?}");
        assert_eq!(query.get("tenant").map(String::as_str), Some("1"), "its own query kept");
        assert!(!query.contains_key("code"));
    }
}

#[rocket::async_test]
async fn the_consent_page_names_the_client_and_escapes_hostile_input() {
    let ctx = Ctx::new("consent");
    let client = ctx.client().await;
    let hostile = "\"><script>alert(1)</script>";
    let changes = [("state", Some(hostile)), ("scope", Some("profile <script>x</script>"))];
    let res = client.get(authorize_uri(&params(&changes))).dispatch().await;
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(res.headers().get_one("X-Frame-Options"), Some("DENY"), "no framing");
    let html = res.into_string().await.unwrap();
    assert!(html.contains(CLIENT), "names the client");
    assert!(html.contains("profile"), "names the scope");
    assert!(html.contains("value=\"Ada Lovelace\""), "a prefilled name");
    assert!(html.contains("value=\"approve\"") && html.contains("value=\"deny\""));
    assert!(!html.contains("<script>"), "hostile input is escaped:\n{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"), "the state is kept");
}

#[rocket::async_test]
async fn a_consent_post_without_a_valid_csrf_token_is_forbidden_and_does_nothing() {
    let ctx = Ctx::new("csrf");
    let client = ctx.client().await;
    let page = client.get(authorize_uri(&params(&[]))).dispatch().await;
    let token = csrf_token(&page.into_string().await.unwrap());
    let wrong = format!("{}x", &token[..token.len() - 1]);
    for csrf in [None, Some(wrong.as_str()), Some("")] {
        let mut form = params(&[]);
        form.push(("decision".into(), "approve".into()));
        form.push(("name".into(), "Mallory".into()));
        if let Some(csrf) = csrf {
            form.push(("csrf_token".into(), csrf.into()));
        }
        let req = client.post("/provider/authorize").header(ContentType::Form);
        let res = req.body(encode(&form)).dispatch().await;
        assert_eq!(res.status(), Status::Forbidden, "{csrf:?}");
        assert!(res.headers().get_one("Location").is_none(), "no redirect: {csrf:?}");
    }
    assert!(ctx.keys().await.is_empty(), "no code was issued");
}

#[rocket::async_test]
async fn approve_redirects_with_a_code_and_the_state_unchanged() {
    let ctx = Ctx::new("approve");
    let client = ctx.client().await;
    let res = decide(&client, &params(&[]), "approve", "Grace Hopper").await;
    assert_eq!(res.status(), Status::SeeOther);
    let to = location(&res).unwrap();
    assert_eq!((to.scheme(), to.host_str(), to.path()), ("https", Some("client.example"), "/cb"));
    let query = query(&to);
    assert_eq!(query["state"], STATE, "the state comes back byte for byte");
    assert_eq!(query["tenant"], "1");
    assert_eq!(query["code"].len(), 43, "256 bits in base64url");

    let res = decide(&client, &params(&[("state", None)]), "approve", "Grace Hopper").await;
    let query = self::query(&location(&res).unwrap());
    assert!(query.contains_key("code"));
    assert!(!query.contains_key("state"), "no state when none was sent: {query:?}");
}

#[rocket::async_test]
async fn deny_redirects_with_access_denied_and_the_state() {
    let ctx = Ctx::new("deny");
    let client = ctx.client().await;
    let res = decide(&client, &params(&[]), "deny", "Grace Hopper").await;
    assert_eq!(res.status(), Status::SeeOther);
    let query = query(&location(&res).unwrap());
    assert_eq!(query["error"], "access_denied");
    assert_eq!(query["state"], STATE);
    assert!(!query.contains_key("code"));
    assert!(ctx.keys().await.is_empty(), "no code was issued");
}

#[rocket::async_test]
async fn an_empty_name_shows_the_consent_page_again_without_a_redirect() {
    let ctx = Ctx::new("empty-name");
    let client = ctx.client().await;
    let res = decide(&client, &params(&[]), "approve", "   ").await;
    assert_eq!(res.status(), Status::UnprocessableEntity);
    assert!(res.headers().get_one("Location").is_none());
    assert!(ctx.keys().await.is_empty(), "no code was issued");
}

#[rocket::async_test]
async fn a_code_exchanged_with_basic_auth_gives_a_bearer_token_that_is_not_cached() {
    let ctx = Ctx::new("token-basic");
    let client = ctx.client().await;
    let code = code(&client).await;
    let res = exchange(&client, &exchange_form(&code, &[])).await;
    assert_eq!(res.headers().get_one("Cache-Control"), Some("no-store"));
    assert_eq!(res.headers().get_one("Pragma"), Some("no-cache"));
    let body = json_body(res, Status::Ok).await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "profile");
    assert_eq!(body["access_token"].as_str().map(str::len), Some(43));
}

#[rocket::async_test]
async fn a_code_exchanged_with_the_secret_in_the_body_gives_a_token() {
    let ctx = Ctx::new("token-body");
    let client = ctx.client().await;
    let code = code(&client).await;
    let form =
        exchange_form(&code, &[("client_id", Some(CLIENT)), ("client_secret", Some(SECRET))]);
    let res = client.post("/provider/token").header(ContentType::Form).body(encode(&form));
    let body = json_body(res.dispatch().await, Status::Ok).await;
    assert_eq!(body["token_type"], "Bearer");
}

#[rocket::async_test]
async fn the_demo_client_gets_a_random_secret_and_the_apps_own_callback() {
    let ctx = Ctx::new("demo-client");
    let client = ctx.client().await;
    let clients = client.rocket().state::<BuiltinClients>().expect("managed");
    let secret = clients.secret("demo-client").expect("a secret").to_owned();
    assert_eq!(secret.len(), 43, "256 random bits");
    let callback = "http://127.0.0.1:8000/oauth/callback";
    assert_eq!(clients.redirect_uris("demo-client"), Some(&[callback.to_owned()][..]));
    let again = ctx.client().await;
    let other = again.rocket().state::<BuiltinClients>().unwrap().secret("demo-client").unwrap();
    assert_ne!(secret, other, "a new secret each launch");

    let changes = [("client_id", Some("demo-client")), ("redirect_uri", Some(callback))];
    let res = decide(&client, &params(&changes), "approve", "Ada").await;
    let code = query(&location(&res).unwrap())["code"].clone();
    let form = exchange_form(&code, &[("redirect_uri", Some(callback))]);
    let req = client.post("/provider/token").header(ContentType::Form);
    let res = req.header(basic("demo-client", &secret)).body(encode(&form)).dispatch().await;
    assert_eq!(res.status(), Status::Ok);
}

#[rocket::async_test]
async fn a_wrong_pkce_verifier_is_invalid_grant_and_spends_the_code() {
    let ctx = Ctx::new("pkce");
    let client = ctx.client().await;
    let code = code(&client).await;
    let other_verifier = "x".repeat(43);
    let form = exchange_form(&code, &[("code_verifier", Some(other_verifier.as_str()))]);
    assert_eq!(
        oauth_error(exchange(&client, &form).await, Status::BadRequest).await,
        "invalid_grant"
    );
    let res = exchange(&client, &exchange_form(&code, &[])).await;
    assert_eq!(oauth_error(res, Status::BadRequest).await, "invalid_grant", "spent on first use");
}

#[rocket::async_test]
async fn a_code_works_once_and_its_replay_revokes_the_token() {
    let ctx = Ctx::new("replay");
    let client = ctx.client().await;
    let code = code(&client).await;
    let first = json_body(exchange(&client, &exchange_form(&code, &[])).await, Status::Ok).await;
    let token = first["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&client, token).await.status(), Status::Ok);

    let replay = exchange(&client, &exchange_form(&code, &[])).await;
    assert_eq!(oauth_error(replay, Status::BadRequest).await, "invalid_grant");
    assert_eq!(userinfo(&client, token).await.status(), Status::Unauthorized, "revoked");
}

#[rocket::async_test]
async fn a_code_issued_to_another_client_is_invalid_grant_and_left_to_its_client() {
    let ctx = Ctx::new("other-client");
    let client = ctx.client().await;
    let code = code(&client).await;
    let clients = client.rocket().state::<BuiltinClients>().unwrap();
    let demo_secret = clients.secret("demo-client").unwrap().to_owned();
    let req = client.post("/provider/token").header(ContentType::Form);
    let req = req.header(basic("demo-client", &demo_secret));
    let res = req.body(encode(&exchange_form(&code, &[]))).dispatch().await;
    assert_eq!(oauth_error(res, Status::BadRequest).await, "invalid_grant");
    // Another client could not burn it: its own client still can exchange it.
    let res = exchange(&client, &exchange_form(&code, &[])).await;
    assert_eq!(res.status(), Status::Ok, "the code is left to its client");
}

#[rocket::async_test]
async fn a_different_redirect_uri_at_the_token_endpoint_is_invalid_grant() {
    let ctx = Ctx::new("redirect-mismatch");
    let client = ctx.client().await;
    let code = code(&client).await;
    let form = exchange_form(&code, &[("redirect_uri", Some(OTHER_REDIRECT))]);
    assert_eq!(
        oauth_error(exchange(&client, &form).await, Status::BadRequest).await,
        "invalid_grant"
    );
}

#[rocket::async_test]
async fn a_wrong_secret_is_invalid_client_with_a_basic_challenge_and_keeps_the_code() {
    let ctx = Ctx::new("bad-secret");
    let client = ctx.client().await;
    let code = code(&client).await;
    let body = encode(&exchange_form(&code, &[]));
    let attempts = [
        Some(basic(CLIENT, "wrong")),
        Some(basic("evil-client", SECRET)),
        Some(Header::new("Authorization", "Basic not-base64!")),
        None,
    ];
    for auth in attempts {
        let mut req = client.post("/provider/token").header(ContentType::Form).body(&body);
        if let Some(auth) = auth {
            req = req.header(auth);
        }
        let res = req.dispatch().await;
        let challenge = res.headers().get_one("WWW-Authenticate").map(str::to_owned);
        assert!(challenge.is_some_and(|c| c.starts_with("Basic ")), "a Basic challenge");
        assert_eq!(oauth_error(res, Status::Unauthorized).await, "invalid_client");
    }
    let res = exchange(&client, &exchange_form(&code, &[])).await;
    assert_eq!(res.status(), Status::Ok, "only the real client can spend its code");
}

#[rocket::async_test]
async fn other_grant_types_and_missing_parameters_are_refused() {
    let ctx = Ctx::new("grant-type");
    let client = ctx.client().await;
    let code = code(&client).await;
    let cases: [(Changes<'_>, &str); 5] = [
        (&[("grant_type", Some("password"))], "unsupported_grant_type"),
        (&[("grant_type", None)], "invalid_request"),
        (&[("code", None)], "invalid_request"),
        (&[("redirect_uri", None)], "invalid_request"),
        (&[("code_verifier", None)], "invalid_request"),
    ];
    for (changes, error) in cases {
        let res = exchange(&client, &exchange_form(&code, changes)).await;
        assert_eq!(oauth_error(res, Status::BadRequest).await, error, "{changes:?}");
    }
    let res = exchange(&client, &exchange_form(&code, &[])).await;
    assert_eq!(res.status(), Status::Ok, "refused requests did not spend the code");
}

#[rocket::async_test]
async fn userinfo_tells_who_the_token_belongs_to() {
    let ctx = Ctx::new("userinfo");
    let client = ctx.client().await;
    let code = code(&client).await;
    let body = json_body(exchange(&client, &exchange_form(&code, &[])).await, Status::Ok).await;
    let res = userinfo(&client, body["access_token"].as_str().unwrap()).await;
    let user = json_body(res, Status::Ok).await;
    assert_eq!(user["name"], "Grace Hopper");
    assert!(user["sub"].as_str().is_some_and(|s| s.starts_with("demo-")), "{user}");
}

/// Posts a revocation request for `token` as `id` with `secret` (RFC 7009).
async fn revoke<'c>(client: &'c Client, id: &str, secret: &str, token: &str) -> LocalResponse<'c> {
    let req = client.post("/provider/revoke").header(ContentType::Form).header(basic(id, secret));
    req.body(encode(&[("token".to_owned(), token.to_owned())])).dispatch().await
}

#[rocket::async_test]
async fn a_client_revokes_its_token_and_no_other_client_can() {
    let ctx = Ctx::new("revoke");
    let client = ctx.client().await;
    let code = code(&client).await;
    let body = json_body(exchange(&client, &exchange_form(&code, &[])).await, Status::Ok).await;
    let token = body["access_token"].as_str().unwrap();

    // Another registered client gets the same 200 and revokes nothing.
    let clients = client.rocket().state::<BuiltinClients>().unwrap();
    let demo_secret = clients.secret("demo-client").unwrap().to_owned();
    assert_eq!(revoke(&client, "demo-client", &demo_secret, token).await.status(), Status::Ok);
    assert_eq!(userinfo(&client, token).await.status(), Status::Ok, "not its token");

    // A wrong secret is invalid_client; no token is invalid_request.
    let res = revoke(&client, CLIENT, "wrong", token).await;
    assert_eq!(oauth_error(res, Status::Unauthorized).await, "invalid_client");
    let req = client.post("/provider/revoke").header(ContentType::Form);
    let res = req.header(basic(CLIENT, SECRET)).body("token=").dispatch().await;
    assert_eq!(oauth_error(res, Status::BadRequest).await, "invalid_request");
    assert_eq!(userinfo(&client, token).await.status(), Status::Ok);

    // Its own client revokes it: gone at once; again, or unknown, is still 200.
    assert_eq!(revoke(&client, CLIENT, SECRET, token).await.status(), Status::Ok);
    assert_eq!(userinfo(&client, token).await.status(), Status::Unauthorized, "revoked");
    assert_eq!(revoke(&client, CLIENT, SECRET, token).await.status(), Status::Ok);
    assert!(!ctx.keys().await.iter().any(|k| k.contains(":token:")), "no token key left");
}

#[rocket::async_test]
async fn userinfo_without_a_valid_token_is_unauthorized_with_a_bearer_challenge() {
    let ctx = Ctx::new("userinfo-bad");
    let client = ctx.client().await;
    let res = client.get("/provider/userinfo").dispatch().await;
    let challenge = res.headers().get_one("WWW-Authenticate").map(str::to_owned);
    assert!(challenge.is_some_and(|c| c.starts_with("Bearer ")), "a Bearer challenge");
    assert_eq!(json_body(res, Status::Unauthorized).await["error"], "invalid_token");

    let res = userinfo(&client, &"x".repeat(43)).await;
    let challenge = res.headers().get_one("WWW-Authenticate").unwrap_or_default().to_owned();
    assert!(challenge.starts_with("Bearer ") && challenge.contains("error=\"invalid_token\""));
    assert_eq!(json_body(res, Status::Unauthorized).await["error"], "invalid_token");
}

#[rocket::async_test]
async fn codes_and_tokens_are_kept_by_digest_with_a_ttl() {
    let ctx = Ctx::new("layout");
    let client = ctx.client().await;
    let code = code(&client).await;
    let keys = ctx.keys().await;
    let code_key = format!("{}code:{}", ctx.provider_prefix(), hex(&format!("{CLIENT}\0{code}")));
    assert_eq!(keys, vec![code_key.clone()], "one key, named by the SHA-256 of client and code");
    assert!((1..=60_000).contains(&ctx.pttl(&code_key).await), "the code lives code_ttl");

    let body = json_body(exchange(&client, &exchange_form(&code, &[])).await, Status::Ok).await;
    let token = body["access_token"].as_str().unwrap();
    let keys = ctx.keys().await;
    let token_key = format!("{}token:{}", ctx.provider_prefix(), hex(token));
    assert!(!keys.contains(&code_key), "the code is gone once used");
    assert!(keys.contains(&token_key), "{keys:?}");
    for key in &keys {
        assert!(!key.contains(&code) && !key.contains(token), "no raw secret in {key}");
        assert!(ctx.pttl(key).await > 0, "{key} has a TTL");
    }
    assert!((1..=3_600_000).contains(&ctx.pttl(&token_key).await), "the token lives token_ttl");
}

#[rocket::async_test]
async fn codes_and_tokens_expire() {
    let ctx = Ctx::new("expiry");
    let overrides = json!({ "provider.code_ttl": 1, "provider.token_ttl": 1 });
    let client = common::client(ctx.rocket_with(overrides)).await;
    let late_code = code(&client).await;
    let body =
        json_body(exchange(&client, &exchange_form(&code(&client).await, &[])).await, Status::Ok)
            .await;
    assert_eq!(body["expires_in"], 1);
    rocket::tokio::time::sleep(Duration::from_millis(1100)).await;
    let res = exchange(&client, &exchange_form(&late_code, &[])).await;
    assert_eq!(oauth_error(res, Status::BadRequest).await, "invalid_grant", "the code expired");
    let res = userinfo(&client, body["access_token"].as_str().unwrap()).await;
    assert_eq!(res.status(), Status::Unauthorized, "the token expired");
}

#[rocket::async_test]
async fn with_sessions_in_memory_the_grants_stay_in_memory_too() {
    let ctx = Ctx::new("memory");
    let client = common::client(ctx.rocket_with(json!({ "sessions.store": "memory" }))).await;
    let code = code(&client).await;
    let body = json_body(exchange(&client, &exchange_form(&code, &[])).await, Status::Ok).await;
    let res = userinfo(&client, body["access_token"].as_str().unwrap()).await;
    assert_eq!(json_body(res, Status::Ok).await["name"], "Grace Hopper");
    let replay = exchange(&client, &exchange_form(&code, &[])).await;
    assert_eq!(oauth_error(replay, Status::BadRequest).await, "invalid_grant");
    assert!(ctx.keys().await.is_empty(), "nothing in Redis");
}

#[rocket::async_test]
async fn with_redis_down_the_token_and_userinfo_endpoints_answer_503_json() {
    let mut server = test_redis::RedisServer::start();
    let prefix = common::unique_prefix("down");
    let ctx = Ctx { url: server.url(), prefix };
    let client = ctx.client().await;
    server.stop();
    let res = exchange(&client, &exchange_form(&"c".repeat(43), &[])).await;
    let error = oauth_error(res, Status::ServiceUnavailable).await;
    assert_eq!(error, "temporarily_unavailable");
    let res = userinfo(&client, &"t".repeat(43)).await;
    assert_eq!(
        json_body(res, Status::ServiceUnavailable).await["error"],
        "temporarily_unavailable"
    );
}

#[rocket::async_test]
async fn a_disabled_provider_mounts_nothing_and_has_no_clients() {
    let ctx = Ctx::new("disabled");
    let client = common::client(ctx.rocket_with(json!({ "provider.enabled": false }))).await;
    let res = client.get(authorize_uri(&params(&[]))).dispatch().await;
    assert_eq!(res.status(), Status::NotFound);
    let clients = client.rocket().state::<BuiltinClients>().expect("managed even when disabled");
    assert_eq!(clients.secret(CLIENT), None);
}

#[rocket::async_test]
async fn a_redirect_uri_with_a_fragment_refuses_to_launch() {
    let ctx = Ctx::new("fragment");
    let overrides =
        json!({ "provider.clients.test-client.redirect_uris": ["https://a.example/#x"] });
    let error = ctx.rocket_with(overrides).ignite().await.expect_err("launch must fail");
    assert!(matches!(error.kind(), rocket::error::ErrorKind::FailedFairings(_)), "{error:?}");
}

#[rocket::async_test]
async fn a_standard_oauth2_client_completes_the_flow_over_http() {
    use oauth2::basic::BasicClient;
    use oauth2::{AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken};
    use oauth2::{PkceCodeChallenge, RedirectUrl, Scope, TokenResponse, TokenUrl};

    let ctx = Ctx::new("oauth2-crate");
    let app = common::Launched::start(&ctx.url, &ctx.prefix, ctx.settings()).await;
    let oauth = BasicClient::new(ClientId::new(CLIENT.into()))
        .set_client_secret(ClientSecret::new(SECRET.into()))
        .set_auth_uri(AuthUrl::new(format!("{}/provider/authorize", app.base)).unwrap())
        .set_token_uri(TokenUrl::new(format!("{}/provider/token", app.base)).unwrap())
        .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
    let (pkce_challenge, pkce_verifier) = PkceCodeChallenge::new_random_sha256();
    let (authorize_url, state) = oauth
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(pkce_challenge)
        .url();

    // 1. The browser opens the consent page and clicks Approve.
    let no_redirects = reqwest::redirect::Policy::none();
    let browser = reqwest::Client::builder().cookie_store(true).redirect(no_redirects);
    let browser = browser.build().unwrap();
    let page = browser.get(authorize_url.clone()).send().await.unwrap();
    assert_eq!(page.status(), reqwest::StatusCode::OK);
    let token = csrf_token(&page.text().await.unwrap());
    let mut form: Vec<(String, String)> = authorize_url.query_pairs().into_owned().collect();
    form.extend(
        [("csrf_token", token.as_str()), ("decision", "approve"), ("name", "Ada")]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    let back = browser.post(format!("{}/provider/authorize", app.base)).form(&form);
    let back = back.send().await.unwrap();
    assert_eq!(back.status(), reqwest::StatusCode::SEE_OTHER);
    let back = Url::parse(back.headers()["location"].to_str().unwrap()).unwrap();
    let query = query(&back);
    assert_eq!(&query["state"], state.secret());

    // 2. The client exchanges the code (HTTP Basic, PKCE) and asks who signed in.
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
    let http = http.build().unwrap();
    let tokens = oauth
        .exchange_code(AuthorizationCode::new(query["code"].clone()))
        .set_pkce_verifier(pkce_verifier)
        .request_async(&http)
        .await
        .expect("the oauth2 crate accepts the token response");
    assert_eq!(tokens.expires_in(), Some(Duration::from_secs(3600)));
    let user: Value = http
        .get(format!("{}/provider/userinfo", app.base))
        .bearer_auth(tokens.access_token().secret())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(user["name"], "Ada");
}
