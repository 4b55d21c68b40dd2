//! `llp bench --ledger`: the credit ledger's costs, each against a baseline in the same run.
//! Its workloads ([`sample_chain`], [`append_receipts`]) are public: the tests build their
//! chains and drive their crash test with them.
//!
//! - **Verification:** a chain of `--entries` entries (a third spends, two thirds earnings, each
//!   earning carrying its payer's signed spend) is built in memory, then verified on one thread:
//!   hash links, rules, each earning's payer signature (batched) and one signed head. Baseline:
//!   what format 1 did, two signatures per entry checked one at a time (over a sample). The
//!   export path (`llp ledger verify --file`: JSON lines parsed and compared field by field) is
//!   timed too.
//! - **An audit** of a new peer's chain: the same chain handed to [`Ledger::audit`] (fetching
//!   from memory), as a worker audits a requester it has not seen.
//! - **Admission:** one evaluation of the puzzle (what an auditor pays to check one), and the
//!   expected time to solve it at the network's difficulty on this machine's cores.
//! - **Appends:** durable receipts per second into a fresh `ledger.redb` in a temporary dir, one
//!   appender at a time (one fsync per receipt: the baseline) and with 32 concurrent appenders
//!   (group commit: one fsync per batch, none acknowledged before it).

use std::time::Instant;

use serde::Serialize;

use crate::ids::{NodeId, now_ms, random_hex};
use crate::ledger::{
    self, Admission, Entry, Head, Ledger, LedgerError, ModelFacts, Payload, Policy, Position,
    Receipt, Rules, chain,
};
use crate::tasks::Tasks;

#[derive(Debug, Serialize)]
pub struct LedgerReport {
    pub entries: u64,
    pub verify_every_signature_us_per_entry: f64,
    pub verify_us_per_entry: f64,
    pub audit_speedup: f64,
    pub audit_1m_entries_s: f64,
    pub verify_export_us_per_entry: f64,
    pub audit_new_peer_us_per_entry: f64,
    pub admission_check_ms: f64,
    pub admission_bits: u8,
    pub admission_expected_s: f64,
    pub admission_threads: usize,
    pub appends_serial_per_s: f64,
    pub appends_grouped_per_s: f64,
    pub append_speedup: f64,
}

/// The model the sample chains' receipts name, and its catalog facts.
pub const SAMPLE_MODEL: &str = "smollm2-135m-instruct";
pub const SAMPLE_FACTS: ModelFacts = ModelFacts {
    parameters: 134_515_008,
    context: 8192,
};

/// The credits of each receipt of a sample chain: 50 tokens of the sample model at `q4_1`.
pub fn sample_credits() -> u64 {
    Policy::default().price(SAMPLE_FACTS.parameters, "q4_1", 50)
}

pub async fn run(entries: u64) -> anyhow::Result<LedgerReport> {
    let entries = entries.max(100);
    eprintln!("building a chain of {entries} entries (signing is not timed)...");
    let owner = iroh::SecretKey::generate();
    let peers: Vec<_> = (0..4).map(|_| iroh::SecretKey::generate()).collect();
    let raws = tokio::task::spawn_blocking({
        let (o, p) = (owner.clone(), peers.clone());
        move || sample_chain(&o, &p, entries)
    })
    .await?;
    let id = NodeId::from(&owner);
    let head = sample_head(&owner, &raws);
    let (raws, old, new, export) = tokio::task::spawn_blocking({
        let head = head.clone();
        move || {
            let (old, new) = time_verification(&raws, id, &head);
            let export = time_export(&raws, id, &head);
            (raws, old, new, export)
        }
    })
    .await?;
    let audit = time_audit(raws, head).await?;
    drop(owner);
    let policy = Policy::default();
    let (check_ms, threads, expected_s) = time_admission(policy.admission_bits);

    let dir = tempfile::tempdir()?;
    let l = scratch_ledger(dir.path()).await?;
    let serial_n = 1000;
    let t = Instant::now();
    append_receipts(&l, serial_n, 1, |_| {}).await?;
    let serial = serial_n as f64 / t.elapsed().as_secs_f64();
    let grouped_n = 5000;
    let t = Instant::now();
    append_receipts(&l, grouped_n, 32, |_| {}).await?;
    let grouped = grouped_n as f64 / t.elapsed().as_secs_f64();

    Ok(LedgerReport {
        entries,
        verify_every_signature_us_per_entry: old,
        verify_us_per_entry: new,
        audit_speedup: old / audit,
        audit_1m_entries_s: audit,
        verify_export_us_per_entry: export,
        audit_new_peer_us_per_entry: audit,
        admission_check_ms: check_ms,
        admission_bits: policy.admission_bits,
        admission_expected_s: expected_s,
        admission_threads: threads,
        appends_serial_per_s: serial,
        appends_grouped_per_s: grouped,
        append_speedup: grouped / serial,
    })
}

/// Microseconds per entry on this one thread: every signature batched as format 1 checked them
/// (each entry's own and its counterparty's; over a sample), and the verifier with the payers'
/// signatures (`llp ledger verify`).
fn time_verification(raws: &[Vec<u8>], id: NodeId, head: &Head) -> (f64, f64) {
    let sample = raws.len().min(100_000);
    let t = Instant::now();
    let mut v = chain::Verifier::new(Some(id), Rules::default(), now_ms()).with_owner_signatures();
    for raw in &raws[..sample] {
        v.push(raw).expect("verifies");
    }
    let last = &raws[sample - 1];
    let e = Entry::decode(last).expect("well-formed");
    v.finish_to(e.seq, *blake3::hash(last).as_bytes())
        .expect("verifies");
    let old = t.elapsed().as_secs_f64() * 1e6 / sample as f64;
    let t = Instant::now();
    let mut v = chain::Verifier::new(Some(id), Rules::default(), now_ms());
    for raw in raws {
        v.push(raw).expect("verifies");
    }
    v.finish_at(head).expect("verifies");
    let new = t.elapsed().as_secs_f64() * 1e6 / raws.len() as f64;
    (old, new)
}

/// Microseconds per entry to verify the chain's export.
fn time_export(raws: &[Vec<u8>], id: NodeId, head: &Head) -> f64 {
    let mut text = String::new();
    for raw in raws {
        text.push_str(&Entry::decode(raw).expect("ok").to_json(raw).to_string());
        text.push('\n');
    }
    text.push_str(&serde_json::json!({ "head": head }).to_string());
    let t = Instant::now();
    chain::verify_export(&text, Some(id), Rules::default(), now_ms()).expect("verifies");
    t.elapsed().as_secs_f64() * 1e6 / raws.len() as f64
}

/// A ledger on network "bench" in `dir`, admitted at no cost, pricing the sample catalog.
async fn scratch_ledger(dir: &std::path::Path) -> anyhow::Result<Ledger> {
    let path = dir.to_path_buf();
    let l = tokio::task::spawn_blocking(move || {
        let p = Policy {
            admission_bits: 0,
            ..Policy::default()
        };
        Ledger::open(
            &path,
            iroh::SecretKey::generate(),
            p,
            sample_catalog(),
            "bench",
        )
    })
    .await??;
    Ok(l)
}

/// Microseconds per entry of a worker's first audit of this chain.
async fn time_audit(raws: Vec<Vec<u8>>, head: Head) -> anyhow::Result<f64> {
    let dir = tempfile::tempdir()?;
    let auditor = scratch_ledger(dir.path()).await?;
    let n = raws.len();
    let tasks = Tasks::new();
    let t = Instant::now();
    let owner = head.owner;
    let raws = std::sync::Arc::new(raws);
    // The chain's own entries; its payers are out of reach (their earnings wait).
    let fetch =
        move |peer: NodeId, _after: Option<u64>, sink: tokio::sync::mpsc::Sender<Vec<Vec<u8>>>| {
            let raws = raws.clone();
            async move {
                if peer != owner {
                    return Err("not reachable in the bench".to_string());
                }
                for c in raws.chunks(256) {
                    if sink.send(c.to_vec()).await.is_err() {
                        break;
                    }
                }
                Ok(())
            }
        };
    auditor
        .audit(&tasks, &head, fetch)
        .await
        .map_err(|e| anyhow::anyhow!("the audit failed: {e}"))?;
    Ok(t.elapsed().as_secs_f64() * 1e6 / n as f64)
}

/// One check of an admission (ms), the threads used, and the expected seconds to solve at
/// `bits` on them here (evaluations per second, measured, against the expected `2^bits`).
fn time_admission(bits: u8) -> (f64, usize, f64) {
    let id = NodeId::from(&iroh::SecretKey::generate());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let rate = Admission::rate(threads, 400);
    let a = Admission::solve(&id, "bench", 0, 1, &|_| {});
    let t = Instant::now();
    for _ in 0..20 {
        a.check(&id).expect("solved");
    }
    let check_ms = t.elapsed().as_secs_f64() * 1e3 / 20.0;
    (check_ms, threads, Admission::expected_work(bits) / rate)
}

pub fn print(r: &LedgerReport) {
    println!(
        "ledger verification, one thread, {} entries (a third spends, two thirds earnings):",
        r.entries
    );
    println!(
        "  every signature, batched (format 1)  {:>8.2} us/entry  (baseline)",
        r.verify_every_signature_us_per_entry
    );
    println!(
        "  links, payers' signatures, a head    {:>8.2} us/entry  (llp ledger verify)",
        r.verify_us_per_entry
    );
    println!(
        "  an export (JSON lines, every sig)    {:>8.2} us/entry",
        r.verify_export_us_per_entry
    );
    println!(
        "  a worker's first audit of the chain  {:>8.2} us/entry  {:.2}x; 1,000,000 entries in \
         about {:.1} s (target: under 10 s)",
        r.audit_new_peer_us_per_entry, r.audit_speedup, r.audit_1m_entries_s
    );
    println!(
        "admission ({} bits, Argon2id 8 MiB): a check {:.1} ms; solving about {:.0} s on {} \
         threads here",
        r.admission_bits, r.admission_check_ms, r.admission_expected_s, r.admission_threads
    );
    println!("durable appends (fsync before each acknowledgement):");
    println!(
        "  one appender              {:>8.0} receipts/s  (baseline)",
        r.appends_serial_per_s
    );
    println!(
        "  32 appenders, grouped     {:>8.0} receipts/s  {:.2}x",
        r.appends_grouped_per_s, r.append_speedup
    );
}

/// The catalog the sample chains are priced in.
pub fn sample_catalog() -> std::collections::HashMap<String, ModelFacts> {
    [(SAMPLE_MODEL.to_string(), SAMPLE_FACTS)].into()
}

/// A well-formed chain of `n` entries by `owner` on network "bench" (admitted at no cost): see
/// [`sample_chain_in`].
pub fn sample_chain(owner: &iroh::SecretKey, peers: &[iroh::SecretKey], n: u64) -> Vec<Vec<u8>> {
    sample_chain_in(owner, peers, n, "bench", 0)
}

/// A well-formed chain of `n` entries by `owner`, admitted to `network` at `bits`: a grant of
/// 100, then earnings and spends of [`sample_credits`] with `peers` in turn (a third spends),
/// each earning carrying its payer's signed spend.
pub fn sample_chain_in(
    owner: &iroh::SecretKey,
    peers: &[iroh::SecretKey],
    n: u64,
    network: &str,
    bits: u8,
) -> Vec<Vec<u8>> {
    let id = NodeId::from(owner);
    let credits = sample_credits();
    let mut out = Vec::new();
    let mut at = Position::START;
    for seq in 0..n {
        let time_ms = 1_000 + seq;
        let e = if seq == 0 {
            let a = Admission::solve(&id, network, bits, 1, &|_| {});
            at.append(owner, 100, 0, Payload::Grant(a), time_ms)
        } else {
            let peer = &peers[seq as usize % peers.len()];
            let earn = seq % 3 != 0;
            let (requester, worker) = if earn {
                (NodeId::from(peer), id)
            } else {
                (id, NodeId::from(peer))
            };
            let r = Receipt {
                job: format!("job-{seq}"),
                requester,
                worker,
                model: SAMPLE_MODEL.into(),
                quant: "q4_1".into(),
                prompt_tokens: 20,
                completion_tokens: 30,
                credits,
                time_ms,
            };
            let payload = if earn {
                Payload::Earn {
                    spend: payer_spend(peer, seq, r.clone()),
                    receipt: r,
                }
            } else {
                Payload::Spend(r)
            };
            at.append(owner, credits, 0, payload, time_ms)
        };
        let e = e.expect("a sample chain keeps the rules");
        let raw = e.encode();
        at = Position::after(&e, &raw);
        out.push(raw);
    }
    out
}

/// A payer's spend entry for `r` (at some place of its own chain), signed: what an earning
/// carries.
pub fn payer_spend(payer: &iroh::SecretKey, seq: u64, r: Receipt) -> Vec<u8> {
    let at = Position {
        next: seq,
        prev: *blake3::hash(&seq.to_be_bytes()).as_bytes(),
        time_ms: r.time_ms,
        balance: 1 << 40,
    };
    let credits = r.credits;
    at.append(payer, credits, 0, Payload::Spend(r), at.time_ms)
        .expect("a spend within the balance")
        .encode()
}

/// The owner's signed head for the last of `raws`.
pub fn sample_head(owner: &iroh::SecretKey, raws: &[Vec<u8>]) -> Head {
    let last = raws.last().expect("a chain");
    let e = Entry::decode(last).expect("well-formed");
    ledger::Head::sign(owner, e.seq, *blake3::hash(last).as_bytes(), e.balance)
}

/// Appends `count` earnings (paid by a throwaway key's spends) as fast as the disk allows,
/// `concurrency` at once, calling `acked(seq)` after each is durable.
pub async fn append_receipts(
    ledger: &Ledger,
    count: u64,
    concurrency: usize,
    acked: impl Fn(u64) + Send + Sync + 'static,
) -> Result<(), LedgerError> {
    let peer = iroh::SecretKey::generate();
    let acked = std::sync::Arc::new(acked);
    let next = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let tag = random_hex(4);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (ledger, peer, acked, next, tag) = (
            ledger.clone(),
            peer.clone(),
            acked.clone(),
            next.clone(),
            tag.clone(),
        );
        tasks.spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= count {
                    return Ok(());
                }
                let r = Receipt {
                    job: format!("stress-{tag}-{i}"),
                    requester: NodeId::from(&peer),
                    worker: ledger.id(),
                    model: SAMPLE_MODEL.into(),
                    quant: "q4_1".into(),
                    prompt_tokens: 16,
                    completion_tokens: 16,
                    credits: Policy::default().price(SAMPLE_FACTS.parameters, "q4_1", 32),
                    time_ms: now_ms(),
                };
                let e = ledger.earn(payer_spend(&peer, i, r)).await?;
                acked(e.seq);
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.map_err(|e| LedgerError::Write(e.to_string()))??;
    }
    Ok(())
}
