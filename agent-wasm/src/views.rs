//! Views: their numbers, and the ids their events' envelopes carry.
//!
//! A view is a page load, an SPA route or a back/forward-cache restore. Each
//! queued event carries its view's number (see `batch.rs`); a body holds one
//! view's events, and its envelope names that view's session, view id and page
//! URL. Events of an earlier view can still be queued when the next begins
//! (behind a retry, or past a flush), so the ids of those views are kept until
//! their last event has left the queue. Ids and URLs `T` are opaque here (JS
//! handles in the agent).

/// Long frames per view past which the agent stays quiet (a janky page has
/// one every frame).
pub const MAX_LONG_FRAMES_PER_VIEW: u32 = 100;

/// How many of a kind of event a view may send (long frames, failed API
/// calls); past it they stay quiet.
#[derive(Debug)]
pub struct Allowance {
    left: u32,
    per_view: u32,
}

impl Allowance {
    pub fn new(per_view: u32) -> Self {
        Self {
            left: per_view,
            per_view,
        }
    }

    /// Whether one more may be sent in this view (counting it if so).
    pub fn take(&mut self) -> bool {
        let allowed = self.left > 0;
        self.left -= u32::from(allowed);
        allowed
    }

    /// A new view may send its own.
    pub fn start_view(&mut self) {
        self.left = self.per_view;
    }
}

#[derive(Debug)]
pub struct Views<T> {
    /// Numbers this page's views: queued events carry the number of theirs.
    number: u32,
    view_id: T,
    page_url: T,
    /// Session, view and page URL of earlier views whose events are still
    /// queued, by view number, oldest first.
    earlier: Vec<(u32, [T; 3])>,
}

impl<T> Views<T> {
    /// The page's first view, number 0.
    pub fn new(view_id: T, page_url: T) -> Self {
        Self {
            number: 0,
            view_id,
            page_url,
            earlier: Vec::new(),
        }
    }

    /// The current view's number.
    pub fn number(&self) -> u32 {
        self.number
    }

    /// The current view's URL (scrubbed).
    pub fn page_url(&self) -> &T {
        &self.page_url
    }
}

impl<T: Clone> Views<T> {
    /// Starts the next view, with id `view_id` and, if it changed, `page_url`.
    /// The view that ends, of session `ended_session` (the current one, or
    /// the one that just expired), keeps its ids while the queue, whose
    /// oldest event is of view `first_queued_view`, may hold its events.
    pub fn next_view(
        &mut self,
        ended_session: T,
        first_queued_view: Option<u32>,
        view_id: T,
        page_url: Option<T>,
    ) {
        self.forget_finished(first_queued_view);
        let view_id = std::mem::replace(&mut self.view_id, view_id);
        let ended_url = match page_url {
            Some(url) => std::mem::replace(&mut self.page_url, url),
            None => self.page_url.clone(),
        };
        if first_queued_view.is_some() {
            self.earlier
                .push((self.number, [ended_session, view_id, ended_url]));
        }
        self.number += 1;
    }
}

impl<T> Views<T> {
    /// Session, view id and page URL for the envelope of the oldest queued
    /// events, of view `first_queued_view`; the current view's with
    /// `session_id` when they are its own.
    pub fn envelope_ids<'a>(
        &'a mut self,
        first_queued_view: Option<u32>,
        session_id: &'a T,
    ) -> [&'a T; 3] {
        self.forget_finished(first_queued_view);
        match self.earlier.first() {
            Some((view, [session, view_id, page_url])) if Some(*view) == first_queued_view => {
                [session, view_id, page_url]
            }
            _ => [session_id, &self.view_id, &self.page_url],
        }
    }

    /// Drops the ids of earlier views with no event left in the queue (sent,
    /// or dropped from a full queue): at most one entry per queued view.
    /// They are oldest first, so those are a prefix (removed one by one:
    /// `retain` costs more wasm than the few entries ever kept).
    fn forget_finished(&mut self, first_queued_view: Option<u32>) {
        while let Some((view, _)) = self.earlier.first() {
            if first_queued_view.is_some_and(|first| *view >= first) {
                break;
            }
            self.earlier.remove(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The envelope ids as one string per view, to compare at a glance.
    fn ids(views: &mut Views<&'static str>, first_queued: Option<u32>) -> [&'static str; 3] {
        views.envelope_ids(first_queued, &"s-now").map(|id| *id)
    }

    #[test]
    fn the_current_view_names_its_own_events() {
        let mut views = Views::new("v0", "/home");
        assert_eq!(views.number(), 0);
        assert_eq!(ids(&mut views, None), ["s-now", "v0", "/home"]);
        assert_eq!(ids(&mut views, Some(0)), ["s-now", "v0", "/home"]);
    }

    #[test]
    fn an_ended_view_with_queued_events_keeps_its_ids_until_they_leave() {
        let mut views = Views::new("v0", "/home");
        views.next_view("s1", Some(0), "v1", Some("/cart"));
        assert_eq!((views.number(), *views.page_url()), (1, "/cart"));
        assert_eq!(ids(&mut views, Some(0)), ["s1", "v0", "/home"]);
        views.next_view("s1", Some(0), "v2", None);
        assert_eq!((views.number(), *views.page_url()), (2, "/cart"));
        assert_eq!(ids(&mut views, Some(0)), ["s1", "v0", "/home"]);
        // View 0's events sent: view 1's are next, then the current view's.
        assert_eq!(ids(&mut views, Some(1)), ["s1", "v1", "/cart"]);
        assert_eq!(ids(&mut views, Some(2)), ["s-now", "v2", "/cart"]);
        assert!(views.earlier.is_empty(), "forgotten once their events left");
    }

    #[test]
    fn an_ended_view_with_nothing_queued_is_forgotten_at_once() {
        let mut views = Views::new("v0", "/home");
        views.next_view("s1", None, "v1", Some("/cart"));
        assert!(views.earlier.is_empty());
        assert_eq!(ids(&mut views, Some(1)), ["s-now", "v1", "/cart"]);
    }

    #[test]
    fn a_view_whose_events_were_dropped_is_skipped() {
        let mut views = Views::new("v0", "/a");
        views.next_view("s1", Some(0), "v1", Some("/b"));
        views.next_view("s1", Some(0), "v2", Some("/c"));
        // A full queue dropped view 0's and view 1's events: the oldest left is view 2's.
        assert_eq!(ids(&mut views, Some(2)), ["s-now", "v2", "/c"]);
        assert!(views.earlier.is_empty());
    }

    #[test]
    fn a_view_ended_by_an_expired_session_keeps_that_session() {
        let mut views = Views::new("v0", "/home");
        views.next_view("s-expired", Some(0), "v1", None);
        assert_eq!(ids(&mut views, Some(0)), ["s-expired", "v0", "/home"]);
        assert_eq!(ids(&mut views, None), ["s-now", "v1", "/home"]);
    }

    #[test]
    fn earlier_views_are_kept_once_each() {
        let mut views = Views::new("v0", "/");
        for number in 1..=50 {
            views.next_view("s1", Some(number - 1), "v", None);
            assert!(views.earlier.len() <= 1, "at view {number}");
        }
        assert_eq!(views.number(), 50);
    }

    #[test]
    fn an_allowance_is_per_view() {
        let mut long_frames = Allowance::new(MAX_LONG_FRAMES_PER_VIEW);
        for _ in 0..MAX_LONG_FRAMES_PER_VIEW {
            assert!(long_frames.take());
        }
        assert!(!long_frames.take(), "over the cap");
        assert!(!long_frames.take(), "still over");
        long_frames.start_view();
        assert!(long_frames.take());
        let mut none = Allowance::new(0);
        assert!(!none.take());
    }
}
