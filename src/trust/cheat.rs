//! Cheating workers, for the tests and the benchmark of verified work: `llp serve --cheat MODE`
//! makes this node serve its peers' jobs dishonestly, in one way per mode. Compiled only with
//! the `fault-injection` cargo feature, which no default or release build has: there the flag
//! does not exist and no code path cheats.
//!
//! Owns: how a cheating worker alters a peer's job and the answer it sends, and the name it
//! gives the model it runs (`claim-bigger`, applied where the node loads its models). Must not
//! touch: anything outside the worker's side of a job (the commitment it signs still names the
//! job as asked, as a cheater's would).

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::catalog::{Catalog, Choice};
use crate::engine::Engine;
use crate::job::local::Prepared;
use crate::job::{Event, Finish, FinishReason, Refusal, Spec};

/// Answer tokens a cheater sends honestly before it cheats: the fault is found there, not at
/// the first token.
pub const HONEST_TOKENS: u32 = 2;

/// How a worker cheats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Cheat {
    /// Random tokens after the first few, as a node that runs nothing would send.
    Random,
    /// Ends the answer after a few tokens as if the model had ended it (less work, same pay
    /// for the prompt).
    Truncate,
    /// Keeps generating past the end of the answer, hiding the end token, to bill more tokens.
    PastEnd,
    /// Sends its first answer again for every later job, without running the model.
    Replay,
    /// Runs a cheaper job than it was sent: only the last quarter of the prompt's tokens (the
    /// stand-in for a smaller model: one model file is all this machine has offline).
    OtherPrompt,
    /// Skips the work: takes the job and answers at once that the model ended the answer
    /// before its first token (the prompt billed, nothing run).
    Skip,
    /// Runs its own model but names a bigger one (the catalog's biggest in the same
    /// quantization) in its announcements, acceptances and commitments: its jobs are priced
    /// as the bigger model's.
    ClaimBigger,
}

/// The first answer a replaying cheater made: its tokens with their bytes.
static FIRST_ANSWER: Mutex<Vec<(u32, Vec<u8>)>> = Mutex::new(Vec::new());

impl Cheat {
    /// Queues the job as this cheater runs it; the events its answer is made of.
    pub fn submit(
        self,
        engine: &Engine,
        prepared: &Prepared,
        spec: &Spec,
        priority: i64,
    ) -> Result<mpsc::Receiver<Event>, Refusal> {
        let (mut p, mut s) = (prepared.clone(), spec.clone());
        match self {
            Cheat::Replay => {
                if let Some(rx) = canned() {
                    return Ok(rx);
                }
            }
            Cheat::Skip => {
                let (tx, rx) = mpsc::channel(1);
                let _ = tx.try_send(Event::Done(finish(0, FinishReason::Stop)));
                return Ok(rx);
            }
            Cheat::PastEnd => s.ignore_eos = true,
            Cheat::OtherPrompt => {
                let keep = (p.tokens.len() / 4).max(1);
                p.tokens.drain(..p.tokens.len() - keep);
            }
            Cheat::Random | Cheat::Truncate | Cheat::ClaimBigger => {}
        }
        crate::job::local::submit(engine, &p, &s, priority)
    }

    /// What the requester is sent for `ev`, the event after `n` answer tokens sent: `None` to
    /// send nothing for it.
    pub fn alter(self, engine: &Engine, n: u32, ev: Event) -> Option<Event> {
        match (self, ev) {
            (Cheat::Random, Event::Token { .. }) if n >= HONEST_TOKENS => {
                let id = loop {
                    let id = (crate::ids::random_u64() % u64::from(engine.n_vocab())) as u32;
                    if !engine.is_end(id) {
                        break id;
                    }
                };
                Some(Event::Token {
                    id,
                    piece: engine.piece(id),
                    extra: None,
                })
            }
            (Cheat::Truncate, Event::Token { .. }) if n >= HONEST_TOKENS => {
                Some(Event::Done(finish(n, FinishReason::Stop)))
            }
            // The end token is not sent: the answer goes on as if the model had not ended it.
            (Cheat::PastEnd, Event::Token { id, .. }) if engine.is_end(id) => None,
            (_, ev) => Some(ev),
        }
    }

    /// The name this cheater gives the model of `choice` it runs: its own, or (`claim-bigger`)
    /// the catalog's biggest model with a variant in the same quantization.
    pub fn name_for(self, catalog: &Catalog, choice: &Choice<'_>) -> Result<String, String> {
        let own = choice.model;
        if self != Cheat::ClaimBigger {
            return Ok(own.name.clone());
        }
        let quant = &choice.variant.quant;
        catalog
            .models
            .iter()
            .filter(|m| m.parameters > own.parameters)
            .filter(|m| {
                m.variants
                    .iter()
                    .any(|v| v.quant.eq_ignore_ascii_case(quant))
            })
            .max_by_key(|m| m.parameters)
            .map(|m| m.name.clone())
            .ok_or_else(|| {
                format!(
                    "--cheat claim-bigger: the catalog has no model bigger than {} in {quant}",
                    own.name
                )
            })
    }

    /// Keeps a finished answer, the first one, for a replaying cheater.
    pub fn finished(self, engine: &Engine, tokens: &[u32]) {
        if self != Cheat::Replay || tokens.is_empty() {
            return;
        }
        if let Ok(mut first) = FIRST_ANSWER.lock()
            && first.is_empty()
        {
            *first = tokens.iter().map(|&t| (t, engine.piece(t))).collect();
        }
    }
}

/// The first answer again, as a job's events, if there is one.
fn canned() -> Option<mpsc::Receiver<Event>> {
    let answer = FIRST_ANSWER.lock().ok()?.clone();
    if answer.is_empty() {
        return None;
    }
    let n = answer.len() as u32;
    let (tx, rx) = mpsc::channel(answer.len() + 1);
    for (id, piece) in answer {
        let _ = tx.try_send(Event::Token {
            id,
            piece,
            extra: None,
        });
    }
    let _ = tx.try_send(Event::Done(finish(n, FinishReason::Stop)));
    Some(rx)
}

fn finish(n: u32, reason: FinishReason) -> Finish {
    Finish {
        reason,
        prompt_tokens: 0,
        cached_tokens: 0,
        completion_tokens: n,
        time_to_first_token: Duration::ZERO,
        prompt_time: Duration::ZERO,
        credits: 0,
        generation_time: Duration::ZERO,
        delta: None,
        stages: Vec::new(),
    }
}
