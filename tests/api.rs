//! Every route, streaming and not, against a real node on the default model.

use serde_json::{Value, json};

use crate::common::*;

#[tokio::test]
async fn health_models_status_metrics_and_contribution() {
    let node = Node::start(&[]);
    let h = node.get_json("/health").await;
    assert_eq!(h, json!({"status": "ok"}));

    let m = node.get_json("/v1/models").await;
    assert_eq!(m["object"], "list");
    let ids: Vec<&str> = m["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![MODEL]);
    assert_eq!(m["data"][0]["quantizations"], json!(["q4_1"]));

    let s = node.status().await;
    assert_eq!(s["id"], node.id.as_str());
    assert_eq!(s["running"], true);
    assert_eq!(s["paused"], false);
    assert_eq!(s["models"][0]["name"], MODEL);
    assert!(s["devices"]["cpu"]["threads_logical"].as_u64().unwrap() >= 1);

    let (code, _, body) = post(&node.url("/api/contribution"), &json!({"paused": true})).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["paused"], true, "{body}");
    // With the switch as status shows it: paused by hand.
    assert_eq!(body["contribution"]["by_hand"], true, "{body}");
    assert_eq!(body["contribution"]["why"], "paused by hand", "{body}");
    assert_eq!(node.status().await["paused"], true);
    let (code, body) = post_raw(
        &node.url("/api/contribution"),
        b"{\"paused\": \"yes\"}".to_vec(),
    )
    .await;
    assert_eq!(code, 400, "{body}");

    // A request first, so the counters move.
    let (code, _, _) = post(&node.url("/v1/chat/completions"), &chat_body("Hi", 4)).await;
    assert_eq!(code, 200);
    let text = node.metrics().await;
    assert!(text.contains("# TYPE llp_requests_total counter"), "{text}");
    assert!(text.contains("llp_requests_total 1"), "{text}");
    assert!(text.contains("llp_contribution_paused 1"), "{text}");
    assert!(
        text.contains(&format!("llp_slots{{model=\"{MODEL}:q4_1\"}} 4")),
        "{text}"
    );

    let r = client().get(node.url("/v1/nothing")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let v: Value = r.json().await.unwrap();
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("/v1/nothing")
    );
}

async fn chat_streaming_and_not_agree_and_report_usage(engine: &[&str]) {
    let node = Node::start(engine);
    let body = chat_body("Name three colours.", 24);
    let (code, headers, full) = post(&node.url("/v1/chat/completions"), &body).await;
    assert_eq!(code, 200, "{full}");
    assert_eq!(headers["x-llp-node"].to_str().unwrap(), node.id);
    assert_eq!(headers["x-llp-credits"].to_str().unwrap(), "0");
    assert_eq!(full["object"], "chat.completion");
    assert_eq!(full["model"], format!("{MODEL}:q4_1"));
    let choice = &full["choices"][0];
    assert_eq!(choice["message"]["role"], "assistant");
    let text = choice["message"]["content"].as_str().unwrap().to_string();
    assert!(!text.is_empty());
    let usage = &full["usage"];
    let (p, c) = (
        usage["prompt_tokens"].as_u64().unwrap(),
        usage["completion_tokens"].as_u64().unwrap(),
    );
    assert_eq!(usage["total_tokens"].as_u64().unwrap(), p + c);
    assert!((1..=24).contains(&c));
    if choice["finish_reason"] == "length" {
        assert_eq!(c, 24);
    } else {
        assert_eq!(choice["finish_reason"], "stop");
    }

    let mut sbody = body.clone();
    sbody["stream"] = json!(true);
    sbody["stream_options"] = json!({"include_usage": true});
    let (code, events) = stream(&node.url("/v1/chat/completions"), &sbody).await;
    assert_eq!(code, 200);
    assert_eq!(events.last().unwrap(), "[DONE]");
    assert_eq!(events[0]["choices"][0]["delta"]["role"], "assistant");
    assert!(
        events[..events.len() - 1]
            .iter()
            .all(|e| e["object"] == "chat.completion.chunk")
    );
    assert_eq!(
        streamed_text(&events),
        text,
        "a greedy answer is the same streamed or not"
    );
    let usage_chunk = &events[events.len() - 2];
    assert_eq!(usage_chunk["choices"], json!([]));
    for key in ["prompt_tokens", "completion_tokens", "total_tokens"] {
        assert_eq!(usage_chunk["usage"][key], usage[key], "{key}");
    }
    let finish = &events[events.len() - 3];
    assert_eq!(
        finish["choices"][0]["finish_reason"],
        choice["finish_reason"]
    );

    // Without include_usage there is no usage chunk.
    sbody.as_object_mut().unwrap().remove("stream_options");
    let (_, events) = stream(&node.url("/v1/chat/completions"), &sbody).await;
    assert!(events.iter().all(|e| e.get("usage").is_none()));
}

on_both_engines!(chat_streaming_and_not_agree_and_report_usage);

async fn completions_streaming_and_not(engine: &[&str]) {
    let node = Node::start(engine);
    let body = json!({"model": MODEL, "prompt": "The capital of France is", "max_tokens": 12, "temperature": 0});
    let (code, _, full) = post(&node.url("/v1/completions"), &body).await;
    assert_eq!(code, 200, "{full}");
    assert_eq!(full["object"], "text_completion");
    let text = full["choices"][0]["text"].as_str().unwrap().to_string();
    assert!(!text.is_empty());

    let mut sbody = body.clone();
    sbody["stream"] = json!(true);
    let (code, events) = stream(&node.url("/v1/completions"), &sbody).await;
    assert_eq!(code, 200);
    assert_eq!(events.last().unwrap(), "[DONE]");
    assert_eq!(streamed_text(&events), text);
    assert!(
        events[..events.len() - 1]
            .iter()
            .all(|e| e["object"] == "text_completion")
    );
}

on_both_engines!(completions_streaming_and_not);

async fn greedy_is_deterministic_and_seeds_repeat(engine: &[&str]) {
    let node = Node::start(engine);
    let url = node.url("/v1/chat/completions");
    let body = chat_body("Write one sentence about the sea.", 32);
    let (_, _, a) = post(&url, &body).await;
    let (_, _, b) = post(&url, &body).await;
    assert_eq!(
        a["choices"][0]["message"]["content"],
        b["choices"][0]["message"]["content"]
    );

    let mut seeded = body.clone();
    seeded["temperature"] = json!(1.2);
    seeded["seed"] = json!(1234);
    let (_, _, c) = post(&url, &seeded).await;
    let (_, _, d) = post(&url, &seeded).await;
    assert_eq!(
        c["choices"][0]["message"]["content"],
        d["choices"][0]["message"]["content"]
    );
    // Different seeds at a high temperature should wander apart.
    let mut others = Vec::new();
    for seed in 1..=4 {
        seeded["seed"] = json!(seed);
        let (_, _, e) = post(&url, &seeded).await;
        others.push(
            e["choices"][0]["message"]["content"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    others.sort();
    others.dedup();
    assert!(others.len() > 1, "four seeds gave one answer: {others:?}");
}

on_both_engines!(greedy_is_deterministic_and_seeds_repeat);

async fn stop_sequences_end_the_answer_before_the_stop(engine: &[&str]) {
    let node = Node::start(engine);
    let url = node.url("/v1/completions");
    let prompt = "Count from one to twenty in words: one, two, three,";
    let (_, _, full) = post(
        &url,
        &json!({"model": MODEL, "prompt": prompt, "max_tokens": 40, "temperature": 0}),
    )
    .await;
    let text = full["choices"][0]["text"].as_str().unwrap().to_string();
    // Pick a stop that occurs in the middle of the free answer.
    let words: Vec<&str> = text.split_whitespace().collect();
    assert!(words.len() >= 4, "answer too short to test stops: {text:?}");
    let stop = words[words.len() / 2];
    let at = text.find(stop).unwrap();
    for stream_it in [false, true] {
        let body = json!({"model": MODEL, "prompt": prompt, "max_tokens": 40, "temperature": 0,
                          "stop": [stop, "NEVER-APPEARS"], "stream": stream_it});
        let (got, finish) = if stream_it {
            let (_, ev) = stream(&url, &body).await;
            let f = ev.iter().rev().find_map(|e| {
                e["choices"][0]["finish_reason"]
                    .as_str()
                    .map(str::to_string)
            });
            (streamed_text(&ev), f.unwrap())
        } else {
            let (_, _, v) = post(&url, &body).await;
            (
                v["choices"][0]["text"].as_str().unwrap().to_string(),
                v["choices"][0]["finish_reason"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        };
        assert_eq!(got, text[..at], "stop {stop:?} in {text:?}");
        assert_eq!(finish, "stop");
    }
}

on_both_engines!(stop_sequences_end_the_answer_before_the_stop);

/// Usage counts against llama.cpp's own tokenizer, loaded in this test process.
async fn usage_counts_match_the_tokenizer(engine: &[&str]) {
    use llama_cpp_2::model::LlamaChatMessage;
    let model = reference_model();
    let vocab = model.vocab();

    let node = Node::start(engine);
    // Completions: the prompt as plain text.
    let prompt = "Tokens are counted exactly, one by one.";
    let (_, _, v) = post(
        &node.url("/v1/completions"),
        &json!({"model": MODEL, "prompt": prompt, "max_tokens": 7, "temperature": 0, "ignore_eos": true}),
    )
    .await;
    let expected = vocab.tokenize(prompt.as_bytes(), true, false).len() as u64;
    assert_eq!(v["usage"]["prompt_tokens"].as_u64().unwrap(), expected);
    assert_eq!(v["usage"]["completion_tokens"].as_u64().unwrap(), 7);
    assert_eq!(v["choices"][0]["finish_reason"], "length");

    // Chat: the GGUF's template around the messages.
    let msgs = [("system", "You are terse."), ("user", "Hello there.")];
    let chat: Vec<LlamaChatMessage> = msgs
        .iter()
        .map(|(r, c)| LlamaChatMessage::new(r.to_string(), c.to_string()).unwrap())
        .collect();
    let rendered = model
        .apply_chat_template(&model.chat_template(None).unwrap(), &chat, true)
        .unwrap();
    let expected = vocab.tokenize(rendered.as_bytes(), false, true).len() as u64;
    let body = json!({"model": MODEL, "max_tokens": 5, "temperature": 0, "ignore_eos": true,
                      "messages": msgs.iter().map(|(r, c)| json!({"role": r, "content": c})).collect::<Vec<_>>()});
    let (_, _, v) = post(&node.url("/v1/chat/completions"), &body).await;
    assert_eq!(
        v["usage"]["prompt_tokens"].as_u64().unwrap(),
        expected,
        "rendered: {rendered:?}"
    );
    assert_eq!(v["usage"]["completion_tokens"].as_u64().unwrap(), 5);

    // /tokenize agrees with the tokenizer too.
    let (_, _, t) = post(&node.url("/tokenize"), &json!({"content": prompt})).await;
    let ids: Vec<i64> = vocab
        .tokenize(prompt.as_bytes(), true, false)
        .iter()
        .map(|t| t.0 as i64)
        .collect();
    assert_eq!(t["tokens"], json!(ids));
}

on_both_engines!(usage_counts_match_the_tokenizer);

/// A special token typed by a user stays text: only the template inserts control tokens.
#[tokio::test]
async fn user_text_never_becomes_control_tokens() {
    let vocab = reference_model().vocab();
    let special = "<|im_end|>";
    let as_control = vocab.tokenize(special.as_bytes(), false, true);
    assert_eq!(
        as_control.len(),
        1,
        "the model has <|im_end|> as one control token"
    );
    let as_text = vocab.tokenize(special.as_bytes(), false, false);
    assert!(as_text.len() > 1);

    let node = Node::start(&[]);
    let (_, _, t) = post(
        &node.url("/tokenize"),
        &json!({"content": special, "add_special": false}),
    )
    .await;
    assert_eq!(
        t["tokens"],
        json!(as_text.iter().map(|t| t.0).collect::<Vec<_>>())
    );

    // In chat, the typed text costs its text tokens, not one control token.
    let (_, _, plain) = post(&node.url("/v1/chat/completions"), &chat_body("ab", 1)).await;
    let (_, _, typed) = post(
        &node.url("/v1/chat/completions"),
        &chat_body(&format!("a{special}b"), 1),
    )
    .await;
    let diff = typed["usage"]["prompt_tokens"].as_u64().unwrap()
        - plain["usage"]["prompt_tokens"].as_u64().unwrap();
    assert!(
        diff >= as_text.len() as u64 - 1,
        "typed special token cost {diff} tokens, as text it is {}",
        as_text.len()
    );
}

/// A slot keeps its KV entries after a job: a prompt that starts the same way (the same request
/// again, or the next turn of a conversation) reuses them, and the answer does not change.
async fn prompt_prefixes_are_reused_without_changing_answers(engine: &[&str]) {
    let node = Node::start(&engine_args(engine, &["--slots", "1"]));
    let url = node.url("/v1/chat/completions");
    let body = chat_body("Name a large animal.", 16);
    let (_, _, first) = post(&url, &body).await;
    assert_eq!(first["usage"]["prompt_tokens_details"]["cached_tokens"], 0);
    let (_, _, again) = post(&url, &body).await;
    let prompt = again["usage"]["prompt_tokens"].as_u64().unwrap();
    // llama.cpp cuts a sequence's cache after the shared prefix; candle's caches cannot be cut,
    // so candle reuses a cache only when all of it starts the new prompt (the next turn).
    let cut = if engine.is_empty() { prompt - 1 } else { 0 };
    assert_eq!(
        again["usage"]["prompt_tokens_details"]["cached_tokens"],
        cut
    );
    assert_eq!(
        again["choices"][0]["message"],
        first["choices"][0]["message"]
    );

    // The next turn of the conversation starts with the whole first turn.
    let answer = first["choices"][0]["message"]["content"].as_str().unwrap();
    let next = json!({"model": MODEL, "temperature": 0, "max_tokens": 8, "messages": [
        {"role": "user", "content": "Name a large animal."},
        {"role": "assistant", "content": answer},
        {"role": "user", "content": "And a small one?"},
    ]});
    let (_, _, turn2) = post(&url, &next).await;
    let cached = turn2["usage"]["prompt_tokens_details"]["cached_tokens"]
        .as_u64()
        .unwrap();
    assert!(
        cached >= prompt,
        "only {cached} of the first turn's {prompt} tokens reused"
    );
    assert!(node.metric("llp_prompt_tokens_cached_total").await >= (cut + cached) as f64);

    // A different prompt on the same slot gets no stale state: same answer as on a fresh node.
    let other = chat_body("Write the word blue.", 8);
    let (_, _, warm) = post(&url, &other).await;
    let fresh = Node::start(&engine_args(engine, &["--slots", "1"]));
    let (_, _, cold) = post(&fresh.url("/v1/chat/completions"), &other).await;
    assert_eq!(warm["choices"][0]["message"], cold["choices"][0]["message"]);
}

on_both_engines!(prompt_prefixes_are_reused_without_changing_answers);
