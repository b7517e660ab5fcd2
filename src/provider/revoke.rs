//! `POST /provider/revoke`: token revocation (RFC 7009). The client authenticates as at
//! the token endpoint and names a token; a token it was issued is revoked at once. The
//! answer is 200 whether or not there was such a token (§2.2): it tells nothing about
//! tokens of other clients.

use rocket::{Route, State, post, routes};
use serde_json::json;

use super::BuiltinClients;
use super::answer::JsonAnswer;
use super::auth_header::AuthHeader;
use super::form::{FormError, Params};
use super::grants::Grants;
use super::token::{authenticate, invalid_request, repeated, unreadable};

#[post("/revoke", data = "<form>")]
async fn revoke(
    form: Result<Params, FormError>,
    header: AuthHeader,
    clients: &State<BuiltinClients>,
    grants: &State<Grants>,
) -> Result<JsonAnswer, JsonAnswer> {
    let params = form.map_err(|e| unreadable("revocation request", &e))?;
    let client_id = authenticate(&header, &params, clients)?;
    let token = params.one("token").map_err(repeated)?;
    let token = token.ok_or_else(|| invalid_request("token is required"))?;
    grants.revoke_token(client_id, token).await.map_err(|e| JsonAnswer::unavailable(&e))?;
    Ok(JsonAnswer::ok(json!({})))
}

pub(super) fn routes() -> Vec<Route> {
    routes![revoke]
}
