//! `GET /provider/authorize` shows the consent page; `POST /provider/authorize` takes the
//! visitor's decision and sends them back to the client with a code, or `access_denied`.

use rocket::http::uri::Origin;
use rocket::http::{Header, Status};
use rocket::{Responder, Route, State, get, post, routes};
use rocket_dyn_templates::{Template, context};
use serde::Serialize;

use super::BuiltinClients;
use super::form::{FormError, Params};
use super::grants::{CodeGrant, Grants};
use super::request::{AuthorizeRequest, Rejection};
use rocket_redis_sessions::{Session, csrf};

use crate::page::{ErrorResponse, check_csrf};
use crate::secret::sha256_hex;

/// The identity the consent form offers to sign in as.
const DEFAULT_NAME: &str = "Ada Lovelace";
/// Longest name accepted, in characters.
const MAX_NAME_CHARS: usize = 100;

/// What the authorize endpoint answers.
#[derive(Responder)]
pub(super) enum Answer {
    Consent(Box<Consent>),
    Redirect(SeeOther),
    Error(ErrorResponse),
}

/// The consent page: never framed by another site (RFC 6749 §10.13, clickjacking) and
/// never cached (it carries the CSRF token).
#[derive(Responder)]
pub(super) struct Consent {
    inner: (Status, Template),
    frame_options: Header<'static>,
    frame_ancestors: Header<'static>,
    cache_control: Header<'static>,
}

/// A `303 See Other` to an absolute URL.
#[derive(Responder)]
#[response(status = 303)]
pub(super) struct SeeOther {
    inner: (),
    location: Header<'static>,
}

impl From<Rejection> for Answer {
    fn from(rejection: Rejection) -> Self {
        match rejection {
            Rejection::Untrusted(message) => {
                rocket::info!("provider: authorization request refused: {message}");
                Self::Error(ErrorResponse::new(Status::BadRequest, message))
            }
            Rejection::Redirect(url) => redirect(url),
        }
    }
}

fn redirect(url: String) -> Answer {
    Answer::Redirect(SeeOther { inner: (), location: Header::new("Location", url) })
}

#[derive(Serialize)]
struct Field<'a> {
    name: &'a str,
    value: &'a str,
}

fn consent(
    session: &Session<'_>,
    request: &AuthorizeRequest,
    name: &str,
    problem: Option<&str>,
) -> Answer {
    let csrf_token = match csrf::token(session) {
        Ok(token) => token,
        Err(e) => return Answer::Error(e.into()),
    };
    let fields: Vec<Field<'_>> =
        request.fields().into_iter().map(|(name, value)| Field { name, value }).collect();
    let page = Template::render(
        "provider/consent",
        context! {
            title: "Sign in with the demo provider",
            client_id: &request.client_id,
            redirect_uri: &request.redirect_uri,
            granted: &request.granted,
            ignored: &request.ignored,
            fields,
            csrf_token,
            name,
            problem,
        },
    );
    let status = if problem.is_some() { Status::UnprocessableEntity } else { Status::Ok };
    Answer::Consent(Box::new(Consent {
        inner: (status, page),
        frame_options: Header::new("X-Frame-Options", "DENY"),
        frame_ancestors: Header::new("Content-Security-Policy", "frame-ancestors 'none'"),
        cache_control: Header::new("Cache-Control", "no-store"),
    }))
}

/// Shows who asks for what, with a name to sign in as and Approve / Deny.
#[get("/authorize")]
fn show(uri: &Origin<'_>, session: Session<'_>, clients: &State<BuiltinClients>) -> Answer {
    let query = uri.query().map_or("", |query| query.as_str());
    match AuthorizeRequest::parse(&Params::parse(query.as_bytes()), clients) {
        Ok(request) => consent(&session, &request, DEFAULT_NAME, None),
        Err(rejection) => rejection.into(),
    }
}

/// Checks the CSRF token and the request again, then answers the client.
#[post("/authorize", data = "<form>")]
async fn decide(
    form: Result<Params, FormError>,
    session: Session<'_>,
    clients: &State<BuiltinClients>,
    grants: &State<Grants>,
) -> Answer {
    let params = match form {
        Ok(params) => params,
        Err(e) => {
            rocket::info!("provider: unreadable consent form: {e}");
            return Answer::Error(ErrorResponse::new(
                Status::BadRequest,
                "The form is unreadable.",
            ));
        }
    };
    if let Err(refused) = check_csrf(&session, params.one("csrf_token").ok().flatten()) {
        return Answer::Error(refused);
    }
    let request = match AuthorizeRequest::parse(&params, clients) {
        Ok(request) => request,
        Err(rejection) => return rejection.into(),
    };
    match params.one("decision") {
        Ok(Some("approve")) => {
            let name = params.one("name").ok().flatten().unwrap_or_default();
            approve(&session, &request, name, grants).await
        }
        Ok(Some("deny")) => {
            request.redirect(&[("error", "access_denied")]).map_or_else(Answer::from, redirect)
        }
        _ => Answer::Error(ErrorResponse::new(Status::BadRequest, "Choose Approve or Deny.")),
    }
}

async fn approve(
    session: &Session<'_>,
    request: &AuthorizeRequest,
    name: &str,
    grants: &Grants,
) -> Answer {
    let trimmed = name.trim();
    let length = trimmed.chars().count();
    if length == 0 || length > MAX_NAME_CHARS || trimmed.chars().any(char::is_control) {
        let problem = "Enter a name of 1 to 100 characters to sign in as.";
        return consent(session, request, name, Some(problem));
    }
    let grant = CodeGrant {
        client_id: request.client_id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        code_challenge: request.code_challenge.clone(),
        scope: request.granted_scope(),
        sub: subject(trimmed),
        name: trimmed.to_owned(),
    };
    match grants.issue_code(&grant).await {
        Ok(code) => request.redirect(&[("code", &code)]).map_or_else(Answer::from, redirect),
        Err(e) => {
            rocket::error!("provider: cannot issue a code: {e}");
            Answer::Error(ErrorResponse::new(
                Status::ServiceUnavailable,
                "Signing in is unavailable right now. Please try again in a moment.",
            ))
        }
    }
}

/// The demo user's stable identifier: the same name always signs in as the same user.
fn subject(name: &str) -> String {
    let digest = sha256_hex(name.as_bytes());
    format!("demo-{}", digest.get(..16).unwrap_or(&digest))
}

pub(super) fn routes() -> Vec<Route> {
    routes![show, decide]
}
