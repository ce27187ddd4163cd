//! The range and chart bucket of a dashboard request: Unix seconds, aligned
//! outward to whole minutes (the caller widens further to whole hours where
//! it reads the hourly rollups).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::Deserialize;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::Required;
use utoipa::{IntoParams, PartialSchema};

use crate::extract::{Path, Query};
use crate::serve::{ApiError, ReadAccess};
use crate::store::dashboard::Range;
use crate::AppState;

const DEFAULT_SPAN: u32 = 24 * 3600;
/// Longest range: the default rollup retention and a bit.
const MAX_SPAN: u32 = 400 * 24 * 3600;
/// Chart points aimed for; buckets are the first of [`BUCKETS`] giving at most this many.
const TARGET_POINTS: u32 = 120;
const BUCKETS: [u32; 10] = [
    60,
    300,
    900,
    1800,
    3600,
    3 * 3600,
    6 * 3600,
    12 * 3600,
    86400,
    7 * 86400,
];

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeParams {
    /// Unix seconds; default: `to` − 24 h.
    from: Option<u32>,
    /// Unix seconds; default: now. At most 400 days after `from`.
    to: Option<u32>,
    /// Seconds per chart bucket (a multiple of 60); default: chosen from the span.
    bucket: Option<u32>,
}

fn now_secs() -> u32 {
    (crate::clock::now_millis() / 1000) as u32
}

/// What every per-app dashboard request starts with: read access, a valid
/// app name, and the range.
pub struct AppRange {
    pub app: String,
    pub range: Range,
    pub params: RangeParams,
}

impl FromRequestParts<AppState> for AppRange {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        ReadAccess::from_request_parts(parts, state).await?;
        let Path(app) = Path::<String>::from_request_parts(parts, state).await?;
        canopy_wire::limits::check_app_name(&app).map_err(ApiError::BadRequest)?;
        let Query(params) = Query::<RangeParams>::from_request_parts(parts, state).await?;
        let range = range(&params)?;
        Ok(Self { app, range, params })
    }
}

/// Documents what [`AppRange`] reads: the `{app}` path parameter, then
/// [`RangeParams`].
impl IntoParams for AppRange {
    fn into_params(parameter_in_provider: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let app = ParameterBuilder::new()
            .name("app")
            .parameter_in(ParameterIn::Path)
            .required(Required::True)
            .description(Some("App name"))
            .schema(Some(String::schema()))
            .build();
        let mut params = vec![app];
        params.extend(RangeParams::into_params(parameter_in_provider));
        params
    }
}

/// The request's range, widened to whole minutes.
pub fn range(params: &RangeParams) -> Result<Range, ApiError> {
    let to = params.to.unwrap_or_else(now_secs);
    let from = params.from.unwrap_or(to.saturating_sub(DEFAULT_SPAN));
    if from >= to {
        return Err(ApiError::BadRequest("from: must be before to".into()));
    }
    if to - from > MAX_SPAN {
        return Err(ApiError::BadRequest(
            "from, to: the range may span at most 400 days".into(),
        ));
    }
    Ok(Range {
        from: from / 60 * 60,
        to: to.div_ceil(60) * 60,
    })
}

/// The chart bucket for `range`: the one asked for (whole minutes), else the
/// smallest giving at most [`TARGET_POINTS`] points.
pub fn bucket(params: &RangeParams, range: Range) -> Result<u32, ApiError> {
    if let Some(bucket) = params.bucket {
        if bucket < 60 || bucket % 60 != 0 {
            return Err(ApiError::BadRequest(
                "bucket: must be a positive multiple of 60 seconds".into(),
            ));
        }
        return Ok(bucket);
    }
    let span = range.to - range.from;
    Ok(BUCKETS
        .into_iter()
        .find(|b| span / b <= TARGET_POINTS)
        .unwrap_or(BUCKETS[BUCKETS.len() - 1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_widen_to_whole_minutes_and_buckets_fit_the_span() {
        let params = RangeParams {
            from: Some(90),
            to: Some(3601),
            bucket: None,
        };
        let r = range(&params).unwrap();
        assert_eq!(r, Range { from: 60, to: 3660 });
        assert_eq!(bucket(&params, r).unwrap(), 60);
        let day = RangeParams {
            from: Some(0),
            to: Some(86400),
            bucket: None,
        };
        assert_eq!(bucket(&day, range(&day).unwrap()).unwrap(), 900);
        assert!(range(&RangeParams {
            from: Some(10),
            to: Some(10),
            bucket: None
        })
        .is_err());
        assert!(bucket(
            &RangeParams {
                bucket: Some(90),
                ..RangeParams::default()
            },
            r
        )
        .is_err());
    }
}
