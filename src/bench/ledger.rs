//! `llp bench --ledger`: the credit ledger's costs, each against a baseline in the same run.
//! Its workloads ([`sample_chain`], [`append_receipts`]) are public: the tests build their
//! chains and drive their crash test with them.
//!
//! - **Verification:** a chain of `--entries` countersigned entries is built in memory, then
//!   verified on one thread with the batched verifier (two signatures per entry: the owner's and
//!   the counterparty's). Baseline: the same signatures checked one at a time. The export path
//!   (`llp ledger verify --file`: JSON lines parsed and compared field by field) is timed too.
//! - **Appends:** durable receipts per second into a fresh `ledger.redb` in a temporary dir, one
//!   appender at a time (one fsync per receipt: the baseline) and with 32 concurrent appenders
//!   (group commit: one fsync per batch, none acknowledged before it).

use std::time::Instant;

use serde::Serialize;

use crate::ids::{NodeId, now_ms, random_hex};
use crate::ledger::{self, Entry, Kind, Ledger, LedgerError, Policy, Position, Receipt, chain};

#[derive(Debug, Serialize)]
pub struct LedgerReport {
    pub entries: u64,
    pub verify_one_at_a_time_us_per_entry: f64,
    pub verify_batched_us_per_entry: f64,
    pub verify_speedup: f64,
    pub projected_1m_entries_s: f64,
    pub verify_export_us_per_entry: f64,
    pub appends_serial_per_s: f64,
    pub appends_grouped_per_s: f64,
    pub append_speedup: f64,
}

pub async fn run(entries: u64) -> anyhow::Result<LedgerReport> {
    let entries = entries.max(100);
    eprintln!("building a chain of {entries} countersigned entries (signing is not timed)...");
    let owner = iroh::SecretKey::generate();
    let peers: Vec<_> = (0..4).map(|_| iroh::SecretKey::generate()).collect();
    let raws = tokio::task::spawn_blocking({
        let (o, p) = (owner.clone(), peers.clone());
        move || sample_chain(&o, &p, entries)
    })
    .await?;
    let id = NodeId::from(&owner);
    let now = now_ms();

    let (raws, one, batched, export) = tokio::task::spawn_blocking(move || {
        // Baseline: each signature on its own, over a sample of the chain.
        let sample = raws.len().min(10_000);
        let t = Instant::now();
        for raw in &raws[..sample] {
            let e = Entry::decode(raw).expect("well-formed");
            let body = &raw[..raw.len() - 64];
            assert!(chain::verify_one(&e.owner, &e.sig, body));
            if let (Some((r, cs)), Some(other)) = (&e.receipt, e.counterparty()) {
                assert!(r.signed_by(&other, cs));
            }
        }
        let one = t.elapsed().as_secs_f64() * 1e6 / sample as f64;
        // The verifier, over the whole chain, on this one thread.
        let t = Instant::now();
        let mut v = chain::Verifier::new(Some(id), None, now);
        for raw in &raws {
            v.push(raw).expect("verifies");
        }
        v.finish().expect("verifies");
        let batched = t.elapsed().as_secs_f64() * 1e6 / raws.len() as f64;
        // The export path.
        let mut text = String::new();
        for raw in &raws {
            text.push_str(&Entry::decode(raw).expect("ok").to_json(raw).to_string());
            text.push('\n');
        }
        let last = Entry::decode(raws.last().expect("not empty")).expect("ok");
        let h = ledger::Head::sign(
            &owner,
            last.seq,
            *blake3::hash(raws.last().expect("not empty")).as_bytes(),
            last.balance,
        );
        text.push_str(&serde_json::json!({ "head": h }).to_string());
        let t = Instant::now();
        chain::verify_export(&text, Some(id), None, now).expect("verifies");
        let export = t.elapsed().as_secs_f64() * 1e6 / raws.len() as f64;
        (raws, one, batched, export)
    })
    .await?;
    drop(raws);

    let dir = tempfile::tempdir()?;
    let key = iroh::SecretKey::generate();
    let path = dir.path().to_path_buf();
    let l = tokio::task::spawn_blocking(move || {
        Ledger::open(&path, key, Policy::default(), Default::default())
    })
    .await??;
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
        verify_one_at_a_time_us_per_entry: one,
        verify_batched_us_per_entry: batched,
        verify_speedup: one / batched,
        projected_1m_entries_s: batched,
        verify_export_us_per_entry: export,
        appends_serial_per_s: serial,
        appends_grouped_per_s: grouped,
        append_speedup: grouped / serial,
    })
}

pub fn print(r: &LedgerReport) {
    println!("ledger verification, one thread, {} entries:", r.entries);
    println!(
        "  one signature at a time   {:>8.1} us/entry  (baseline)",
        r.verify_one_at_a_time_us_per_entry
    );
    println!(
        "  batched (coalesced keys)  {:>8.1} us/entry  {:.2}x; 1,000,000 entries in about {:.1} s",
        r.verify_batched_us_per_entry, r.verify_speedup, r.projected_1m_entries_s
    );
    println!(
        "  an export (JSON lines)    {:>8.1} us/entry",
        r.verify_export_us_per_entry
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

/// A well-formed chain of `n` entries by `owner`: a grant of 100, then earns and spends of 7
/// credits with `peers` in turn, each countersigned.
pub fn sample_chain(owner: &iroh::SecretKey, peers: &[iroh::SecretKey], n: u64) -> Vec<Vec<u8>> {
    let id = NodeId::from(owner);
    let mut out = Vec::new();
    let mut at = Position::START;
    for seq in 0..n {
        let time_ms = 1_000 + seq;
        let e = if seq == 0 {
            at.append(owner, Kind::Grant, 100, None, time_ms)
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
                model: "smollm2-135m-instruct".into(),
                quant: "q4_1".into(),
                prompt_tokens: 20,
                completion_tokens: 30,
                credits: 7,
                time_ms,
            };
            let cs = r.sign(peer);
            let kind = if earn { Kind::Earn } else { Kind::Spend };
            at.append(owner, kind, 7, Some((r, cs)), time_ms)
        };
        let e = e.expect("a sample chain keeps the rules");
        let raw = e.encode();
        at = Position::after(&e, &raw);
        out.push(raw);
    }
    out
}

/// Appends `count` self-made receipts (earnings paid by a throwaway key) as fast as the disk
/// allows, `concurrency` at once, calling `acked(seq)` after each is durable.
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
                    model: "smollm2-135m-instruct".into(),
                    quant: "q4_1".into(),
                    prompt_tokens: 16,
                    completion_tokens: 16,
                    credits: 1,
                    time_ms: now_ms(),
                };
                let sig = r.sign(&peer);
                let e = ledger.earn(r, sig).await?;
                acked(e.seq);
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.map_err(|e| LedgerError::Write(e.to_string()))??;
    }
    Ok(())
}
