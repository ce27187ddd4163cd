//! Attribute: decide which micro-frontend an observation belongs to.
//!
//! Script errors, resources and stack traces carry URLs: the app whose asset
//! prefix is the longest match of the URL owns the event. DOM-bound vitals
//! (layout shifts, LCP elements) are attributed by the element's nearest
//! `data-canopy-app` container in the browser-only part of the agent. Anything
//! no app claims belongs to the page's shell app.

use canopy_wire::{concat, AppInfo, Frame};

use crate::text::{find, rsplit_once};

/// One app as registered, with the URL prefixes its assets are served under.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisteredApp {
    pub name: String,
    pub version: String,
    pub asset_prefixes: Vec<String>,
    /// Share of sessions the app reports from (session-consistent, see `session::is_sampled`).
    pub sample_rate: f64,
    pub attrs: canopy_wire::Attrs,
}

/// Every app registered on the page, plus the shell that owns the rest.
#[derive(Debug, Clone)]
pub struct AppRegistry {
    shell: String,
    apps: Vec<RegisteredApp>,
}

impl AppRegistry {
    pub fn new(shell: impl Into<String>) -> Self {
        Self {
            shell: shell.into(),
            apps: Vec::new(),
        }
    }

    pub fn shell(&self) -> &str {
        &self.shell
    }

    /// Registers an app; registering the same name again replaces it (an MFE
    /// that remounts, or a second bundled copy, must not appear twice).
    pub fn register(&mut self, app: RegisteredApp) {
        match self.apps.iter_mut().find(|known| known.name == app.name) {
            Some(known) => *known = app,
            None => self.apps.push(app),
        }
    }

    pub fn is_registered(&self, name: &str) -> bool {
        name == self.shell || self.apps.iter().any(|app| app.name == name)
    }

    /// The apps as the beacon lists them: the first registered, up to the
    /// server's limit (a later one's events still name it).
    pub fn infos(&self) -> Vec<AppInfo> {
        let info = |app: &RegisteredApp| AppInfo {
            name: app.name.clone(),
            version: app.version.clone(),
            sample_rate: app.sample_rate,
            attrs: app.attrs.clone(),
        };
        let limit = canopy_wire::limits::MAX_APPS_PER_BEACON;
        self.apps.iter().take(limit).map(info).collect()
    }

    /// The share of sessions `name` reports from (1 for the shell and unknown names).
    pub fn sample_rate(&self, name: &str) -> f64 {
        self.apps
            .iter()
            .find(|app| app.name == name)
            .map_or(1.0, |app| app.sample_rate)
    }

    /// The app owning `url` by longest asset prefix, if any app claims it.
    /// On a tie (two apps with the same prefix) the later registered wins.
    pub fn owner_of_url(&self, url: &str) -> Option<&str> {
        let mut owner: Option<(usize, &str)> = None;
        for app in &self.apps {
            for prefix in &app.asset_prefixes {
                let not_shorter = owner.is_none_or(|(longest, _)| prefix.len() >= longest);
                if not_shorter && !prefix.is_empty() && url.starts_with(prefix.as_str()) {
                    owner = Some((prefix.len(), &app.name));
                }
            }
        }
        owner.map(|(_, name)| name)
    }

    /// The app claiming an error: the one its script URL points at, else the
    /// first stack frame that an app claims.
    pub fn claimant_of_error(&self, script_url: &str, frames: &[Frame]) -> Option<&str> {
        self.owner_of_url(script_url).or_else(|| {
            frames
                .iter()
                .find_map(|frame| self.owner_of_url(&frame.file))
        })
    }

    /// The app owning an error: its claimant, else the shell.
    pub fn owner_of_error(&self, script_url: &str, frames: &[Frame]) -> &str {
        self.claimant_of_error(script_url, frames)
            .unwrap_or(&self.shell)
    }

    /// The app owning a URL-bearing event, else the shell.
    pub fn owner_of_url_or_shell(&self, url: &str) -> &str {
        self.owner_of_url(url).unwrap_or(&self.shell)
    }
}

/// The asset prefix of the bundle that made a call: the directory of the
/// first script in the call's stack (the npm package passes the stack from
/// its caller on, so the first frame is the app's code even when the package
/// itself is shared by every app).
pub fn caller_prefix(frames: &[Frame]) -> Option<String> {
    let file = crate::privacy::scrub_url(
        &frames
            .iter()
            .find(|frame| find(&frame.file, "://").is_some())?
            .file,
        &[],
    );
    let directory = rsplit_once(&file, b'/')?.0;
    Some(concat(&[directory, "/"]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(name: &str, version: &str, prefix: &str) -> RegisteredApp {
        RegisteredApp {
            name: name.into(),
            version: version.into(),
            asset_prefixes: vec![prefix.into()],
            sample_rate: 1.0,
            attrs: Default::default(),
        }
    }

    fn registry() -> AppRegistry {
        let mut apps = AppRegistry::new("shell");
        apps.register(app("catalog", "1.0.0", "https://cdn.example/mfe/"));
        apps.register(app("cart", "2.1.0", "https://cdn.example/mfe/cart/"));
        apps
    }

    #[test]
    fn longest_prefix_wins() {
        let apps = registry();
        assert_eq!(
            apps.owner_of_url("https://cdn.example/mfe/cart/main.js"),
            Some("cart")
        );
        assert_eq!(
            apps.owner_of_url("https://cdn.example/mfe/catalog/main.js"),
            Some("catalog")
        );
        assert_eq!(apps.owner_of_url("https://elsewhere.example/a.js"), None);
        assert_eq!(
            apps.owner_of_url_or_shell("https://elsewhere.example/a.js"),
            "shell"
        );
    }

    #[test]
    fn the_later_of_two_equal_prefixes_wins() {
        let mut apps = registry();
        apps.register(app("cart-v2", "3.0.0", "https://cdn.example/mfe/cart/"));
        assert_eq!(
            apps.owner_of_url("https://cdn.example/mfe/cart/main.js"),
            Some("cart-v2")
        );
    }

    #[test]
    fn reregistering_replaces_instead_of_duplicating() {
        let mut apps = registry();
        apps.register(RegisteredApp {
            asset_prefixes: vec![],
            ..app("cart", "2.2.0", "")
        });
        let infos = apps.infos();
        assert_eq!(infos.len(), 2);
        assert_eq!(infos[1].version, "2.2.0");
        assert_eq!(
            apps.owner_of_url("https://cdn.example/mfe/cart/main.js"),
            Some("catalog")
        );
    }

    #[test]
    fn a_beacon_lists_no_more_apps_than_the_server_takes() {
        let mut apps = registry();
        let limit = canopy_wire::limits::MAX_APPS_PER_BEACON;
        for n in 0..limit {
            apps.register(app(&concat(&["extra-", &n.to_string()]), "1", ""));
        }
        let infos = apps.infos();
        assert_eq!(infos.len(), limit);
        assert_eq!(infos[0].name, "catalog");
    }

    #[test]
    fn errors_fall_back_to_stack_frames_then_shell() {
        let apps = registry();
        let chrome = crate::stack::parse(
            "TypeError: x is undefined\n    at render (https://cdn.example/mfe/cart/main.js:10:5)\n    at https://shell.example/app.js:1:1",
        );
        assert_eq!(apps.owner_of_error("", &chrome), "cart");
        let firefox = crate::stack::parse(
            "render@https://elsewhere.example/lib.js:3:9\nmount@https://cdn.example/mfe/c.js:1:2",
        );
        assert_eq!(apps.owner_of_error("", &firefox), "catalog");
        assert_eq!(
            apps.owner_of_error("https://cdn.example/mfe/cart/x.js", &firefox),
            "cart"
        );
        assert_eq!(
            apps.owner_of_error("", &crate::stack::parse("no urls here")),
            "shell"
        );
    }

    #[test]
    fn the_callers_prefix_is_its_bundles_directory() {
        let stack =
            "Error\n    at mount (http://127.0.0.1:8080/mfe/cart/index.js:120:12)\n    at main (x)";
        assert_eq!(
            caller_prefix(&crate::stack::parse(stack)).as_deref(),
            Some("http://127.0.0.1:8080/mfe/cart/")
        );
        assert_eq!(caller_prefix(&crate::stack::parse("f@[native code]")), None);
    }
}
