//! The local HTTP API: OpenAI-compatible routes plus `/health`, `/api/status`,
//! `/api/contribution`, `/metrics` and `/tokenize`.
//!
//! Owns request parsing, validation and the response shapes (JSON and server-sent events). Holds
//! only a [`Router`] handle and speaks the job's vocabulary ([`crate::job`]), never the peer
//! protocol's. The parts:
//! - `openai`: request bodies, parsed with errors that name the field, validated into a job.
//! - `infer`: the completion routes, streamed or not. Each job's tokens come back on the job's
//!   own bounded channel; a client that disconnects drops that channel's receiver, which cancels
//!   the job where it runs.
//! - `node`: the node's own routes (status, contribution, invite, ledger, jobs, metrics,
//!   models, tokenize).
//! - `answer`: a job's events read into answers (text, tool calls, logprobs) and OpenAI's
//!   chunk and message shapes.
//! - `embed`: `/v1/embeddings`.
//! - `ollama`: Ollama's API (`/api/chat`, `/api/generate`, `/api/embed`, `/api/tags`, ...).
//! - `error`: errors in OpenAI's shape.
//! - `server`: the HTTP server under the routes, with its deadlines and limits.

mod answer;
mod embed;
mod error;
mod infer;
mod node;
mod ollama;
mod openai;
mod pull;
mod server;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use error::ApiError;
pub use server::raise_open_files_limit;

use crate::engine::Engine;
use crate::ids::ModelRef;
use crate::job::Refusal;
use crate::route::Router;

/// Serves the API on `listener` until `shutdown` is cancelled, then lets running requests end.
pub async fn serve(
    router: Router,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let result = server::serve(routes(router), listener, shutdown).await;
    if let Err(e) = &result {
        tracing::error!("the HTTP API stopped: {e}");
    }
    result
}

/// The routes, over a [`Router`] handle.
pub fn routes(router: Router) -> axum::Router {
    let limit = router.node().settings().api.max_body_bytes;
    axum::Router::new()
        .route("/health", get(health))
        .route("/v1/models", get(node::models))
        .route("/v1/chat/completions", post(infer::chat))
        .route("/v1/completions", post(infer::completions))
        .route("/v1/embeddings", post(embed::embeddings))
        // Ollama's API (none of its names is one of llp's own /api routes).
        .route("/api/version", get(ollama::version))
        .route("/api/tags", get(ollama::tags))
        .route("/api/show", post(ollama::show))
        .route("/api/chat", post(ollama::chat))
        .route("/api/generate", post(ollama::generate))
        .route("/api/embed", post(ollama::embed))
        .route("/api/pull", post(pull::pull))
        .route("/api/push", post(ollama::unsupported))
        .route("/api/create", post(ollama::unsupported))
        .route("/api/copy", post(ollama::unsupported))
        .route("/api/delete", axum::routing::delete(ollama::unsupported))
        .route("/api/status", get(node::status))
        .route("/api/contribution", post(node::contribution))
        .route("/api/account", get(node::account))
        .route("/api/account/pull", post(node::account_pull))
        .route("/api/account/revoke", post(node::account_revoke))
        .route("/api/invite", get(node::invite))
        .route("/api/ledger", get(node::ledger_export))
        .route("/api/ledger/entries", get(node::ledger_entries))
        .route("/api/jobs", get(node::jobs))
        .route("/api/jobs/{id}", get(node::job))
        .route("/api/proofs", get(node::proofs))
        .route("/metrics", get(node::metrics))
        .route("/tokenize", post(node::tokenize))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .layer(tower_http::timeout::RequestBodyDeadlineLayer::new(
            server::BODY_WAIT,
        ))
        .layer(middleware::from_fn(json_posts))
        .layer(middleware::from_fn_with_state(router.clone(), auth))
        .layer(middleware::from_fn_with_state(router.clone(), same_machine))
        .layer(middleware::from_fn_with_state(
            router.clone(),
            name_the_node,
        ))
        .with_state(router)
}

/// A refusal before any route ran ends its connection (`Connection: close`): a client that
/// may not use the API must not keep one of its connections by asking again and again.
trait Closing {
    fn closing(self) -> Self;
}

impl Closing for Response {
    fn closing(mut self) -> Response {
        self.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        self
    }
}

/// Every response, errors included, names the node that answered it.
async fn name_the_node(State(r): State<Router>, req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    // A routed job already names the peer that served it.
    if !resp.headers().contains_key("x-llp-node")
        && let Ok(v) = HeaderValue::from_str(&r.node().id().to_string())
    {
        resp.headers_mut().insert("x-llp-node", v);
    }
    resp
}

/// A web page the user visits can send requests to this API on loopback (a form, or a fetch
/// with `mode: "no-cors"`, needs no permission) and spend the node's credits, or rebind a name
/// of its own to 127.0.0.1 to read the answers. Browsers name the page in `Origin`, and a
/// rebound name shows in `Host`: without a token, both must be this machine's.
async fn same_machine(State(r): State<Router>, req: Request, next: Next) -> Response {
    if r.node().settings().api.token.is_none() {
        for name in [header::ORIGIN, header::HOST] {
            let Some(v) = req.headers().get(&name) else {
                continue;
            };
            let value = v.to_str().unwrap_or("?");
            if !loopback_authority(value) {
                return ApiError::new(
                    StatusCode::FORBIDDEN,
                    format!(
                        "Refused: this request comes from a web page or a name other than this \
                         machine's ({name}: {value}); a page in your browser must not use your \
                         node or spend its credits. Set an API token to serve other origins"
                    ),
                )
                .code("forbidden_origin")
                .into_response()
                .closing();
            }
        }
    }
    next.run(req).await
}

/// A POST must say its body is JSON. A web page's form, or a `fetch` that asks no permission,
/// can only send `text/plain`, `application/x-www-form-urlencoded` or `multipart/form-data`
/// to another origin; a JSON type takes a CORS preflight this API never grants. So even a
/// browser that sent no `Origin` cannot post to the node (CSRF), token or not.
async fn json_posts(req: Request, next: Next) -> Response {
    if req.method() == axum::http::Method::POST {
        let given = req
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap_or("?"));
        if !given.is_some_and(is_json_type) {
            return ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "POST {} takes a JSON body with `Content-Type: application/json` (this \
                     request's is {}); with curl, add -H 'Content-Type: application/json'",
                    req.uri().path(),
                    given.map_or("missing".to_string(), |g| format!("`{g}`"))
                ),
            )
            .code("unsupported_content_type")
            .into_response()
            .closing();
        }
    }
    next.run(req).await
}

/// `application/json` or a `+json` type, with any parameters (`; charset=utf-8`).
fn is_json_type(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or("").trim();
    let Some((kind, sub)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (sub.eq_ignore_ascii_case("json")
            || sub.len() > 5 && sub[sub.len() - 5..].eq_ignore_ascii_case("+json"))
}

/// Whether an `Origin` (`scheme://host[:port]`) or `Host` (`host[:port]`) names this machine.
fn loopback_authority(value: &str) -> bool {
    let rest = value.split_once("://").map_or(value, |(_, r)| r);
    let host = if let Some(v6) = rest.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        rest.split(':').next().unwrap_or("")
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// When the API is bound beyond loopback a bearer token is required (config refuses to start
/// without one). `/health` stays open for load balancers.
async fn auth(State(r): State<Router>, req: Request, next: Next) -> Response {
    if let Some(token) = &r.node().settings().api.token
        && req.uri().path() != "/health"
    {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if !token_matches(given, token) {
            return ApiError::new(
                StatusCode::UNAUTHORIZED,
                "Missing or wrong bearer token (Authorization: Bearer ...)",
            )
            .code("invalid_api_key")
            .into_response()
            .closing();
        }
    }
    next.run(req).await
}

/// Whether a request's bearer token is the API's, in a time that tells an attacker nothing
/// ([`crate::ids::secrets_match`]).
fn token_matches(given: Option<&str>, token: &str) -> bool {
    given.is_some_and(|g| crate::ids::secrets_match(g, token))
}

async fn not_found(req: Request) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("No route {} {}", req.method(), req.uri().path()),
    )
}

async fn method_not_allowed(req: Request) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{} is not allowed on {}", req.method(), req.uri().path()),
    )
}

async fn health(State(r): State<Router>) -> Response {
    let dead: Vec<String> = r
        .node()
        .engines()
        .iter()
        .filter(|e| !e.is_alive())
        .map(|e| e.info().name.clone())
        .collect();
    if dead.is_empty() {
        Json(json!({"status": "ok"})).into_response()
    } else {
        let msg = format!("the engine of {} has stopped", dead.join(", "));
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "error", "error": msg})),
        )
            .into_response()
    }
}

fn read_body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|rej| {
        if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The request body is larger than this server accepts",
            )
            .code("request_too_large")
        } else {
            ApiError::bad_request(format!("Could not read the request body: {rej}"))
        }
    })
}

/// The policy a request's jobs run under: this node's, narrowed by the request's
/// `x-llp-policy` header and then by its `llp_policy` field (`field`); the stricter rule wins.
pub(super) fn request_policy(
    r: &Router,
    headers: &axum::http::HeaderMap,
    field: &crate::route::policy::Rules,
) -> Result<crate::route::policy::Policy, ApiError> {
    use crate::route::policy::{Origin, Rules};
    let mut policy = r.node().settings().policy.clone();
    // Every such header (a proxy may add its own): each narrows.
    for h in headers.get_all("x-llp-policy") {
        let text = h.to_str().map_err(|_| {
            ApiError::bad_request("x-llp-policy: not ASCII text").param("x-llp-policy")
        })?;
        let rules = Rules::parse_header(text)
            .map_err(|m| ApiError::bad_request(m).param("x-llp-policy"))?;
        policy = policy.narrowed(&rules, Origin::Request)?;
    }
    Ok(policy.narrowed(field, Origin::Request)?)
}

/// This node's engine for `model` (its first without one), or 404.
fn pick_engine(r: &Router, model: Option<&str>) -> Result<Engine, ApiError> {
    let node = r.node();
    let m = model.map(ModelRef::parse);
    node.engine_for(m.as_ref()).ok_or_else(|| {
        let have: Vec<String> = node
            .engines()
            .iter()
            .map(|e| e.info().name.clone())
            .collect();
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!(
                "The model `{}` does not exist on this node; it serves: {}",
                model.unwrap_or(""),
                have.join(", ")
            ),
        )
        .param("model")
        .code("model_not_found")
    })
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        let mut e = ApiError::new(
            StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            r.message,
        );
        if let Some(c) = r.code {
            e = e.code(c.as_str());
        }
        if let Some(p) = r.param {
            e = e.param(p);
        }
        if let Some(s) = r.retry_after {
            e = e.retry_after(s);
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::{is_json_type, loopback_authority, token_matches};

    #[test]
    fn only_this_machine_is_loopback() {
        for ok in [
            "127.0.0.1:8686",
            "localhost",
            "http://localhost:3000",
            "http://127.0.0.1:8686",
            "[::1]:8686",
            "http://[::1]",
        ] {
            assert!(loopback_authority(ok), "{ok}");
        }
        for bad in [
            "https://evil.example",
            "null",
            "evil.example:8686",
            "http://127.0.0.1.evil.example",
            "http://localhost.evil.example:80",
            "10.0.0.5:8686",
        ] {
            assert!(!loopback_authority(bad), "{bad}");
        }
    }

    #[test]
    fn only_json_types_pass_for_posts() {
        for ok in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/vnd.api+json",
        ] {
            assert!(is_json_type(ok), "{ok}");
        }
        // The three a page may send to another origin without a preflight, and near misses.
        for bad in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "text/json",
            "application/jsonx",
            "application/+json",
            "",
        ] {
            assert!(!is_json_type(bad), "{bad}");
        }
    }

    #[test]
    fn a_token_matches_only_itself() {
        assert!(token_matches(Some("s3cret"), "s3cret"));
        for bad in [
            None,
            Some(""),
            Some("s3cre"),
            Some("s3cret "),
            Some("S3CRET"),
        ] {
            assert!(!token_matches(bad, "s3cret"), "{bad:?}");
        }
    }
}
