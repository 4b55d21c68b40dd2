//! The network at internet scale: `llp bench --sim`, as a user runs it (the figures' meaning
//! is tested in the simulator's own unit tests; here, the command, its JSON, its determinism and
//! its refusals).

use serde_json::Value;

use crate::common::*;

fn sim(args: &[&str]) -> std::process::Output {
    let mut all = vec!["bench", "--sim", "--minutes", "15", "--rate", "40"];
    all.extend_from_slice(args);
    run(llp().args(&all))
}

/// The run's figures without what depends on the machine (wall time, memory, CPU).
fn figures(out: &std::process::Output) -> Vec<Value> {
    let mut v: Vec<Value> = serde_json::from_slice(&out.stdout).expect("JSON");
    for r in &mut v {
        let o = r.as_object_mut().expect("a report");
        for k in ["wall_s", "peak_rss_bytes", "table_cpu_ms_per_s"] {
            assert!(o.remove(k).is_some(), "{k} reported");
        }
    }
    v
}

#[test]
fn the_simulator_compares_designs_repeatably_and_refuses_nonsense() {
    let args = ["--nodes", "300", "--design", "gossip,providers", "--json"];
    let a = sim(&args);
    assert!(a.status.success(), "{}", stderr(&a));
    let runs = figures(&a);
    assert_eq!(runs.len(), 2);
    let (g, p) = (&runs[0], &runs[1]);
    assert_eq!(g["design"], "gossip");
    assert_eq!(p["design"], "providers");
    let f = |r: &Value, k: &str| r[k].as_f64().unwrap_or_else(|| panic!("{k} in {r}"));
    // Global gossip: each node hears all 300 every 5 s; provider records: almost nothing.
    assert!(f(g, "announcements_in_per_s") >= 0.9 * 300.0 / 5.0, "{g}");
    assert!(
        f(p, "announcements_in_per_s") < 0.05 * f(g, "announcements_in_per_s"),
        "{p}"
    );
    assert!(f(p, "lookup_hops") >= 1.0, "{p}");
    for r in [g, p] {
        assert!(f(r, "requests") > 500.0, "{r}");
        assert!(f(r, "success") > 0.97, "{r}");
        assert!(f(r, "ttft_p50_ms") > 0.0 && f(r, "ttft_p99_ms") >= f(r, "ttft_p50_ms"));
    }
    // The same seed, the same figures; another seed, others.
    assert_eq!(figures(&sim(&args)), runs);
    let other = sim(&[
        "--nodes", "300", "--design", "gossip", "--json", "--seed", "2",
    ]);
    assert_ne!(figures(&other)[0], runs[0]);
    // People get a table.
    let text = sim(&["--nodes", "100", "--design", "providers"]);
    assert!(stdout(&text).contains("lookups each"), "{}", stdout(&text));
    // Nonsense is refused with the reason, before any run.
    for (bad, why) in [
        (["--nodes", "3"], "simulate 10 to 1,000,000 nodes"),
        (["--minutes", "0"], "--minutes 0"),
        (["--rate=-1", "--seed=1"], "--rate -1"),
    ] {
        let o = run(llp().args(["bench", "--sim"]).args(bad));
        assert_eq!(o.status.code(), Some(2), "{bad:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(why), "{bad:?}: {}", stderr(&o));
    }
}
