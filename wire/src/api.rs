//! API calls (`fetch`, `XMLHttpRequest`) an app's code made: each failure,
//! and every finished call counted per app and view.

use serde::{Deserialize, Serialize};

/// One failed call: a network error (`status` 0) or an error status (5xx,
/// and 4xx when the page asks for them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiCall {
    /// `GET`, `POST`… (upper-cased by the agent).
    pub method: String,
    /// Scrubbed of fragment and query parameters, like every URL.
    pub url: String,
    /// The response's status; 0 when no response came (a network error).
    pub status: u16,
    /// From the call to its response or failure (ms).
    pub duration: f64,
    /// The network error's text (`Failed to fetch`…); empty for a status.
    #[serde(default)]
    pub message: String,
    /// The W3C trace id (32 hex digits) of the `traceparent` the agent sent
    /// with the call, so the backend's trace can be found; empty when none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub trace_id: String,
}

/// An app's API calls of one view that finished since its previous summary
/// (an aborted call is not counted).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ApiSummary {
    pub calls: u32,
    pub failed: u32,
    /// Sum of the calls' durations (ms).
    pub duration: f64,
}

#[cfg(test)]
mod tests {
    use crate::{Event, EventBody};

    use super::*;

    #[test]
    fn api_calls_are_tagged_and_the_trace_id_is_optional() {
        let call = ApiCall {
            method: "POST".into(),
            url: "https://api.example/cart".into(),
            status: 503,
            duration: 12.5,
            message: String::new(),
            trace_id: String::new(),
        };
        let event = Event {
            app: "cart".into(),
            at: 1.0,
            body: EventBody::ApiCall(call.clone()),
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"app": "cart", "at": 1.0, "kind": "api_call", "method": "POST",
                "url": "https://api.example/cart", "status": 503, "duration": 12.5, "message": ""})
        );
        assert_eq!(serde_json::from_value::<Event>(json).unwrap(), event);
        let traced = ApiCall {
            trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
            ..call
        };
        let json = serde_json::to_value(&traced).unwrap();
        assert_eq!(json["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
    }

    #[test]
    fn api_summaries_are_tagged() {
        let json = r#"{"app":"catalog","at":2.5,"kind":"api_summary","calls":3,"failed":1,"duration":40.5}"#;
        let event: Event = serde_json::from_str(json).unwrap();
        assert_eq!(
            event.body,
            EventBody::ApiSummary(ApiSummary {
                calls: 3,
                failed: 1,
                duration: 40.5
            })
        );
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            serde_json::from_str::<serde_json::Value>(json).unwrap()
        );
    }
}
