//! `POST /provider/token`: exchanges an authorization code for an access token
//! (RFC 6749 §2.3.1, §4.1.3, §5; RFC 7636 §4.5, §4.6).

use rocket::http::Status;
use rocket::{Route, State, post, routes};
use serde_json::json;

use super::answer::JsonAnswer;
use super::auth_header::AuthHeader;
use super::form::{FormError, Params, Repeated};
use super::grants::{Grants, TokenGrant};
use super::{BuiltinClients, pkce};

/// Sent with `invalid_client` (RFC 6749 §5.2, RFC 7617).
const CHALLENGE: &str = "Basic realm=\"provider\", charset=\"UTF-8\"";

pub(super) fn invalid_request(description: &'static str) -> JsonAnswer {
    JsonAnswer::error(Status::BadRequest, "invalid_request", description)
}

fn invalid_grant(description: &'static str) -> JsonAnswer {
    JsonAnswer::error(Status::BadRequest, "invalid_grant", description)
}

fn invalid_client() -> JsonAnswer {
    let description = "client authentication failed";
    JsonAnswer::error(Status::Unauthorized, "invalid_client", description).challenge(CHALLENGE)
}

/// The answer to a form that could not be read (`what`: which request): 413 past the
/// `form` limit, 400 otherwise.
pub(super) fn unreadable(what: &str, e: &FormError) -> JsonAnswer {
    rocket::info!("provider: unreadable {what}: {e}");
    match e {
        FormError::TooLarge => JsonAnswer::error(
            Status::PayloadTooLarge,
            "invalid_request",
            "the request is larger than the form limit",
        ),
        _ => invalid_request("the body must be application/x-www-form-urlencoded"),
    }
}

pub(super) fn repeated(Repeated(name): Repeated) -> JsonAnswer {
    rocket::info!("provider: request with {name} repeated");
    invalid_request("a parameter is repeated")
}

fn required<'p>(params: &'p Params, name: &'static str) -> Result<&'p str, JsonAnswer> {
    params.one(name).map_err(repeated)?.ok_or_else(|| match name {
        "code" => invalid_request("code is required"),
        "redirect_uri" => invalid_request("redirect_uri is required"),
        _ => invalid_request("code_verifier is required"),
    })
}

/// The client id, once the client has proven it knows its secret, by HTTP Basic or by
/// `client_id` and `client_secret` in the body, never both (RFC 6749 §2.3).
pub(super) fn authenticate<'a>(
    header: &'a AuthHeader,
    params: &'a Params,
    clients: &BuiltinClients,
) -> Result<&'a str, JsonAnswer> {
    let body_id = params.one("client_id").map_err(repeated)?;
    let body_secret = params.one("client_secret").map_err(repeated)?;
    let (id, secret) = match (header, body_id, body_secret) {
        (AuthHeader::Basic { .. }, _, Some(_)) => {
            return Err(invalid_request("use one client authentication method, not two"));
        }
        // Some clients also send their id in the body; it must then be the same.
        (AuthHeader::Basic { id, .. }, Some(body_id), None) if body_id != id => {
            return Err(invalid_client());
        }
        (AuthHeader::Basic { id, secret }, _, None) => (id.as_str(), secret.as_str()),
        (AuthHeader::Missing, Some(id), Some(secret)) => (id, secret),
        _ => return Err(invalid_client()),
    };
    if !clients.authenticate(id, secret) {
        rocket::info!("provider: client authentication failed for client {id:?}");
        return Err(invalid_client());
    }
    Ok(id)
}

/// Exchanges a code; every answer, error or not, is `no-store`.
#[post("/token", data = "<form>")]
async fn token(
    form: Result<Params, FormError>,
    header: AuthHeader,
    clients: &State<BuiltinClients>,
    grants: &State<Grants>,
) -> Result<JsonAnswer, JsonAnswer> {
    let params = form.map_err(|e| unreadable("token request", &e))?;
    let client_id = authenticate(&header, &params, clients)?;
    match params.one("grant_type").map_err(repeated)? {
        Some("authorization_code") => {}
        Some(_) => {
            let description = "only authorization_code is supported";
            return Err(JsonAnswer::error(
                Status::BadRequest,
                "unsupported_grant_type",
                description,
            ));
        }
        None => return Err(invalid_request("grant_type is required")),
    }
    let code = required(&params, "code")?;
    let redirect_uri = required(&params, "redirect_uri")?;
    let verifier = required(&params, "code_verifier")?;

    // Spent from here on, whatever the outcome (RFC 6749 §10.5); a code is found only
    // with the client it was issued to, so another client cannot spend it.
    let Some(grant) =
        grants.take_code(client_id, code).await.map_err(|e| JsonAnswer::unavailable(&e))?
    else {
        // A spent code coming back was stolen or replayed: the token it bought goes too
        // (RFC 6749 §4.1.2).
        match grants.revoke_exchanged(client_id, code).await {
            Ok(true) => rocket::warn!("provider: a code was used twice; its token is revoked"),
            Ok(false) => {}
            Err(e) => return Err(JsonAnswer::unavailable(&e)),
        }
        return Err(invalid_grant("the code is unknown, expired or already used"));
    };
    if grant.redirect_uri != redirect_uri {
        return Err(invalid_grant("redirect_uri differs from the authorization request"));
    }
    if !pkce::verify(verifier, &grant.code_challenge) {
        return Err(invalid_grant("code_verifier does not match code_challenge"));
    }
    let scope = grant.scope;
    let token_grant = TokenGrant {
        client_id: grant.client_id,
        scope: scope.clone(),
        sub: grant.sub,
        name: grant.name,
    };
    let access_token =
        grants.issue_token(code, &token_grant).await.map_err(|e| JsonAnswer::unavailable(&e))?;
    Ok(JsonAnswer::ok(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": grants.token_ttl().as_secs(),
        "scope": scope,
    })))
}

pub(super) fn routes() -> Vec<Route> {
    routes![token]
}
