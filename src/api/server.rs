//! The HTTP server under the API's routes: hyper's HTTP/1.1 with the limits `axum::serve`
//! does not set, so that a hostile or broken client costs the node a bounded amount and never
//! the service of others.
//!
//! - A request's head must arrive whole within [`HEADER_WAIT`] (slowloris); the same deadline
//!   closes a kept-alive connection that sends nothing more, and one that never sends a byte.
//! - At most [`MAX_HEADERS`] headers and [`MAX_HEAD_BYTES`] of head: beyond, 431.
//! - A request's body must arrive whole within [`BODY_WAIT`] (a body sent a byte at a time).
//! - At most [`MAX_CONNECTIONS`] connections at once: past it, new ones wait in the kernel's
//!   backlog until one closes. Idle ones close within [`HEADER_WAIT`], so a flood of idle
//!   connections turns over and a real client gets its turn.
//!
//! HTTP/2 is not served: OpenAI's and Ollama's clients speak HTTP/1.1 to a local server, and
//! h2's connection preface has no deadline of its own to hold it to.

use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How long a client has to send a request's head, and how long an idle kept-alive
/// connection stays open.
pub(crate) const HEADER_WAIT: Duration = Duration::from_secs(10);
/// How long a client has to send a request's body, from its head.
pub(crate) const BODY_WAIT: Duration = Duration::from_secs(30);
/// Headers a request may carry (hyper's default is 100).
const MAX_HEADERS: usize = 64;
/// Bytes of a request's head, headers included (hyper's default is about 400 KiB).
const MAX_HEAD_BYTES: usize = 64 << 10;
/// Connections served at once (each costs a task and a few KiB while idle), where the open
/// files limit allows ([`connection_cap`]).
pub(crate) const MAX_CONNECTIONS: usize = 16_384;
/// Open files kept for the rest of the node (model files, the ledger, peers' sockets).
const FILES_FOR_THE_NODE: u64 = 1024;
/// How long running requests have to finish once the node stops.
const DRAIN_WAIT: Duration = Duration::from_secs(30);

/// Serves `app` on `listener` until `shutdown` is cancelled, then lets running requests end.
pub(crate) async fn serve(
    app: axum::Router,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(connection_cap()));
    let conns = TaskTracker::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_WAIT)
        .max_headers(MAX_HEADERS)
        .max_buf_size(MAX_HEAD_BYTES);
    loop {
        let permit = tokio::select! {
            () = shutdown.cancelled() => break,
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            () = shutdown.cancelled() => break,
            r = listener.accept() => match r {
                Ok((s, _)) => s,
                Err(e) if is_peer_gone(&e) => continue,
                Err(e) => {
                    // Out of file descriptors or memory: keep serving the open connections,
                    // and try again shortly rather than spin.
                    tracing::warn!("the HTTP API could not accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let conn =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
        let shutdown = shutdown.clone();
        conns.spawn(async move {
            let _permit = permit;
            let mut conn = std::pin::pin!(conn);
            let ended = tokio::select! {
                r = conn.as_mut() => r,
                () = shutdown.cancelled() => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = ended {
                tracing::debug!("an HTTP connection ended: {e}");
            }
        });
    }
    // No new connections; the running ones finish their requests.
    drop(listener);
    conns.close();
    if tokio::time::timeout(DRAIN_WAIT, conns.wait())
        .await
        .is_err()
    {
        tracing::warn!("HTTP requests still running after {DRAIN_WAIT:?}; stopping anyway");
    }
    Ok(())
}

/// [`MAX_CONNECTIONS`], or fewer where the open files limit would run out first: API clients
/// must never take the descriptors the node needs for its files and its peers.
fn connection_cap() -> usize {
    let soft = rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(u64::MAX, |(soft, _)| soft);
    let cap = soft.saturating_sub(FILES_FOR_THE_NODE).max(64);
    usize::try_from(cap)
        .unwrap_or(MAX_CONNECTIONS)
        .min(MAX_CONNECTIONS)
}

/// An accept error about one connection only (its client gave up), not the listener.
fn is_peer_gone(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | ConnectionRefused
    )
}

/// Raises this process's soft limit on open files to its hard limit (Debian's soft default is
/// 1,024), so that [`MAX_CONNECTIONS`] clients, the peers' connections and the model files fit.
pub fn raise_open_files_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) if n < MAX_CONNECTIONS as u64 => tracing::info!(
            "at most {n} open files (the hard limit): fewer than {MAX_CONNECTIONS} API clients \
             can connect at once"
        ),
        Ok(_) => {}
        Err(e) => tracing::debug!("could not raise the open files limit: {e}"),
    }
}
