//! A short, human label for the device a session is used on, read from its User-Agent:
//! `"Firefox on Linux"`, `"Safari on iOS"`, `"curl"`. Meant to tell a user's own devices
//! apart in a list, not to identify browsers exactly (a User-Agent is whatever the client
//! says).

/// Browsers by a token of their User-Agent, most specific first (Edge and Opera also
/// say Chrome; Chrome also says Safari).
const BROWSERS: &[(&str, &str)] = &[
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("HeadlessChrome/", "Headless Chrome"),
    ("Chromium/", "Chromium"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
];

/// Systems by a token of their User-Agent, most specific first (Android also says Linux;
/// iOS also says Mac OS X).
const SYSTEMS: &[(&str, &str)] = &[
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
];

/// The label for `user_agent`: browser and system when both are known, else the first
/// product name in it (`curl`, `python-requests`), else `"Unknown device"`.
pub fn device_label(user_agent: Option<&str>) -> String {
    let agent = user_agent.unwrap_or_default();
    let find = |table: &[(&str, &'static str)]| {
        table.iter().find(|(token, _)| agent.contains(token)).map(|(_, name)| *name)
    };
    match (find(BROWSERS), find(SYSTEMS)) {
        (Some(browser), Some(system)) => format!("{browser} on {system}"),
        (Some(name), None) | (None, Some(name)) => name.to_owned(),
        (None, None) => {
            let product = agent.split(['/', ' ']).next().unwrap_or_default();
            let product: String =
                product.chars().filter(|c| c.is_ascii_graphic()).take(32).collect();
            match product.is_empty() {
                true => "Unknown device".to_owned(),
                false => product,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::device_label;

    #[test]
    fn common_browsers_get_their_name_and_system() {
        let cases = [
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
                "Firefox on Linux",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like \
                 Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
                "Edge on Windows",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
                "Safari on iOS",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like \
                 Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
                "Chrome on Android",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, \
                 like Gecko) Version/17.5 Safari/605.1.15",
                "Safari on macOS",
            ),
            ("curl/8.5.0", "curl"),
            ("", "Unknown device"),
            ("\u{7}\u{1b}", "Unknown device"),
        ];
        for (agent, label) in cases {
            assert_eq!(device_label(Some(agent)), label, "{agent:?}");
        }
        assert_eq!(device_label(None), "Unknown device");
    }
}
