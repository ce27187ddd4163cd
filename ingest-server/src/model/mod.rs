//! The model every layer shares, depending on nothing above it: alert
//! rules and alerts ([`rule`], [`alert`]), their [`labels`], the route tree
//! ([`route`]) and its label [`matcher`]s, [`silence`]s, an app's health from its alerts
//! ([`health`]), ignore rules ([`ignore`]) and origin allow-lists ([`origin`]).

pub mod alert;
pub mod health;
pub mod ignore;
pub mod labels;
pub mod matcher;
pub mod origin;
pub mod route;
pub mod rule;
pub mod silence;

use std::time::Duration;

/// Registrations older than this no longer count an app as present.
pub const REGISTRATION_HORIZON: Duration = Duration::from_secs(24 * 3600);
