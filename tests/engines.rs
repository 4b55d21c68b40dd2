//! The two engines: candle's answers against llama.cpp's on the same GGUF file, and the engine
//! a model runs on as status, announcements and a job's route show it.

use serde_json::{Value, json};

use crate::common::*;
use crate::network::{first, joiner};

/// Where llama.cpp's two likeliest tokens are closer than this (in logits, which is the gap of
/// their log probabilities), the two engines' rounding may pick either: parity holds before it.
/// (Measured on the default model: the answers part only where the gap is below 0.15.)
const MARGIN: f64 = 0.25;
/// How far the engines' gaps may differ where both agree: each quantizes activations its own
/// way (measured: up to 0.63).
const GAP_TOLERANCE: f64 = 1.0;
const TOKENS: u32 = 24;

const PROMPTS: [&str; 20] = [
    "What is the capital of France?",
    "Write a haiku about autumn leaves.",
    "Explain photosynthesis in one sentence.",
    "List three primary colours.",
    "What is 12 times 7?",
    "Translate 'good morning' into Spanish.",
    "Name a famous physicist.",
    "Give me a tip for learning to cook.",
    "Why is the sky blue?",
    "Describe a cat in five words.",
    "What does a compiler do?",
    "Write the first line of a fairy tale.",
    "How many legs does a spider have?",
    "Suggest a name for a golden retriever.",
    "What is the boiling point of water in Celsius?",
    "Tell me a fact about the Moon.",
    "Count from one to five.",
    "What is the opposite of 'ancient'?",
    "Recommend a healthy breakfast.",
    "Say hello in French.",
];

/// The answer's tokens (their bytes) and, per position, the gap between the two likeliest.
async fn greedy(node: &Node, model: &str, prompt: &str) -> Vec<(Vec<u8>, f64)> {
    let body = json!({"model": model, "messages": [{"role": "user", "content": prompt}],
                      "max_tokens": TOKENS, "temperature": 0, "ignore_eos": true,
                      "logprobs": true, "top_logprobs": 2});
    let (code, _, v) = post(&node.url("/v1/chat/completions"), &body).await;
    assert_eq!(code, 200, "{v}");
    v["choices"][0]["logprobs"]["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let bytes: Vec<u8> = serde_json::from_value(t["bytes"].clone()).unwrap();
            let top = t["top_logprobs"].as_array().unwrap();
            let gap = top[0]["logprob"].as_f64().unwrap() - top[1]["logprob"].as_f64().unwrap();
            (bytes, gap)
        })
        .collect()
}

/// Asks both nodes `prompt` greedily and checks that their tokens agree up to llama.cpp's first
/// near tie; returns how many positions came before it.
async fn agree_until_a_near_tie(
    (llama, candle): (&Node, &Node),
    model: &str,
    margin: f64,
    prompt: &str,
) -> usize {
    let a = greedy(llama, model, prompt).await;
    let b = greedy(candle, model, prompt).await;
    assert_eq!(a.len(), TOKENS as usize, "{prompt}");
    assert_eq!(b.len(), TOKENS as usize, "{prompt}");
    let until = a
        .iter()
        .position(|(_, gap)| *gap < margin)
        .unwrap_or(a.len());
    for k in 0..until {
        assert_eq!(
            String::from_utf8_lossy(&a[k].0),
            String::from_utf8_lossy(&b[k].0),
            "{model} {prompt:?}: token {k} differs (llama.cpp's top two {:.3} apart)",
            a[k].1
        );
        // Candle's own view agrees: where llama.cpp is sure, candle is about as sure.
        assert!(
            (a[k].1 - b[k].1).abs() < GAP_TOLERANCE,
            "{model} {prompt:?}: token {k}: gaps {:.3} (llama.cpp) and {:.3} (candle)",
            a[k].1,
            b[k].1
        );
    }
    // At the near tie itself either may win; past it the answers read different prefixes.
    until
}

/// On 20 prompts at temperature 0, candle's tokens equal llama.cpp's up to the first position
/// where llama.cpp's top two are within [`MARGIN`].
#[tokio::test]
async fn candle_matches_llama_cpp_until_a_near_tie() {
    let llama = Node::start(&[]);
    let candle = Node::start(&["--engine", "candle"]);
    let (mut compared, mut whole) = (0, 0);
    for prompt in PROMPTS {
        let until = agree_until_a_near_tie((&llama, &candle), MODEL, MARGIN, prompt).await;
        compared += until;
        whole += usize::from(until == TOKENS as usize);
    }
    eprintln!(
        "parity: {compared} of {} positions compared, {whole} of 20 answers equal throughout",
        20 * TOKENS
    );
    // Not a vacuous pass: most positions are clear-cut on this model.
    assert!(compared >= 120, "only {compared} positions compared");
}

/// The engine shows in the node's status, in its announcement to peers, and on a job's route.
#[tokio::test]
async fn the_engine_shows_in_status_announcements_and_job_routes() {
    let candle = first(&["--engine", "candle"]);
    let gateway = joiner(&candle.ticket(), &["--model", "none"]);
    let s = candle.status().await;
    assert_eq!(s["models"][0]["engine"], "candle", "{s}");

    let peer = eventually(
        30,
        "the gateway to see the candle node's model",
        async || {
            let s = gateway.status().await;
            let p = s["peers"]
                .as_array()?
                .iter()
                .find(|p| p["id"] == candle.id.as_str())?
                .clone();
            (!p["models"].as_array()?.is_empty()).then_some(p)
        },
    )
    .await;
    assert_eq!(peer["models"][0]["engine"], "candle", "{peer}");

    let (code, headers, v) = post(&gateway.url("/v1/chat/completions"), &chat_body("Hi", 4)).await;
    assert_eq!(code, 200, "{v}");
    assert_eq!(headers["x-llp-node"].to_str().unwrap(), candle.id);
    let jobs = gateway.get_json("/api/jobs").await;
    let id = jobs["jobs"][0]["id"].as_str().unwrap().to_string();
    let job: Value = gateway.get_json(&format!("/api/jobs/{id}")).await;
    let hop = &job["detail"]["route"][0];
    assert_eq!(hop["engine"], "candle", "{job}");
    assert_eq!(hop["variant"], format!("{MODEL}:q4_1"), "{job}");
    // The worker's own log says the same. A worker logs a job once it is settled, which may
    // come a moment after the gateway has the whole answer.
    let id = eventually(20, "the worker's log to hold the job", async || {
        let jobs = candle.get_json("/api/jobs").await;
        Some(jobs["jobs"][0]["id"].as_str()?.to_string())
    })
    .await;
    let job: Value = candle.get_json(&format!("/api/jobs/{id}")).await;
    assert_eq!(job["detail"]["route"][0]["engine"], "candle", "{job}");

    // A model candle cannot run is refused at start, saying why.
    let out = run(llp()
        .args(["serve", "--engine", "candle", "--model", "all-minilm-l6-v2"])
        .args(["--models-dir", models_dir().to_str().unwrap()])
        .arg("--data-dir")
        .arg(tempfile::tempdir().unwrap().path())
        .args(["--api", "127.0.0.1:0", "--relay", "disabled", "--no-mdns"]));
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("embeddings") || err.contains("all-minilm") || err.contains("not"),
        "{err}"
    );
}

/// The second architecture: qwen2.5-coder (qwen2) on candle answers as llama.cpp does, and,
/// since candle's logits go through the same sampler chain, its tool calls work too.
#[tokio::test]
async fn candle_runs_qwen2_and_its_tool_calls() {
    const QWEN: &str = "qwen2.5-coder-0.5b-instruct";
    // Q4_K rounds activations differently in each engine (llama.cpp's q8_K against candle's):
    // measured, the answers part where the gap is below 0.3.
    const QWEN_MARGIN: f64 = 0.5;
    let llama = Node::start(&["--model", QWEN, "--slots", "1"]);
    let candle = Node::start(&["--model", QWEN, "--slots", "1", "--engine", "candle"]);
    let mut compared = 0;
    for prompt in &PROMPTS[..8] {
        compared += agree_until_a_near_tie((&llama, &candle), QWEN, QWEN_MARGIN, prompt).await;
    }
    eprintln!(
        "qwen2 parity: {compared} of {} positions compared",
        8 * TOKENS
    );
    assert!(compared >= 16, "only {compared} positions compared");

    let body = json!({"model": QWEN, "temperature": 0, "max_tokens": 64,
        "messages": [{"role": "user", "content": "What is the weather in Paris?"}],
        "tools": [{"type": "function", "function": {"name": "get_weather",
            "description": "The weather in a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                           "required": ["city"]}}}],
        "tool_choice": "required"});
    let (code, _, v) = post(&candle.url("/v1/chat/completions"), &body).await;
    assert_eq!(code, 200, "{v}");
    let choice = &v["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls", "{v}");
    let call = &choice["message"]["tool_calls"][0]["function"];
    assert_eq!(call["name"], "get_weather", "{v}");
    let args: Value = serde_json::from_str(call["arguments"].as_str().unwrap()).unwrap();
    assert!(args["city"].is_string(), "{v}");
}
