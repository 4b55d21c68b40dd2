//! The ledger on real redb files: appends, holds, replays, reopening, audits and proofs.

use super::*;
use crate::bench::ledger::{
    SAMPLE_FACTS, SAMPLE_MODEL, payer_spend, sample_catalog, sample_chain_in,
};

/// A receipt of `tokens` tokens of the sample model, priced as the catalog says (145 tokens:
/// 30 credits; 20 tokens: 5).
fn receipt(requester: &iroh::SecretKey, worker: NodeId, job: &str, tokens: u32) -> Receipt {
    let credits = Policy::default().price(
        crate::bench::ledger::SAMPLE_FACTS.parameters,
        "q4_1",
        tokens as u64,
    );
    Receipt {
        job: job.into(),
        requester: NodeId::from(requester),
        worker,
        model: "smollm2-135m-instruct".into(),
        quant: "q4_1".into(),
        prompt_tokens: tokens / 2,
        completion_tokens: tokens - tokens / 2,
        credits,
        time_ms: now_ms(),
    }
}

fn policy() -> Policy {
    Policy {
        starter_grant: 100,
        admission_bits: 2,
        ..Policy::default()
    }
}

fn open(dir: &std::path::Path, key: &iroh::SecretKey) -> Result<Ledger, LedgerError> {
    Ledger::open(dir, key.clone(), policy(), sample_catalog(), "bench")
}

#[tokio::test]
async fn appends_are_checked_durable_and_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let key = iroh::SecretKey::generate();
    let l = open(dir.path(), &key).unwrap();
    assert_eq!((l.balance(), l.status().entries), (100, 1));
    let peer = iroh::SecretKey::generate();

    // Holds: never more than the balance, released when dropped.
    let h = l.hold(60).unwrap();
    assert!(matches!(
        l.hold(50),
        Err(LedgerError::Short { available: 40, .. })
    ));
    // A payment for another requester: refused, nothing appended.
    let r = Receipt {
        requester: l.id(),
        worker: NodeId::from(&peer),
        ..receipt(&peer, NodeId::default(), "j1", 145)
    };
    let theirs = Receipt {
        requester: NodeId::from(&peer),
        ..r.clone()
    };
    assert!(matches!(
        l.spend(h, theirs).await,
        Err(LedgerError::Invalid(_))
    ));
    assert_eq!(
        (l.balance(), l.available(), l.status().entries),
        (100, 100, 1)
    );
    // A payment is recorded only within its hold.
    let h = l.hold(20).unwrap();
    assert!(matches!(
        l.spend(h, r.clone()).await,
        Err(LedgerError::Invalid(_))
    ));
    let h = l.hold(30).unwrap();
    let e = l.spend(h, r.clone()).await.unwrap();
    assert_eq!((e.seq, e.balance, l.available()), (1, 70, 70));

    // Earnings carry the payer's signed spend; a forged one, a replay or a receipt from the
    // future is refused.
    let r = receipt(&peer, l.id(), "j2", 20);
    let forged = payer_spend(&iroh::SecretKey::generate(), 3, r.clone());
    assert!(matches!(l.earn(forged).await, Err(LedgerError::Invalid(_))));
    l.earn(payer_spend(&peer, 3, r.clone())).await.unwrap();
    assert!(matches!(
        l.earn(payer_spend(&peer, 4, r.clone())).await,
        Err(LedgerError::Replay(_))
    ));
    assert!(
        l.recorded(&JobId::from("j2".to_string()), &r.requester, &r.worker)
            .unwrap()
    );
    let late = Receipt {
        time_ms: now_ms() + 3_600_000,
        ..receipt(&peer, l.id(), "j3", 20)
    };
    assert!(matches!(
        l.earn(payer_spend(&peer, 5, late)).await,
        Err(LedgerError::Invalid(_))
    ));
    assert_eq!(l.balance(), 75);
    let text = l.export().unwrap();
    drop(l);

    // Reopened: the same chain, and it verifies.
    let l = open(dir.path(), &key).unwrap();
    assert_eq!((l.balance(), l.status().entries), (75, 3));
    let s = chain::verify_export(&text, Some(l.id()), l.rules(), now_ms()).unwrap();
    assert_eq!((s.entries, s.balance), (3, 75));
    drop(l);
    // Another key cannot open it as its own, nor can it be used on another network.
    assert!(open(dir.path(), &iroh::SecretKey::generate()).is_err());
    let other = Ledger::open(dir.path(), key, policy(), sample_catalog(), "elsewhere");
    assert!(
        matches!(&other, Err(LedgerError::Open(m)) if m.contains("belongs to network `bench`")),
        "{:?}",
        other.err()
    );
}

#[tokio::test]
async fn audits_verify_only_new_entries_and_catch_forks() {
    let dir = tempfile::tempdir().unwrap();
    let l = open(dir.path(), &iroh::SecretKey::generate()).unwrap();
    let tasks = crate::tasks::Tasks::new();
    let peer = iroh::SecretKey::generate();
    let raws = sample_chain_in(&peer, &[iroh::SecretKey::generate()], 10, "bench", 2);
    let head_at = |raws: &[Vec<u8>], seq: usize| {
        let e = Entry::decode(&raws[seq]).unwrap();
        Head::sign(
            &peer,
            e.seq,
            *blake3::hash(&raws[seq]).as_bytes(),
            e.balance,
        )
    };
    // First audit: the whole chain.
    let asked = std::sync::Mutex::new(Vec::new());
    let owner = NodeId::from(&peer);
    let fetch = |p: NodeId, after: Option<u64>, sink: tokio::sync::mpsc::Sender<Vec<Vec<u8>>>| {
        let mine = p == owner;
        if mine {
            asked.lock().unwrap().push(after);
        }
        let from = after.map_or(0, |a| a as usize + 1);
        let v = raws[from..].to_vec();
        async move {
            if !mine {
                return Err("out of reach".to_string());
            }
            let _ = sink.send(v).await;
            Ok(())
        }
    };
    let b = l
        .audit(&tasks, &head_at(&raws[..5], 4), fetch)
        .await
        .unwrap();
    // The balance at the signed head (entries after it are not covered by its signature), less
    // its three earnings: their payers are out of reach, so they do not count yet.
    let c = crate::bench::ledger::sample_credits();
    assert_eq!(b, Entry::decode(&raws[4]).unwrap().balance - 3 * c);
    // An older head needs no fetch; a newer one fetches only what follows.
    l.audit(&tasks, &head_at(&raws, 3), fetch).await.unwrap();
    assert_eq!(*asked.lock().unwrap(), vec![None]);
    let more = sample_chain_in(&peer, &[iroh::SecretKey::generate()], 12, "bench", 2);
    // A chain that does not continue the audited one fails (the served chain forked).
    let fetch_more =
        |_: NodeId, after: Option<u64>, sink: tokio::sync::mpsc::Sender<Vec<Vec<u8>>>| {
            let v = more[after.map_or(0, |a| a as usize + 1)..].to_vec();
            async move {
                let _ = sink.send(v).await;
                Ok(())
            }
        };
    let err = l
        .audit(&tasks, &head_at(&more, 11), fetch_more)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AuditError::Bad(e) if e.contains("entry 5")),
        "{err}"
    );
    // An unreachable chain is nobody's fault yet.
    let unreachable = |_: NodeId, _: Option<u64>, _: tokio::sync::mpsc::Sender<Vec<Vec<u8>>>| async {
        Err("cannot connect".to_string())
    };
    let other = iroh::SecretKey::generate();
    let h = Head::sign(&other, 0, [1; 32], 5);
    assert!(matches!(
        l.audit(&tasks, &h, unreachable).await,
        Err(AuditError::Fetch(_))
    ));
    // Two heads for one seq: proof, and the key is refused from then on.
    let fork = Head::sign(&peer, 4, [9; 32], 1);
    let err = l.audit(&tasks, &fork, fetch).await.unwrap_err();
    assert!(err.to_string().contains("equivocation"), "{err}");
    assert!(l.is_equivocator(&NodeId::from(&peer)));
    assert_eq!(l.equivocators().len(), 1);
    // A forged proof is refused.
    let mut bad = l.equivocators()[0].proof.clone();
    if let chain::Statement::Head(h) = &mut bad.b {
        h.balance += 1;
    }
    assert!(l.adopt(bad).is_err());
}

#[tokio::test]
async fn a_hold_on_the_chain_backs_one_job_and_its_spend_gives_back_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let key = iroh::SecretKey::generate();
    let l = open(dir.path(), &key).unwrap();
    let peer = iroh::SecretKey::generate();
    let r = Receipt {
        requester: l.id(),
        worker: NodeId::from(&peer),
        ..receipt(&peer, NodeId::default(), "held", 145)
    };
    // 60 set aside on the chain for the job: the balance drops, nothing is held in memory.
    let mut h = l.hold(60).unwrap();
    let (held, entry) = l.reserve(&mut h, "held", r.worker).await.unwrap();
    assert_eq!((held, entry.seq), (60, 1));
    assert_eq!(
        (l.balance(), l.available(), l.status().entries),
        (40, 40, 2)
    );
    // Sent again to the same worker (after a refusal): the open hold serves, no new entry.
    let mut again = l.hold(40).unwrap();
    let (held, same) = l.reserve(&mut again, "held", r.worker).await.unwrap();
    assert_eq!((held, same.hash()), (40, entry.hash()));
    drop(again);
    assert_eq!((l.balance(), l.status().entries), (40, 2));
    // Its spend (30 credits) closes it: 30 come back.
    let e = l.spend(h, r.clone()).await.unwrap();
    assert_eq!((e.seq, e.balance, l.available()), (2, 70, 70));
    // A hold of more than the balance is refused by the writer; an unexpired one is not
    // released.
    let mut big = l.hold(70).unwrap();
    big.amount = 80;
    assert!(matches!(
        l.reserve(&mut big, "big", r.worker).await,
        Err(LedgerError::Short { .. })
    ));
    drop(big);
    let mut h = l.hold(10).unwrap();
    let (_, open_hold) = l.reserve(&mut h, "open", r.worker).await.unwrap();
    assert_eq!(l.release_expired().await.unwrap(), 0);
    assert_eq!(l.balance(), 60);
    // The worker's waiver of that hold entry releases it at once; its waiver of another entry,
    // or another key's waiver, does not.
    for w in [
        chain::Waiver::sign(&peer, &entry.hash()),
        chain::Waiver::sign(&key, &open_hold.hash()),
    ] {
        let err = l.release_waived("open", r.worker, w).await.unwrap_err();
        assert!(err.to_string().contains("not the worker's waiver"), "{err}");
    }
    let w = chain::Waiver::sign(&peer, &open_hold.hash());
    assert!(
        l.release_waived("open", r.worker, w)
            .await
            .unwrap()
            .is_some()
    );
    // Released already: nothing to do, and no fault of the worker's.
    assert!(
        l.release_waived("open", r.worker, w)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(l.balance(), 70);
    drop(h);
    let mut h = l.hold(10).unwrap();
    l.reserve(&mut h, "open", r.worker).await.unwrap();
    let err = l.release_waived("open", r.worker, w).await.unwrap_err();
    assert!(err.to_string().contains("not the worker's waiver"), "{err}");
    assert_eq!(l.balance(), 60);
    // The chain verifies, holds and all, after a reopen.
    l.close();
    drop(l);
    let l = open(dir.path(), &key).unwrap();
    assert_eq!((l.balance(), l.status().entries), (60, 6));
    assert!(l.check_self().ok, "{:?}", l.check_self());
}

#[tokio::test]
async fn facts_are_found_by_name_and_variants_by_name_and_quant() {
    let dir = tempfile::tempdir().unwrap();
    let key = iroh::SecretKey::generate();
    let mut catalog = sample_catalog();
    catalog.insert(format!("{SAMPLE_MODEL}:q4_1"), SAMPLE_FACTS);
    let l = Ledger::open(dir.path(), key, policy(), catalog, "bench").unwrap();
    assert_eq!(l.facts(SAMPLE_MODEL), Some(SAMPLE_FACTS));
    // A variant is listed, but has no facts of its own: a receipt names the model.
    assert_eq!(l.facts(&format!("{SAMPLE_MODEL}:q4_1")), None);
    assert!(l.lists_variant(&format!("{}:Q4_1", SAMPLE_MODEL.to_uppercase())));
    assert!(!l.lists_variant(&format!("{SAMPLE_MODEL}:f32")));
    assert!(!l.lists_variant(SAMPLE_MODEL));
}

/// A made-up node id, numbered.
fn made_up(i: u32) -> NodeId {
    let mut b = [0u8; 32];
    b[..4].copy_from_slice(&i.to_be_bytes());
    NodeId::from_bytes(b)
}

#[test]
fn a_flood_of_new_keys_never_pushes_out_an_audited_book() {
    let mut books = HashMap::new();
    let audited = NodeId::from_bytes([0xff; 32]);
    super::audit::book_of(&mut books, &audited).audited = Some(Position::START);
    let voided = NodeId::from_bytes([0xfe; 32]);
    super::audit::book_of(&mut books, &voided).void = 5;
    // Twice as many keys as there are places, each seen once (a head announced, say).
    let flood = 2 * super::audit::MAX_BOOKS as u32;
    for i in 0..flood {
        super::audit::book_of(&mut books, &made_up(i));
        assert!(books.len() <= super::audit::MAX_BOOKS);
    }
    assert!(books.get(&audited).is_some_and(|b| b.audited.is_some()));
    assert!(books.get(&voided).is_some_and(|b| b.void == 5));
    assert!(books.contains_key(&made_up(flood - 1)));
    assert!(!books.contains_key(&made_up(0)));
}

/// A proof of equivocation against `peer`, unsigned (the list itself checks nothing).
fn unsigned_equivocation(peer: NodeId, hearsay: bool, detected_unix: u64) -> Equivocation {
    let head = |hash| Head {
        owner: peer,
        seq: 1,
        hash,
        balance: 0,
        sig: [0; 64],
    };
    Equivocation {
        peer,
        seq: 1,
        detected_unix,
        proof: Proof {
            a: head([1; 32]),
            b: chain::Statement::Head(head([2; 32])),
        },
        hearsay,
    }
}

#[test]
fn a_flood_of_equivocation_proofs_never_lifts_a_proven_ban() {
    use super::proofs::{Added, Equivocators, MAX_EQUIVOCATORS, MAX_PROOFS};
    let mut e = Equivocators::default();
    let real = NodeId::from_bytes([0xff; 32]);
    assert_eq!(e.add(unsigned_equivocation(real, false, 1)), Added::New);
    // Hearsay about made-up keys, past the cap: the oldest hearsay goes, never the proven key.
    let cap = MAX_EQUIVOCATORS as u32;
    for i in 0..cap + 100 {
        e.add(unsigned_equivocation(made_up(i), true, 2));
    }
    assert!(e.contains(&real));
    assert!(!e.contains(&made_up(0)));
    assert_eq!(e.sizes(), (MAX_EQUIVOCATORS, MAX_PROOFS));
    // A key refused on hearsay and proven later is kept for good.
    let later = made_up(cap + 99);
    assert_eq!(e.add(unsigned_equivocation(later, false, 3)), Added::Proven);
    // Proven made-up keys (forks of keys of its own) take every place left: then the next are
    // refused, and no proven key is pushed out.
    let mut full = 0;
    for i in cap + 100..2 * cap + 200 {
        if e.add(unsigned_equivocation(made_up(i), false, 4)) == Added::Full {
            full += 1;
        }
    }
    assert!(full > 0);
    assert!(e.contains(&real) && e.contains(&later));
    assert_eq!(e.sizes(), (MAX_EQUIVOCATORS, MAX_PROOFS));
    let heard = unsigned_equivocation(NodeId::from_bytes([0xfe; 32]), true, 5);
    assert_eq!(e.add(heard), Added::Full);
    // A key this node deals with that forks now takes the place of a throwaway key: the ban
    // lifted is never one of a key dealt with.
    let partner = NodeId::from_bytes([0xfd; 32]);
    let dealt = |k: &NodeId| *k == real || *k == later || *k == partner;
    let lifted = e.lift_one_without_dealings(dealt).unwrap();
    assert!(!dealt(&lifted));
    assert_eq!(e.add(unsigned_equivocation(partner, false, 6)), Added::New);
    assert!(e.contains(&real) && e.contains(&later) && e.contains(&partner));
    assert_eq!(e.sizes().0, MAX_EQUIVOCATORS);
}

#[test]
fn stored_equivocations_are_pruned_to_proven_ones_within_the_cap() {
    let rows: Vec<([u8; 32], u64, bool)> = vec![
        ([1; 32], 10, false),
        ([2; 32], 5, true),
        ([3; 32], 30, false),
        ([4; 32], 20, false),
    ];
    // Hearsay goes, and past the cap the newest proven.
    let mut gone = super::store::equivocator_rows_to_drop(rows.clone(), 2);
    gone.sort();
    assert_eq!(gone, vec![[2u8; 32], [3u8; 32]]);
    assert_eq!(
        super::store::equivocator_rows_to_drop(rows, 5),
        vec![[2u8; 32]]
    );
}

#[tokio::test]
async fn only_proven_equivocations_are_kept_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let key = iroh::SecretKey::generate();
    let l = open(dir.path(), &key).unwrap();
    let fork = |k: &iroh::SecretKey| Proof {
        a: Head::sign(k, 3, [1; 32], 5),
        b: chain::Statement::Head(Head::sign(k, 3, [2; 32], 5)),
    };
    let proven = iroh::SecretKey::generate();
    let heard = iroh::SecretKey::generate();
    let old = iroh::SecretKey::generate();
    assert!(l.adopt(fork(&proven)).unwrap().is_some());
    assert!(l.adopt_hearsay(fork(&heard)).unwrap().is_some());
    assert!(l.is_equivocator(&NodeId::from(&heard)));
    // A hearsay row, as an older version stored them.
    let eq = unsigned_equivocation(NodeId::from(&old), true, 1);
    let json = serde_json::to_string(&eq).unwrap();
    l.inner
        .store
        .send(super::store::Write::Equivocation(eq.peer, json))
        .unwrap();
    l.close();
    drop(l);
    let l = open(dir.path(), &key).unwrap();
    assert!(l.is_equivocator(&NodeId::from(&proven)));
    assert!(!l.is_equivocator(&NodeId::from(&heard)));
    assert!(!l.is_equivocator(&NodeId::from(&old)));
    // Heard of, then proven here: kept for good.
    assert!(l.adopt_hearsay(fork(&heard)).unwrap().is_some());
    assert!(l.adopt(fork(&heard)).unwrap().is_none());
    l.close();
    drop(l);
    let l = open(dir.path(), &key).unwrap();
    assert!(l.is_equivocator(&NodeId::from(&heard)));
    assert_eq!(l.equivocators().len(), 2);
}

#[tokio::test]
async fn a_flood_of_debts_among_made_up_keys_keeps_the_debts_held_before() {
    let dir = tempfile::tempdir().unwrap();
    let l = open(dir.path(), &iroh::SecretKey::generate()).unwrap();
    let promise = |debtor: &iroh::SecretKey, worker: NodeId, job: &str| {
        Promise::new(receipt(debtor, worker, job, 20), debtor)
    };
    let debtor = iroh::SecretKey::generate();
    let real = promise(&debtor, NodeId::from_bytes([0xff; 32]), "real");
    assert!(l.adopt_debt(&real).unwrap());
    let still_held = |l: &Ledger| {
        l.owes(&real.receipt.replay_key()) && l.debt_of(&NodeId::from(&debtor)).is_some()
    };
    // One announcer's flood: it pushes out only its own.
    let sybils: Vec<_> = (0..300).map(|_| iroh::SecretKey::generate()).collect();
    let loud = NodeId::from_bytes([0xfe; 32]);
    for (i, s) in sybils.iter().enumerate() {
        l.adopt_debt(&promise(s, loud, &format!("loud{i}")))
            .unwrap();
    }
    assert_eq!(l.debts_held(), 1 + super::debts::DEBTS_PER_WORKER);
    assert!(still_held(&l));
    // The debtor signing promises to keys of its own: past its cap none is kept, and the real
    // one stays.
    for i in 0..2 * super::debts::DEBTS_PER_DEBTOR as u32 {
        l.adopt_debt(&promise(&debtor, made_up(i), &format!("own{i}")))
            .unwrap();
    }
    assert!(still_held(&l));
    // Made-up debtors owing made-up workers, past every place: the debts held before stay.
    let mut worker = 1_000_000;
    for s in &sybils {
        for j in 0..super::debts::DEBTS_PER_DEBTOR {
            worker += 1;
            l.adopt_debt(&promise(s, made_up(worker), &format!("many{j}")))
                .unwrap();
        }
    }
    assert_eq!(l.debts_held(), super::debts::MAX_FOREIGN_DEBTS);
    assert!(still_held(&l));
}
