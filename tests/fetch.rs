//! `llp models fetch` against a local HTTP server standing in for Hugging Face: progress, resume
//! after a broken download, checksum failure, trust on first use.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::common::*;

/// A file server that honours `Range: bytes=N-`, records each request's range, and can cut the
/// first response short to simulate a broken connection.
#[derive(Clone)]
struct Hub {
    data: Arc<Vec<u8>>,
    ranges: Arc<Mutex<Vec<Option<String>>>>,
    cut_first_at: Option<usize>,
    served: Arc<AtomicUsize>,
}

async fn serve_file(State(hub): State<Hub>, headers: HeaderMap) -> Response {
    let range = headers
        .get(header::RANGE)
        .map(|v| v.to_str().unwrap().to_string());
    hub.ranges.lock().unwrap().push(range.clone());
    let n = hub.served.fetch_add(1, Ordering::SeqCst);
    let start = range
        .as_deref()
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.strip_suffix('-'))
        .map(|s| s.parse::<usize>().unwrap())
        .unwrap_or(0);
    let body = hub.data[start..].to_vec();
    let total = hub.data.len();
    if n == 0
        && let Some(cut) = hub.cut_first_at
    {
        // Promise the whole file, send part of it, then drop the connection.
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
        let part = body[..cut].to_vec();
        tokio::spawn(async move {
            let _ = tx.send(Ok(part)).await;
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            let _ = tx.send(Err(std::io::Error::other("cut"))).await;
        });
        let stream = tokio_stream_from(rx);
        return Response::builder()
            .header(header::CONTENT_LENGTH, body.len())
            .body(axum::body::Body::from_stream(stream))
            .unwrap();
    }
    if start > 0 {
        (
            StatusCode::PARTIAL_CONTENT,
            [(
                header::CONTENT_RANGE,
                format!("bytes {start}-{}/{total}", total - 1),
            )],
            body,
        )
            .into_response()
    } else {
        body.into_response()
    }
}

fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    async_stream::stream! {
        while let Some(item) = rx.recv().await {
            yield item;
        }
    }
}

async fn start_hub(data: Vec<u8>, cut_first_at: Option<usize>) -> (String, Hub) {
    let hub = Hub {
        data: Arc::new(data),
        ranges: Arc::default(),
        cut_first_at,
        served: Arc::default(),
    };
    let app = axum::Router::new()
        .route(
            "/test/repo/resolve/main/{file}",
            axum::routing::get(serve_file),
        )
        .with_state(hub.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), hub)
}

fn catalog(dir: &std::path::Path, size: usize, sha: &str) -> std::path::PathBuf {
    let text = format!(
        r#"default = "tiny:q8_0"
[[model]]
name = "tiny"
family = "Test"
architecture = "llama"
parameters = 1000
context_length = 512
license = "mit"
hf_repo = "test/repo"
[[model.variant]]
quant = "q8_0"
file = "tiny-Q8_0.gguf"
size = {size}
sha256 = "{sha}"
"#
    );
    let p = dir.join("catalog.toml");
    std::fs::write(&p, text).unwrap();
    p
}

fn payload() -> Vec<u8> {
    (0..3_000_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect()
}

async fn fetch(
    hub: &str,
    catalog: &std::path::Path,
    models: &std::path::Path,
) -> (i32, String, String) {
    let out = tokio::process::Command::from({
        let mut c = llp();
        c.args(["models", "fetch", "tiny:q8_0"])
            .arg("--catalog")
            .arg(catalog)
            .arg("--models-dir")
            .arg(models)
            .env("LLP_HF_ENDPOINT", hub);
        c
    })
    .output()
    .await
    .unwrap();
    (out.status.code().unwrap_or(-1), stdout(&out), stderr(&out))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_download_resumes_and_is_verified() {
    let data = payload();
    let sha = hex::encode(Sha256::digest(&data));
    let (url, hub) = start_hub(data.clone(), Some(1_000_000)).await;
    let dir = tempfile::tempdir().unwrap();
    let cat = catalog(dir.path(), data.len(), &sha);
    let models = dir.path().join("models");

    let (code, _, err) = fetch(&url, &cat, &models).await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("resume"), "{err}");
    assert!(
        !models.join("tiny-Q8_0.gguf").exists(),
        "a half file got the final name"
    );
    let part = std::fs::metadata(models.join("tiny-Q8_0.gguf.part"))
        .unwrap()
        .len();
    assert!(part > 0 && part <= 1_000_000, "{part} bytes kept");

    let (code, out, err) = fetch(&url, &cat, &models).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("resumed from byte {part}")), "{out}");
    assert!(out.contains("matches the published checksum"), "{out}");
    assert_eq!(
        hub.ranges.lock().unwrap().as_slice(),
        &[None, Some(format!("bytes={part}-"))]
    );
    assert_eq!(std::fs::read(models.join("tiny-Q8_0.gguf")).unwrap(), data);
    assert!(!models.join("tiny-Q8_0.gguf.part").exists());

    // Fetching again finds it present and verified, without a download.
    let (code, out, _) = fetch(&url, &cat, &models).await;
    assert_eq!(code, 0);
    assert!(out.contains("already present"), "{out}");
    assert_eq!(hub.served.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_checksum_mismatch_keeps_nothing() {
    let data = payload();
    let (url, _) = start_hub(data.clone(), None).await;
    let dir = tempfile::tempdir().unwrap();
    let wrong = "0".repeat(64);
    let cat = catalog(dir.path(), data.len(), &wrong);
    let models = dir.path().join("models");
    let (code, _, err) = fetch(&url, &cat, &models).await;
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("failed its checksum") && err.contains(&wrong),
        "{err}"
    );
    assert!(!models.join("tiny-Q8_0.gguf").exists());
    assert!(!models.join("tiny-Q8_0.gguf.part").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_checksums_are_trusted_on_first_use_then_enforced() {
    let data = payload();
    let sha = hex::encode(Sha256::digest(&data));
    let (url, _) = start_hub(data.clone(), None).await;
    let dir = tempfile::tempdir().unwrap();
    let cat = catalog(dir.path(), data.len(), "unknown");
    let models = dir.path().join("models");
    let (code, out, err) = fetch(&url, &cat, &models).await;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("trust on first use") && out.contains(&sha),
        "{out}"
    );
    let recorded = std::fs::read_to_string(models.join("checksums.toml")).unwrap();
    assert!(recorded.contains(&sha), "{recorded}");

    // The file changes behind our back: the recorded hash catches it.
    let mut bytes = data.clone();
    bytes[10] ^= 1;
    std::fs::write(models.join("tiny-Q8_0.gguf"), &bytes).unwrap();
    let (code, _, err) = fetch(&url, &cat, &models).await;
    assert_eq!(code, 1);
    assert!(err.contains("corrupt"), "{err}");
}
