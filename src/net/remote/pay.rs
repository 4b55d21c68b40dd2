//! Paying for a remote job. Before a segment goes out, credits are held for it and offered to
//! the peer as its budget, with this node's signed ledger head. At its end the worker sends a
//! receipt: it is checked against what this node counted and the network's prices, recorded
//! (durably), and countersigned with the spend entry as proof of payment. A bad receipt is
//! disputed, nothing is recorded, and the worker is struck.

use std::time::{Duration, Instant};

use super::super::Net;
use super::super::wire::{self, Reply, Request};
use super::Segment;
use crate::ids::{ModelRef, NodeId};
use crate::job::{ErrorCode, Refusal, Spec};
use crate::ledger::{Hold, Ledger, Receipt};
use crate::node::JobGuard;

/// How long a requester waits for the worker's receipt.
const RECEIPT_WAIT: Duration = Duration::from_secs(15);

/// Credits to offer `peer` for a job: what this node has available, at most the price of the
/// most tokens the job can use (its prompt counted as a token per byte plus the template, and
/// its `max_tokens`, within the peer's context). Held until the job is settled. A node with
/// nothing available asks to be served free (when the network's policy allows that on idle
/// capacity), else gets 402.
pub(super) fn payment(
    net: &Net,
    peer: &NodeId,
    spec: &Spec,
    continuation: usize,
    max_tokens: Option<u32>,
) -> Result<(Option<Hold>, u64), Refusal> {
    let Some(ledger) = net.node().ledger() else {
        return Ok((None, 0));
    };
    let model = spec.model.clone().expect("a routed job names its model");
    let ad = net.with_table(|t| t.get(peer).and_then(|p| p.serves(&model)).cloned());
    let (name, quant, ctx) = match &ad {
        Some(a) => (a.name.clone(), a.quant.clone(), a.ctx as u64),
        None => (model.name.clone(), String::new(), 4096),
    };
    // A token is at least a byte, plus the chat template's few per message: an upper bound of
    // the prompt that needs no tokenizer here. Prompt and answer never exceed the context.
    let (bytes, messages) = spec.prompt.size();
    let most =
        (bytes + 16 * messages + 64 + continuation) as u64 + max_tokens.map_or(ctx, u64::from);
    let Some(bound) = ledger.price(&name, &quant, most.min(ctx)) else {
        return Err(Refusal::new(
            404,
            format!("The model `{name}` is not in this node's catalog, so its price is unknown"),
        )
        .param("model")
        .code(ErrorCode::ModelNotFound));
    };
    let hint = bytes / 4 + continuation;
    let budget = ledger.available().min(bound);
    if budget == 0 {
        if ledger.policy().free_when_idle {
            return Ok((None, 0));
        }
        return Err(insufficient(ledger, &name, &quant, spec, hint, None));
    }
    match ledger.hold(budget) {
        Ok(h) => Ok((Some(h), budget)),
        Err(_) => Err(insufficient(ledger, &name, &quant, spec, hint, None)),
    }
}

/// A peer's 402 as this node's: with this node's balance and the job's estimated cost.
pub(super) fn refused_for_credits(net: &Net, peer: &NodeId, spec: &Spec, r: Refusal) -> Refusal {
    let Some(l) = net.node().ledger() else {
        return r;
    };
    let model = spec.model.clone().unwrap_or_else(|| ModelRef::parse(""));
    let quant = model.quant.clone().unwrap_or_else(|| {
        net.with_table(|t| {
            t.get(peer)
                .and_then(|p| p.serves(&model))
                .map(|a| a.quant.clone())
        })
        .unwrap_or_default()
    });
    insufficient(
        l,
        &model.name,
        &quant,
        spec,
        spec.prompt.token_hint(),
        Some(&r.message),
    )
}

/// 402, with the balance and the job's estimated cost.
fn insufficient(
    ledger: &Ledger,
    name: &str,
    quant: &str,
    spec: &Spec,
    prompt_hint: usize,
    peer_said: Option<&str>,
) -> Refusal {
    let tokens = prompt_hint as u64 + spec.max_tokens.unwrap_or(256) as u64;
    let estimate = ledger.price(name, quant, tokens).unwrap_or(0);
    let mut m = format!(
        "Not enough credits: this node's balance is {} credits ({} available beside running \
         jobs) and this request is estimated at {estimate} credits ({tokens} tokens of {name}). \
         Earn credits by serving others' jobs, or use a model this node runs itself (free)",
        ledger.balance(),
        ledger.available()
    );
    if let Some(p) = peer_said {
        m.push_str(&format!(". The peer said: {p}"));
    }
    Refusal::new(402, m).code(ErrorCode::InsufficientCredits)
}

/// Settles a segment that delivered `received` tokens (after stopping it when `stop`): reads the
/// worker's receipt, checks every field against what this node saw and the network's prices,
/// records the payment and countersigns. Returns the credits paid.
pub(super) async fn settle(
    net: &Net,
    guard: &JobGuard,
    s: &mut Segment,
    prompt_hint: usize,
    spec: &Spec,
    received: u32,
    stop: bool,
) -> u64 {
    let Some(hold) = s.hold.take() else {
        let _ = s.send.finish();
        return 0;
    };
    if stop
        && wire::write(&mut s.send, &Request::Stop { received })
            .await
            .is_err()
    {
        return 0;
    }
    let Some((receipt, sig)) = receipt(s, guard, stop).await else {
        return 0;
    };
    let Some(ledger) = net.node().ledger() else {
        return 0;
    };
    let job = guard.id().to_string();
    let plausible = prompt_hint as u64 * 4 + 64 * spec.prompt.size().1 as u64 + 64;
    let problem = check_receipt(ledger, s, &job, &receipt, received, plausible, prompt_hint);
    let sig: Option<[u8; 64]> = hex::decode(&sig).ok().and_then(|b| b.try_into().ok());
    let result = match (problem, sig) {
        (Some(p), _) => Err(p),
        (None, None) => Err("its receipt signature is malformed".into()),
        (None, Some(sig)) => ledger
            .spend(hold, receipt.clone(), sig)
            .await
            .map_err(|e| e.to_string()),
    };
    let short = s.peer.short();
    match result {
        Ok(e) => {
            guard.settled(&receipt, &e);
            let countersign = Request::Countersign {
                sig: hex::encode(ledger.sign(&receipt)),
                entry: hex::encode(e.encode()),
                head: Box::new(ledger.head_of(&e)),
            };
            let _ = wire::write(&mut s.send, &countersign).await;
            let _ = s.send.finish();
            tracing::info!(
                "job {job}: paid {} credits to {short} (ledger seq {})",
                e.amount,
                e.seq
            );
            e.amount
        }
        Err(why) => {
            net.strike(&s.peer, &format!("bad receipt for job {job}: {why}"));
            let _ = wire::write(&mut s.send, &Request::Dispute { reason: why }).await;
            let _ = s.send.finish();
            0
        }
    }
}

/// The worker's receipt and signature, within [`RECEIPT_WAIT`] (after a stop, frames already
/// on their way are skipped).
async fn receipt(s: &mut Segment, guard: &JobGuard, stop: bool) -> Option<(Receipt, String)> {
    let deadline = Instant::now() + RECEIPT_WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, s.frames.recv()).await {
            Ok(Some(Ok(Reply::Receipt { receipt, sig }))) => return Some((receipt, sig)),
            Ok(Some(Ok(Reply::Token { .. } | Reply::Done { .. }))) if stop => continue,
            other => {
                tracing::warn!(
                    "job {}: peer {} sent no receipt ({other:?}); nothing paid",
                    guard.id(),
                    s.peer.short()
                );
                return None;
            }
        }
    }
}

/// What is wrong with a worker's receipt, if anything: every field must be what this node
/// counted and priced, and the prompt's tokens plausible for its bytes.
fn check_receipt(
    ledger: &Ledger,
    s: &Segment,
    job: &str,
    receipt: &Receipt,
    received: u32,
    plausible: u64,
    prompt_hint: usize,
) -> Option<String> {
    let m = ModelRef::parse(&s.accepted.model);
    let quant = m.quant.as_deref().unwrap_or("");
    let processed = s.accepted.prompt_tokens as u64 + s.continuation as u64;
    let expected = Receipt {
        job: job.to_string(),
        requester: ledger.id(),
        worker: s.peer,
        model: m.name.clone(),
        quant: quant.to_string(),
        prompt_tokens: processed as u32,
        completion_tokens: received,
        credits: ledger
            .price(&m.name, quant, processed + received as u64)
            .unwrap_or(u64::MAX),
        time_ms: receipt.time_ms,
    };
    if *receipt != expected {
        return Some(format!(
            "its receipt does not match the job (it says {} prompt + {} answer tokens for {} \
             credits; expected {} + {} for {})",
            receipt.prompt_tokens,
            receipt.completion_tokens,
            receipt.credits,
            expected.prompt_tokens,
            expected.completion_tokens,
            expected.credits
        ));
    }
    if s.accepted.prompt_tokens as u64 > plausible {
        return Some(format!(
            "it claims {} prompt tokens for a prompt of about {} bytes",
            s.accepted.prompt_tokens,
            prompt_hint * 4
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ModelRef;
    use crate::job::{Prompt, Sampling};
    use crate::ledger::{ModelFacts, Policy};

    #[test]
    fn the_402_message_reads_as_one_sentence_with_the_balance_and_the_estimate() {
        let dir = tempfile::tempdir().unwrap();
        let facts = ModelFacts {
            parameters: 134_515_008,
            context: 8192,
        };
        let params = [("smollm2-135m-instruct".to_string(), facts)].into();
        let l = Ledger::open(
            dir.path(),
            iroh::SecretKey::generate(),
            Policy::default(),
            params,
        )
        .unwrap();
        let spec = Spec {
            model: Some(ModelRef::parse("smollm2-135m-instruct")),
            prompt: Prompt::Text("hello".into()),
            max_tokens: Some(100),
            sampling: Sampling::default(),
            stop: Vec::new(),
            ignore_eos: false,
        };
        let r = insufficient(&l, "smollm2-135m-instruct", "q4_1", &spec, 1, Some("no"));
        assert_eq!(r.status, 402);
        assert!(!r.message.contains("  "), "a run of spaces: {}", r.message);
        assert!(
            r.message.contains("balance is 50000 credits")
                && r.message.contains("estimated at 21 credits (101 tokens")
                && r.message.ends_with(". The peer said: no"),
            "{}",
            r.message
        );
    }
}
