//! Property tests over HTTP, through Rocket's local client: hostile query strings at the
//! OAuth callback, hostile bodies and `Authorization` headers at the token endpoint. The
//! sessions and the provider's grants stay in memory, so no Redis is needed.

use crate::common;

use std::cell::Cell;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use oauth2::url::{Url, form_urlencoded};
use proptest::prelude::*;
use rocket::http::{ContentType, Header, Status};
use rocket::local::blocking::{Client, LocalResponse};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const CLIENT: &str = "test-client";
const SECRET: &str = "s3cret+/:é";
const REDIRECT: &str = "https://client.example/cb";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/// The error codes RFC 6749 §5.2 gives the token endpoint.
const TOKEN_ERRORS: &[&str] = &[
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
];

/// The demo app with sessions and grants in memory, a test client beside the demo one,
/// and a port nobody listens on: a callback that gets as far as the token exchange fails
/// at once, as with a provider that is down.
fn client(test: &str) -> Client {
    let prefix = common::unique_prefix(test);
    let overrides = json!({
        "sessions.store": "memory",
        "port": common::redis::free_port(),
        "provider.key_prefix": format!("{prefix}provider:"),
        "provider.clients.test-client.redirect_uris": [REDIRECT],
        "provider.clients.test-client.client_secret": SECRET,
    });
    let figment = common::figment("redis://127.0.0.1:1/0", &prefix, overrides);
    Client::tracked(rocket_redis_sessions_demo::rocket_from(figment)).expect("the app ignites")
}

/// Short strings of any characters, the ones URLs and forms treat specially often.
fn text() -> impl Strategy<Value = String> {
    let c = prop_oneof![
        3 => any::<char>(),
        2 => prop::sample::select(vec!['&', '=', '%', '+', ' ', ';', '#', '<', '"', '\0', 'é']),
    ];
    prop::collection::vec(c, 0..16).prop_map(|c| c.into_iter().collect())
}

/// A query value or name written any way a client (or an attacker) may: percent-encoded
/// text, percent-encoded bytes that are not UTF-8, raw characters a URI may hold (stray
/// `%` included), or raw characters it may not.
fn query_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => text().prop_map(|t| common::urlencode(&t)),
        1 => prop::collection::vec(any::<u8>(), 0..8)
            .prop_map(|b| b.iter().map(|b| format!("%{b:02X}")).collect()),
        1 => "[A-Za-z0-9%+=/?:@!$'()*,;._~-]{0,12}",
        // not even a valid URI: Rocket answers 400 before any route
        1 => text().prop_filter("not encoded", |t| !t.is_empty()),
    ]
}

/// One `name=value` of a callback query.
fn callback_param() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        4 => prop::sample::select(vec!["code", "state", "error", "error_description", "iss"])
            .prop_map(str::to_owned),
        1 => prop::sample::select(vec!["st%61te", "STATE", "code[]", "", "error.x"])
            .prop_map(str::to_owned),
        1 => query_text(),
    ];
    let value = prop_oneof![
        4 => query_text(),
        1 => prop::sample::select(vec!["access_denied", "server_error", ""])
            .prop_map(str::to_owned),
    ];
    (name, value, any::<bool>()).prop_map(|(name, value, with_eq)| match with_eq {
        true => format!("{name}={value}"),
        false => name,
    })
}

/// What a callback case sends: the hostile parameters, and whether the `state` of a real
/// sign-in under way goes in too (where, and with an injected `error`).
fn callback_case() -> impl Strategy<Value = (Vec<String>, Option<prop::sample::Index>, bool)> {
    (
        prop::collection::vec(callback_param(), 0..6),
        prop::option::weighted(0.4, any::<prop::sample::Index>()),
        prop::bool::weighted(0.3),
    )
}

fn location(res: &LocalResponse<'_>) -> Option<String> {
    res.headers().get_one("Location").map(str::to_owned)
}

#[test]
fn the_callback_answers_any_query_with_a_redirect_or_a_4xx() {
    let client = client("props-callback");
    let cases = 128;
    let redirected = Cell::new(0u32);
    let mut config = ProptestConfig::with_cases(cases);
    config.max_shrink_iters = 256;
    proptest!(config, |((mut params, real_state, inject) in callback_case())| {
        // A sign-in under way whose `state` this answer carries.
        let mut marker = None;
        if let Some(at) = real_state {
            let res = client.get("/oauth/login?provider=demo").dispatch();
            prop_assert_eq!(res.status(), Status::SeeOther);
            let to = Url::parse(&location(&res).expect("a Location")).expect("an absolute URL");
            let state = to.query_pairs().find(|(k, _)| k == "state").expect("a state").1;
            let state = format!("state={}", common::urlencode(&state));
            if inject {
                // A parameter named twice is no parameter (Rocket reads `Option`s
                // strictly): the others must not be another `state` or `error`.
                params.retain(|param| {
                    let name = param.split('=').next().unwrap_or_default();
                    let name = form_urlencoded::parse(name.as_bytes())
                        .next()
                        .map(|(n, _)| n.to_lowercase())
                        .unwrap_or_default();
                    !name.contains("state") && !name.contains("error")
                });
                let n = params.len();
                let injected = format!("<i{n}>\"&");
                params.splice(0..0, [format!("error={}", common::urlencode(&injected)), state]);
                marker = Some(injected);
            } else {
                params.insert(at.index(params.len() + 1), state);
            }
        }
        let uri = format!("/oauth/callback?{}", params.join("&"));
        let res = client.get(uri.as_str()).dispatch();
        let status = res.status();
        prop_assert!(
            status == Status::SeeOther || status.class().is_client_error(),
            "{} for {}", status, uri
        );
        if status.class().is_client_error() {
            prop_assert_eq!(res.content_type(), Some(ContentType::HTML), "{} for {}", status, uri);
        } else {
            redirected.set(redirected.get() + 1);
            let to = location(&res).expect("a redirect has a Location");
            prop_assert!(to.starts_with('/') && !to.starts_with("//"), "off-site: {}", to);
        }
        // The page the visitor lands on says what happened, escaped.
        let page = client.get("/oauth").dispatch();
        prop_assert_eq!(page.status(), Status::Ok);
        let html = page.into_string().expect("a page");
        if let Some(marker) = marker {
            prop_assert!(!html.contains(&marker), "the provider's error is shown raw");
            // (A URI Rocket cannot parse gets its 400 before any route.)
            if status == Status::SeeOther {
                prop_assert!(html.contains("refused the sign-in"), "no message for {}", uri);
            }
        }
    });
    // Most generated queries are valid URIs: the route, not only Rocket's URI check,
    // was exercised.
    assert!(redirected.get() > cases / 2, "only {} of {cases} redirected", redirected.get());
}

/// The PKCE challenge of `verifier`.
fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn encode(params: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish()
}

/// A fresh code for the test client, approved on the consent page.
fn fresh_code(client: &Client) -> String {
    let params: Vec<(String, String)> = [
        ("client_id", CLIENT),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "profile"),
        ("state", "s"),
        ("code_challenge", &challenge(VERIFIER)),
        ("code_challenge_method", "S256"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .into();
    let page = client.get(format!("/provider/authorize?{}", encode(&params))).dispatch();
    assert_eq!(page.status(), Status::Ok, "the consent page");
    let html = page.into_string().unwrap();
    let at = html.find("name=\"csrf_token\" value=\"").expect("a csrf_token field") + 25;
    let token = html[at..].split('"').next().unwrap().to_owned();
    let mut form = params;
    form.extend(
        [("csrf_token", token.as_str()), ("decision", "approve"), ("name", "Ada")]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    let res = client.post("/provider/authorize").header(ContentType::Form).body(encode(&form));
    let res = res.dispatch();
    assert_eq!(res.status(), Status::SeeOther);
    let to = Url::parse(&location(&res).unwrap()).unwrap();
    to.query_pairs().find(|(k, _)| k == "code").expect("a code").1.into_owned()
}

/// The right value of a token request's parameter `name` (`code` gets the placeholder
/// `{code}`, replaced by a fresh code).
fn right_value(name: &str) -> &'static str {
    match name {
        "grant_type" => "authorization_code",
        "code" => "{code}",
        "redirect_uri" => REDIRECT,
        "code_verifier" => VERIFIER,
        "client_id" => CLIENT,
        _ => SECRET,
    }
}

/// Parameter `name` of a token request: right mostly, else left out, another value, empty,
/// padded, or sent twice.
fn token_param(name: &'static str) -> impl Strategy<Value = Vec<(String, String)>> {
    let right = right_value(name).to_owned();
    let pair = move |value: String| vec![(name.to_owned(), value)];
    prop_oneof![
        12 => Just(pair(right.clone())),
        1 => Just(vec![]),
        1 => text().prop_map(pair),
        1 => Just(pair(String::new())),
        1 => Just(pair(format!("{right} "))),
        1 => prop_oneof![Just(right.clone()), Just(String::new()), text()].prop_map({
            let right = right.clone();
            move |again| vec![(name.to_owned(), right.clone()), (name.to_owned(), again)]
        }),
    ]
}

/// A token request body: a valid request changed a little (each parameter kept or not as
/// `token_param` says, client credentials in the body or not, unknown parameters added,
/// any order), or bytes that are not such a form at all.
fn token_body() -> impl Strategy<Value = Vec<u8>> {
    let credentials = prop_oneof![
        4 => Just(vec![]),
        1 => token_param("client_id"),
        1 => (token_param("client_id"), token_param("client_secret"))
            .prop_map(|(id, secret)| [id, secret].concat()),
    ];
    let unknown = prop::collection::vec((text(), text()), 0..3);
    let form = (
        token_param("grant_type"),
        token_param("code"),
        token_param("redirect_uri"),
        token_param("code_verifier"),
        credentials,
        unknown,
    )
        .prop_map(|(a, b, c, d, e, f)| [a, b, c, d, e, f].concat())
        .prop_shuffle();
    prop_oneof![
        8 => form.prop_map(|pairs| encode(&pairs).into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..64),
        1 => "[a-z_=&%+0-9]{0,40}".prop_map(String::into_bytes),
    ]
}

/// HTTP Basic credentials, form-encoded first (RFC 6749 §2.3.1).
fn basic(id: &str, secret: &str) -> String {
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!("Basic {}", STANDARD.encode(format!("{}:{}", enc(id), enc(secret))))
}

/// An `Authorization` header value: Basic with the right or other credentials, Bearer,
/// another scheme, or noise.
fn authorization() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => Just(basic(CLIENT, SECRET)),
        2 => (
            prop_oneof![Just(CLIENT.to_owned()), text()],
            prop_oneof![Just(SECRET.to_owned()), text()],
        )
            .prop_map(|(id, secret)| basic(&id, &secret)),
        1 => text().prop_map(|t| format!("Basic {}", STANDARD.encode(t))),
        1 => text().prop_map(|t| format!("Bearer {t}")),
        1 => text(),
        1 => prop::sample::select(vec!["Basic", "Basic ", "Digest x", "basic Og==", "Basic ===="])
            .prop_map(str::to_owned),
    ]
}

/// The content type sent: a form nearly always.
fn content_type() -> impl Strategy<Value = Option<ContentType>> {
    prop_oneof![
        8 => Just(Some(ContentType::Form)),
        1 => Just(None),
        1 => prop::sample::select(vec![
            ContentType::JSON,
            ContentType::Plain,
            ContentType::FormData,
        ])
            .prop_map(Some),
    ]
}

#[test]
fn the_token_endpoint_answers_any_request_with_json_and_never_a_5xx() {
    let client = client("props-token");
    let successes = Cell::new(0u32);
    let mut config = ProptestConfig::with_cases(256);
    config.max_shrink_iters = 256;
    proptest!(config, |(
        body in token_body(),
        headers in prop_oneof![
            3 => Just(vec![basic(CLIENT, SECRET)]),
            3 => prop::collection::vec(authorization(), 0..=2),
        ],
        content_type in content_type(),
    )| {
        // A real code only where the body asks for one: getting it costs two requests.
        let mut body = body;
        let placeholder = common::urlencode("{code}");
        let text = String::from_utf8_lossy(&body).into_owned();
        let code = text.contains(&placeholder).then(|| fresh_code(&client));
        if let Some(code) = &code {
            body = text.replace(&placeholder, &common::urlencode(code)).into_bytes();
        }
        let mut req = client.post("/provider/token").body(&body);
        if let Some(content_type) = content_type {
            req = req.header(content_type);
        }
        for header in &headers {
            req = req.header(Header::new("Authorization", header.clone()));
        }
        let res = req.dispatch();
        let status = res.status();
        let shown = String::from_utf8_lossy(&body).into_owned();
        prop_assert!(!status.class().is_server_error(), "{} for {:?} {:?}", status, shown, headers);
        prop_assert_eq!(res.headers().get_one("Cache-Control"), Some("no-store"));
        prop_assert_eq!(res.content_type(), Some(ContentType::JSON));
        let challenge = res.headers().get_one("WWW-Authenticate").map(str::to_owned);
        let answer: Value = serde_json::from_str(&res.into_string().expect("a body"))
            .expect("a JSON body");
        if status.class().is_client_error() {
            let error = answer["error"].as_str().unwrap_or_default();
            prop_assert!(TOKEN_ERRORS.contains(&error), "{} error {}", status, answer);
            prop_assert!(answer.get("access_token").is_none());
            if status == Status::Unauthorized {
                prop_assert!(challenge.is_some(), "401 without a challenge");
            }
        } else {
            prop_assert_eq!(status, Status::Ok, "{}", answer);
            successes.set(successes.get() + 1);
            prop_assert_eq!(&answer["token_type"], "Bearer");
            prop_assert!(answer["access_token"].as_str().is_some_and(|t| !t.is_empty()));
            // Only the whole truth buys a token: the fresh code, the verifier and the
            // redirect URI it was issued for, and the client's secret.
            let code = code.expect("a token only for a real code");
            let sent: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
            let has = |name: &str, value: &str| sent.iter().any(|(n, v)| n == name && v == value);
            prop_assert!(has("code", &code) && has("code_verifier", VERIFIER));
            prop_assert!(has("redirect_uri", REDIRECT));
            let by_basic = headers == [basic(CLIENT, SECRET)];
            prop_assert!(by_basic || has("client_secret", SECRET), "a token without the secret");
        }
    });
    assert!(successes.get() > 0, "no case got a token: the generator misses the happy path");
}
