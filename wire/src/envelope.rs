//! Joining pre-encoded events into one beacon body.
//!
//! The agent encodes each event when it is queued, so it knows every event's
//! exact size and can pack requests to the byte. A body is then the encoded
//! envelope (a [`Beacon`](crate::Beacon) with no events) with the events spliced
//! into its trailing empty `events` array.

const EMPTY_EVENTS_TAIL: &str = "[]}";

/// Bytes a body will have for an envelope and events of the given total size.
pub fn body_len(envelope_len: usize, events_len: usize, event_count: usize) -> usize {
    envelope_len + events_len + event_count.saturating_sub(1)
}

/// Splices encoded events into an encoded envelope. Returns `None` when the
/// envelope does not end with its empty `events` array.
pub fn assemble<'a>(envelope: &str, events: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let head = envelope.strip_suffix(EMPTY_EVENTS_TAIL)?;
    let mut body = String::with_capacity(envelope.len() * 2);
    body.push_str(head);
    body.push('[');
    for (index, event) in events.into_iter().enumerate() {
        if index > 0 {
            body.push(',');
        }
        body.push_str(event);
    }
    body.push_str("]}");
    Some(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Beacon, Event, EventBody, Vital, VitalName, SCHEMA_VERSION};

    fn envelope() -> Beacon {
        Beacon {
            schema: SCHEMA_VERSION,
            id: Some("0123456789abcdef0123456789abcdef".into()),
            session_id: "s".into(),
            view_id: "v".into(),
            page_url: "https://shop.example/".into(),
            sent_at: 2.0,
            apps: vec![],
            dropped: 0,
            events: vec![],
        }
    }

    fn vital(value: f64) -> Event {
        Event {
            app: "shell".into(),
            at: 1.0,
            body: EventBody::Vital(Vital::new(VitalName::Lcp, value)),
        }
    }

    #[test]
    fn assembled_body_decodes_to_the_same_beacon() {
        let events = [vital(1.0), vital(2.0)];
        let encoded: Vec<String> = events
            .iter()
            .map(|e| serde_json::to_string(e).unwrap())
            .collect();
        let head = serde_json::to_string(&envelope()).unwrap();
        let body = assemble(&head, encoded.iter().map(String::as_str)).unwrap();

        let expected_len = body_len(
            head.len(),
            encoded.iter().map(String::len).sum(),
            encoded.len(),
        );
        assert_eq!(body.len(), expected_len);
        let decoded: Beacon = serde_json::from_str(&body).unwrap();
        assert_eq!(
            decoded,
            Beacon {
                events: events.to_vec(),
                ..envelope()
            }
        );
    }

    #[test]
    fn no_events_leaves_the_envelope_unchanged() {
        let head = serde_json::to_string(&envelope()).unwrap();
        assert_eq!(assemble(&head, []).as_deref(), Some(head.as_str()));
        assert_eq!(body_len(head.len(), 0, 0), head.len());
    }

    #[test]
    fn envelope_without_trailing_events_is_refused() {
        assert_eq!(assemble(r#"{"events":[],"x":1}"#, ["{}"]), None);
    }
}
