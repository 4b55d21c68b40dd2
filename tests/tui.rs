//! The terminal UI end to end: the real `llp` binary in a detached tmux session of fixed size,
//! driven with `send-keys`, read with `capture-pane`. Every wait polls the screen (no fixed
//! sleeps). The peers are real `llp serve` processes on 127.0.0.1.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::*;
use crate::network::{QUICK, first, peer};

/// A tmux server of our own (its own socket), with one session running one command.
struct Tmux {
    socket: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmux {
    /// Runs `args` (the `llp` binary's arguments) in a `w`x`h` window, in directory `cwd`.
    fn start(args: &[&str], cwd: &Path, w: u16, h: u16, env: &[(&str, &str)]) -> Tmux {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("tmux.sock");
        // stderr also goes to a file, so a UI that dies early still tells why. A pipeline,
        // not `2> >(tee ...)`: bash waits for a pipeline's tee, but not for a process
        // substitution's, which the pane's hang-up then killed before it passed on the UI's
        // last words (a panic's message, now and then).
        let err = dir.path().join("stderr");
        let mut cmd = vec![
            "bash".to_string(),
            "-c".into(),
            format!(
                "exec 3>&1; \"$@\" 2>&1 1>&3 3>&- | tee -a {e} >&2; s=${{PIPESTATUS[0]}}; \
                 echo \"exit $s\" >> {e}; exit $s",
                e = err.display()
            ),
            "bash".into(),
            "env".to_string(),
            "-i".into(),
            format!("HOME={}", std::env::var("HOME").unwrap_or_default()),
            "LANG=C.UTF-8".into(),
            format!("XDG_CONFIG_HOME={}", test_config_home().display()),
            "LLP_LOG=info,llama_cpp_2=warn,llama-cpp-2=warn".into(),
            "LLP_AUTO_PAUSE=false".into(),
        ];
        cmd.extend(env.iter().map(|(k, v)| format!("{k}={v}")));
        cmd.push(env!("CARGO_BIN_EXE_llp").into());
        cmd.extend(args.iter().map(|a| a.to_string()));
        let ok = Command::new("tmux")
            .arg("-S")
            .arg(&socket)
            .args([
                "-u",
                "new-session",
                "-d",
                "-s",
                "llp",
                "-x",
                &w.to_string(),
                "-y",
                &h.to_string(),
            ])
            .arg("-c")
            .arg(cwd)
            .args(&cmd)
            .args([";", "set-option", "-t", "llp", "remain-on-exit", "on"])
            .status()
            .expect("tmux (scripts/setup.sh installs it)")
            .success();
        assert!(ok, "tmux new-session failed");
        Tmux { socket, _dir: dir }
    }

    /// What the UI wrote to its standard error, and its exit status once it ended.
    fn stderr(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("stderr")).unwrap_or_default()
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "llp"])
    }

    /// tmux key names: `Enter`, `Escape`, `C-j`, or single characters.
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "llp"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// Literal text.
    fn text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "llp", "-l", text]);
    }

    fn dead(&self) -> bool {
        self.tmux(&["display-message", "-p", "-t", "llp", "#{pane_dead}"])
            .trim()
            == "1"
    }

    /// Polls the screen until `check` holds; panics with the screen after `secs`.
    fn until(&self, secs: u64, what: &str, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let s = self.screen();
            if check(&s) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; the screen:\n{s}\nthe UI's stderr:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn until_shows(&self, secs: u64, text: &str) -> String {
        self.until(secs, &format!("`{text}`"), |s| s.contains(text))
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

/// The API address of the node running for `dir` (its node.json).
fn api_of(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("node.json")).ok()?;
    let v: Value = serde_json::from_str(&text).ok()?;
    Some(format!("http://{}", v["api"].as_str()?))
}

/// The arguments of a UI that runs its own node in `dir`, on loopback, joining `peer`.
fn embedded(dir: &Path, peer: &Node, extra: &[&str]) -> Vec<String> {
    let args: Vec<String> = [
        "--data-dir",
        dir.to_str().unwrap(),
        "--models-dir",
        models_dir().to_str().unwrap(),
        "--api",
        "127.0.0.1:0",
        "--listen",
        "127.0.0.1:0",
        "--relay",
        "disabled",
        "--no-mdns",
        "--join",
        &peer.ticket(),
    ]
    .iter()
    .chain(QUICK.iter())
    .chain(extra)
    .map(|s| s.to_string())
    .collect();
    args
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ui_chats_pauses_for_its_peers_and_opens_a_job() {
    let b = first(&[]);
    let a_dir = tempfile::tempdir().unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let args = embedded(a_dir.path(), &b, &["--interval", "250ms"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let ui = Tmux::start(&args, cwd.path(), 120, 40, &[]);
    ui.until_shows(120, "embedded node");
    // The peer shows in the Peers pane, with its RTT.
    ui.until_shows(60, &b.id[..8]);

    // Chat: a streamed answer, and who served it.
    ui.keys(&["c"]);
    ui.text("Say hello in five words.");
    ui.keys(&["Enter"]);
    // A long answer scrolls the question out of the pane: the job detail below shows it.
    let s = ui.until(90, "a finished answer", |s| {
        s.contains("— served by this node")
    });
    // (Where the meta line wraps depends on the numbers; its full text is a unit test's.)
    assert!(s.contains("tok/s") && s.contains("credits"), "{s}");

    // Pause: the banner here, and the peer sees it in A's announcement. (Esc and a key sent
    // together would read as Alt-key: wait for the Esc to land first.)
    ui.keys(&["Escape"]);
    ui.until_shows(10, " 5 or c to type");
    ui.keys(&["p"]);
    ui.until_shows(20, "CONTRIBUTION PAUSED");
    let a_id = local_llm_proxy::node::datadir::node_id(a_dir.path())
        .unwrap()
        .to_string();
    eventually(20, "B sees A paused", async || {
        (peer(&b.status().await, &a_id)?["paused"] == true).then_some(())
    })
    .await;

    // The job's detail: prompt, output, route; then export it.
    // The Jobs pane first, then Enter on its selected job: on a loaded machine the list may
    // not have its selection when the key lands, so Enter is pressed again until it opens.
    ui.keys(&["2"]);
    ui.until_shows(20, "Enter open the job's detail");
    let detail = |s: &str| s.contains("Prompt") && s.contains("Output");
    let mut s = String::new();
    for _ in 0..8 {
        ui.keys(&["Enter"]);
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline && !detail(&s) {
            std::thread::sleep(Duration::from_millis(100));
            s = ui.screen();
        }
        if detail(&s) {
            break;
        }
    }
    let s = ui.until(5, "the job detail", detail);
    assert!(s.contains("user: Say hello in five words."), "{s}");
    assert!(s.contains("this node's own API"), "{s}");
    ui.keys(&["x"]);
    let s = ui.until_shows(20, "exported job-");
    let name = std::fs::read_dir(cwd.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .unwrap_or_else(|| panic!("no export in {}:\n{s}", cwd.path().display()));
    let exported: Value = serde_json::from_str(&std::fs::read_to_string(&name).unwrap()).unwrap();
    assert!(
        exported["detail"]["prompt"]
            .as_str()
            .unwrap()
            .contains("Say hello in five words."),
        "{exported}"
    );
    assert!(!exported["detail"]["output"].as_str().unwrap().is_empty());

    // Quit: the embedded node stops, and its ledger verifies.
    ui.keys(&["Escape"]);
    ui.until(10, "the detail to close", |s| !s.contains("Esc closes"));
    ui.keys(&["q"]);
    ui.until(30, "the UI to exit", |_| ui.dead());
    let s = ui.screen();
    assert!(s.contains("stopping the node"), "{s}");
    assert_chain_verifies(a_dir.path());
    assert!(
        a_dir
            .path()
            .join("logs")
            .read_dir()
            .unwrap()
            .next()
            .is_some(),
        "no log file"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ui_attaches_to_a_running_node_and_leaves_it_running() {
    let n = Node::start_with(&[], |c| {
        c.env("LLP_LOG", "info,llama_cpp_2=warn,llama-cpp-2=warn");
    });
    let dir = n.data_dir().to_str().unwrap().to_string();
    let cwd = tempfile::tempdir().unwrap();
    let ui = Tmux::start(
        &[
            "--data-dir",
            &dir,
            "--interval",
            "250ms",
            "--theme",
            "light",
        ],
        cwd.path(),
        100,
        30,
        &[("NO_COLOR", "1")],
    );
    ui.until_shows(30, &format!("attached to llp serve (pid {})", n.pid()));
    // The node's own log lines reach the Logs pane.
    ui.until_shows(30, "INFO  loading smollm2");

    // Too small, then big enough again.
    ui.tmux(&["resize-window", "-t", "llp", "-x", "60", "-y", "20"]);
    ui.until_shows(10, "terminal too small");
    ui.tmux(&["resize-window", "-t", "llp", "-x", "100", "-y", "30"]);
    ui.until_shows(10, "1 Devices");

    // The help overlay, from the key table.
    ui.keys(&["?"]);
    ui.until_shows(10, "pause / resume contributing");
    ui.keys(&["Escape"]);
    ui.until(10, "the help to close", |s| !s.contains("Esc closes"));

    // Pausing the attached node pauses that node.
    ui.keys(&["p"]);
    ui.until_shows(10, "CONTRIBUTION PAUSED");
    eventually(10, "the node paused", async || {
        (n.status().await["paused"] == true).then_some(())
    })
    .await;
    ui.keys(&["q"]);
    ui.until(20, "the UI to exit", |_| ui.dead());
    let s = ui.tmux(&["capture-pane", "-p", "-S", "-100", "-t", "llp"]);
    assert!(
        s.contains("the node keeps running"),
        "{s}\nstderr: {}",
        ui.stderr()
    );
    assert_eq!(api_of(n.data_dir()).as_deref(), Some(n.base.as_str()));
    let (code, _, _) = post(
        &n.url("/api/contribution"),
        &serde_json::json!({"paused": false}),
    )
    .await;
    assert_eq!(code, 200, "the node stopped with the UI");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hang_up_stops_the_embedded_node_cleanly() {
    let b = first(&[]);
    let a_dir = tempfile::tempdir().unwrap();
    let args = embedded(a_dir.path(), &b, &[]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let ui = Tmux::start(&args, a_dir.path(), 100, 30, &[]);
    ui.until_shows(120, &b.id[..8]);
    let a_id = local_llm_proxy::node::datadir::node_id(a_dir.path())
        .unwrap()
        .to_string();
    eventually(30, "B knows A", async || {
        peer(&b.status().await, &a_id).map(|_| ())
    })
    .await;
    // An SSH session that drops: the pane's processes get SIGHUP.
    ui.tmux(&["kill-session", "-t", "llp"]);
    eventually(30, "A's process ends", async || {
        local_llm_proxy::node::datadir::running_node(a_dir.path())
            .is_none()
            .then_some(())
    })
    .await;
    let log = std::fs::read_dir(a_dir.path().join("logs"))
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .collect::<String>();
    assert!(log.contains("the terminal hung up: leaving"), "{log}");
    // It is gone from B's peers.
    eventually(30, "B forgets A", async || {
        peer(&b.status().await, &a_id).is_none().then_some(())
    })
    .await;
    assert_chain_verifies(a_dir.path());
}

#[test]
fn a_panic_restores_the_terminal_before_it_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    let n = Node::start(&[]);
    let ui = Tmux::start(
        &["--data-dir", n.data_dir().to_str().unwrap()],
        dir.path(),
        100,
        30,
        &[("LLP_TUI_TEST_PANIC", "1")],
    );
    ui.until(30, "the UI to die", |_| ui.dead());
    // The message reaches the pane through the wrapper's `tee` (which also keeps a copy), so
    // tmux may show it a moment after it marks the pane dead.
    let deadline = Instant::now() + Duration::from_secs(10);
    let s = loop {
        let s = ui.tmux(&["capture-pane", "-p", "-S", "-100", "-t", "llp"]);
        if s.contains("LLP_TUI_TEST_PANIC asked for a panic") || Instant::now() > deadline {
            break s;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        s.contains("LLP_TUI_TEST_PANIC asked for a panic"),
        "{s}\nthe UI's stderr:\n{}",
        ui.stderr()
    );
    // The message is on the normal screen, with the UI's screen gone.
    assert_eq!(
        ui.tmux(&["display-message", "-p", "-t", "llp", "#{alternate_on}"])
            .trim(),
        "0"
    );
    assert!(!s.contains("1 Devices"), "{s}");
}

#[test]
fn without_a_terminal_the_ui_says_what_to_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(llp().arg("--data-dir").arg(dir.path()));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("llp serve"), "{}", stderr(&out));
    let out = run(llp()
        .args(["--interval", "soon", "--data-dir"])
        .arg(dir.path()));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--interval `soon`"),
        "{}",
        stderr(&out)
    );
}
