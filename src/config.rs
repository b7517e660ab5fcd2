//! Reading the demo's own tables (`[oauth]`, `[provider]`) out of Rocket's configuration.

use rocket::figment::{self, Figment};
use serde::de::DeserializeOwned;

/// The table `name` of `figment`, or `T::default()` when there is none.
///
/// # Errors
/// figment's error when the table exists but does not have the shape of a `T`.
pub fn table<T: DeserializeOwned + Default>(
    figment: &Figment,
    name: &str,
) -> Result<T, Box<figment::Error>> {
    match figment.find_value(name) {
        Ok(_) => figment.extract_inner(name).map_err(Box::new),
        Err(_) => Ok(T::default()),
    }
}
