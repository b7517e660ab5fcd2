//! The session keys the app keeps for itself (they start with `_`), in words: the
//! dashboard shows what each is for, never its raw value (a pending sign-in's PKCE
//! verifier and full `state` stay out of the page).

use serde::Serialize;
use serde_json::Value;

use rocket_redis_sessions::{csrf, flash};

use crate::user::SignedInUser;

/// A key's value in words, and the moment it speaks of, if any (seconds since the Unix
/// epoch: when someone signed in, when a sign-in started).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    /// What the key holds, as a sentence.
    pub text: String,
    /// When it happened.
    pub at: Option<u64>,
}

impl Described {
    /// `text`, with no moment.
    pub fn text(text: impl Into<String>) -> Self {
        Self { text: text.into(), at: None }
    }
}

/// Whether `key` belongs to the app rather than to the visitor: keys starting with `_`.
/// The dashboard and `/api/session` follow one rule: the visitor's keys show their values,
/// the app's keys only what [`AppKeys::view`] says of them, never their raw values (a
/// pending sign-in's PKCE verifier and `state`, the CSRF token).
pub fn is_app_key(key: &str) -> bool {
    key.starts_with('_')
}

/// The app's keys of `session`, in key order, as the dashboard and the API show them.
pub fn app_entries(
    session: &rocket_redis_sessions::Session<'_>,
    keys: &AppKeys,
) -> Vec<AppKeyView> {
    let app = session.keys_where(is_app_key).into_iter();
    app.filter_map(|key| Some(keys.view(&key, &session.get::<Value>(&key).ok()??))).collect()
}

/// Puts a stored value into words.
pub type Describe = fn(&Value) -> Described;

/// One app-owned key as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppKeyView {
    /// The session key.
    pub key: String,
    /// What it is for.
    pub label: &'static str,
    /// Its value in words.
    pub text: String,
    /// The moment the value speaks of, RFC 3339 (the page shows it in local time).
    pub at: Option<String>,
}

/// The app's keys the dashboard can put into words: the CSRF token, the flash message and
/// the signed-in user, and whatever other parts add (the OAuth client's pending
/// sign-ins). A key ending in `:` names a family of keys by prefix.
pub struct AppKeys(Vec<(&'static str, &'static str, Describe)>);

impl Default for AppKeys {
    fn default() -> Self {
        Self(vec![
            (csrf::KEY, "CSRF token", |_| {
                Described::text(
                    "Every form on these pages carries it; a form without it is refused.",
                )
            }),
            (flash::KEY, "Message", |_| Described::text("A one-time message for the next page.")),
            (SignedInUser::KEY, "Signed in", describe_user),
        ])
    }
}

fn describe_user(value: &Value) -> Described {
    match serde_json::from_value::<SignedInUser>(value.clone()) {
        Ok(user) => Described {
            text: format!("{} (through {})", user.name, user.provider),
            at: Some(user.signed_in_at),
        },
        Err(_) => Described::text("a user of an unknown shape"),
    }
}

impl AppKeys {
    /// Adds keys named `key` (or starting with it, when it ends in `:`), shown under
    /// `label` and described by `describe`.
    #[must_use]
    pub fn with(mut self, key: &'static str, label: &'static str, describe: Describe) -> Self {
        self.0.push((key, label, describe));
        self
    }

    /// How the dashboard shows `key` holding `value`; a key nobody described shows its
    /// JSON.
    pub fn view(&self, key: &str, value: &Value) -> AppKeyView {
        let known = self.0.iter().find(|(name, ..)| match name.ends_with(':') {
            true => key.starts_with(name),
            false => key == *name,
        });
        let (label, described) = match known {
            Some((_, label, describe)) => (*label, describe(value)),
            None => ("Other", Described::text(value.to_string())),
        };
        AppKeyView {
            key: key.to_owned(),
            label,
            text: described.text,
            at: described
                .at
                .and_then(|at| rfc3339(std::time::UNIX_EPOCH + std::time::Duration::from_secs(at))),
        }
    }
}

/// `t` in RFC 3339, whole seconds, UTC.
pub fn rfc3339(t: std::time::SystemTime) -> Option<String> {
    use time::format_description::well_known::Rfc3339;
    let whole_seconds = time::OffsetDateTime::from(t).replace_nanosecond(0).ok()?;
    whole_seconds.format(&Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn known_keys_are_words_and_unknown_ones_their_json() {
        let keys =
            AppKeys::default().with("_thing:", "Thing", |v| Described::text(format!("n={v}")));
        let user = json!({"provider": "demo", "sub": "u1", "name": "Ada", "signed_in_at": 0});
        let view = keys.view("_user", &user);
        assert_eq!((view.label, view.text.as_str()), ("Signed in", "Ada (through demo)"));
        assert_eq!(view.at.as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(keys.view("_csrf", &json!("secret-token")).label, "CSRF token");
        assert!(!keys.view("_csrf", &json!("secret-token")).text.contains("secret-token"));
        assert_eq!(keys.view("_thing:1", &json!(2)).text, "n=2", "a family by prefix");
        assert_eq!(keys.view("_thing", &json!(2)).label, "Other", "not the family itself");
        assert_eq!(keys.view("_new", &json!([1])).text, "[1]");
    }
}
