//! [`Site`]: where the app is reached. Browsers use the public URL (`[oauth] public_url`,
//! or the address and port Rocket listens on); the app calls itself (its OAuth client
//! calling the built-in provider) where it really listens.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rocket::fairing::AdHoc;
use rocket::http::uri::{Absolute, Host};
use rocket::{Build, Rocket};

/// The app's own base URLs, without a trailing `/`, as managed state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// Where browsers reach the app: `[oauth] public_url` if set, otherwise
    /// `http://{address}:{port}` of the listener (`localhost` for a listener on every
    /// address).
    pub public_url: String,
    /// Where the app reaches itself: `http://{address}:{port}` of the listener (loopback
    /// for a listener on every address).
    pub local_url: String,
    /// The configured port; `0` when Rocket picks one as it starts listening, after the
    /// URLs above are needed.
    pub port: u16,
    /// The host and port of `public_url` (the scheme's default port when it names none),
    /// the host in lowercase; `None` when `public_url` is not an absolute URL.
    public_host: Option<(String, u16)>,
}

/// The host (lowercase) and port `url` names, the scheme's default port if none.
fn host_and_port(url: &str) -> Option<(String, u16)> {
    let url = Absolute::parse(url).ok()?;
    let authority = url.authority()?;
    let default_port = match url.scheme().to_ascii_lowercase().as_str() {
        "https" => 443,
        _ => 80,
    };
    Some((authority.host().to_ascii_lowercase(), authority.port().unwrap_or(default_port)))
}

impl Site {
    /// Whether a request that arrived for `host` (its `Host` header) reached the app under
    /// its public URL's host and port. Browsers keep cookies per host, so `localhost` and
    /// `127.0.0.1` do not share a session: a sign-in must start where the provider will
    /// send the visitor back. Without a parseable public URL, every host counts as public.
    pub fn is_public_host(&self, host: &Host<'_>) -> bool {
        let Some((public_host, public_port)) = &self.public_host else { return true };
        let default_port = match self.public_url.starts_with("https:") {
            true => 443,
            false => 80,
        };
        host.domain().as_str().eq_ignore_ascii_case(public_host)
            && host.port().unwrap_or(default_port) == *public_port
    }

    /// The URLs of `rocket`, from its configuration.
    pub fn of(rocket: &Rocket<Build>) -> Self {
        let figment = rocket.figment();
        let default = rocket::Config::default();
        let address: IpAddr = figment.extract_inner("address").unwrap_or(default.address);
        let port: u16 = figment.extract_inner("port").unwrap_or(default.port);
        let local_ip = match address {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        let url = |host: String| format!("http://{host}:{port}");
        let host = |ip: IpAddr| match ip {
            IpAddr::V4(ip) => ip.to_string(),
            IpAddr::V6(ip) => format!("[{ip}]"),
        };
        let local_url = url(host(local_ip));
        let configured: Option<String> = figment.extract_inner("oauth.public_url").ok();
        let public_url = match configured {
            Some(public_url) => public_url.trim_end_matches('/').to_owned(),
            None if address.is_unspecified() => url("localhost".to_owned()),
            None => local_url.clone(),
        };
        let public_host = host_and_port(&public_url);
        Self { public_url, local_url, port, public_host }
    }
}

/// Manages the [`Site`] of the app being launched.
pub fn stage() -> AdHoc {
    AdHoc::on_ignite("Site", |rocket| async {
        let site = Site::of(&rocket);
        rocket::info!("site: public {}, local {}", site.public_url, site.local_url);
        rocket.manage(site)
    })
}

#[cfg(test)]
#[path = "site_tests.rs"]
mod tests;
