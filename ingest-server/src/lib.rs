//! Canopy's ingest server.
//!
//! The flow, one module per step: [`receive`] takes beacons over HTTP,
//! [`validate`] decodes and checks them against the shared wire format,
//! [`store`] writes them to ClickHouse, [`serve`] answers health checks.
//! [`config`] is everything an operator can set.

pub mod config;
pub mod error;
pub mod receive;
pub mod serve;
pub mod store;
pub mod validate;

use std::sync::Arc;

use axum::Router;

use crate::config::Limits;
use crate::store::Store;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub limits: Limits,
}

/// The whole HTTP surface of the server.
pub fn router(state: AppState) -> Router {
    receive::routes(&state.limits).merge(serve::routes()).with_state(state)
}
