//! Bad requests get OpenAI-shaped errors and the node keeps serving everyone else.

use serde_json::{Value, json};

use crate::common::*;

fn assert_error(code: u16, body: &Value, want_code: u16, want_in_message: &str) {
    assert_eq!(code, want_code, "{body}");
    let e = &body["error"];
    assert!(e.is_object(), "not OpenAI-shaped: {body}");
    assert!(
        e["type"].is_string() && e.get("param").is_some() && e.get("code").is_some(),
        "{body}"
    );
    let msg = e["message"].as_str().unwrap();
    assert!(
        msg.contains(want_in_message),
        "{msg:?} lacks {want_in_message:?}"
    );
}

#[tokio::test]
async fn each_bad_request_gets_a_clear_error_and_the_node_keeps_serving() {
    let node = Node::start(&[]);
    let chat = node.url("/v1/chat/completions");

    let (c, b) = post_raw(&chat, b"{\"messages\": [".to_vec()).await;
    assert_error(c, &b, 400, "Malformed JSON");
    assert_eq!(b["error"]["type"], "invalid_request_error");

    let (c, b) = post_raw(&chat, b"".to_vec()).await;
    assert_error(c, &b, 400, "empty");

    let (c, _, b) = post(
        &chat,
        &json!({"model": MODEL, "messages": [{"role": "user", "content": 5}]}),
    )
    .await;
    assert_error(c, &b, 400, "messages[0].content");

    let (c, _, b) = post(&chat, &json!({"model": MODEL, "messages": [{"role": "user", "content": "x"}], "max_tokens": "many"})).await;
    assert_error(c, &b, 400, "max_tokens");
    assert_eq!(b["error"]["param"], "max_tokens");

    let (c, _, b) = post(&chat, &json!({"model": MODEL, "messages": "hello"})).await;
    assert_error(c, &b, 400, "messages");

    let (c, _, b) = post(
        &chat,
        &json!({"model": "no-such-model", "messages": [{"role": "user", "content": "x"}]}),
    )
    .await;
    assert_error(c, &b, 404, "no-such-model");
    assert_eq!(b["error"]["code"], "model_not_found");

    let (c, _, b) = post(&chat, &json!({"model": MODEL, "messages": []})).await;
    assert_error(c, &b, 400, "messages is empty");

    let (c, _, b) = post(
        &chat,
        &json!({"model": MODEL, "messages": [{"role": "wizard", "content": "x"}]}),
    )
    .await;
    assert_error(c, &b, 400, "wizard");

    let (c, _, b) = post(
        &chat,
        &json!({"model": MODEL, "n": 9, "messages": [{"role": "user", "content": "x"}]}),
    )
    .await;
    assert_error(c, &b, 400, "n=9");
    assert_eq!(b["error"]["param"], "n");

    let (c, _, b) = post(
        &chat,
        &json!({"model": MODEL, "temperature": 7, "messages": [{"role": "user", "content": "x"}]}),
    )
    .await;
    assert_error(c, &b, 400, "temperature");

    // Over the 1 MiB body limit.
    let huge = format!(
        "{{\"model\":\"{MODEL}\",\"messages\":[{{\"role\":\"user\",\"content\":\"{}\"}}]}}",
        "a".repeat((1 << 20) + 1024)
    );
    let (c, b) = post_raw(&chat, huge.into_bytes()).await;
    assert_error(c, &b, 413, "larger");

    let (c, _, b) = post(
        &node.url("/v1/completions"),
        &json!({"model": MODEL, "prompt": ["a", "b"]}),
    )
    .await;
    assert_error(c, &b, 400, "one prompt");

    let user = |extra: Value| {
        let mut b = chat_body("x", 4);
        b.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        b
    };
    for (extra, status, want) in [
        (json!({"top_p": 0}), 400, "top_p"),
        (
            json!({"max_completion_tokens": 0}),
            400,
            "max_completion_tokens",
        ),
        (
            json!({"logprobs": true, "top_logprobs": 21}),
            400,
            "top_logprobs",
        ),
        (
            json!({"response_format": {"type": "json_schema", "json_schema": {"schema":
                {"type": "string", "minLength": 5, "maxLength": 2}}}}),
            400,
            "minLength",
        ),
        (
            json!({"tools": [{"type": "function", "function": {"name": "f"}}]}),
            400,
            "no tool support",
        ),
        (json!({"stop": ["x".repeat(600)]}), 400, "stop sequence"),
        (json!({"stop": ["a", "b", "c", "d", "e"]}), 400, "at most 4"),
    ] {
        let (c, h, b) = post(&chat, &user(extra.clone())).await;
        assert_error(c, &b, status, want);
        assert_eq!(
            h["x-llp-node"].to_str().unwrap(),
            node.id,
            "errors name the node too"
        );
    }
    let many: Vec<Value> = (0..5000)
        .map(|_| json!({"role": "user", "content": ""}))
        .collect();
    let (c, _, b) = post(&chat, &json!({"model": MODEL, "messages": many})).await;
    assert_error(c, &b, 400, "5000 messages");

    // Still serving.
    let (c, _, b) = post(&chat, &chat_body("Say hi.", 4)).await;
    assert_eq!(c, 200, "{b}");
    assert_eq!(node.metric("llp_requests_failed_total").await, 20.0);
}

#[tokio::test]
async fn context_limits_clamp_or_refuse_with_the_counts() {
    let node = Node::start(&["--ctx-size", "128"]);
    let chat = node.url("/v1/chat/completions");

    // max_tokens beyond the context: clamped, and said so.
    let mut body = chat_body("Tell me a story.", 100_000);
    body["ignore_eos"] = json!(true);
    let (c, h, b) = post(&chat, &body).await;
    assert_eq!(c, 200, "{b}");
    let warning = h["x-llp-warning"].to_str().unwrap();
    assert!(warning.contains("clamped"), "{warning}");
    assert!(b["llp_warning"].as_str().unwrap().contains("clamped"));
    let u = &b["usage"];
    assert_eq!(
        u["prompt_tokens"].as_u64().unwrap() + u["completion_tokens"].as_u64().unwrap(),
        128
    );
    assert_eq!(b["choices"][0]["finish_reason"], "length");

    // A prompt longer than the context: 400 with the counts.
    let long = "word ".repeat(400);
    let (c, _, b) = post(&chat, &chat_body(&long, 10)).await;
    assert_error(c, &b, 400, "maximum context length is 128 tokens");
    assert_eq!(b["error"]["code"], "context_length_exceeded");
    let msg = b["error"]["message"].as_str().unwrap();
    assert!(
        msg.chars().filter(|c| c.is_ascii_digit()).count() >= 6,
        "no prompt count in {msg}"
    );

    let (c, _, b) = post(
        &node.url("/v1/completions"),
        &json!({"model": MODEL, "prompt": long}),
    )
    .await;
    assert_error(c, &b, 400, "maximum context length");

    let (c, _, _) = post(&chat, &chat_body("Hi", 4)).await;
    assert_eq!(c, 200);
}
