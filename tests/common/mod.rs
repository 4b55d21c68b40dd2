//! Test harness: starting real nodes, finding the default model, talking HTTP and SSE.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const MODEL: &str = "smollm2-135m-instruct";
pub const MODEL_FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// The models dir holding the default model (LLP_MODELS_DIR, else the platform default).
pub fn models_dir() -> PathBuf {
    let dir = std::env::var_os("LLP_MODELS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(local_llm_proxy::config::default_models_dir);
    assert!(
        dir.join(MODEL_FILE).is_file(),
        "the default model is not in {}: run scripts/test.sh (or `llp models fetch {MODEL}:q4_1`)",
        dir.display()
    );
    dir
}

pub fn model_path() -> PathBuf {
    models_dir().join(MODEL_FILE)
}

/// The default model loaded with llama.cpp in the test process, as an independent reference
/// (its tokenizer and chat template). llama.cpp's backend may start once per process.
pub fn reference_model() -> &'static llama_cpp_2::model::LlamaModel {
    use llama_cpp_2::model::LlamaModel;
    use llama_cpp_2::model::params::LlamaModelParams;
    use std::sync::OnceLock;
    static MODEL: OnceLock<LlamaModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        // The library's backend: a node started in this process (the lifecycle test) shares it.
        let backend = local_llm_proxy::engine::backend().expect("llama.cpp backend");
        LlamaModel::load_from_file(backend, model_path(), &LlamaModelParams::default())
            .expect("load the default model")
    })
}

/// `llp` with an environment that does not leak the user's settings into the test.
pub fn llp() -> Command {
    llp_via(&[])
}

/// [`llp`] run through a wrapper command (e.g. `ip netns exec NS`), with the same environment.
pub fn llp_via(wrapper: &[&str]) -> Command {
    let bin = env!("CARGO_BIN_EXE_llp");
    let mut c = match wrapper.split_first() {
        Some((program, args)) => {
            let mut c = Command::new(program);
            c.args(args).arg(bin);
            c
        }
        None => Command::new(bin),
    };
    for (k, _) in std::env::vars() {
        if k.starts_with("LLP_") {
            c.env_remove(k);
        }
    }
    // The machine's own load (other tests' programs) must not pause the tests' nodes: the
    // idle tests turn auto-pause on where they test it.
    c.env("LLP_AUTO_PAUSE", "false");
    // No user config file: the platform config dir points into a temporary place whose only
    // setting is the tests' light admission puzzle.
    c.env("XDG_CONFIG_HOME", test_config_home());
    // LLP_TEST_LOG (e.g. `info`) makes every node of a test log more, for a failure's story.
    c.env(
        "LLP_LOG",
        std::env::var("LLP_TEST_LOG").unwrap_or_else(|_| "warn".into()),
    );
    c.stdin(Stdio::null());
    c
}

/// The admission work of the tests' networks: each test node is a new identity, admitted in
/// moments rather than the default minute (`ledger.rs` measures the real cost).
pub const TEST_ADMISSION: &str = "admission_bits = 4";

/// The config dir the tests' nodes see: `llp/config.toml` holds [`TEST_ADMISSION`] only.
pub fn test_config_home() -> PathBuf {
    let home = std::env::temp_dir().join("llp-tests-config");
    let file = home.join("llp").join("config.toml");
    let text = format!("[credits]\n{TEST_ADMISSION}\n");
    if std::fs::read_to_string(&file).ok().as_deref() != Some(text.as_str()) {
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        // Written whole and renamed into place: parallel tests never see half a file.
        let tmp = home.join(format!("config-{}.toml", rand_hex()));
        std::fs::write(&tmp, &text).unwrap();
        std::fs::rename(&tmp, &file).unwrap();
    }
    home
}

/// The credit policy of the tests' networks (the default, with [`TEST_ADMISSION`]).
pub fn test_policy() -> local_llm_proxy::ledger::Policy {
    local_llm_proxy::ledger::Policy {
        admission_bits: 4,
        ..Default::default()
    }
}

/// The prices' fingerprint the tests' nodes compare at the handshake (their policy and the
/// built-in catalog).
pub fn test_pricing_id() -> String {
    let catalog = local_llm_proxy::catalog::Catalog::builtin();
    test_policy().pricing_id(&local_llm_proxy::ledger::catalog_facts(&catalog))
}

/// `llp ledger verify` on a node's data dir passes.
pub fn assert_chain_verifies(data_dir: &Path) {
    let out = run(llp()
        .args(["ledger", "verify"])
        .arg("--data-dir")
        .arg(data_dir));
    assert!(out.status.success(), "{}", stderr(&out));
}

/// A config file in `dir` with `text`, whose `[credits]` table (added if missing) holds the
/// tests' light admission.
pub fn config_file(dir: &Path, text: &str) -> PathBuf {
    let text = if text.contains("[credits]") {
        text.replacen("[credits]\n", &format!("[credits]\n{TEST_ADMISSION}\n"), 1)
    } else {
        format!("{text}\n[credits]\n{TEST_ADMISSION}\n")
    };
    let p = dir.join("config.toml");
    std::fs::write(&p, text).unwrap();
    p
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run llp")
}

/// Runs `cmd` with `input` on its standard input.
pub fn run_with_stdin(cmd: &mut Command, input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn llp");
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

/// `llp status --json` for a data dir.
pub fn status_json(data_dir: &Path) -> Value {
    let out = run(llp()
        .args(["status", "--json"])
        .arg("--data-dir")
        .arg(data_dir));
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A running `llp serve` child process. Killed on drop.
pub struct Node {
    pub child: Child,
    pub data: tempfile::TempDir,
    pub base: String,
    pub id: String,
    pub log: PathBuf,
    /// The API's bearer token, when the node was started with one.
    pub token: Option<String>,
}

impl Node {
    /// Starts a node on the default model with `extra` arguments (e.g. `--slots 1`).
    pub fn start(extra: &[&str]) -> Node {
        Self::start_with(extra, |_| {})
    }

    pub fn start_with(extra: &[&str], tweak: impl FnOnce(&mut Command)) -> Node {
        Self::start_in(tempfile::tempdir().unwrap(), extra, tweak)
    }

    /// Starts a node through `wrapper` (a network namespace: `ip netns exec NS`).
    pub fn start_via(wrapper: &[&str], data: tempfile::TempDir, extra: &[&str]) -> Node {
        Self::start_cmd(llp_via(wrapper), data, extra, |_| {})
    }

    /// Stops the node with SIGTERM and starts it again on the same data dir.
    pub fn restart(self, extra: &[&str]) -> Node {
        self.restart_after(extra, |_| {})
    }

    /// Like [`Node::restart`], doing `between` to the data dir while the node is down.
    pub fn restart_after(mut self, extra: &[&str], between: impl FnOnce(&Path)) -> Node {
        self.signal("TERM");
        let _ = self.child.wait();
        between(self.data.path());
        let data = std::mem::replace(&mut self.data, tempfile::tempdir().unwrap());
        Self::start_in(data, extra, |_| {})
    }

    /// Kills the node with SIGKILL (no goodbye, nothing flushed) and starts it again on the same
    /// data dir.
    pub fn kill_and_restart(mut self, extra: &[&str]) -> Node {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let data = std::mem::replace(&mut self.data, tempfile::tempdir().unwrap());
        Self::start_in(data, extra, |_| {})
    }

    fn start_in(data: tempfile::TempDir, extra: &[&str], tweak: impl FnOnce(&mut Command)) -> Node {
        Self::start_cmd(llp(), data, extra, tweak)
    }

    fn start_cmd(
        mut cmd: Command,
        data: tempfile::TempDir,
        extra: &[&str],
        tweak: impl FnOnce(&mut Command),
    ) -> Node {
        let log = data.path().join("serve.log");
        cmd.arg("serve");
        // Each node alone in its own network unless the test joins them: tests run in parallel
        // and must not find each other (mDNS off, loopback only).
        let networked = extra.iter().any(|a| *a == "--network" || *a == "--join");
        if !networked {
            cmd.args(["--network", &format!("t{}", rand_hex())]);
        }
        if !extra.contains(&"--listen") {
            cmd.args(["--listen", "127.0.0.1:0"]);
        }
        if !extra.iter().any(|a| a.starts_with("--no-mdns")) {
            cmd.arg("--no-mdns");
        }
        let models = models_dir();
        cmd.arg("--data-dir")
            .arg(data.path())
            .args(
                [
                    ("--models-dir", models.to_str().unwrap()),
                    ("--api", "127.0.0.1:0"),
                    ("--relay", "disabled"),
                    ("--threads", "2"),
                    // The default model only, whatever else the models dir holds.
                    ("--model", "smollm2-135m-instruct"),
                ]
                .iter()
                .filter(|(flag, _)| !extra.contains(flag))
                .flat_map(|(flag, value)| [*flag, *value]),
            )
            .args(extra)
            // Appended to, so a restarted node's log keeps the story before its restart.
            .stdout(Stdio::from(
                std::fs::File::options()
                    .create(true)
                    .append(true)
                    .open(&log)
                    .unwrap(),
            ))
            .stderr(Stdio::from(
                std::fs::File::options().append(true).open(&log).unwrap(),
            ));
        tweak(&mut cmd);
        let child = cmd.spawn().expect("spawn llp serve");
        let mut node = Node {
            child,
            data,
            base: String::new(),
            id: String::new(),
            log,
            token: extra
                .iter()
                .position(|a| *a == "--api-token")
                .and_then(|i| extra.get(i + 1))
                .map(|t| t.to_string()),
        };
        node.wait_ready();
        node
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("llp serve exited with {status}:\n{}", self.log_text());
            }
            if let Ok(text) = std::fs::read_to_string(self.data.path().join("node.json"))
                && let Ok(v) = serde_json::from_str::<Value>(&text)
            {
                self.base = format!("http://{}", v["api"].as_str().unwrap());
                self.id = v["id"].as_str().unwrap().to_string();
                if health_ok(&format!(
                    "{}/health",
                    self.base.trim_start_matches("http://")
                )) {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "node not ready in time:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The node's invite ticket (with the network secret), from its node.json.
    pub fn ticket(&self) -> String {
        let text = std::fs::read_to_string(self.data.path().join("node.json")).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        v["ticket"]
            .as_str()
            .expect("a ticket in node.json")
            .to_string()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends a signal to the node (`STOP`, `CONT`, `KILL`, `TERM`).
    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &self.pid().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{sig} failed");
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// GET a JSON route.
    pub async fn get_json(&self, path: &str) -> Value {
        let mut req = client().get(self.url(path));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        resp.json().await.unwrap()
    }

    /// The Prometheus text of `/metrics`.
    pub async fn metrics(&self) -> String {
        let resp = client().get(self.url("/metrics")).send().await.unwrap();
        resp.text().await.unwrap()
    }

    /// One sample from `/metrics` (the first line starting with `name`).
    pub async fn metric(&self, name: &str) -> f64 {
        let text = self.metrics().await;
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {text}"))
    }

    pub async fn status(&self) -> Value {
        self.get_json("/api/status").await
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// GET /health without an async runtime (readiness checks run in plain threads).
fn health_ok(host_and_path: &str) -> bool {
    use std::io::{Read, Write};
    let (host, path) = host_and_path
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap();
    let Ok(mut s) = std::net::TcpStream::connect(host) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .is_err()
    {
        return false;
    }
    let mut buf = String::new();
    let _ = s.read_to_string(&mut buf);
    buf.starts_with("HTTP/1.1 200")
}

pub fn client() -> reqwest::Client {
    local_llm_proxy::fetch::http_client().unwrap()
}

/// POSTs JSON and returns (status, headers, body as JSON).
pub async fn post(url: &str, body: &Value) -> (u16, reqwest::header::HeaderMap, Value) {
    let resp = client().post(url).json(body).send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    let v = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    (status, headers, v)
}

/// POSTs raw bytes.
pub async fn post_raw(url: &str, body: Vec<u8>) -> (u16, Value) {
    let resp = client()
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}")),
    )
}

/// A streamed request: every `data:` payload parsed (the final `[DONE]` as a string).
pub async fn stream(url: &str, body: &Value) -> (u16, Vec<Value>) {
    let resp = client().post(url).json(body).send().await.unwrap();
    let status = resp.status().as_u16();
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream"),
        "{:?}",
        resp.headers()
    );
    let text = resp.text().await.unwrap();
    let mut events = Vec::new();
    for block in text.split("\n\n") {
        for line in block.lines() {
            if let Some(d) = line.strip_prefix("data: ") {
                events.push(if d == "[DONE]" {
                    Value::String(d.into())
                } else {
                    serde_json::from_str(d).unwrap()
                });
            }
        }
    }
    (status, events)
}

/// Concatenated text of streamed chunks.
pub fn streamed_text(events: &[Value]) -> String {
    events
        .iter()
        .filter_map(|e| local_llm_proxy::client::delta_text(e))
        .collect()
}

pub fn chat_body(content: &str, max_tokens: u32) -> Value {
    serde_json::json!({
        "model": MODEL,
        "messages": [{"role": "user", "content": content}],
        "max_tokens": max_tokens,
        "temperature": 0,
    })
}

/// An engine's arguments (`&[]` for llama.cpp, `--engine candle`) then a test's.
pub fn engine_args<'a>(engine: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    [engine, extra].concat()
}

/// A test run once per engine: `async fn NAME(engine: &[&str])` becomes the tests
/// `NAME::llama` and `NAME::candle`, the same assertions against a node on each.
macro_rules! on_both_engines {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn llama() {
                super::$name(&[]).await
            }
            #[tokio::test]
            async fn candle() {
                super::$name(&["--engine", "candle"]).await
            }
        }
    };
}

/// Polls `check` until it returns Some, or panics after `secs`.
pub async fn eventually<T>(secs: u64, what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn rand_hex() -> String {
    local_llm_proxy::ids::random_hex(6)
}

/// Posts `body` to `node`'s chat route with the `x-llp-policy` header `policy` (if any).
pub async fn chat_with_policy(
    node: &Node,
    body: &Value,
    policy: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = client()
        .post(node.url("/v1/chat/completions"))
        .header("content-type", "application/json")
        .body(serde_json::to_vec(body).unwrap());
    if let Some(p) = policy {
        req = req.header("x-llp-policy", p);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, resp.json().await.unwrap())
}

/// Reads a streamed answer, SIGKILLs `victim` after its `at`-th text chunk, and returns the
/// error event the stream ended with (the stream must have reached `at` chunks).
pub async fn error_after_killing(resp: reqwest::Response, victim: &Node, at: usize) -> String {
    let mut chunks = 0;
    let mut events: Vec<Value> = Vec::new();
    let _ = local_llm_proxy::client::read_sse(resp, |d| {
        if let Ok(e) = serde_json::from_str::<Value>(d) {
            if local_llm_proxy::client::delta_text(&e).is_some_and(|t| !t.is_empty()) {
                chunks += 1;
                if chunks == at {
                    victim.signal("KILL");
                }
            }
            events.push(e);
        }
    })
    .await;
    assert!(chunks >= at, "{events:?}");
    events
        .iter()
        .find_map(|e| e["error"]["message"].as_str())
        .unwrap_or_else(|| panic!("no error event: {events:?}"))
        .to_string()
}
