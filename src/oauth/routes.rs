//! The client side of the sign-in: `/oauth` (the demo page), `/oauth/login`,
//! `/oauth/callback` and `/oauth/logout`.

use rocket::form::{Form, FromForm};
use rocket::http::uri::Host;
use rocket::http::{RawStr, Status};
use rocket::response::Redirect;
use rocket::{Route, State, get, post, routes};
use rocket_dyn_templates::{Template, context};
use serde::Serialize;

use rocket_redis_sessions::flash::{self, Kind};
use rocket_redis_sessions::{Session, SessionLayer, csrf};

use super::client::{ExchangeError, Providers};
use super::flow::{self, Found, PendingFlow};
use crate::page::{Common, ErrorResponse, check_csrf};
use crate::site::Site;
use crate::user::SignedInUser;

/// A pending attempt as the page shows it (never its verifier; only the start of `state`).
#[derive(Serialize)]
struct PendingView {
    provider: String,
    state_start: String,
    return_to: String,
    age_seconds: u64,
}

/// Providers, who is signed in, and the attempts under way in this session.
#[get("/oauth")]
fn page(
    session: Session<'_>,
    layer: &State<SessionLayer>,
    providers: &State<Providers>,
) -> Result<Template, ErrorResponse> {
    let page = Common::new(&session, layer)?;
    let now = flow::unix_now().as_secs();
    let mut pending: Vec<PendingView> = flow::pending(&session)
        .into_iter()
        .map(|f| PendingView {
            state_start: f.state.chars().take(6).collect(),
            age_seconds: now.saturating_sub(f.created_at),
            provider: f.provider,
            return_to: f.return_to,
        })
        .collect();
    pending.sort_by_key(|p| p.age_seconds);
    Ok(Template::render(
        "oauth",
        context! { title: "Sign in with OAuth", page, providers: providers.views(), pending },
    ))
}

/// Starts a sign-in: keeps `state` and the PKCE verifier in the session, then sends the
/// visitor to the provider.
///
/// A visitor who reached the app under another name than its public URL's (`localhost`
/// for `127.0.0.1`, say) is first sent to the same request there, session untouched: the
/// provider returns to the public URL, and only there does the browser send the cookie
/// of the session holding the attempt. `canonical=1` marks that redirect, so that a proxy
/// which rewrites `Host` cannot make it loop.
#[get("/oauth/login?<provider>&<return_to>&<canonical>")]
fn login(
    session: Session<'_>,
    providers: &State<Providers>,
    site: &State<Site>,
    host: Option<&Host<'_>>,
    provider: &str,
    return_to: Option<&str>,
    canonical: Option<&str>,
) -> Result<Redirect, ErrorResponse> {
    let canonical = canonical == Some("1");
    let Some(p) = providers.get(provider) else {
        return Err(ErrorResponse::new(Status::NotFound, "There is no such sign-in provider."));
    };
    let return_to = flow::safe_return_path(return_to, "/oauth");
    match host {
        Some(host) if !site.is_public_host(host) && !canonical => {
            let encode = |value: &str| RawStr::new(value).percent_encode().to_string();
            return Ok(Redirect::to(format!(
                "{}/oauth/login?provider={}&return_to={}&canonical=1",
                site.public_url,
                encode(provider),
                encode(&return_to),
            )));
        }
        Some(host) if !site.is_public_host(host) => rocket::warn!(
            "a sign-in sent to {} arrived for another host again: does a proxy in front \
             rewrite the Host header?",
            site.public_url
        ),
        _ => {}
    }
    let (url, state, verifier) = p.start();
    let pending = PendingFlow {
        state,
        verifier,
        provider: p.name.clone(),
        return_to,
        created_at: flow::unix_now().as_secs(),
        started_ns: u64::try_from(flow::unix_now().as_nanos()).unwrap_or(u64::MAX),
    };
    pending.start(&session, providers.max_pending)?;
    Ok(Redirect::to(url))
}

/// How a callback that cannot sign the visitor in ends: back on `/oauth`, where a message
/// says what happened (the address bar then no longer holds the code and state).
fn refused(session: &Session<'_>, kind: Kind, message: String) -> Result<Redirect, ErrorResponse> {
    flash::set(session, kind, message)?;
    Ok(Redirect::to("/oauth"))
}

/// Why no sign-in under way matches an answer's `state`, in words.
fn no_pending_sign_in(session: &Session<'_>, max_pending: usize) -> String {
    let why = match session.is_new() {
        true => "your browser sent no session with it",
        false => "it matches none of the sign-ins under way in your session (state mismatch)",
    };
    format!(
        "The provider's answer cannot be used: {why}. This happens when the sign-in was \
         started in another browser, or on another address of this site (localhost and \
         127.0.0.1 keep separate cookies), when the session ended since, or when {max_pending} \
         newer sign-ins pushed it out. You are not signed in; please start again here."
    )
}

/// The provider sends the visitor back here. The attempt is taken out of the session
/// before anything is checked, so it works once whatever happens next. Whatever goes
/// wrong, the visitor lands on `/oauth` with a message saying what, still signed out.
#[get("/oauth/callback?<state>&<code>&<error>")]
async fn callback(
    session: Session<'_>,
    providers: &State<Providers>,
    state: Option<&str>,
    code: Option<&str>,
    error: Option<&str>,
) -> Result<Redirect, ErrorResponse> {
    let Some(state) = state else {
        let message = "The provider's answer carries no state, so it cannot be trusted. You \
                       are not signed in; please start again.";
        return refused(&session, Kind::Error, message.into());
    };
    let pending = match PendingFlow::take(&session, state)? {
        Found::Flow(pending) => pending,
        Found::Used => {
            let message = "This answer from the provider was already used once: a replayed \
                           answer is refused.";
            return refused(&session, Kind::Error, message.into());
        }
        Found::Unknown => {
            return refused(
                &session,
                Kind::Error,
                no_pending_sign_in(&session, providers.max_pending),
            );
        }
    };
    if pending.is_expired(flow::unix_now().as_secs()) {
        let message = "This sign-in took more than 10 minutes and has expired. Please start again.";
        return refused(&session, Kind::Error, message.into());
    }
    let Some(provider) = providers.get(&pending.provider) else {
        return refused(&session, Kind::Error, "That provider is no longer configured.".into());
    };
    let name = &provider.display_name;
    match (error, code) {
        (Some("access_denied"), _) => refused(
            &session,
            Kind::Success,
            format!("You declined to sign in with {name}; you are still signed out."),
        ),
        (Some(error), _) => {
            let error: String = error.chars().filter(|c| c.is_ascii_graphic()).take(64).collect();
            refused(&session, Kind::Error, format!("{name} refused the sign-in ({error})."))
        }
        (None, None) => refused(&session, Kind::Error, format!("{name} sent no code back.")),
        (None, Some(code)) => match providers.sign_in(provider, code, &pending.verifier).await {
            Ok(user) => {
                user.store(&session)?;
                // Tied to the user (listed on their other devices), under a new id (and
                // a new CSRF token) once privileges change: a planted session id, or a
                // token learnt before, is worth nothing.
                session.bind_user(&user.user_id())?;
                csrf::forget(&session);
                flash::set(
                    &session,
                    Kind::Success,
                    format!("Signed in as {} with {name}.", user.name),
                )?;
                Ok(Redirect::to(pending.return_to.clone()))
            }
            Err(e) => {
                rocket::warn!("sign-in with {} failed: {e}", provider.name);
                let message = match e {
                    ExchangeError::Token(_) => {
                        format!("{name} did not accept the sign-in code (token exchange failed).")
                    }
                    ExchangeError::UserInfo(_) => {
                        format!("{name} did not tell who you are (userinfo request failed).")
                    }
                };
                refused(&session, Kind::Error, message)
            }
        },
    }
}

#[derive(FromForm)]
struct LogoutForm<'r> {
    /// Defaults to "" so that a form without it gets 403, not 422.
    #[field(default = "")]
    csrf_token: &'r str,
}

/// Signs out (and gives the session a new id).
#[post("/oauth/logout", data = "<form>")]
fn logout(session: Session<'_>, form: Form<LogoutForm<'_>>) -> Result<Redirect, ErrorResponse> {
    check_csrf(&session, Some(form.csrf_token))?;
    let message = match SignedInUser::clear(&session) {
        true => "You are signed out.",
        false => "You were not signed in.",
    };
    // Out of the user's list of sessions, under a new id either way.
    match session.is_bound() {
        true => session.unbind_user()?,
        false => session.cycle_id()?,
    }
    csrf::forget(&session);
    flash::set(&session, Kind::Success, message)?;
    Ok(Redirect::to("/oauth"))
}

pub(super) fn routes() -> Vec<Route> {
    routes![page, login, callback, logout]
}
