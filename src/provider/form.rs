//! Form-encoded parameters read the way OAuth asks (RFC 6749 §3.1, §3.2): an empty value
//! counts as absent, a repeated one is an error, unknown ones are ignored.

use rocket::data::{self, Data, FromData, Limits, ToByteUnit};
use rocket::http::Status;
use rocket::request::Request;

use oauth2::url::form_urlencoded;

/// The parameters of a query string or an `application/x-www-form-urlencoded` body.
#[derive(Debug, Default)]
pub(super) struct Params(Vec<(String, String)>);

/// A parameter sent more than once.
#[derive(Debug)]
pub(super) struct Repeated(pub(super) &'static str);

/// Why a form body could not be read.
#[derive(Debug, thiserror::Error)]
pub(super) enum FormError {
    /// Not `application/x-www-form-urlencoded`.
    #[error("the body is not application/x-www-form-urlencoded")]
    ContentType,
    /// Longer than the `form` limit.
    #[error("the form is larger than the limit")]
    TooLarge,
    /// The body could not be read.
    #[error("cannot read the form: {0}")]
    Io(#[from] std::io::Error),
}

impl Params {
    /// Parses `input` (`+` is a space, `%XX` a byte, invalid UTF-8 replaced).
    pub(super) fn parse(input: &[u8]) -> Self {
        Self(form_urlencoded::parse(input).into_owned().collect())
    }

    /// The value of `name`: `None` when absent or empty, [`Repeated`] when sent twice.
    pub(super) fn one(&self, name: &'static str) -> Result<Option<&str>, Repeated> {
        let mut values = self.0.iter().filter(|(n, v)| n == name && !v.is_empty());
        let first = values.next();
        match values.next() {
            Some(_) => Err(Repeated(name)),
            None => Ok(first.map(|(_, v)| v.as_str())),
        }
    }
}

#[rocket::async_trait]
impl<'r> FromData<'r> for Params {
    type Error = FormError;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        if !req.content_type().is_some_and(|ct| ct.is_form()) {
            return data::Outcome::Error((Status::UnsupportedMediaType, FormError::ContentType));
        }
        let limit = req.limits().get("form").unwrap_or(Limits::FORM);
        match data.open(limit.min(1.mebibytes())).into_bytes().await {
            Ok(bytes) if bytes.is_complete() => data::Outcome::Success(Self::parse(&bytes)),
            Ok(_) => data::Outcome::Error((Status::PayloadTooLarge, FormError::TooLarge)),
            Err(e) => data::Outcome::Error((Status::BadRequest, FormError::Io(e))),
        }
    }
}

#[cfg(test)]
#[path = "form_props.rs"]
mod props;
