//! `llp bench --trust`: verified work on a network of real nodes, in a build with the
//! `fault-injection` feature (the cheaters exist only there).
//!
//! A requester (paused: it sends its jobs to peers, and checks their answers with its own
//! model), four honest workers with 1 or 2 threads and 1 to 4 slots, and one cheater at a time
//! (a fifth of the workers), each cheating mode in turn. The requester also holds a stand-in for
//! a bigger model ([`crate::trust::stand_in`]), which only the `claim-bigger` cheater announces
//! (running the default model): in that mode the jobs are for the bigger model. The requester
//! sends jobs four at a time, greedy and sampled, and the benchmark reports:
//! - per mode, how many of the cheater's jobs it ran before a check caught it (and whether it
//!   was caught within [`MAX_CHEATER_JOBS`]);
//! - how many honest workers were ever accused, of how many checked jobs;
//! - the compute the checks added: the requester's check time against the workers' time on
//!   the same jobs (prompt and generation), overall and per check.
//!
//! Its progress goes to stderr (one line per mode); the report to stdout (`--json`: only JSON).

use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Value, json};

use crate::cli::demo::{Member, spawn, until_peers};
use crate::config::Settings;

/// A cheater not caught within this many of its jobs counts as missed.
pub const MAX_CHEATER_JOBS: usize = 50;

const MODES: [&str; 7] = [
    "random",
    "truncate",
    "past-end",
    "replay",
    "other-prompt",
    "skip",
    "claim-bigger",
];

const PROMPTS: [&str; 8] = [
    "Name three colors.",
    "What is the capital of France?",
    "Write a haiku about the sea.",
    "Count from one to ten in words.",
    "Explain in one sentence what a CPU does.",
    "Give me a short tip for learning to cook.",
    "Why is the sky blue? Answer briefly.",
    "List two animals that live in the ocean.",
];

#[derive(Debug, Serialize)]
pub struct TrustReport {
    pub honest_workers: usize,
    /// Jobs the honest workers served, and how many of those were checked.
    pub honest_jobs: usize,
    pub honest_checked: u64,
    /// Honest workers with a failed check (should be none).
    pub honest_accused: usize,
    /// Greedy answers checked, those with a token that was not the checker's top (let through
    /// as a near-tie), and the largest gap of those, in logits: the honest divergence the
    /// tolerance (0.5) must cover.
    pub greedy_checked: usize,
    pub greedy_off_top: usize,
    pub largest_gap: f64,
    pub modes: Vec<ModeReport>,
    /// Jobs served by peers whose check time and worker time were both known.
    pub jobs_measured: usize,
    pub checks: usize,
    pub check_ms_p50: f64,
    pub check_ms_p95: f64,
    /// Σ check time / Σ worker time (prompt and generation) over all jobs, in percent.
    pub overhead_pct: f64,
    /// The same, for one checked job: what a check costs against the job it checks.
    pub check_to_job_pct: f64,
    /// What the checks add once every worker's run is long (checked at the floor rate).
    pub floor_overhead_pct: f64,
}

#[derive(Debug, Serialize)]
pub struct ModeReport {
    pub mode: String,
    pub caught: bool,
    /// The cheater's jobs until the one whose check caught it (all it ran, if never).
    pub cheater_jobs: usize,
    /// The requester's jobs in this mode's run.
    pub jobs: usize,
    pub check: String,
}

pub async fn run(settings: &Settings, honest_jobs: usize) -> anyhow::Result<TrustReport> {
    let root = tempfile::Builder::new()
        .prefix("llp-bench-trust-")
        .tempdir()?;
    // The bigger model that the `claim-bigger` cheater names: the requester holds it (and
    // checks with it); every node uses the catalog that lists it.
    eprintln!("writing the stand-in for a bigger model");
    let stand_in = crate::trust::stand_in::write(&settings.models_dir, root.path())?;
    // The benchmark's own network: its requester pays for hundreds of jobs.
    let mut settings = settings.clone();
    settings.credits.starter_grant = 1_000_000;
    settings.models_dir = stand_in.models_dir.clone();
    let settings = &settings;
    let mut b = Bench {
        root: root.path(),
        stand_in,
        settings,
        network: format!("bench-{}", crate::ids::random_hex(4)),
        secret: crate::ids::random_hex(8),
        members: Vec::new(),
        client: crate::fetch::http_client()?,
    };
    let result = b.all(honest_jobs).await;
    for m in &mut b.members {
        let _ = m.child.kill().await;
    }
    if result.is_err() || std::env::var_os("LLP_BENCH_KEEP").is_some() {
        let kept = root.keep();
        eprintln!("llp bench: the nodes' logs are kept in {}", kept.display());
    }
    result
}

struct Bench<'a> {
    root: &'a std::path::Path,
    stand_in: crate::trust::stand_in::StandIn,
    settings: &'a Settings,
    network: String,
    secret: String,
    /// The requester first, then the honest workers, then the cheater of the moment.
    members: Vec<Member>,
    client: reqwest::Client,
}

/// A job the requester sent: who served it.
struct Sent {
    by: String,
}

impl Bench<'_> {
    async fn spawn(&self, i: usize, extra: &[&str]) -> anyhow::Result<Member> {
        let join = match self.members.first() {
            Some(r) => crate::node::datadir::running_node(&r.dir).and_then(|n| n.ticket),
            None => None,
        };
        let catalog = self.stand_in.catalog.to_string_lossy();
        let extra: Vec<String> = ["--catalog", &catalog]
            .iter()
            .chain(extra)
            .map(|s| s.to_string())
            .collect();
        let (root, s) = (self.root, self.settings);
        spawn(
            i,
            root,
            s,
            &self.network,
            &self.secret,
            join.as_deref(),
            &extra,
        )
        .await
    }

    async fn all(&mut self, honest_jobs: usize) -> anyhow::Result<TrustReport> {
        let both = format!("{},{}", self.stand_in.default, self.stand_in.stand_in);
        let r = self
            .spawn(
                0,
                &[
                    "--paused",
                    "--model",
                    &both,
                    "--threads",
                    "1",
                    "--slots",
                    "4",
                ],
            )
            .await?;
        self.members.push(r);
        let honest = [("1", "1"), ("2", "2"), ("1", "3"), ("2", "4")];
        for (i, (threads, slots)) in honest.iter().enumerate() {
            let model = &self.stand_in.default;
            let w = self
                .spawn(
                    i + 1,
                    &["--model", model, "--threads", threads, "--slots", slots],
                )
                .await?;
            self.members.push(w);
        }
        until_peers(&self.client, &self.members[0].api, honest.len()).await?;
        eprintln!(
            "requester and {} honest workers (threads 1-2, slots 1-4); {honest_jobs} jobs, 4 at a time",
            honest.len()
        );
        let mut sent = self.jobs(honest_jobs).await?;
        let mut modes = Vec::new();
        for (k, mode) in MODES.iter().enumerate() {
            let (m, more) = self.one_cheater(5 + k, mode).await?;
            anyhow::ensure!(
                m.cheater_jobs > 0,
                "the {mode} cheater got none of {} jobs: see the requester's log",
                m.jobs
            );
            eprintln!(
                "{mode:>12}: {} after {} of its jobs ({} jobs in all): {}",
                if m.caught { "caught" } else { "NOT caught" },
                m.cheater_jobs,
                m.jobs,
                m.check
            );
            modes.push(m);
            sent.extend(more);
        }
        self.tally(&sent, honest.len(), modes).await
    }

    /// Sends `n` jobs through the requester, 4 at a time; who served each.
    async fn jobs(&self, n: usize) -> anyhow::Result<Vec<Sent>> {
        let api = self.members[0].api.clone();
        let model = self.stand_in.default.clone();
        let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..4 {
            let (api, next, client) = (api.clone(), next.clone(), self.client.clone());
            let model = model.clone();
            tasks.spawn(async move {
                let mut out = Vec::new();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= n {
                        return anyhow::Ok(out);
                    }
                    out.push(one(&client, &api, &model, i).await?);
                }
            });
        }
        let mut all = Vec::new();
        while let Some(r) = tasks.join_next().await {
            all.extend(r??);
        }
        Ok(all)
    }

    /// A cheater joins; jobs go out one at a time until a check of one of its jobs fails (or it
    /// ran [`MAX_CHEATER_JOBS`]); then it is stopped.
    async fn one_cheater(
        &mut self,
        i: usize,
        mode: &str,
    ) -> anyhow::Result<(ModeReport, Vec<Sent>)> {
        let c = self
            .spawn(
                i,
                &[
                    "--model",
                    &self.stand_in.default.clone(),
                    "--cheat",
                    mode,
                    "--threads",
                    "1",
                    "--slots",
                    "2",
                ],
            )
            .await?;
        // Its jobs are for the model it names.
        let model = match mode {
            "claim-bigger" => self.stand_in.stand_in.clone(),
            _ => self.stand_in.default.clone(),
        };
        let id = c.id.to_string();
        self.members.push(c);
        self.until_routable(&id).await?;
        let mut sent = Vec::new();
        let mut cheater_jobs = 0;
        let mut report = None;
        for k in 0..MAX_CHEATER_JOBS * 10 {
            let s = one(&self.client, &self.members[0].api, &model, k).await?;
            let by_cheater = s.by == id;
            sent.push(s);
            if !by_cheater {
                continue;
            }
            cheater_jobs += 1;
            let (checked, failed) = self.checks_of(&id, cheater_jobs as u64).await?;
            if failed > 0 || cheater_jobs >= MAX_CHEATER_JOBS {
                report = Some((failed > 0, checked));
                break;
            }
        }
        let (caught, _) = report.unwrap_or((false, 0));
        let check = self.last_check_of(&id).await.unwrap_or_default();
        let mut c = self.members.pop().expect("the cheater");
        let _ = c.child.kill().await;
        Ok((
            ModeReport {
                mode: mode.into(),
                caught,
                cheater_jobs,
                jobs: sent.len(),
                check,
            },
            sent,
        ))
    }

    /// Waits until the requester can route to peer `id`.
    async fn until_routable(&self, id: &str) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            let p = self.peer(id).await?;
            if p.as_ref().is_some_and(|p| {
                p["health"]["state"] == "ok"
                    && p["models"].as_array().is_some_and(|m| !m.is_empty())
            }) {
                return Ok(());
            }
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(60),
                "the requester cannot route to {id} after 60 s: {p:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A GET of the requester's API, as JSON.
    async fn get(&self, path: &str) -> anyhow::Result<Value> {
        let api = &self.members[0].api;
        let url = format!("http://{api}{path}");
        Ok(self.client.get(url).send().await?.json().await?)
    }

    async fn status(&self) -> anyhow::Result<Value> {
        self.get("/api/status").await
    }

    /// Peer `id` as the requester's status shows it.
    async fn peer(&self, id: &str) -> anyhow::Result<Option<Value>> {
        let s = self.status().await?;
        let all = s["peers"].as_array();
        Ok(all.and_then(|p| p.iter().find(|p| p["id"] == id)).cloned())
    }

    /// The requester's checks of peer `id` (checked, failed), once `jobs` of them are in (or
    /// after 30 s: a job not drawn for a check never shows).
    async fn checks_of(&self, id: &str, jobs: u64) -> anyhow::Result<(u64, u64)> {
        let started = Instant::now();
        loop {
            let p = self.peer(id).await?;
            let c = p.as_ref().map(|p| &p["checks"]);
            let passed = c.and_then(|c| c["passed"].as_u64()).unwrap_or(0);
            let failed = c.and_then(|c| c["failed"].as_u64()).unwrap_or(0);
            if passed + failed >= jobs || failed > 0 || started.elapsed() > Duration::from_secs(30)
            {
                return Ok((passed + failed, failed));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The check line of the newest job `id` served.
    async fn last_check_of(&self, id: &str) -> Option<String> {
        let details = self.details().await.ok()?;
        details
            .iter()
            .rev()
            .find(|d| d["served_by"] == id)
            .and_then(|d| d["detail"]["check"].as_str().map(String::from))
    }

    /// Every job in the requester's log, whole.
    async fn details(&self) -> anyhow::Result<Vec<Value>> {
        let log = self.get("/api/jobs").await?;
        let mut out = Vec::new();
        for j in log["jobs"].as_array().into_iter().flatten() {
            let Some(id) = j["id"].as_str() else { continue };
            out.push(self.get(&format!("/api/jobs/{id}")).await?);
        }
        Ok(out)
    }

    async fn tally(
        &self,
        sent: &[Sent],
        honest_workers: usize,
        modes: Vec<ModeReport>,
    ) -> anyhow::Result<TrustReport> {
        let honest: Vec<String> = self.members[1..=honest_workers]
            .iter()
            .map(|m| m.id.to_string())
            .collect();
        let s = self.status().await?;
        let (mut checked, mut accused) = (0, 0);
        for p in s["peers"].as_array().into_iter().flatten() {
            if honest.iter().any(|h| p["id"] == h.as_str()) {
                let c = &p["checks"];
                checked += c["passed"].as_u64().unwrap_or(0) + c["failed"].as_u64().unwrap_or(0);
                if c["failed"].as_u64().unwrap_or(0) > 0 {
                    accused += 1;
                }
            }
        }
        let honest_jobs = sent.iter().filter(|s| honest.contains(&s.by)).count();
        let (mut check_ms, mut checked_job_ms, mut all_job_ms, mut measured) =
            (Vec::new(), 0.0, 0.0, 0);
        let mut gaps = Vec::new();
        for d in self.details().await? {
            let detail = &d["detail"];
            if let Some(g) = detail["check"].as_str().and_then(largest_gap) {
                gaps.push(g);
            }
            let work = detail["prompt_ms"].as_f64().unwrap_or(0.0)
                + detail["generation_ms"].as_f64().unwrap_or(0.0);
            if work <= 0.0 {
                continue;
            }
            measured += 1;
            all_job_ms += work;
            if let Some(ms) = detail["check"].as_str().and_then(check_time) {
                check_ms.push(ms);
                checked_job_ms += work;
            }
        }
        let total: f64 = check_ms.iter().sum();
        let checks = check_ms.len();
        let mut sorted = check_ms.clone();
        sorted.sort_by(f64::total_cmp);
        let pct = |q: f64| {
            sorted
                .get(((sorted.len() as f64 - 1.0) * q) as usize)
                .copied()
        };
        Ok(TrustReport {
            honest_workers,
            honest_jobs,
            honest_checked: checked,
            honest_accused: accused,
            greedy_checked: gaps.len(),
            greedy_off_top: gaps.iter().filter(|g| **g > 0.0).count(),
            largest_gap: gaps.iter().copied().fold(0.0, f64::max),
            modes,
            jobs_measured: measured,
            checks,
            check_ms_p50: pct(0.5).unwrap_or(0.0),
            check_ms_p95: pct(0.95).unwrap_or(0.0),
            overhead_pct: 100.0 * total / all_job_ms.max(1e-9),
            check_to_job_pct: 100.0 * total / checked_job_ms.max(1e-9),
            floor_overhead_pct: crate::trust::spot::FLOOR * 100.0 * total
                / checked_job_ms.max(1e-9),
        })
    }
}

/// The largest gap a passed greedy check reports (`greedy, largest gap 0.115 logits`).
fn largest_gap(line: &str) -> Option<f64> {
    let rest = line.split("largest gap ").nth(1)?;
    rest.split(' ').next()?.parse().ok()
}

/// The milliseconds a check line reports (`checked in 173 ms`, `FAILED (251 ms)`).
fn check_time(line: &str) -> Option<f64> {
    let at = line.find(" ms")?;
    let digits = line[..at].rsplit(|c: char| !c.is_ascii_digit()).next()?;
    digits.parse().ok()
}

/// One job for `model` through the requester: prompt `i` (greedy for even `i`, sampled for
/// odd), each prompt a new one (a question and a number), so that answers differ.
async fn one(client: &reqwest::Client, api: &str, model: &str, i: usize) -> anyhow::Result<Sent> {
    let prompt = format!("{} (Question {}.)", PROMPTS[i % PROMPTS.len()], i / 2);
    let mut body = json!({
        "model": model,
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": 24,
        "temperature": 0,
    });
    if i % 2 == 1 {
        body["temperature"] = json!(0.8);
        body["top_p"] = json!(0.9);
        body["seed"] = json!(i);
    }
    let r = client
        .post(format!("http://{api}/v1/chat/completions"))
        .json(&body)
        .send()
        .await?;
    anyhow::ensure!(r.status().is_success(), "job {i}: {}", r.status());
    let by = r
        .headers()
        .get("x-llp-node")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let _: Value = r.json().await?;
    Ok(Sent { by })
}

pub fn print(r: &TrustReport) {
    let caught = r.modes.iter().filter(|m| m.caught).count();
    println!(
        "cheaters caught within {MAX_CHEATER_JOBS} of their jobs: {caught} of {}",
        r.modes.len()
    );
    println!(
        "honest workers accused: {} of {} ({} of their {} jobs checked)",
        r.honest_accused, r.honest_workers, r.honest_checked, r.honest_jobs
    );
    println!(
        "honest greedy answers checked: {}; with a token not the checker's top: {}; largest gap \
         {:.3} logits (the tolerance is 0.5)",
        r.greedy_checked, r.greedy_off_top, r.largest_gap
    );
    println!(
        "checks: {} (p50 {:.0} ms, p95 {:.0} ms); check time over the workers' time: {:.1}% of all \
         {} jobs, {:.0}% of a checked job",
        r.checks,
        r.check_ms_p50,
        r.check_ms_p95,
        r.overhead_pct,
        r.jobs_measured,
        r.check_to_job_pct
    );
    println!(
        "at the floor rate ({:.0}% of jobs, a worker's run of 200 or more): {:.1}% extra compute",
        crate::trust::spot::FLOOR * 100.0,
        r.floor_overhead_pct
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn check_lines_give_their_time() {
        use super::check_time;
        assert_eq!(
            check_time("spot check passed: 7 tokens of ab checked in 173 ms (its run: 1)"),
            Some(173.0)
        );
        assert_eq!(
            check_time("spot check FAILED (251 ms): at answer token 2"),
            Some(251.0)
        );
        assert_eq!(check_time("not drawn for a spot check (rate 0.50)"), None);
        let line = "spot check passed: 7 tokens of ab checked in 1 ms (its run: 1; greedy, \
                    largest gap 0.115 logits)";
        assert_eq!(super::largest_gap(line), Some(0.115));
    }
}
