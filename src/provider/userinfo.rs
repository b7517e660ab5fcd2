//! `GET /provider/userinfo`: who the bearer of an access token is (RFC 6750 §2.1, §3).

use rocket::http::Status;
use rocket::{Route, State, get, routes};
use serde_json::json;

use super::answer::JsonAnswer;
use super::auth_header::AuthHeader;
use super::grants::Grants;

/// 401 `invalid_token`. A request that sent no token gets a challenge without an error
/// code (RFC 6750 §3.1); one whose token is unknown, revoked or expired gets
/// `error="invalid_token"`.
fn unauthorized(sent_token: bool) -> JsonAnswer {
    let description = match sent_token {
        true => "the access token is unknown, revoked or expired",
        false => "an access token is required (Authorization: Bearer)",
    };
    let challenge = match sent_token {
        true => "Bearer realm=\"provider\", error=\"invalid_token\"",
        false => "Bearer realm=\"provider\"",
    };
    JsonAnswer::error(Status::Unauthorized, "invalid_token", description).challenge(challenge)
}

/// `{"sub", "name"}` of the token's user.
#[get("/userinfo")]
async fn userinfo(header: AuthHeader, grants: &State<Grants>) -> Result<JsonAnswer, JsonAnswer> {
    let token = match header {
        AuthHeader::Bearer(token) => token,
        AuthHeader::Missing => return Err(unauthorized(false)),
        AuthHeader::Basic { .. } | AuthHeader::Malformed => return Err(unauthorized(true)),
    };
    let grant = grants.token(&token).await.map_err(|e| JsonAnswer::unavailable(&e))?;
    let grant = grant.ok_or_else(|| unauthorized(true))?;
    let profile = grant.scope.split(' ').any(|scope| scope == "profile");
    let body = match profile {
        true => json!({ "sub": grant.sub, "name": grant.name }),
        false => json!({ "sub": grant.sub }),
    };
    Ok(JsonAnswer::ok(body))
}

pub(super) fn routes() -> Vec<Route> {
    routes![userinfo]
}
