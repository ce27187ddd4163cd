//! Batch: a bounded queue of encoded events, packed into request bodies.
//!
//! Events are encoded to JSON once, when queued, so each one's exact size on
//! the wire is known. The queue holds at most `max_bytes` of them and drops the
//! oldest past that, counting what it dropped, so a page whose collector is
//! unreachable keeps a fixed amount of memory. Each event carries the number
//! of the view it was recorded in, and a body holds one view's events: the
//! envelope names the view. The encoded text `T` is opaque here (a JS handle
//! in the agent); the queue only needs its length in bytes.

use std::collections::VecDeque;

use canopy_wire::body_len;

/// A queued event: its view's number, its encoded text and that text's length in bytes.
#[derive(Debug)]
struct Queued<T> {
    view: u32,
    encoded: T,
    len: usize,
}

/// The events of one body, oldest first.
#[derive(Debug, PartialEq)]
pub struct Batch<T> {
    pub events: Vec<T>,
    /// The body's length in bytes, envelope included.
    pub body_len: usize,
}

#[derive(Debug)]
pub struct Queue<T> {
    /// Oldest first.
    events: VecDeque<Queued<T>>,
    bytes: usize,
    max_bytes: usize,
    dropped: u64,
}

impl<T> Queue<T> {
    pub fn new(max_bytes: usize) -> Self {
        Self {
            events: VecDeque::new(),
            bytes: 0,
            max_bytes,
            dropped: 0,
        }
    }

    /// Queues an event of view number `view` (never below the last one's),
    /// `len` bytes long once encoded.
    pub fn push(&mut self, view: u32, encoded: T, len: usize) {
        self.bytes += len;
        self.events.push_back(Queued { view, encoded, len });
        while self.bytes > self.max_bytes && self.pop().is_some() {
            self.dropped += 1;
        }
    }

    /// The view of the oldest queued event.
    pub fn first_view(&self) -> Option<u32> {
        self.events.front().map(|queued| queued.view)
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Events dropped so far because the queue was full or an event could never fit a body.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Takes the oldest events that fit one body of at most `max_body` bytes
    /// around an envelope of `envelope_len` bytes, and at most `max_events`,
    /// all of the oldest event's view. An event too large for any body is
    /// dropped rather than blocking the queue.
    pub fn take_batch(
        &mut self,
        envelope_len: usize,
        max_body: usize,
        max_events: usize,
    ) -> Batch<T> {
        let mut events = Vec::new();
        let mut events_len = 0;
        let view = self.first_view();
        while events.len() < max_events {
            let Some(next) = self.events.front() else {
                break;
            };
            if Some(next.view) != view {
                break;
            }
            let len_with_next = body_len(envelope_len, events_len + next.len, events.len() + 1);
            if len_with_next > max_body {
                if events.is_empty() {
                    self.pop();
                    self.dropped += 1;
                    continue;
                }
                break;
            }
            events_len += next.len;
            if let Some(event) = self.pop() {
                events.push(event);
            }
        }
        let body_len = body_len(envelope_len, events_len, events.len());
        Batch { events, body_len }
    }

    fn pop(&mut self) -> Option<T> {
        let queued = self.events.pop_front()?;
        self.bytes -= queued.len;
        Some(queued.encoded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(size: usize) -> String {
        "x".repeat(size)
    }

    fn push(queue: &mut Queue<String>, view: u32, encoded: String) {
        let len = encoded.len();
        queue.push(view, encoded, len);
    }

    #[test]
    fn full_queue_drops_oldest_and_counts() {
        let mut queue = Queue::new(100);
        for index in 0..5 {
            push(&mut queue, 0, format!("{index:0>30}"));
        }
        assert_eq!(queue.len(), 3);
        assert_eq!(queue.bytes(), 90);
        assert_eq!(queue.dropped(), 2);
        let batch = queue.take_batch(0, 1_000, 10);
        assert_eq!(
            batch.events.first().map(String::as_str),
            Some("000000000000000000000000000002")
        );
    }

    #[test]
    fn batches_never_exceed_the_body_limit() {
        let mut queue = Queue::new(usize::MAX);
        for size in [300, 10, 250, 1, 77, 400, 400, 2] {
            push(&mut queue, 0, event(size));
        }
        let envelope = 120;
        let mut sent = 0;
        while !queue.is_empty() {
            let batch = queue.take_batch(envelope, 1_000, 100);
            assert!(!batch.events.is_empty());
            let total = body_len(
                envelope,
                batch.events.iter().map(String::len).sum(),
                batch.events.len(),
            );
            assert!(total <= 1_000, "body of {total} bytes");
            assert_eq!(batch.body_len, total);
            sent += batch.events.len();
        }
        assert_eq!((sent, queue.dropped()), (8, 0));
    }

    #[test]
    fn batches_fill_up_to_the_limit_exactly() {
        let mut queue = Queue::new(usize::MAX);
        push(&mut queue, 0, event(40));
        push(&mut queue, 0, event(39));
        push(&mut queue, 0, event(1));
        // envelope 20 + 40 + 39 + one comma = 100
        let batch = queue.take_batch(20, 100, 10);
        assert_eq!((batch.events.len(), batch.body_len), (2, 100));
        assert_eq!(queue.len(), 1);
    }

    #[test]
    fn event_count_is_capped() {
        let mut queue = Queue::new(usize::MAX);
        for _ in 0..10 {
            push(&mut queue, 0, event(1));
        }
        assert_eq!(queue.take_batch(0, 1_000, 4).events.len(), 4);
        assert_eq!(queue.len(), 6);
    }

    #[test]
    fn an_event_that_can_never_fit_is_dropped_not_stuck() {
        let mut queue = Queue::new(usize::MAX);
        push(&mut queue, 0, event(2_000));
        push(&mut queue, 0, event(10));
        let batch = queue.take_batch(50, 1_000, 10);
        assert_eq!(batch.events, vec![event(10)]);
        assert_eq!(queue.dropped(), 1);
        assert!(queue.is_empty());
    }

    #[test]
    fn a_body_holds_one_view() {
        let mut queue = Queue::new(usize::MAX);
        push(&mut queue, 1, event(10));
        push(&mut queue, 1, event(11));
        push(&mut queue, 2, event(12));
        assert_eq!(queue.first_view(), Some(1));
        assert_eq!(
            queue.take_batch(0, 1_000, 10).events,
            vec![event(10), event(11)]
        );
        assert_eq!(queue.first_view(), Some(2));
        assert_eq!(queue.take_batch(0, 1_000, 10).events, vec![event(12)]);
        assert_eq!(queue.first_view(), None);
    }

    #[test]
    fn the_length_given_is_what_counts_not_the_handle() {
        // In the agent `T` is a JS handle: only the length passed in measures it.
        let mut queue = Queue::new(100);
        queue.push(0, "a", 60);
        queue.push(0, "b", 60);
        assert_eq!((queue.len(), queue.bytes(), queue.dropped()), (1, 60, 1));
        let batch = queue.take_batch(30, 100, 10);
        assert_eq!(
            batch,
            Batch {
                events: vec!["b"],
                body_len: 90
            }
        );
        assert_eq!(
            queue.take_batch(30, 100, 10),
            Batch {
                events: vec![],
                body_len: 30
            }
        );
    }
}
