//! The operator's kit: completions and man pages that match the code, the systemd service,
//! `llp doctor`, `llp config` and the dashboard's metrics.

use std::path::Path;

use crate::common::*;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn out_of(args: &[&str]) -> Vec<u8> {
    let out = run(llp().args(args));
    assert!(out.status.success(), "llp {args:?}: {}", stderr(&out));
    out.stdout
}

/// The completions and man pages in assets/ are what the code generates now.
#[test]
fn generated_assets_match_the_code() {
    let regenerate = "the code changed: run `bash scripts/assets.sh` and commit assets/";
    for (shell, file) in [
        ("bash", "llp.bash"),
        ("zsh", "_llp"),
        ("fish", "llp.fish"),
        ("powershell", "_llp.ps1"),
    ] {
        let want = std::fs::read(repo().join("assets/completions").join(file)).unwrap();
        assert!(
            out_of(&["completions", shell]) == want,
            "assets/completions/{file}: {regenerate}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    out_of(&["man", "--dir", dir.path().to_str().unwrap()]);
    let names = |d: &Path| {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    };
    let have = names(&repo().join("assets/man"));
    assert_eq!(names(dir.path()), have, "assets/man: {regenerate}");
    assert!(have.contains(&"llp-serve.1".to_string()), "{have:?}");
    for name in &have {
        let want = std::fs::read(repo().join("assets/man").join(name)).unwrap();
        assert!(
            std::fs::read(dir.path().join(name)).unwrap() == want,
            "assets/man/{name}: {regenerate}"
        );
    }
    // `llp man` prints the main page, which names every command.
    let page = String::from_utf8(out_of(&["man"])).unwrap();
    assert!(
        page.starts_with(".ie") && page.contains(".TH llp 1"),
        "{page}"
    );
    for cmd in ["serve", "doctor", "service", "config", "completions"] {
        assert!(page.contains(&format!("llp\\-{cmd}(1)")), "{cmd}");
    }
    // The bash script loads in bash and completes `llp`'s commands.
    let script = repo().join("assets/completions/llp.bash");
    let out = run(std::process::Command::new("bash").args([
        "-c",
        &format!(
            "source {}; COMP_WORDS=(llp se); COMP_CWORD=1; _llp llp se llp; echo \"${{COMPREPLY[@]}}\"",
            script.display()
        ),
    ]));
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        said.split_whitespace().any(|w| w == "serve"),
        "{said} {}",
        stderr(&out)
    );
    assert!(said.split_whitespace().any(|w| w == "service"), "{said}");
}

/// `llp service install --user` writes a unit systemd accepts, with this llp in `ExecStart`;
/// installing again changes nothing, and uninstalling removes it. The system unit verifies too.
#[test]
fn the_service_units_verify_and_install_idempotently() {
    let home = tempfile::tempdir().unwrap();
    let service = |args: &[&str]| {
        let out = run(llp()
            .arg("service")
            .args(args)
            .env("XDG_CONFIG_HOME", home.path()));
        assert!(out.status.success(), "service {args:?}: {}", stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let said = service(&["install", "--user", "--files-only"]);
    let path = home.path().join("systemd/user/llp.service");
    assert!(
        said.contains(&format!("wrote {}", path.display())),
        "{said}"
    );
    let unit = std::fs::read_to_string(&path).unwrap();
    let exe = std::fs::canonicalize(env!("CARGO_BIN_EXE_llp")).unwrap();
    assert!(
        unit.contains(&format!("ExecStart={} serve\n", exe.display())),
        "{unit}"
    );
    assert!(unit.contains("Restart=on-failure") && unit.contains("NoNewPrivileges=yes"));
    assert!(service(&["install", "--user", "--files-only"]).contains("unchanged"));

    let system = home.path().join("llp.service");
    std::fs::write(&system, service(&["show"])).unwrap();
    let system_unit = std::fs::read_to_string(&system).unwrap();
    for hardening in [
        "DynamicUser=yes",
        "ProtectSystem=strict",
        "StateDirectory=llp",
    ] {
        assert!(system_unit.contains(hardening), "{hardening}");
    }
    match which("systemd-analyze") {
        None => eprintln!("SKIPPED: systemd-analyze is not installed; the units were not verified"),
        Some(analyze) => {
            let runtime = tempfile::tempdir().unwrap();
            for (file, user) in [(&path, true), (&system, false)] {
                let mut cmd = std::process::Command::new(&analyze);
                if user {
                    // A user manager of its own: the test has no login session.
                    cmd.arg("--user").env("XDG_RUNTIME_DIR", runtime.path());
                }
                let out = run(cmd.args(["verify", "--man=no"]).arg(file));
                assert!(
                    out.status.success() && stderr(&out).trim().is_empty(),
                    "systemd-analyze verify {}: {}",
                    file.display(),
                    stderr(&out)
                );
            }
        }
    }
    // The system service will not run a program a user may change, or one under /home, /root
    // or a tmp (where its hardening hides it): the test's build lives in such a place.
    let out = run(llp().args(["service", "install", "--files-only"]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("/usr/local/bin") || stderr(&out).contains("needs root"),
        "{}",
        stderr(&out)
    );

    let said = service(&["uninstall", "--user", "--files-only"]);
    assert!(said.contains("removed") && !path.exists(), "{said}");
    assert!(service(&["uninstall", "--user", "--files-only"]).contains("not installed"));
}

/// The program's path, if it is on PATH.
fn which(program: &str) -> Option<std::path::PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

fn doctor(args: &[&str]) -> (i32, String, serde_json::Value) {
    let out = run(llp().arg("doctor").args(args));
    let text = stdout(&out);
    let json = run(llp().args(["doctor", "--json"]).args(args));
    let parsed: serde_json::Value = serde_json::from_slice(&json.stdout)
        .unwrap_or_else(|e| panic!("doctor --json: {e}: {}", stdout(&json)));
    assert_eq!(out.status.code(), json.status.code(), "{text}");
    (out.status.code().unwrap_or(-1), text, parsed)
}

/// The failed checks of a `doctor --json` report, by name.
fn failed(report: &serde_json::Value) -> Vec<String> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["level"] == "fail")
        .map(|c| {
            format!(
                "{}: {}",
                c["check"].as_str().unwrap(),
                c["detail"].as_str().unwrap()
            )
        })
        .collect()
}

/// A healthy node passes `llp doctor`, and its `/metrics` has every metric the dashboard in
/// assets/ plots, named as Prometheus expects. Then each broken condition fails the doctor,
/// named: a corrupt model, a taken port, a data dir others can write, a ledger with a bad entry.
#[tokio::test]
async fn doctor_passes_a_healthy_node_and_names_each_broken_condition() {
    let node = crate::network::first(&[]);
    // A peer: its announcements carry its clock, which the doctor compares with this one's.
    let peer = crate::network::joiner(&node.ticket(), &[]);
    crate::network::until_routable(&node, &[&peer]).await;
    let models = models_dir();
    let models = models.to_str().unwrap();
    let dir = node.data_dir().to_str().unwrap().to_string();
    let base = [
        "--data-dir",
        &dir,
        "--models-dir",
        models,
        "--relay",
        "disabled",
    ];

    // The dashboard's metrics, against a real scrape.
    let scrape = node.metrics().await;
    let mut kinds = std::collections::HashMap::new();
    for line in scrape.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(
                name.starts_with("llp_")
                    && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{name}"
            );
            // Prometheus conventions: counters end in _total, and nothing else does.
            assert_eq!(
                kind == "counter",
                name.ends_with("_total"),
                "{name} is a {kind}"
            );
            kinds.insert(name.to_string(), kind.to_string());
        }
    }
    let dashboard =
        std::fs::read_to_string(repo().join("assets/grafana/llp-dashboard.json")).unwrap();
    let dashboard: serde_json::Value = serde_json::from_str(&dashboard).unwrap();
    let mut used = std::collections::BTreeSet::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for t in panel["targets"].as_array().unwrap() {
            let expr = t["expr"].as_str().unwrap();
            for (i, _) in expr.match_indices("llp_") {
                let name: String = expr[i..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                used.insert(name);
            }
        }
    }
    for want in [
        "llp_generated_tokens_total",
        "llp_failovers_total",
        "llp_credits_earned_total",
        "llp_peers",
        "llp_queue_depth",
    ] {
        assert!(used.contains(want), "the dashboard does not plot {want}");
    }
    for name in &used {
        assert!(
            kinds.contains_key(name),
            "the dashboard plots {name}, which /metrics lacks:\n{scrape}"
        );
    }

    // A healthy node.
    let (code, text, report) = doctor(&base);
    assert_eq!(code, 0, "{text}");
    assert_eq!(report["ok"], true);
    for (name, level) in [
        ("clock", "ok"),
        ("API port", "ok"),
        ("P2P port", "ok"),
        ("ledger", "ok"),
        ("relays", "skip"),
    ] {
        let c = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["check"] == name)
            .unwrap();
        assert_eq!(c["level"], level, "{name}: {text}");
    }
    assert!(
        text.contains("model smollm2-135m-instruct:q4_1") && text.contains("checksum matches"),
        "{text}"
    );

    assert!(text.contains("the median of 1 peer(s)"), "{text}");
    drop(peer);

    // A corrupt model, named, with its fix.
    let bad_models = tempfile::tempdir().unwrap();
    let copy = bad_models.path().join(MODEL_FILE);
    std::fs::copy(model_path(), &copy).unwrap();
    let mut bytes = std::fs::read(&copy).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&copy, bytes).unwrap();
    let fresh = tempfile::tempdir().unwrap();
    let fresh_dir = fresh.path().to_str().unwrap();
    let (code, text, report) = doctor(&[
        "--data-dir",
        fresh_dir,
        "--models-dir",
        bad_models.path().to_str().unwrap(),
        "--relay",
        "disabled",
    ]);
    assert_eq!(code, 1, "{text}");
    assert_eq!(failed(&report).len(), 1, "{text}");
    assert!(
        failed(&report)[0].starts_with("model smollm2-135m-instruct:q4_1:")
            && text.contains("is corrupt"),
        "{text}"
    );
    assert!(
        text.contains("fix: rm ") && text.contains("llp models fetch smollm2-135m-instruct:q4_1"),
        "{text}"
    );

    // A port another program holds.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (code, text, report) = doctor(&[
        "--data-dir",
        fresh_dir,
        "--models-dir",
        models,
        "--relay",
        "disabled",
        "--api",
        &addr,
    ]);
    assert_eq!(code, 1, "{text}");
    assert_eq!(
        failed(&report),
        [format!("API port: {addr} is taken by another program")],
        "{text}"
    );

    // A data dir anyone may write.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(fresh.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let (code, text, report) = doctor(&[
        "--data-dir",
        fresh_dir,
        "--models-dir",
        models,
        "--relay",
        "disabled",
    ]);
    assert_eq!(code, 1, "{text}");
    assert!(
        failed(&report)[0].starts_with("data dir:")
            && text.contains(&format!("chmod 700 {fresh_dir}")),
        "{text}"
    );

    // A ledger with a bad entry: the node stopped, one byte of its first entry changed.
    node.signal("TERM");
    let mut node = node;
    node.child.wait().unwrap();
    {
        use redb::{ReadableDatabase, TableDefinition};
        const ENTRIES: TableDefinition<u64, &[u8]> = TableDefinition::new("entries");
        let db = redb::Database::open(local_llm_proxy::ledger::path_in(node.data_dir())).unwrap();
        let mut raw = {
            let r = db.begin_read().unwrap();
            r.open_table(ENTRIES)
                .unwrap()
                .get(0)
                .unwrap()
                .unwrap()
                .value()
                .to_vec()
        };
        let last = raw.len() - 1;
        raw[last] ^= 0x01;
        let w = db.begin_write().unwrap();
        w.open_table(ENTRIES)
            .unwrap()
            .insert(0, raw.as_slice())
            .unwrap();
        w.commit().unwrap();
    }
    let (code, text, report) = doctor(&base);
    assert_eq!(code, 1, "{text}");
    let f = failed(&report);
    assert!(
        f.len() == 1 && f[0].starts_with("ledger:") && f[0].contains("entry 0"),
        "{text}"
    );
}

/// `llp config` names where each setting came from: a flag, a variable, the file and line,
/// or the default.
#[test]
fn config_names_the_source_of_each_setting() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.toml");
    std::fs::write(
        &file,
        "# a node\nslots = 3\napi_token = \"s3cret\"\n\n[idle]\ncpu_percent = 70\n",
    )
    .unwrap();
    let out = run(llp()
        .args(["config", "--json", "--config"])
        .arg(&file)
        .args(["--api", "127.0.0.1:9999"])
        .env("LLP_THREADS", "3"));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).contains("s3cret"), "a secret was printed");
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let row = |k: &str| {
        rows.iter()
            .find(|r| r["key"] == k)
            .unwrap_or_else(|| panic!("{k}"))
    };
    let f = file.display().to_string();
    assert_eq!(row("api")["value"], "127.0.0.1:9999");
    assert_eq!(
        (&row("api")["source"], &row("api")["from"]),
        (&"flag".into(), &"--api".into())
    );
    assert_eq!(row("threads")["value"], "3");
    assert_eq!(
        (&row("threads")["source"], &row("threads")["from"]),
        (&"env".into(), &"LLP_THREADS".into())
    );
    assert_eq!(row("slots")["value"], "3");
    assert_eq!(
        (&row("slots")["source"], &row("slots")["from"]),
        (&"file".into(), &format!("{f}:2").into())
    );
    assert_eq!(row("idle")["from"], format!("{f}:5"));
    assert_eq!(row("api_token")["value"], "(hidden)");
    assert_eq!(
        (
            &row("ctx_per_slot")["source"],
            &row("ctx_per_slot")["value"]
        ),
        (&"default".into(), &"2048".into())
    );
    assert_eq!(row("config")["source"], "flag");

    // One setting, by key or by flag; an unknown one is a usage error.
    let out = run(llp().args(["config", "ctx-size"]));
    assert_eq!(
        stdout(&out).trim(),
        "ctx_per_slot  2048  default",
        "{}",
        stderr(&out)
    );
    let out = run(llp().args(["config", "colour"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no setting `colour`"),
        "{}",
        stderr(&out)
    );
}
