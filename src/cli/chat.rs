//! `llp chat [--model M] [PROMPT]`: one streamed answer, or a line-based conversation. Talks to
//! the node running for the data dir, else starts an embedded one for the duration.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use clap::Args;
use serde_json::{Value, json};

use super::Global;

#[derive(Debug, Args)]
pub struct ChatArgs {
    /// The prompt; without it, read lines from standard input as a conversation
    pub prompt: Option<String>,
    /// A system message
    #[arg(long)]
    pub system: Option<String>,
    /// Most tokens in the answer
    #[arg(long)]
    pub max_tokens: Option<u32>,
    /// Sampling temperature (0 = deterministic)
    #[arg(long)]
    pub temperature: Option<f32>,
    /// Sampling seed
    #[arg(long)]
    pub seed: Option<u64>,
}

pub(super) async fn run(g: &Global, a: ChatArgs) -> anyhow::Result<ExitCode> {
    let settings = g.settings()?;
    let model = settings.engine.models.first().cloned();
    let (base, embedded) = match crate::client::running_api(&settings.data_dir) {
        Some(base) => (base, None),
        None => {
            eprintln!("llp: no node is running for this data dir; starting an embedded one");
            let running =
                super::start_node(settings.clone(), Some("127.0.0.1:0".parse()?), false).await?;
            (running.base_url(), Some(running))
        }
    };
    let client = crate::fetch::http_client()?;
    let mut history: Vec<Value> = Vec::new();
    if let Some(s) = &a.system {
        history.push(json!({"role": "system", "content": s}));
    }
    let result = match &a.prompt {
        Some(p) => {
            history.push(json!({"role": "user", "content": p}));
            turn(&client, &base, &settings, model.as_deref(), &a, &history)
                .await
                .map(|_| ())
        }
        None => repl(&client, &base, &settings, model.as_deref(), &a, history).await,
    };
    if let Some(r) = embedded {
        r.stop().await;
    }
    result?;
    Ok(ExitCode::SUCCESS)
}

async fn repl(
    client: &reqwest::Client,
    base: &str,
    settings: &crate::config::Settings,
    model: Option<&str>,
    a: &ChatArgs,
    mut history: Vec<Value>,
) -> anyhow::Result<()> {
    let interactive = std::io::IsTerminal::is_terminal(&std::io::stdin());
    if interactive {
        eprintln!("type a message and press Enter; Ctrl-D ends");
    }
    let mut lines = std::io::stdin().lock().lines();
    loop {
        if interactive {
            eprint!("> ");
            std::io::stderr().flush().ok();
        }
        let Some(line) = lines.next() else { break };
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        history.push(json!({"role": "user", "content": line}));
        let answer = turn(client, base, settings, model, a, &history).await?;
        history.push(json!({"role": "assistant", "content": answer}));
    }
    Ok(())
}

/// Sends the conversation, prints the streamed answer, returns it.
async fn turn(
    client: &reqwest::Client,
    base: &str,
    settings: &crate::config::Settings,
    model: Option<&str>,
    a: &ChatArgs,
    history: &[Value],
) -> anyhow::Result<String> {
    let mut body = json!({"messages": history, "stream": true});
    if let Some(m) = model {
        body["model"] = json!(m);
    }
    if let Some(m) = a.max_tokens {
        body["max_tokens"] = json!(m);
    }
    if let Some(t) = a.temperature {
        body["temperature"] = json!(t);
    }
    if let Some(s) = a.seed {
        body["seed"] = json!(s);
    }
    let mut req = client
        .post(format!("{base}/v1/chat/completions"))
        .json(&body);
    if let Some(t) = &settings.api.token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await?;
    if !resp.status().is_success() {
        anyhow::bail!("{}", crate::client::error_message(resp).await);
    }
    let mut answer = String::new();
    let mut out = std::io::stdout().lock();
    let mut failure = None;
    crate::client::read_sse(resp, |data| {
        let Ok(v) = serde_json::from_str::<Value>(data) else {
            return;
        };
        if let Some(msg) = v["error"]["message"].as_str() {
            failure = Some(msg.to_string());
        }
        if let Some(t) = crate::client::delta_text(&v) {
            answer.push_str(t);
            let _ = out.write_all(t.as_bytes());
            let _ = out.flush();
        }
    })
    .await?;
    let _ = writeln!(out);
    if let Some(f) = failure {
        anyhow::bail!("the node failed mid-answer: {f}");
    }
    Ok(answer)
}
