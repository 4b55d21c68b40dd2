//! The encoding and the verifier: every rule, every single-byte change, every field of an
//! export.

use super::*;
use crate::bench::ledger::{sample_chain, sample_credits, sample_head};

fn rules() -> Rules {
    Rules {
        network: Some("bench".into()),
        admission_bits: Some(0),
        max_grant: Some(100),
    }
}

fn key() -> iroh::SecretKey {
    iroh::SecretKey::generate()
}

#[test]
fn a_good_chain_verifies_and_sums_up() {
    let owner = key();
    let raws = sample_chain(&owner, &[key(), key()], 50);
    let mut v = Verifier::new(Some(NodeId::from(&owner)), rules(), 10_000);
    for r in &raws {
        v.push(r).unwrap();
    }
    let done = v.finish_at(&sample_head(&owner, &raws)).unwrap();
    let s = done.summary;
    assert_eq!(s.entries, 50);
    let earns = (1..50).filter(|s| s % 3 != 0).count() as u64;
    let c = sample_credits();
    assert_eq!(s.balance, 100 + c * earns - c * (49 - earns));
    // Every earning's backing spend is listed for the payer checks.
    assert_eq!(done.backing.len() as u64, earns);
    // Decoding round-trips.
    for r in &raws {
        assert_eq!(&Entry::decode(r).unwrap().encode(), r);
    }
}

/// Each entry is authenticated by the links after it and the signed head at the end: an
/// altered entry is named, or the entry after it, which no longer links to it.
#[test]
fn every_single_byte_change_is_caught_at_its_entry() {
    let owner = key();
    let raws = sample_chain(&owner, &[key()], 6);
    let head = sample_head(&owner, &raws);
    for (i, raw) in raws.iter().enumerate() {
        for at in 0..raw.len() {
            let mut bad = raws.clone();
            bad[i][at] ^= 0x01;
            let mut v = Verifier::new(Some(NodeId::from(&owner)), rules(), 10_000);
            let r = bad
                .iter()
                .try_for_each(|r| v.push(r).map(|_| ()))
                .and_then(|_| v.finish_at(&head).map(|_| ()));
            let e = r.expect_err("a flipped bit went unnoticed");
            assert!(
                e.index == i as u64 || e.index == i as u64 + 1,
                "byte {at} of entry {i}: {e}"
            );
        }
    }
}

#[test]
fn grants_need_an_admission_for_this_network_at_its_difficulty() {
    let owner = key();
    let id = NodeId::from(&owner);
    let chain = |a: Admission| {
        let e = Position::START
            .append(&owner, 100, 0, Payload::Grant(a), 1_000)
            .unwrap();
        let raw = e.encode();
        let mut v = Verifier::new(
            Some(id),
            Rules {
                admission_bits: Some(6),
                ..rules()
            },
            10_000,
        );
        v.push(&raw).map(|_| ())
    };
    let good = Admission::solve(&id, "bench", 6, 2, &|_| {});
    chain(good.clone()).unwrap();
    let e = chain(Admission {
        bits: 2,
        ..Admission::solve(&id, "bench", 2, 1, &|_| {})
    })
    .unwrap_err();
    assert!(e.reason.contains("this network asks 6"), "{e}");
    let e = chain(Admission {
        network: "other".into(),
        ..good.clone()
    })
    .unwrap_err();
    assert!(e.reason.contains("network `other`"), "{e}");
    // An unsolved nonce: find one that fails (most do at 6 bits).
    let unsolved = (0..64)
        .map(|n| Admission {
            nonce: n,
            ..good.clone()
        })
        .find(|a| a.check(&id).is_err())
        .unwrap();
    let e = chain(unsolved).unwrap_err();
    assert!(e.reason.contains("not solved"), "{e}");
}

/// An export of `raws` with its signed head.
fn export(owner: &iroh::SecretKey, raws: &[Vec<u8>]) -> Vec<String> {
    let mut lines: Vec<String> = raws
        .iter()
        .map(|r| Entry::decode(r).unwrap().to_json(r).to_string())
        .collect();
    let last = Entry::decode(raws.last().unwrap()).unwrap();
    let h = Head::sign(
        owner,
        last.seq,
        *blake3::hash(raws.last().unwrap()).as_bytes(),
        last.balance,
    );
    lines.push(json!({ "head": h }).to_string());
    lines
}

/// Re-signs an entry (as its owner, or another key) after `edit`, returning its bytes.
fn resign(raw: &[u8], key: &iroh::SecretKey, edit: impl FnOnce(&mut Entry)) -> Vec<u8> {
    let mut e = Entry::decode(raw).unwrap();
    edit(&mut e);
    e.signed(key).encode()
}

fn line_of(raw: &[u8]) -> String {
    Entry::decode(raw).unwrap().to_json(raw).to_string()
}

/// The mutation probes of the trust notes, over an export: every field of every line
/// altered, entries reordered, duplicated, dropped, truncated, re-signed with another key,
/// a wrong previous hash and sequence gaps (both re-signed by the real owner, so only the
/// links can catch them), an old head replayed. Every variant must be refused, naming the
/// right entry.
#[test]
#[allow(clippy::too_many_lines)] // one probe after another, each read on its own
fn mutation_probes_are_all_rejected_at_the_first_bad_entry() {
    let owner = key();
    let other = key();
    let id = NodeId::from(&owner);
    let raws = sample_chain(&owner, &[key(), key()], 12);
    let good = export(&owner, &raws);
    let verify = |lines: &[String]| verify_export(&lines.join("\n"), Some(id), rules(), 10_000);
    verify(&good).expect("the unaltered export verifies");
    let mut probes: Vec<(String, Vec<String>, u64)> = Vec::new();
    // Every field of every entry line, and every hex digit of the signed bytes.
    for (i, line) in good.iter().enumerate().take(raws.len()) {
        let v: Value = serde_json::from_str(line).unwrap();
        for (k, x) in v.as_object().unwrap() {
            let mut m = v.clone();
            m[k] = match x {
                Value::Number(n) => json!(n.as_u64().unwrap() ^ 1),
                Value::String(s) => {
                    let mut b = s.clone().into_bytes();
                    let at = b.len() / 2;
                    b[at] = if b[at] == b'0' { b'1' } else { b'0' };
                    json!(String::from_utf8(b).unwrap())
                }
                Value::Null => json!("x"),
                Value::Object(o) => {
                    // A number in it: the receipt's answer count, the admission's nonce, the
                    // payment's seq.
                    let mut o = o.clone();
                    let (k, n) = o
                        .iter()
                        .find_map(|(k, v)| v.as_u64().map(|n| (k.clone(), n)))
                        .unwrap();
                    o.insert(k, json!(n ^ 1));
                    Value::Object(o)
                }
                other => panic!("unexpected field {k}: {other}"),
            };
            let mut l = good.clone();
            l[i] = m.to_string();
            probes.push((format!("entry {i} field {k}"), l, i as u64));
        }
        let raw_hex = v["raw"].as_str().unwrap();
        for at in (0..raw_hex.len()).step_by(7) {
            let mut b = hex::decode(raw_hex).unwrap();
            b[at / 2] ^= 1 << (at % 8);
            let mut m = v.clone();
            m["raw"] = json!(hex::encode(&b));
            let mut l = good.clone();
            l[i] = m.to_string();
            probes.push((format!("entry {i} raw byte {}", at / 2), l, i as u64));
        }
    }
    let n = raws.len();
    for i in 1..n {
        let mut l = good.clone();
        l.swap(i - 1, i);
        probes.push((
            format!("entries {} and {i} swapped", i - 1),
            l,
            (i - 1) as u64,
        ));
        let mut l = good.clone();
        l.insert(i, good[i - 1].clone());
        probes.push((format!("entry {} duplicated", i - 1), l, i as u64));
        let mut l = good.clone();
        l.remove(i);
        probes.push((format!("entry {i} dropped"), l, i as u64));
    }
    for keep in 1..n {
        // Truncated, the signed head kept: it names the first missing entry.
        let mut l = good[..keep].to_vec();
        l.push(good[n].clone());
        probes.push((format!("truncated to {keep} entries"), l, keep as u64));
    }
    probes.push(("the head line dropped".into(), good[..n].to_vec(), n as u64));
    let cut = good[n - 1][..good[n - 1].len() / 2].to_string();
    let mut l = good[..n - 1].to_vec();
    l.push(cut);
    probes.push(("the last line cut in half".into(), l, (n - 1) as u64));
    // An old head replayed over a truncated chain is caught by the links, not the head.
    let old = export(&owner, &raws[..5]);
    let mut l = good[..n].to_vec();
    l.push(old[5].clone());
    probes.push(("an old signed head".into(), l, 5));
    for i in 0..n {
        let mut l = good.clone();
        l[i] = line_of(&resign(&raws[i], &other, |_| {}));
        probes.push((format!("entry {i} re-signed with another key"), l, i as u64));
        let mut l = good.clone();
        l[i] = line_of(&resign(&raws[i], &other, |e| {
            e.owner = NodeId::from(&other)
        }));
        probes.push((format!("entry {i} re-owned by another key"), l, i as u64));
        let mut l = good.clone();
        l[i] = line_of(&resign(&raws[i], &owner, |e| e.prev[0] ^= 1));
        probes.push((
            format!("entry {i} with a wrong previous hash (owner-signed)"),
            l,
            i as u64,
        ));
        let mut l = good.clone();
        l[i] = line_of(&resign(&raws[i], &owner, |e| e.seq += 1));
        probes.push((
            format!("entry {i} with a sequence gap (owner-signed)"),
            l,
            i as u64,
        ));
        let mut l = good.clone();
        l[i] = line_of(&resign(&raws[i], &owner, |e| {
            e.time_ms = 10_000 + FUTURE_TOLERANCE_MS + 1
        }));
        probes.push((
            format!("entry {i} from the future (owner-signed)"),
            l,
            i as u64,
        ));
    }
    let total = probes.len();
    let mut wrong = Vec::new();
    for (what, lines, expect) in probes {
        match verify(&lines) {
            Ok(_) => wrong.push(format!("{what}: ACCEPTED")),
            // An altered entry is named, or the next one that no longer links to it.
            Err(e) if e.index != expect && e.index != expect + 1 => wrong.push(format!(
                "{what}: named entry {} (expected {expect}): {}",
                e.index, e.reason
            )),
            Err(_) => {}
        }
    }
    assert!(total > 500, "only {total} probes");
    eprintln!("{total} mutation probes");
    assert!(
        wrong.is_empty(),
        "{} of {total} probes went wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn heads_and_proofs() {
    let k = key();
    let a = Head::sign(&k, 3, [1; 32], 10);
    let b = Head::sign(&k, 3, [2; 32], 10);
    assert!(a.valid());
    let proof = |a: &Head, b: &Head| {
        Proof {
            a: a.clone(),
            b: Statement::Head(b.clone()),
        }
        .check()
    };
    assert_eq!(proof(&a, &b).unwrap(), NodeId::from(&k));
    assert!(proof(&a, &a).is_err());
    let mut forged = b.clone();
    forged.balance = 11;
    assert!(proof(&a, &forged).is_err());
}

#[test]
fn a_head_and_an_entry_that_disagree_prove_a_fork() {
    let k = key();
    let raws = sample_chain(&k, &[key()], 3);
    let entry = |i: usize| Statement::Entry {
        entry: hex::encode(&raws[i]),
    };
    let hash = |i: usize| *blake3::hash(&raws[i]).as_bytes();
    let at = |seq: u64, h: [u8; 32]| Head::sign(&k, seq, h, 0);
    let check = |a: Head, b: Statement| Proof { a, b }.check();
    // A head of seq 1 for another entry than entry 1; or that entry 2 does not follow.
    assert!(check(at(1, [9; 32]), entry(1)).is_ok());
    assert!(check(at(1, [9; 32]), entry(2)).is_ok());
    // The head and the entries of one chain agree.
    assert!(check(at(1, hash(1)), entry(1)).is_err());
    assert!(check(at(1, hash(1)), entry(2)).is_err());
    assert!(check(at(0, [9; 32]), entry(2)).is_err());
    // An entry altered by someone else, or by another key, proves nothing.
    let mut altered = raws[1].clone();
    altered[60] ^= 1;
    let altered = Statement::Entry {
        entry: hex::encode(altered),
    };
    assert!(check(at(1, [9; 32]), altered).is_err());
    let other = sample_chain(&key(), &[key()], 2);
    let theirs = Statement::Entry {
        entry: hex::encode(&other[1]),
    };
    assert!(check(at(1, [9; 32]), theirs).is_err());
}

/// A chain of `owner` from `raws`, extended by `payload` (moving `amount`, closing `held`) at
/// `time_ms`; the new entry's bytes.
fn extend(
    owner: &iroh::SecretKey,
    raws: &[Vec<u8>],
    amount: u64,
    held: u64,
    payload: Payload,
    time_ms: u64,
) -> Vec<u8> {
    let last = raws.last().unwrap();
    Position::after(&Entry::decode(last).unwrap(), last)
        .append(owner, amount, held, payload, time_ms)
        .unwrap()
        .encode()
}

/// Verifies `raws`, naming the first bad entry.
fn verify_all(
    owner: &iroh::SecretKey,
    raws: &[Vec<u8>],
    now_ms: u64,
) -> Result<Verified, BadEntry> {
    let mut v = Verifier::new(Some(NodeId::from(owner)), rules(), now_ms);
    for r in raws {
        v.push(r)?;
    }
    v.finish_at(&sample_head(owner, raws))
}

/// A hold of `job` by a chain's owner on `worker`.
fn reserve(job: &str, worker: NodeId) -> Reserve {
    Reserve {
        job: job.into(),
        worker,
        waiver: None,
    }
}

/// A spend of `credits` for `job` by `owner` on `worker`.
fn spend_of(owner: &iroh::SecretKey, worker: NodeId, job: &str, credits: u64) -> Payload {
    Payload::Spend(Receipt {
        job: job.into(),
        requester: NodeId::from(owner),
        worker,
        model: crate::bench::ledger::SAMPLE_MODEL.into(),
        quant: "q4_1".into(),
        prompt_tokens: 20,
        completion_tokens: 1,
        credits,
        time_ms: 2_000,
    })
}

/// `c` and then `extra`.
fn then(c: &[Vec<u8>], extra: Vec<u8>) -> Vec<Vec<u8>> {
    let mut all = c.to_vec();
    all.push(extra);
    all
}

#[test]
fn holds_set_credits_aside_until_their_spend() {
    let (owner, worker) = (key(), NodeId::from(&key()));
    let hold = |job: &str| Payload::Hold(reserve(job, worker));
    let now = 10 * HOLD_TTL_MS;
    let mut c = sample_chain(&owner, &[key()], 1);
    // 100 credits: 60 held for job a, which pays 25 of them (35 come back).
    c.push(extend(&owner, &c, 60, 0, hold("a"), 2_000));
    c.push(extend(
        &owner,
        &c,
        25,
        60,
        spend_of(&owner, worker, "a", 25),
        2_000,
    ));
    let v = verify_all(&owner, &c, now).unwrap();
    assert_eq!(v.summary.balance, 75);
    assert!(v.jobs.holds.is_empty());
    let text = export(&owner, &c).join("\n");
    assert!(text.contains("\"kind\":\"hold\""), "{text}");
    verify_export(&text, Some(NodeId::from(&owner)), rules(), now).unwrap();

    // What each rule refuses.
    let bad = |all: Vec<Vec<u8>>, want: &str| {
        let e = verify_all(&owner, &all, now).unwrap_err();
        assert!(e.reason.contains(want), "{want}: {e}");
    };
    // A hold beyond the balance (forged: the writer makes none).
    let last = c.last().unwrap();
    let mut e = Position::after(&Entry::decode(last).unwrap(), last)
        .append(&owner, 1, 0, hold("b"), 3_000)
        .unwrap();
    (e.amount, e.balance) = (80, 0);
    bad(then(&c, e.signed(&owner).encode()), "with a balance of 75");
    // The same job held twice; a job already paid, held again.
    let b = then(&c, extend(&owner, &c, 10, 0, hold("b"), 3_000));
    bad(
        then(&b, extend(&owner, &b, 10, 0, hold("b"), 3_000)),
        "job b twice",
    );
    bad(
        then(&c, extend(&owner, &c, 10, 0, hold("a"), 3_000)),
        "already paid",
    );
    // A spend above its hold.
    let over = extend(&owner, &b, 11, 10, spend_of(&owner, worker, "b", 11), 3_000);
    bad(then(&b, over), "which it held 10 credits for");
}

/// A chain holding 10 credits for a job, and it with the hold released when its time is up
/// (checked: released sooner, it is refused).
fn hold_and_release(
    owner: &iroh::SecretKey,
    worker: NodeId,
    now: u64,
) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let c = sample_chain(owner, &[key()], 1);
    let held = then(
        &c,
        extend(owner, &c, 10, 0, Payload::Hold(reserve("b", worker)), 3_000),
    );
    let release = |at: u64| {
        extend(
            owner,
            &held,
            10,
            0,
            Payload::Release(reserve("b", worker)),
            at,
        )
    };
    // Before its time is up: refused. After: its credits come back.
    let err = verify_all(owner, &then(&held, release(63_000)), now).unwrap_err();
    assert!(err.reason.contains("a hold lasts 30 min"), "{err}");
    let released = then(&held, release(3_000 + HOLD_TTL_MS));
    assert_eq!(
        verify_all(owner, &released, now).unwrap().summary.balance,
        100
    );
    (c, released)
}

#[test]
fn a_waiver_releases_at_once_the_one_hold_it_names() {
    let (owner, worker_key) = (key(), key());
    let worker = NodeId::from(&worker_key);
    let now = 10 * HOLD_TTL_MS;
    let c = sample_chain(&owner, &[key()], 1);
    let held = then(
        &c,
        extend(
            &owner,
            &c,
            10,
            0,
            Payload::Hold(reserve("b", worker)),
            3_000,
        ),
    );
    // At once with the worker's waiver of this hold entry; not with another key's, nor with
    // a waiver of another hold entry.
    let hold = *blake3::hash(held.last().unwrap()).as_bytes();
    let waiver = |by: &iroh::SecretKey, hold: [u8; 32]| Reserve {
        waiver: Some(Waiver::sign(by, &hold)),
        ..reserve("b", worker)
    };
    let waived = |chain: &[Vec<u8>], r: Reserve, at: u64| {
        extend(&owner, chain, 10, 0, Payload::Release(r), at)
    };
    for (by, h) in [(&key(), hold), (&worker_key, [7; 32])] {
        let bad = waived(&held, waiver(by, h), 4_000);
        let err = verify_all(&owner, &then(&held, bad), now).unwrap_err();
        assert!(err.reason.contains("a hold lasts 30 min"), "{err}");
    }
    let first = then(&held, waived(&held, waiver(&worker_key, hold), 4_000));
    assert_eq!(
        verify_all(&owner, &first, now).unwrap().summary.balance,
        100
    );
    // The same job held again: the first hold's waiver does not release it.
    let again = extend(
        &owner,
        &first,
        10,
        0,
        Payload::Hold(reserve("b", worker)),
        5_000,
    );
    let again = then(&first, again);
    let replayed = waived(&again, waiver(&worker_key, hold), 6_000);
    let err = verify_all(&owner, &then(&again, replayed), now).unwrap_err();
    assert!(err.reason.contains("a hold lasts 30 min"), "{err}");
}

#[test]
fn a_hold_is_released_only_after_its_time_and_few_are_open_at_once() {
    let (owner, worker) = (key(), NodeId::from(&key()));
    let now = 10 * HOLD_TTL_MS;
    let (c, released) = hold_and_release(&owner, worker, now);
    // A spend of a released job comes from the balance; a release of a hold not open is bad.
    let late = extend(
        &owner,
        &released,
        5,
        0,
        spend_of(&owner, worker, "b", 5),
        now,
    );
    assert_eq!(
        verify_all(&owner, &then(&released, late), now)
            .unwrap()
            .summary
            .balance,
        95
    );
    let none = extend(
        &owner,
        &c,
        10,
        0,
        Payload::Release(reserve("z", worker)),
        now,
    );
    let err = verify_all(&owner, &then(&c, none), now).unwrap_err();
    assert!(err.reason.contains("not open"), "{err}");
    // At most MAX_OPEN_HOLDS open at once.
    let mut many = c.clone();
    for i in 0..=MAX_OPEN_HOLDS {
        let h = Payload::Hold(reserve(&format!("j{i}"), worker));
        many.push(extend(&owner, &many, 1, 0, h, 2_000));
    }
    let e = verify_all(&owner, &many, now).unwrap_err();
    assert_eq!(e.index, MAX_OPEN_HOLDS as u64 + 1);
    assert!(e.reason.contains("holds at once"), "{e}");
}
