//! `POST /v1/embeddings`: one vector per input text, from an embedding model here or on a peer
//! (routed and paid like any job, by its tokens), in OpenAI's shape.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, openai, read_body};
use crate::ids::ModelRef;
use crate::job::{Constraints, Event, Finish, Prompt, Sampling, Spec};
use crate::route::Router;

#[derive(Debug, Deserialize)]
pub(super) struct EmbedRequest {
    pub model: Option<String>,
    pub input: Value,
    pub encoding_format: Option<String>,
    pub dimensions: Option<u32>,
}

/// The texts of `input`: a string or an array of strings (token arrays are refused: token ids
/// belong to one model's vocabulary).
pub(super) fn inputs(input: &Value, param: &str) -> Result<Vec<String>, ApiError> {
    let bad = |m: &str| Err(ApiError::bad_request(m.to_string()).param(param));
    match input {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(a) if a.is_empty() => bad("input is empty: send a text or texts"),
        Value::Array(a) => a
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                _ => Err(ApiError::bad_request(
                    "input must be a string or an array of strings (token arrays are not \
                     taken: send the text)",
                )
                .param(param)),
            })
            .collect(),
        _ => bad("input must be a string or an array of strings"),
    }
}

/// Runs an embedding job: the vectors, in input order, and the job's end (its token counts).
pub(super) async fn run_embed(
    r: &Router,
    model: Option<String>,
    texts: Vec<String>,
    policy: crate::route::policy::Policy,
) -> Result<(Vec<Vec<f32>>, Finish, crate::node::Routed), ApiError> {
    let n = texts.len();
    let spec = Spec {
        model: model.as_deref().map(ModelRef::parse),
        prompt: Prompt::Embed(texts),
        max_tokens: Some(0),
        sampling: Sampling {
            top_p: 1.0,
            ..Sampling::default()
        },
        stop: Vec::new(),
        ignore_eos: false,
        constraints: Constraints::default(),
        logprobs: None,
        policy,
    };
    let log = crate::node::jobs::prompt_log(&spec.prompt);
    let mut routed = r.route(spec).await?;
    routed.guard.set_prompt_text(log);
    let mut vectors = Vec::with_capacity(n);
    loop {
        match routed.events.recv().await {
            Some(Event::Embeddings(v)) => vectors.extend(v),
            Some(Event::Done(f)) if vectors.len() == n => {
                routed.guard.finish(&f);
                return Ok((vectors, f, routed));
            }
            Some(Event::Done(_)) => {
                let m = format!(
                    "the model answered {} vectors for {n} inputs",
                    vectors.len()
                );
                routed.guard.fail(&m);
                return Err(ApiError::new(
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    m,
                ));
            }
            Some(Event::Failed(m)) => {
                routed.guard.fail(&m);
                return Err(ApiError::new(
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    m,
                ));
            }
            Some(Event::Token { .. }) => {}
            None => {
                let m = "the node serving this job stopped before its vectors";
                routed.guard.fail(m);
                return Err(ApiError::new(
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    m,
                ));
            }
        }
    }
}

pub(super) async fn embeddings(
    State(r): State<Router>,
    headers: axum::http::HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    r.node().count_request();
    let result = async {
        let policy = super::request_policy(&r, &headers, &Default::default())?;
        let req: EmbedRequest = openai::parse(&read_body(body)?)?;
        let base64 = match req.encoding_format.as_deref() {
            None | Some("float") => false,
            Some("base64") => true,
            Some(other) => {
                return Err(ApiError::bad_request(format!(
                    "encoding_format `{other}` is not float or base64"
                ))
                .param("encoding_format"));
            }
        };
        let texts = inputs(&req.input, "input")?;
        let (vectors, f, routed) = run_embed(&r, req.model, texts, policy).await?;
        let dims = vectors.first().map_or(0, Vec::len);
        if let Some(d) = req.dimensions
            && d as usize != dims
        {
            // Refused after the run only because the size is known then; it is rare.
            return Err(ApiError::bad_request(format!(
                "{} makes {dims}-dimension vectors and was not trained to be cut shorter \
                 (dimensions is meaningful only for Matryoshka-trained models); leave \
                 dimensions out or set it to {dims}",
                routed.model
            ))
            .param("dimensions"));
        }
        let data: Vec<Value> = vectors
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let embedding = if base64 {
                    json!(crate::net::wire::encode_vector(v))
                } else {
                    json!(v)
                };
                json!({"object": "embedding", "index": i, "embedding": embedding})
            })
            .collect();
        let mut headers = HeaderMap::new();
        headers.insert("x-llp-credits", HeaderValue::from(f.credits));
        if let Ok(v) = HeaderValue::from_str(&routed.served_by.to_string()) {
            headers.insert("x-llp-node", v);
        }
        let body = json!({
            "object": "list",
            "data": data,
            "model": routed.model,
            "usage": {
                "prompt_tokens": f.prompt_tokens,
                "total_tokens": f.prompt_tokens,
                "llp_credits": f.credits,
            },
            "llp_served_by": routed.served_by,
        });
        Ok((headers, Json(body)).into_response())
    }
    .await;
    result.unwrap_or_else(|e: ApiError| {
        r.node().count_failure();
        e.into_response()
    })
}
