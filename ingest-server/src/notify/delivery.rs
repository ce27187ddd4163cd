//! Delivering one notice to one channel: up to four attempts, each logged in
//! `notifications` with its outcome. Whether to try again is a pure function
//! of the answer ([`decide`]):
//! - 2xx (and a robot's errcode 0): delivered;
//! - a 4xx other than 408 and 429, a robot's error code, an SMTP 5xx: the
//!   request itself is wrong (bad token, bad payload, wrong password) and
//!   will be refused again: not retried;
//! - 408, 429, 5xx, no answer (connection, TLS, timeout), SMTP 4xx: retried
//!   after 0.5 s, 1 s, 2 s, or after the receiver's Retry-After when it
//!   sends one (up to [`LONGEST_RETRY_AFTER`]; longer is given up).

use std::time::{Duration, Instant, SystemTime};

use crate::model::alert::{Alert, Notice};
use crate::store::alerting::DeliveryRecord;
use crate::store::Store;

pub const ATTEMPTS: u8 = 4;
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// The longest Retry-After honoured; a receiver asking for more is given up
/// on rather than holding a notice back for longer.
pub const LONGEST_RETRY_AFTER: Duration = Duration::from_secs(300);

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Delivered,
    /// An HTTP status other than 2xx, and its Retry-After if any.
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// Refused for good: a robot's error code, an SMTP 5xx. Says why.
    Refused(String),
    /// No answer (connection, TLS, timeout), an SMTP 4xx, a robot's rate
    /// limit: may work later. Says why.
    Unreachable(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Delivered,
    RetryIn(Duration),
    /// Not worth another try.
    GiveUp,
    /// Worth another, but this was the last.
    Exhausted,
}

/// Whether and when to try again after `attempt` (1-based) got `answer`.
pub fn decide(answer: &Answer, attempt: u8) -> Decision {
    let backoff = FIRST_BACKOFF * 2u32.pow(u32::from(attempt.saturating_sub(1)));
    let retry = |wait: Duration| {
        if wait > LONGEST_RETRY_AFTER {
            Decision::GiveUp
        } else if attempt >= ATTEMPTS {
            Decision::Exhausted
        } else {
            Decision::RetryIn(wait)
        }
    };
    match answer {
        Answer::Delivered => Decision::Delivered,
        Answer::Refused(_) => Decision::GiveUp,
        Answer::Status { status, .. }
            if (400..500).contains(status) && *status != 408 && *status != 429 =>
        {
            Decision::GiveUp
        }
        Answer::Status {
            retry_after: Some(wait),
            ..
        } => retry(*wait),
        Answer::Status { .. } | Answer::Unreachable(_) => retry(backoff),
    }
}

/// A Retry-After header: delay-seconds or an HTTP date.
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    value
        .parse::<u64>()
        .map(Duration::from_secs)
        .ok()
        .or_else(|| {
            let at = httpdate::parse_http_date(value).ok()?;
            Some(at.duration_since(now).unwrap_or(Duration::ZERO))
        })
}

/// The delivery log's words for an attempt: outcome, then what happened.
fn describe(answer: &Answer, decision: Decision) -> (&'static str, String) {
    let what = match answer {
        Answer::Delivered => String::new(),
        Answer::Status {
            status,
            retry_after,
        } => {
            let reason = reqwest::StatusCode::from_u16(*status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("");
            match retry_after {
                Some(wait) => format!("HTTP {status} {reason}, Retry-After {}s", wait.as_secs()),
                None => format!("HTTP {status} {reason}"),
            }
        }
        Answer::Refused(why) | Answer::Unreachable(why) => why.clone(),
    };
    match decision {
        Decision::Delivered => ("delivered", what),
        Decision::RetryIn(wait) => ("retrying", format!("{what}; retrying in {wait:?}")),
        Decision::GiveUp => ("failed", format!("{what}; not retried")),
        Decision::Exhausted => (
            "failed",
            format!("{what}; gave up after {ATTEMPTS} attempts"),
        ),
    }
}

/// Makes attempts until one is delivered or the answers say to stop,
/// logging each for every alert the notification `told` of (with what it
/// said of it). `attempt` sends once and says what came back, with the
/// HTTP status if there was one (0 otherwise).
pub async fn deliver<F, Fut>(store: &Store, told: &[(Alert, Notice)], channel: &str, mut attempt: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = (u16, Answer)>,
{
    for number in 1..=ATTEMPTS {
        let started = Instant::now();
        let (http_status, answer) = attempt().await;
        let decision = decide(&answer, number);
        let (outcome, error) = describe(&answer, decision);
        let latency = started.elapsed();
        for (alert, notice) in told {
            let record = DeliveryRecord {
                alert,
                channel,
                notice: *notice,
                attempt: number,
                ok: decision == Decision::Delivered,
                http_status,
                outcome,
                error: &error,
                latency,
            };
            if let Err(log_error) = store.log_delivery(&record).await {
                tracing::warn!(error = %log_error, "cannot log a notification attempt");
            }
        }
        let alert = told.first().map_or("", |(alert, _)| alert.id.as_str());
        match decision {
            Decision::Delivered => return,
            Decision::GiveUp | Decision::Exhausted => {
                tracing::warn!(channel, alert, alerts = told.len(), attempt = number, %error, "notification failed");
                return;
            }
            Decision::RetryIn(wait) => {
                tracing::info!(channel, alert, alerts = told.len(), attempt = number, %error, "notification attempt failed");
                tokio::time::sleep(wait).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16, retry_after: Option<u64>) -> Answer {
        Answer::Status {
            status,
            retry_after: retry_after.map(Duration::from_secs),
        }
    }

    #[test]
    fn what_is_retried_and_when() {
        let ms = Duration::from_millis;
        assert_eq!(decide(&Answer::Delivered, 1), Decision::Delivered);
        for refused in [400, 401, 403, 404, 410, 422] {
            assert_eq!(
                decide(&status(refused, None), 1),
                Decision::GiveUp,
                "{refused}"
            );
        }
        assert_eq!(decide(&Answer::Refused("535".into()), 1), Decision::GiveUp);
        assert_eq!(decide(&status(408, None), 1), Decision::RetryIn(ms(500)));
        assert_eq!(decide(&status(429, None), 2), Decision::RetryIn(ms(1000)));
        assert_eq!(decide(&status(503, None), 3), Decision::RetryIn(ms(2000)));
        assert_eq!(
            decide(&Answer::Unreachable("timed out".into()), 1),
            Decision::RetryIn(ms(500))
        );
        assert_eq!(decide(&status(500, None), ATTEMPTS), Decision::Exhausted);
        // Retry-After replaces the backoff, within reason.
        assert_eq!(
            decide(&status(429, Some(7)), 1),
            Decision::RetryIn(Duration::from_secs(7))
        );
        assert_eq!(
            decide(&status(503, Some(2)), 1),
            Decision::RetryIn(Duration::from_secs(2))
        );
        assert_eq!(decide(&status(429, Some(3600)), 1), Decision::GiveUp);
        // A Retry-After on a refusal does not make it retryable.
        assert_eq!(decide(&status(400, Some(1)), 1), Decision::GiveUp);
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", now), None);
    }

    #[test]
    fn the_log_says_what_happened_and_what_comes_next() {
        let (outcome, error) = describe(
            &status(429, Some(2)),
            Decision::RetryIn(Duration::from_secs(2)),
        );
        assert_eq!(
            (outcome, error.as_str()),
            (
                "retrying",
                "HTTP 429 Too Many Requests, Retry-After 2s; retrying in 2s"
            )
        );
        let (outcome, error) = describe(&status(401, None), Decision::GiveUp);
        assert_eq!(
            (outcome, error.as_str()),
            ("failed", "HTTP 401 Unauthorized; not retried")
        );
    }
}
