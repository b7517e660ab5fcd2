//! [`Site`]: where the app is reached. Browsers use the public URL (`[oauth] public_url`,
//! or the address and port Rocket listens on); the app calls itself (its OAuth client
//! calling the built-in provider) where it really listens.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rocket::fairing::AdHoc;
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
}

impl Site {
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
        Self { public_url, local_url, port }
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
mod tests {
    use rocket::figment::Figment;

    use super::*;

    fn listening_on(address: &str, port: u16) -> Figment {
        Figment::from(rocket::Config::debug_default())
            .merge(("address", address))
            .merge(("port", port))
    }

    fn site_of(figment: Figment) -> Site {
        Site::of(&rocket::custom(figment))
    }

    #[test]
    fn without_a_public_url_both_urls_follow_the_listener() {
        let site = site_of(listening_on("127.0.0.1", 9000));
        assert_eq!(site.public_url, "http://127.0.0.1:9000");
        assert_eq!(site.local_url, "http://127.0.0.1:9000");
    }

    #[test]
    fn a_listener_on_every_address_is_localhost_to_browsers_and_loopback_to_the_app() {
        let site = site_of(listening_on("0.0.0.0", 8000));
        assert_eq!(site.public_url, "http://localhost:8000");
        assert_eq!(site.local_url, "http://127.0.0.1:8000");
        assert_eq!(site_of(listening_on("::", 8000)).local_url, "http://[::1]:8000");
    }

    #[test]
    fn a_configured_public_url_is_what_browsers_get() {
        let figment =
            listening_on("127.0.0.1", 9000).merge(("oauth.public_url", "https://a.example/"));
        let site = site_of(figment);
        assert_eq!(site.public_url, "https://a.example");
        assert_eq!(site.local_url, "http://127.0.0.1:9000");
    }
}
