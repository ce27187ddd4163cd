//! Resource timing, summed up per app: a page with hundreds of resources
//! sends each app's count, bytes, cache hits and total time, and only its
//! slowest few resources one by one (unless the page asks for all of them).
//!
//! A resource is attributed when it is reported, not when the browser
//! reports it: an app's entry script and first chunks load before the code
//! in them registers the app, and they are that app's all the same. Until
//! then they wait, unattributed, up to [`MAX_UNATTRIBUTED`].

use canopy_wire::{Resource, ResourceSummary};

/// Slowest resources kept per app and view.
pub const SLOWEST: usize = 5;

/// Resources kept unattributed at most; past it they are attributed at once.
pub const MAX_UNATTRIBUTED: usize = 256;

#[derive(Debug, Default)]
pub struct ResourceSummaries {
    /// Resources seen and not yet attributed, with when they started.
    seen: Vec<(f64, Resource)>,
    apps: Vec<AppResources>,
}

/// One app's resources in a view.
#[derive(Debug)]
pub struct AppResources {
    pub app: String,
    pub summary: ResourceSummary,
    /// The slowest, slowest first, with when they started (ms since the time origin).
    pub slowest: Vec<(f64, Resource)>,
}

impl ResourceSummaries {
    /// Keeps a resource to attribute later; returns how many are waiting.
    pub fn see(&mut self, started: f64, resource: Resource) -> usize {
        self.seen.push((started, resource));
        self.seen.len()
    }

    /// The resources seen since the last call, in order, to be attributed now.
    pub fn take_seen(&mut self) -> Vec<(f64, Resource)> {
        std::mem::take(&mut self.seen)
    }

    /// Adds an attributed resource to its app's summary.
    pub fn add(&mut self, app: &str, started: f64, resource: Resource) {
        let index = match self.apps.iter().position(|known| known.app == app) {
            Some(index) => index,
            None => {
                let summary = ResourceSummary {
                    count: 0,
                    transfer_size: 0,
                    cache_hits: 0,
                    duration: 0.0,
                };
                self.apps.push(AppResources {
                    app: app.to_owned(),
                    summary,
                    slowest: Vec::new(),
                });
                self.apps.len() - 1
            }
        };
        let Some(known) = self.apps.get_mut(index) else {
            return;
        };
        let summary = &mut known.summary;
        summary.count += 1;
        summary.transfer_size += resource.transfer_size;
        summary.cache_hits += u32::from(resource.cache_hit);
        summary.duration += resource.duration;
        let position = known
            .slowest
            .iter()
            .position(|(_, slow)| slow.duration < resource.duration);
        match position {
            Some(position) => known.slowest.insert(position, (started, resource)),
            None => known.slowest.push((started, resource)),
        }
        known.slowest.truncate(SLOWEST);
    }

    /// Every app's summary and slowest resources since the last call.
    pub fn take(&mut self) -> Vec<AppResources> {
        std::mem::take(&mut self.apps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(url: &str, duration: f64, cache_hit: bool) -> Resource {
        Resource {
            url: url.into(),
            initiator: "img".into(),
            duration,
            transfer_size: if cache_hit { 0 } else { 1_000 },
            cache_hit,
        }
    }

    #[test]
    fn summaries_count_per_app_and_keep_the_slowest() {
        let mut summaries = ResourceSummaries::default();
        for i in 0..20 {
            summaries.add(
                "catalog",
                f64::from(i),
                resource("https://x/c.png", f64::from(i % 7) * 10.0, i % 4 == 0),
            );
        }
        summaries.add("cart", 1.0, resource("https://x/cart.js", 5.0, false));
        let taken = summaries.take();
        assert_eq!(taken.len(), 2);
        let AppResources {
            app,
            summary,
            slowest,
        } = &taken[0];
        assert_eq!(app, "catalog");
        assert_eq!(
            (summary.count, summary.cache_hits, summary.transfer_size),
            (20, 5, 15_000)
        );
        assert_eq!(
            summary.duration,
            (0..20).map(|i| f64::from(i % 7) * 10.0).sum::<f64>()
        );
        let durations: Vec<f64> = slowest.iter().map(|(_, r)| r.duration).collect();
        assert_eq!(durations, [60.0, 60.0, 50.0, 50.0, 50.0]);
        assert_eq!(slowest[0].0, 6.0, "the earlier of equals first");
        assert!(summaries.take().is_empty());
    }

    #[test]
    fn seen_resources_wait_in_order_until_taken() {
        let mut summaries = ResourceSummaries::default();
        assert_eq!(
            summaries.see(1.0, resource("https://x/a.js", 5.0, false)),
            1
        );
        assert_eq!(summaries.see(2.0, resource("https://x/b.js", 9.0, true)), 2);
        let seen = summaries.take_seen();
        let urls: Vec<&str> = seen.iter().map(|(_, r)| r.url.as_str()).collect();
        assert_eq!(urls, ["https://x/a.js", "https://x/b.js"]);
        assert!(summaries.take_seen().is_empty());
        assert!(summaries.take().is_empty(), "seen is not summarised");
    }
}
