//! The node's own routes: status, contribution, invite, the ledger and the job log, metrics,
//! the models served, and llama-server's `/tokenize`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{ApiError, openai, pick_engine, read_body};
use crate::ids::unix_now;
use crate::route::Router;

pub(super) async fn models(State(r): State<Router>) -> Json<Value> {
    let created = unix_now();
    // name -> (quantizations, context length, serving nodes), in first-seen order.
    let mut seen: Vec<(String, Vec<String>, u32, Vec<String>)> = Vec::new();
    let mut add = |name: &str, quant: &str, ctx: u32, by: String| {
        let i = match seen.iter().position(|m| m.0 == name) {
            Some(i) => i,
            None => {
                seen.push((name.to_string(), Vec::new(), ctx, Vec::new()));
                seen.len() - 1
            }
        };
        let m = &mut seen[i];
        if !m.1.iter().any(|q| q == quant) {
            m.1.push(quant.to_string());
        }
        if !m.3.contains(&by) {
            m.3.push(by);
        }
    };
    for e in r.node().engines().iter() {
        let i = e.info();
        add(&i.name, &i.quant, i.ctx_per_slot, r.node().id().to_string());
    }
    if let Some(net) = r.net() {
        net.with_table(|t| {
            for p in t.peers().filter(|p| p.routable()) {
                for m in p.announcement.iter().flat_map(|a| a.models.iter()) {
                    add(&m.name, &m.quant, m.ctx, p.id.to_string());
                }
            }
        });
    }
    let data: Vec<Value> = seen
        .into_iter()
        .map(|(name, quants, ctx, by)| {
            json!({
                "id": name,
                "object": "model",
                "created": created,
                "owned_by": "llp",
                "quantizations": quants,
                "context_length": ctx,
                "served_by": by,
            })
        })
        .collect();
    Json(json!({"object": "list", "data": data}))
}

pub(super) async fn status(State(r): State<Router>) -> Response {
    let snap = tokio::task::spawn_blocking(move || crate::status::snapshot(&r)).await;
    match snap {
        Ok(s) => Json(s).into_response(),
        Err(e) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// The invite ticket of this node's network, without the network secret. Any local process
/// can call this API (and, with a token, any holder of it), so the secret is never handed out
/// here: `llp invite` reads the ticket that carries it from `node.json`, which only the node's
/// owner can read.
pub(super) async fn invite(
    State(r): State<Router>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    let Some(net) = r.net() else {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            "This node runs without the peer network (an embedded node); start `llp serve`",
        )
        .into_response();
    };
    let private = !net.settings().secret.is_empty();
    if private && q.get("secret").is_some_and(|s| s != "false") {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "The API never hands out the network secret: run `llp invite` on the node's machine, \
             as the user who runs the node (it reads the ticket from node.json, which only that \
             user can read), or ask without `secret` for a ticket the joiner completes with \
             --network-secret",
        )
        .code("secret_not_served")
        .into_response();
    }
    Json(json!({
        "ticket": net.ticket(false),
        "network": net.settings().network,
        "private": private,
    }))
    .into_response()
}

/// The ledger as an export (JSON lines ending in the signed head), for `llp ledger` and
/// auditors.
pub(super) async fn ledger_export(State(r): State<Router>) -> Response {
    let Some(ledger) = r.node().ledger().cloned() else {
        return ApiError::new(StatusCode::NOT_FOUND, "This node keeps no ledger").into_response();
    };
    match tokio::task::spawn_blocking(move || ledger.export()).await {
        Ok(Ok(text)) => ([(header::CONTENT_TYPE, "application/x-ndjson")], text).into_response(),
        Ok(Err(e)) => {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response()
        }
        Err(e) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// `?after=SEQ&limit=N`: ledger entries after SEQ (from the first without it), as listings.
pub(super) async fn ledger_entries(State(r): State<Router>, q: QueryResult) -> Response {
    let q = match after_query(q) {
        Ok(q) => q,
        Err(e) => return e.into_response(),
    };
    let Some(ledger) = r.node().ledger().cloned() else {
        return ApiError::new(StatusCode::NOT_FOUND, "This node keeps no ledger").into_response();
    };
    let limit = q.limit.unwrap_or(1000).min(10_000);
    match tokio::task::spawn_blocking(move || ledger.lines_after(q.after, limit)).await {
        Ok(Ok(lines)) => Json(json!({"entries": lines})).into_response(),
        Ok(Err(e)) => {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response()
        }
        Err(e) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

pub(super) type QueryResult = Result<Query<AfterQuery>, axum::extract::rejection::QueryRejection>;

#[derive(serde::Deserialize)]
pub(super) struct AfterQuery {
    after: Option<u64>,
    limit: Option<usize>,
}

/// A bad query string gets OpenAI's error shape, like every other bad request.
fn after_query(q: QueryResult) -> Result<AfterQuery, ApiError> {
    q.map(|Query(q)| q)
        .map_err(|e| ApiError::bad_request(e.body_text()))
}

/// The fraud proofs this node made, whole (any node that runs the variant can re-run them).
pub(super) async fn proofs(State(r): State<Router>) -> Response {
    let proofs = r.net().map(crate::net::Net::proofs).unwrap_or_default();
    Json(json!({ "proofs": proofs })).into_response()
}

/// `?after=SEQ&limit=N`: the job log, ended jobs after log seq SEQ, oldest first.
pub(super) async fn jobs(State(r): State<Router>, q: QueryResult) -> Response {
    let q = match after_query(q) {
        Ok(q) => q,
        Err(e) => return e.into_response(),
    };
    let limit = q.limit.unwrap_or(crate::node::JOB_LOG_LEN);
    let (jobs, last) = r.node().job_log(q.after.unwrap_or(0), limit);
    Json(json!({"jobs": jobs, "last": last})).into_response()
}

/// One job, running or in the log, with its prompt, answer, timings, route and settlements.
pub(super) async fn job(State(r): State<Router>, Path(id): Path<String>) -> Response {
    match r.node().job(&id) {
        Some(j) => Json(j).into_response(),
        None => ApiError::new(
            StatusCode::NOT_FOUND,
            format!(
                "No job `{id}` is running or in the job log (it keeps the last {})",
                crate::node::JOB_LOG_LEN
            ),
        )
        .into_response(),
    }
}

pub(super) async fn contribution(
    State(r): State<Router>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    #[derive(serde::Deserialize)]
    struct Body {
        paused: bool,
    }
    let body = match read_body(body).and_then(|b| openai::parse::<Body>(&b)) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    r.node().set_paused(body.paused);
    let c = r.node().contribution();
    Json(json!({"paused": c.paused, "contribution": c})).into_response()
}

/// This node's account: its members and balance (404 when it is in none).
pub(super) async fn account(State(r): State<Router>) -> Response {
    match r.net().and_then(crate::net::Net::account_status) {
        Some(a) => Json(a).into_response(),
        None => no_account(),
    }
}

/// The network, when this node is a member of an account.
fn member(r: &Router) -> Option<&crate::net::Net> {
    r.net().filter(|n| n.in_account())
}

fn no_account() -> Response {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "this node is not a member of an account (see `llp account`)",
    )
    .into_response()
}

/// Moves credits from the account's other members to this node: `{"credits": N}`.
pub(super) async fn account_pull(
    State(r): State<Router>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        credits: u64,
    }
    let body = match read_body(body).and_then(|b| openai::parse::<Body>(&b)) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let Some(net) = member(&r) else {
        return no_account();
    };
    match net.pull(body.credits).await {
        Ok(got) => Json(json!({
            "pulled": got,
            "balance": r.node().ledger().map(crate::ledger::Ledger::balance),
        }))
        .into_response(),
        Err(e) => ApiError::new(StatusCode::CONFLICT, format!("no credits moved: {e}"))
            .code("account_transfer_refused")
            .into_response(),
    }
}

/// Takes the owner's revocation of a member (`{"revocation": "llprevoke1…"}`), keeps it and
/// announces it to the account's other members.
pub(super) async fn account_revoke(
    State(r): State<Router>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        revocation: String,
    }
    let body = match read_body(body).and_then(|b| openai::parse::<Body>(&b)) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let Some(net) = member(&r) else {
        return no_account();
    };
    let taken = crate::ledger::account::Revocation::parse(&body.revocation)
        .and_then(|rev| net.take_revocation(rev).map(|new| (rev, new)));
    match taken {
        Ok((rev, new)) => Json(json!({"revoked": rev.node, "new": new})).into_response(),
        Err(e) => ApiError::bad_request(e).param("revocation").into_response(),
    }
}

pub(super) async fn metrics(State(r): State<Router>) -> Response {
    let s = match tokio::task::spawn_blocking(move || crate::status::snapshot(&r)).await {
        Ok(s) => s,
        Err(e) => {
            return ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response();
        }
    };
    let text = exposition(&s);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

/// The counters of `/metrics`: name, help, value.
fn counters(t: &crate::node::Totals) -> [(&'static str, &'static str, f64); 10] {
    [
        (
            "llp_failovers_total",
            "Jobs of this node's moved to another node after theirs failed mid-job.",
            t.failovers as f64,
        ),
        (
            "llp_requests_total",
            "Inference requests received.",
            t.requests as f64,
        ),
        (
            "llp_requests_failed_total",
            "Inference requests answered with an error.",
            t.requests_failed as f64,
        ),
        (
            "llp_jobs_cancelled_total",
            "Jobs cancelled because the client went away.",
            t.jobs_cancelled as f64,
        ),
        (
            "llp_prompt_tokens_total",
            "Prompt tokens processed.",
            t.prompt_tokens as f64,
        ),
        (
            "llp_generated_tokens_total",
            "Tokens generated.",
            t.generated_tokens as f64,
        ),
        (
            "llp_prompt_tokens_cached_total",
            "Prompt tokens whose KV entries were reused from a slot's previous job.",
            t.prompt_tokens_cached as f64,
        ),
        (
            "llp_decode_steps_total",
            "llama.cpp decode calls (one batch each).",
            t.decode_steps as f64,
        ),
        (
            "llp_decode_seconds_total",
            "Time in llama.cpp decode calls.",
            t.decode_seconds,
        ),
        (
            "llp_sample_seconds_total",
            "Time sampling tokens after decode calls.",
            t.sample_seconds,
        ),
    ]
}

/// A metric's samples: labels and value.
type Samples = Vec<(String, f64)>;

/// The Prometheus text of a snapshot.
fn exposition(s: &crate::status::Snapshot) -> String {
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, lines: Vec<(String, f64)>| {
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
        for (labels, v) in lines {
            out.push_str(&format!("{name}{labels} {v}\n"));
        }
    };
    for (name, help, value) in counters(&s.totals) {
        metric(name, "counter", help, vec![(String::new(), value)]);
    }
    let per_model = |f: &dyn Fn(&crate::node::ModelStatus) -> f64| {
        s.models
            .iter()
            .map(|m| (format!("{{model=\"{}\"}}", m.info.id()), f(m)))
            .collect()
    };
    let gauges: [(&str, &str, Samples); 3] = [
        (
            "llp_queue_depth",
            "Requests waiting for a slot.",
            per_model(&|m| m.queued as f64),
        ),
        (
            "llp_slots_busy",
            "Slots generating.",
            per_model(&|m| m.busy_slots as f64),
        ),
        ("llp_slots", "Slots.", per_model(&|m| m.info.slots as f64)),
    ];
    for (name, help, lines) in gauges {
        metric(name, "gauge", help, lines);
    }
    if let Some(fb) = &s.fallback {
        let cur = format!(
            "{{currency=\"{}\"}}",
            fb.currency.replace(['"', '\\', '\n'], "_")
        );
        metric(
            "llp_fallback_jobs_total",
            "counter",
            "Jobs the paid fallback served (its failures included).",
            vec![(String::new(), fb.jobs as f64)],
        );
        metric(
            "llp_fallback_failed_total",
            "counter",
            "Jobs the paid fallback failed or broke off.",
            vec![(String::new(), fb.failed as f64)],
        );
        metric(
            "llp_fallback_cost_total",
            "counter",
            "What the paid fallback cost, at its configured prices.",
            vec![(cur, fb.cost)],
        );
    }
    network_metrics(s, &mut metric);
    metric(
        "llp_contribution_paused",
        "gauge",
        "1 while contributing to others is paused.",
        vec![(String::new(), if s.paused { 1.0 } else { 0.0 })],
    );
    out.push_str(&contribution_metrics(&s.contribution));
    out
}

/// The node's peers, credits and build: the dashboard's other half.
fn network_metrics(
    s: &crate::status::Snapshot,
    metric: &mut impl FnMut(&str, &str, &str, Samples),
) {
    let one = |v: f64| vec![(String::new(), v)];
    metric(
        "llp_build_info",
        "gauge",
        "1, labelled with this build's version.",
        vec![(format!("{{version=\"{}\"}}", s.version), 1.0)],
    );
    metric(
        "llp_uptime_seconds",
        "gauge",
        "Seconds since the node started.",
        one(s.uptime_s as f64),
    );
    metric(
        "llp_peers",
        "gauge",
        "Peers known now, by health (ok, unverified, unreachable, evicted).",
        ["ok", "unverified", "unreachable", "evicted"]
            .into_iter()
            .map(|h| {
                let n = s
                    .peers
                    .iter()
                    .filter(|p| health_word(&p.health) == h)
                    .count();
                (format!("{{health=\"{h}\"}}"), n as f64)
            })
            .collect(),
    );
    let rtts: Vec<f64> = s.peers.iter().filter_map(|p| p.rtt_ms).collect();
    metric(
        "llp_peer_rtt_seconds",
        "gauge",
        "Round-trip time to the peers (their mean; 0 with none measured).",
        one(if rtts.is_empty() {
            0.0
        } else {
            rtts.iter().sum::<f64>() / rtts.len() as f64 / 1000.0
        }),
    );
    metric(
        "llp_peer_jobs_running",
        "gauge",
        "Jobs this node runs for peers now.",
        one(s
            .jobs
            .iter()
            .filter(|j| matches!(j.requester, crate::node::jobs::Requester::Peer(_)))
            .count() as f64),
    );
    if let Some(l) = &s.ledger {
        metric(
            "llp_credits_balance",
            "gauge",
            "Credits in this node's ledger (held ones included).",
            one(l.balance as f64),
        );
        metric(
            "llp_credits_held",
            "gauge",
            "Credits held for this node's running jobs on peers.",
            one(l.held as f64),
        );
        metric(
            "llp_credits_earned_total",
            "counter",
            "Credits earned for work done for peers since the node started.",
            one(l.earned_total as f64),
        );
        metric(
            "llp_credits_spent_total",
            "counter",
            "Credits paid to peers for this node's jobs since the node started.",
            one(l.spent_total as f64),
        );
    }
}

fn health_word(h: &crate::net::table::Health) -> &'static str {
    use crate::net::table::Health;
    match h {
        Health::Ok => "ok",
        Health::Unverified => "unverified",
        Health::Unreachable { .. } => "unreachable",
        Health::Evicted { .. } => "evicted",
    }
}

/// Why contributing is paused, by condition, and when it is expected to resume.
fn contribution_metrics(c: &crate::node::Contribution) -> String {
    let mut out = String::from(
        "# HELP llp_contribution_pause_reason 1 for each condition that pauses contributing now \
         (by hand: reason=\"hand\").\n# TYPE llp_contribution_pause_reason gauge\n",
    );
    for k in ["hand", "schedule", "cpu", "gpu", "battery", "heat", "user"] {
        let on = match k {
            "hand" => c.by_hand == Some(true),
            k => c.paused && c.by_hand.is_none() && c.reasons.iter().any(|r| r.kind == k),
        };
        out.push_str(&format!(
            "llp_contribution_pause_reason{{reason=\"{k}\"}} {}\n",
            u8::from(on)
        ));
    }
    let left = c
        .resume_at
        .map_or(0, |t| t.saturating_sub(crate::ids::unix_now()));
    out.push_str(&format!(
        "# HELP llp_contribution_resume_seconds Seconds until contributing is expected to resume \
         (0: not paused, or not known).\n# TYPE llp_contribution_resume_seconds gauge\n\
         llp_contribution_resume_seconds {left}\n"
    ));
    out
}

/// llama-server's `/tokenize`: the token ids of `content` as plain text (BOS added if the model
/// wants one and `add_special` is not false).
pub(super) async fn tokenize(
    State(r): State<Router>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    #[derive(serde::Deserialize)]
    struct Body {
        content: String,
        model: Option<String>,
        #[serde(default = "yes")]
        add_special: bool,
    }
    fn yes() -> bool {
        true
    }
    let body = match read_body(body).and_then(|b| openai::parse::<Body>(&b)) {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let engine = match pick_engine(&r, body.model.as_deref()) {
        Ok(e) => e,
        Err(e) => return e.into_response(),
    };
    let tokens =
        tokio::task::spawn_blocking(move || engine.tokenize(&body.content, body.add_special))
            .await
            .expect("tokenize task");
    Json(json!({"tokens": tokens.iter().map(|t| t.0).collect::<Vec<_>>()})).into_response()
}
