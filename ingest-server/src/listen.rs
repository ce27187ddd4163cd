//! The HTTP listener: hyper's HTTP/1 connections with the limits
//! `axum::serve` cannot set, so that slow or idle clients cannot hold the
//! server's connections: a deadline for a request's head and one for its
//! body, an idle timeout, and a cap on connections served at once.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::Router;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tokio::time::Sleep;
use tower_service::Service;

use crate::config::HttpConfig;

/// Serves `router` on `listener` until `stop` turns true, then waits for the
/// open connections to finish their requests.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    config: HttpConfig,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(config.max_connections));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout);
    loop {
        // At the cap, connections wait in the kernel's backlog.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            _ = stop_requested(&mut stop) => break,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop_requested(&mut stop) => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of descriptors and the like: the next accept may work.
                tracing::warn!(%error, "cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let activity = Activity::new();
        let (router, body_timeout, requests) =
            (router.clone(), config.body_timeout, activity.clone());
        // Each request knows its peer, counts as activity while answered,
        // and has `body_timeout` from its head for its body to arrive.
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let mut request = request.map(|body| {
                Body::new(Deadline {
                    body,
                    sleep: Box::pin(tokio::time::sleep(body_timeout)),
                })
            });
            request.extensions_mut().insert(ConnectInfo(peer));
            let busy = requests.request_started();
            let mut router = router.clone();
            async move {
                let response = router.call(request).await;
                drop(busy);
                response
            }
        });
        let io = TokioIo::new(Watched {
            stream,
            activity: activity.clone(),
        });
        let connection = graceful.watch(http.serve_connection(io, service));
        let idle_timeout = config.idle_timeout;
        tokio::spawn(async move {
            tokio::select! {
                result = connection => {
                    if let Err(error) = result {
                        tracing::debug!(%error, %peer, "connection ended");
                    }
                }
                _ = activity.idle_for(idle_timeout) => {
                    tracing::debug!(%peer, "idle connection closed");
                }
            }
            drop(slot);
        });
    }
    graceful.shutdown().await;
    Ok(())
}

async fn stop_requested(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopping| *stopping).await;
}

/// The request body did not arrive within `http.body_timeout`.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive in time")]
struct BodyTimedOut;

/// A request body that fails once its deadline passes, however the client
/// spreads its bytes.
struct Deadline {
    body: Incoming,
    sleep: Pin<Box<Sleep>>,
}

impl http_body::Body for Deadline {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::BoxError>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.body).poll_frame(cx) {
            return Poll::Ready(frame.map(|frame| frame.map_err(Into::into)));
        }
        match self.sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(BodyTimedOut.into()))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// When a connection last moved a byte, and how many of its requests are
/// being answered (a slow answer is no idle client).
#[derive(Clone)]
struct Activity(Arc<ActivityState>);

struct ActivityState {
    opened: Instant,
    /// Milliseconds since `opened`.
    last_ms: AtomicU64,
    requests: AtomicUsize,
}

/// A request in progress, until dropped.
struct Busy(Activity);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.touch();
        self.0 .0.requests.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Activity {
    fn new() -> Self {
        Self(Arc::new(ActivityState {
            opened: Instant::now(),
            last_ms: AtomicU64::new(0),
            requests: AtomicUsize::new(0),
        }))
    }

    fn touch(&self) {
        let now = self.0.opened.elapsed().as_millis() as u64;
        self.0.last_ms.fetch_max(now, Ordering::AcqRel);
    }

    fn request_started(&self) -> Busy {
        self.0.requests.fetch_add(1, Ordering::AcqRel);
        Busy(self.clone())
    }

    /// Resolves once no byte has moved and no request been in progress for `timeout`.
    async fn idle_for(&self, timeout: Duration) {
        loop {
            let last = Duration::from_millis(self.0.last_ms.load(Ordering::Acquire));
            let idle = self.0.opened.elapsed().saturating_sub(last);
            if idle >= timeout && self.0.requests.load(Ordering::Acquire) == 0 {
                return;
            }
            tokio::time::sleep(timeout.saturating_sub(idle).max(Duration::from_millis(100))).await;
        }
    }
}

/// The socket, noting when bytes move.
struct Watched {
    stream: TcpStream,
    activity: Activity,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
