//! The authorization request (RFC 6749 §4.1.1 with RFC 7636 §4.3), checked in the order
//! RFC 6749 §4.1.2.1 asks: first who asks and where the answer goes, whose failures are
//! shown to the visitor and never redirected (an open redirect otherwise), then everything
//! else, whose failures go back to the now trusted redirect URI.

use oauth2::url::Url;

use super::clients::BuiltinClients;
use super::form::{Params, Repeated};
use super::pkce;

/// The scopes this demo grants: `profile` (the user's name).
const SUPPORTED_SCOPES: &[&str] = &["profile"];

/// A checked authorization request.
#[derive(Debug)]
pub(super) struct AuthorizeRequest {
    pub(super) client_id: String,
    pub(super) redirect_uri: String,
    /// The `scope` parameter as sent.
    pub(super) scope: Option<String>,
    /// The scopes granted: the supported ones asked for, or `profile` when none is.
    pub(super) granted: Vec<String>,
    /// Scopes asked for that this demo does not offer (RFC 6749 §3.3 lets it ignore them).
    pub(super) ignored: Vec<String>,
    pub(super) state: Option<String>,
    pub(super) code_challenge: String,
}

/// Why an authorization request is refused.
#[derive(Debug)]
pub(super) enum Rejection {
    /// The client or its redirect URI cannot be trusted: said to the visitor on a page.
    Untrusted(&'static str),
    /// Everything else: this URL is the client's redirect URI with `error`, a description
    /// and the `state`.
    Redirect(String),
}

impl AuthorizeRequest {
    /// Checks `params` against the registered `clients`.
    pub(super) fn parse(params: &Params, clients: &BuiltinClients) -> Result<Self, Rejection> {
        let Ok(Some(client_id)) = params.one("client_id") else {
            return Err(Rejection::Untrusted("The application did not say who it is."));
        };
        let Some(client) = clients.get(client_id) else {
            return Err(Rejection::Untrusted("This application is not registered here."));
        };
        let redirect_uri = match params.one("redirect_uri") {
            Ok(Some(uri)) if client.allows(uri) => uri,
            _ => {
                return Err(Rejection::Untrusted(
                    "This application asked to send you to an address it has not registered.",
                ));
            }
        };
        // From here on the redirect URI is trusted: errors go back to the client.
        let Ok(state) = params.one("state") else {
            return Err(error_redirect(redirect_uri, "invalid_request", "state is repeated", None));
        };
        let fail = |error: &str, description: &str| {
            error_redirect(redirect_uri, error, description, state)
        };
        let repeated = |Repeated(name)| fail("invalid_request", &format!("{name} is repeated"));
        match params.one("response_type").map_err(repeated)? {
            Some("code") => {}
            Some(_) => return Err(fail("unsupported_response_type", "only `code` is supported")),
            None => return Err(fail("invalid_request", "response_type is required")),
        }
        let scope = params.one("scope").map_err(repeated)?;
        let (granted, ignored) =
            split_scope(scope).ok_or_else(|| fail("invalid_scope", "scope is malformed"))?;
        let code_challenge = match params.one("code_challenge").map_err(repeated)? {
            Some(challenge) if pkce::well_formed(challenge) => challenge,
            Some(_) => return Err(fail("invalid_request", "code_challenge is malformed")),
            None => return Err(fail("invalid_request", "code_challenge is required (PKCE)")),
        };
        if params.one("code_challenge_method").map_err(repeated)? != Some(pkce::S256) {
            return Err(fail("invalid_request", "code_challenge_method must be S256"));
        }
        Ok(Self {
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            scope: scope.map(str::to_owned),
            granted,
            ignored,
            state: state.map(str::to_owned),
            code_challenge: code_challenge.to_owned(),
        })
    }

    /// The request's parameters, as the consent form carries them to the POST.
    pub(super) fn fields(&self) -> Vec<(&'static str, &str)> {
        let mut fields = vec![
            ("client_id", self.client_id.as_str()),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("response_type", "code"),
            ("code_challenge", self.code_challenge.as_str()),
            ("code_challenge_method", pkce::S256),
        ];
        fields.extend(self.scope.as_deref().map(|scope| ("scope", scope)));
        fields.extend(self.state.as_deref().map(|state| ("state", state)));
        fields
    }

    /// The granted scopes as one `scope` value.
    pub(super) fn granted_scope(&self) -> String {
        self.granted.join(" ")
    }

    /// The redirect URI with `pairs` and then the request's `state` added to its query.
    pub(super) fn redirect(&self, pairs: &[(&str, &str)]) -> Result<String, Rejection> {
        with_query(&self.redirect_uri, pairs, self.state.as_deref())
    }
}

fn error_redirect(
    redirect_uri: &str,
    error: &str,
    description: &str,
    state: Option<&str>,
) -> Rejection {
    let pairs = [("error", error), ("error_description", description)];
    match with_query(redirect_uri, &pairs, state) {
        Ok(url) => Rejection::Redirect(url),
        Err(rejection) => rejection,
    }
}

/// `uri` with `pairs` and `state` appended to its query, form-encoded; a query the URI
/// already has is kept (RFC 6749 §3.1.2).
fn with_query(uri: &str, pairs: &[(&str, &str)], state: Option<&str>) -> Result<String, Rejection> {
    // Registered URIs were parsed at launch, so this fails only if that check is removed.
    let mut url = Url::parse(uri).map_err(|e| {
        rocket::error!("provider: registered redirect URI {uri:?} does not parse: {e}");
        Rejection::Untrusted("This application's return address is broken.")
    })?;
    {
        let mut query = url.query_pairs_mut();
        query.extend_pairs(pairs);
        if let Some(state) = state {
            query.append_pair("state", state);
        }
    }
    Ok(url.into())
}

/// Splits a `scope` value into granted and ignored scopes, or `None` when it does not
/// follow the RFC 6749 §3.3 syntax (tokens of `%x21 / %x23-5B / %x5D-7E` separated by
/// single spaces).
fn split_scope(scope: Option<&str>) -> Option<(Vec<String>, Vec<String>)> {
    let mut granted = Vec::new();
    let mut ignored = Vec::new();
    for token in scope.map(|s| s.split(' ')).into_iter().flatten() {
        let valid = |b: u8| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b);
        if token.is_empty() || !token.bytes().all(valid) {
            return None;
        }
        let list = match SUPPORTED_SCOPES.contains(&token) {
            true => &mut granted,
            false => &mut ignored,
        };
        if !list.iter().any(|t| t == token) {
            list.push(token.to_owned());
        }
    }
    if granted.is_empty() {
        granted = SUPPORTED_SCOPES.iter().map(|s| (*s).to_owned()).collect();
    }
    Some((granted, ignored))
}
