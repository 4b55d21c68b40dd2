//! `llp bench --features`: what the API's extras cost, each against its baseline in the same
//! run: generation under a JSON-schema grammar against free generation, generation with
//! logprobs (0 and 20 alternatives) against without, and embeddings' throughput (texts/s, one
//! at a time and 32 per request). Against an embedded node serving `--model`s, or `--url`
//! (llama-server, say: the embedding runs then measure it).
//!
//! Runs alternate between a baseline and its variant, one request at a time, so that the
//! machine's changing speed weighs on both alike; medians are reported.

use std::time::Instant;

use serde::Serialize;
use serde_json::{Value, json};

/// One comparison: the baseline's and the variant's median speeds, and their ratio.
#[derive(Debug, Serialize)]
pub struct Pair {
    pub what: String,
    pub baseline: f64,
    pub variant: f64,
    pub ratio: f64,
    pub unit: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub target: String,
    pub pairs: Vec<Pair>,
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Generation speed of one chat request (its own timing where the server gives one, else
/// tokens over the wall time).
async fn tps(http: &reqwest::Client, base: &str, body: &Value) -> anyhow::Result<f64> {
    let t = Instant::now();
    let r: Value = http
        .post(format!("{base}/v1/chat/completions"))
        .json(body)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let tokens = r["usage"]["completion_tokens"].as_f64().unwrap_or(0.0);
    Ok(r["llp_timings"]["generation_tokens_per_s"]
        .as_f64()
        .or_else(|| r["timings"]["predicted_per_second"].as_f64())
        .unwrap_or(tokens / t.elapsed().as_secs_f64()))
}

async fn compare(
    http: &reqwest::Client,
    base: &str,
    what: &str,
    baseline: &Value,
    variant: &Value,
    reps: usize,
) -> anyhow::Result<Pair> {
    let (mut b, mut v) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        b.push(tps(http, base, baseline).await?);
        v.push(tps(http, base, variant).await?);
    }
    let (b, v) = (median(&mut b), median(&mut v));
    Ok(Pair {
        what: what.into(),
        baseline: b,
        variant: v,
        ratio: if b > 0.0 { v / b } else { 0.0 },
        unit: "generated tokens/s",
    })
}

/// Texts embedded per second, `batch` per request, for `reps` requests.
async fn embed_rate(
    http: &reqwest::Client,
    base: &str,
    model: &str,
    batch: usize,
    reps: usize,
) -> anyhow::Result<f64> {
    let texts: Vec<String> = (0..batch)
        .map(|i| format!("Sentence number {i} talks about lighthouses, ships and the sea."))
        .collect();
    let t = Instant::now();
    for _ in 0..reps {
        http.post(format!("{base}/v1/embeddings"))
            .json(&json!({"model": model, "input": texts}))
            .send()
            .await?
            .error_for_status()?;
    }
    Ok((batch * reps) as f64 / t.elapsed().as_secs_f64())
}

/// The runs. `chat`: the chat model; `embed`: the embedding model (None: no embedding runs).
pub async fn run(
    base: &str,
    chat: &str,
    embed: Option<&str>,
    reps: usize,
    max_tokens: u32,
) -> anyhow::Result<Report> {
    let http = crate::fetch::http_client()?;
    let reps = reps.max(3);
    let ask = |extra: Value| {
        let mut b = json!({
            "model": chat,
            "messages": [{"role": "user", "content": "Describe a lighthouse keeper as JSON."}],
            "temperature": 0,
            "max_tokens": max_tokens,
        });
        if let (Some(b), Some(x)) = (b.as_object_mut(), extra.as_object()) {
            b.extend(x.clone());
        }
        b
    };
    let schema = json!({"type": "json_schema", "json_schema": {"name": "keeper", "schema": {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"},
            "duties": {"type": "array", "items": {"type": "string"}}, "story": {"type": "string"}},
        "required": ["name", "age", "duties", "story"],
    }}});
    let mut pairs = vec![
        compare(
            &http,
            base,
            "JSON schema grammar against free sampling",
            &ask(json!({})),
            &ask(json!({"response_format": schema})),
            reps,
        )
        .await?,
        compare(
            &http,
            base,
            "logprobs (top 0) against none",
            &ask(json!({})),
            &ask(json!({"logprobs": true, "top_logprobs": 0})),
            reps,
        )
        .await?,
        compare(
            &http,
            base,
            "logprobs (top 20) against none",
            &ask(json!({})),
            &ask(json!({"logprobs": true, "top_logprobs": 20})),
            reps,
        )
        .await?,
    ];
    if let Some(m) = embed {
        let one = embed_rate(&http, base, m, 1, reps * 10).await?;
        let many = embed_rate(&http, base, m, 32, reps).await?;
        pairs.push(Pair {
            what: "embeddings: 32 texts a request against 1".into(),
            baseline: one,
            variant: many,
            ratio: if one > 0.0 { many / one } else { 0.0 },
            unit: "texts/s",
        });
    }
    Ok(Report {
        target: base.into(),
        pairs,
    })
}

pub fn print(r: &Report) {
    println!("API extras against {}", r.target);
    println!(
        "{:<45} {:>12} {:>12} {:>8}  unit",
        "what", "baseline", "variant", "ratio"
    );
    for p in &r.pairs {
        println!(
            "{:<45} {:>12.1} {:>12.1} {:>8.3}  {}",
            p.what, p.baseline, p.variant, p.ratio, p.unit
        );
    }
}
