//! Resource timing, summed up per app: a page with hundreds of resources
//! sends each app's count, bytes, cache hits and total time, and only its
//! slowest few resources one by one (unless the page asks for all of them).
//!
//! A resource is attributed when it is reported, not when the browser
//! reports it: an app's entry script and first chunks load before the code
//! in them registers the app, and they are that app's all the same. Until
//! then they wait, unattributed, up to [`MAX_UNATTRIBUTED`]. The resource's
//! text (URL, initiator) `R` is opaque here (a JS handle in the agent).

use canopy_wire::ResourceSummary;

use crate::App;

/// Slowest resources kept per app and view.
pub const SLOWEST: usize = 5;

/// Resources kept unattributed at most; past it they are attributed at once.
pub const MAX_UNATTRIBUTED: usize = 256;

/// A resource the browser reported: its numbers, and its text as `R`.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceTiming<R> {
    /// When it started (ms since the time origin).
    pub started: f64,
    pub resource: R,
    pub duration: f64,
    pub transfer_size: u64,
    /// Served from the browser's cache (nothing transferred, something decoded).
    pub cache_hit: bool,
}

/// One app's resources in a view.
#[derive(Debug)]
pub struct AppResources<R> {
    pub app: App,
    pub summary: ResourceSummary,
    /// The slowest, slowest first (the earlier of equals first).
    pub slowest: Vec<ResourceTiming<R>>,
}

#[derive(Debug)]
pub struct ResourceSummaries<R> {
    /// Resources seen and not yet attributed, in order.
    seen: Vec<ResourceTiming<R>>,
    apps: Vec<AppResources<R>>,
}

impl<R> Default for ResourceSummaries<R> {
    fn default() -> Self {
        Self {
            seen: Vec::new(),
            apps: Vec::new(),
        }
    }
}

impl<R> ResourceSummaries<R> {
    /// Keeps a resource to attribute later; returns how many are waiting.
    pub fn see(&mut self, timing: ResourceTiming<R>) -> usize {
        self.seen.push(timing);
        self.seen.len()
    }

    /// The resources seen since the last call, in order, to be attributed now.
    pub fn take_seen(&mut self) -> Vec<ResourceTiming<R>> {
        std::mem::take(&mut self.seen)
    }

    /// Adds an attributed resource to its app's summary.
    pub fn add(&mut self, app: App, timing: ResourceTiming<R>) {
        let index = match self.apps.iter().position(|known| known.app == app) {
            Some(index) => index,
            None => {
                self.apps.push(AppResources {
                    app,
                    summary: ResourceSummary {
                        count: 0,
                        transfer_size: 0,
                        cache_hits: 0,
                        duration: 0.0,
                    },
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
        summary.transfer_size += timing.transfer_size;
        summary.cache_hits += u32::from(timing.cache_hit);
        summary.duration += timing.duration;
        let position = known
            .slowest
            .iter()
            .position(|slow| slow.duration < timing.duration);
        match position {
            Some(position) => known.slowest.insert(position, timing),
            None => known.slowest.push(timing),
        }
        known.slowest.truncate(SLOWEST);
    }

    /// Every app's summary and slowest resources since the last call.
    pub fn take(&mut self) -> Vec<AppResources<R>> {
        std::mem::take(&mut self.apps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CATALOG: App = 2;
    const CART: App = 1;

    fn resource(
        started: f64,
        url: &'static str,
        duration: f64,
        cache_hit: bool,
    ) -> ResourceTiming<&'static str> {
        ResourceTiming {
            started,
            resource: url,
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
                CATALOG,
                resource(
                    f64::from(i),
                    "https://x/c.png",
                    f64::from(i % 7) * 10.0,
                    i % 4 == 0,
                ),
            );
        }
        summaries.add(CART, resource(1.0, "https://x/cart.js", 5.0, false));
        let taken = summaries.take();
        assert_eq!(taken.len(), 2);
        let AppResources {
            app,
            summary,
            slowest,
        } = &taken[0];
        assert_eq!(*app, CATALOG);
        assert_eq!(
            (summary.count, summary.cache_hits, summary.transfer_size),
            (20, 5, 15_000)
        );
        assert_eq!(
            summary.duration,
            (0..20).map(|i| f64::from(i % 7) * 10.0).sum::<f64>()
        );
        let durations: Vec<f64> = slowest.iter().map(|slow| slow.duration).collect();
        assert_eq!(durations, [60.0, 60.0, 50.0, 50.0, 50.0]);
        assert_eq!(slowest[0].started, 6.0, "the earlier of equals first");
        assert_eq!(
            (taken[1].app, taken[1].slowest[0].resource),
            (CART, "https://x/cart.js")
        );
        assert!(summaries.take().is_empty());
    }

    #[test]
    fn seen_resources_wait_in_order_until_taken() {
        let mut summaries = ResourceSummaries::default();
        assert_eq!(
            summaries.see(resource(1.0, "https://x/a.js", 5.0, false)),
            1
        );
        assert_eq!(summaries.see(resource(2.0, "https://x/b.js", 9.0, true)), 2);
        let seen = summaries.take_seen();
        let urls: Vec<&str> = seen.iter().map(|timing| timing.resource).collect();
        assert_eq!(urls, ["https://x/a.js", "https://x/b.js"]);
        assert!(summaries.take_seen().is_empty());
        assert!(summaries.take().is_empty(), "seen is not summarised");
    }
}
