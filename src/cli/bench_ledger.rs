//! `llp bench --ledger`: the credit ledger's costs, each against a baseline in the same run.
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

use crate::ledger::{self, Entry, Ledger, Policy, chain};

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
        move || chain::sample_chain(&o, &p, entries)
    })
    .await?;
    let id = *owner.public().as_bytes();
    let now = ledger::now_ms();

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
    ledger::stress(&l, serial_n, 1, |_| {}).await?;
    let serial = serial_n as f64 / t.elapsed().as_secs_f64();
    let grouped_n = 5000;
    let t = Instant::now();
    ledger::stress(&l, grouped_n, 32, |_| {}).await?;
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
