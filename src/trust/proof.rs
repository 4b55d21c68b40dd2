//! A worker's signed commitment to what it produced, and the fraud proof it becomes when a
//! check fails: the commitment, the prompt and the tokens, which any node that runs the same
//! variant re-runs (`FraudProof::verify`) to see the fault for itself.
//!
//! The worker signs `"LLPC" 01 | job str | requester[32] | worker[32] | model str | prompt[32] |
//! temperature f32 | top_p f32 | seed u8 (0 none, 1 some) u64 | frequency_penalty f32 |
//! presence_penalty f32 | ignore_eos u8 | stops u8 | (stop str)* | n u32 | tokens[32] | finish u8
//! (0 stop, 1 length)`,
//! big-endian, strings with a 1-byte length (at most 255 bytes, longer ones cut), where
//! `prompt` is [`prompt_hash`] of the prompt and the tokens before the segment, and `tokens`
//! is [`tokens_hash`] of the `n` answer tokens it sent.

use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::ids::NodeId;
use crate::job::{Constraints, FinishReason, Prompt, Sampling};

use super::check::{Fault, Tolerance, judge};

const MAGIC: &[u8; 4] = b"LLPC";
const FORMAT: u8 = 1;

/// The hash a commitment names of a prompt, what constrains its answer (tools and format: they
/// change which tokens are allowed) and the tokens before its segment.
pub fn prompt_hash(prompt: &Prompt, constraints: &Constraints, before: &[u32]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    let mut field = |b: &[u8]| {
        h.update(&(b.len() as u64).to_be_bytes());
        h.update(b);
    };
    match prompt {
        Prompt::Chat(m) => {
            field(b"chat");
            for m in m {
                field(m.role.as_bytes());
                field(m.content.as_bytes());
                field(&(m.tool_calls.len() as u64).to_be_bytes());
                for c in &m.tool_calls {
                    field(c.id.as_bytes());
                    field(c.name.as_bytes());
                    field(c.arguments.as_bytes());
                }
                field(m.tool_call_id.as_deref().unwrap_or("").as_bytes());
            }
        }
        Prompt::Text(t) => {
            field(b"text");
            field(t.as_bytes());
        }
        Prompt::Embed(v) => {
            field(b"embed");
            for t in v {
                field(t.as_bytes());
            }
        }
    }
    // serde_json writes a value's map keys in order: one constraint, one text.
    field(&serde_json::to_vec(constraints).unwrap_or_default());
    h.update(&tokens_hash(before));
    *h.finalize().as_bytes()
}

/// The hash a commitment names of its tokens.
pub fn tokens_hash(tokens: &[u32]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    for t in tokens {
        h.update(&t.to_be_bytes());
    }
    *h.finalize().as_bytes()
}

/// Whether an answer of `tokens` that ended for `finish` claims the model ended it: it ended
/// (`stop`), not by a stop sequence its text meets (the engine sends the token that completes
/// one, then ends), and the end token was allowed. An answer with stop sequences that meets
/// none must have ended by the model's own choice, which a check judges.
pub fn ended_by_model(
    engine: &Engine,
    tokens: &[u32],
    finish: FinishReason,
    stop: &[String],
    ignore_eos: bool,
) -> bool {
    finish == FinishReason::Stop && !ignore_eos && stop_met(engine, tokens, stop).is_none()
}

/// The answer token that completes the first of `stop` its text meets, if any.
fn stop_met(engine: &Engine, tokens: &[u32], stop: &[String]) -> Option<usize> {
    if stop.is_empty() {
        return None;
    }
    let mut text = crate::engine::text::TextStream::new(stop.to_vec());
    tokens.iter().position(|&t| {
        matches!(
            text.push(&engine.piece(t)),
            crate::engine::text::Push::Stop(_)
        )
    })
}

/// The fault of an answer that goes on past a stop sequence it met (the engine ends at the
/// token that completes one): tokens billed after the end.
pub fn past_stop(engine: &Engine, tokens: &[u32], stop: &[String]) -> Option<Fault> {
    let at = stop_met(engine, tokens, stop)? + 1;
    (at < tokens.len()).then_some(Fault::PastStop { at })
}

/// What a worker commits to at the end of a segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Commitment {
    pub job: String,
    pub requester: NodeId,
    pub worker: NodeId,
    /// The variant it ran, `name:quant`.
    pub model: String,
    #[serde(with = "crate::ledger::chain::hexarr")]
    pub prompt: [u8; 32],
    pub sampling: Sampling,
    pub ignore_eos: bool,
    /// The stop sequences asked for: an answer that stops may have met one of them, so its
    /// end is judged only without them.
    #[serde(default)]
    pub stop: Vec<String>,
    pub tokens: Vec<u32>,
    pub finish: FinishReason,
    /// The engine that computed it: a checker on the other engine judges it with
    /// [`Tolerance::across_engines`] (their logits differ by more than one engine's do).
    #[serde(default)]
    pub engine: crate::engine::EngineKind,
}

impl Commitment {
    fn message(&self) -> Vec<u8> {
        let mut m = MAGIC.to_vec();
        m.push(FORMAT);
        let put_str = |m: &mut Vec<u8>, s: &str| {
            let b = &s.as_bytes()[..s.len().min(255)];
            m.push(b.len() as u8);
            m.extend_from_slice(b);
        };
        put_str(&mut m, &self.job);
        m.extend_from_slice(self.requester.as_bytes());
        m.extend_from_slice(self.worker.as_bytes());
        put_str(&mut m, &self.model);
        m.extend_from_slice(&self.prompt);
        let s = &self.sampling;
        m.extend_from_slice(&s.temperature.to_be_bytes());
        m.extend_from_slice(&s.top_p.to_be_bytes());
        m.push(u8::from(s.seed.is_some()));
        m.extend_from_slice(&s.seed.unwrap_or(0).to_be_bytes());
        m.extend_from_slice(&s.frequency_penalty.to_be_bytes());
        m.extend_from_slice(&s.presence_penalty.to_be_bytes());
        m.push(u8::from(self.ignore_eos));
        m.push(self.stop.len().min(255) as u8);
        for s in self.stop.iter().take(255) {
            put_str(&mut m, s);
        }
        m.extend_from_slice(&(self.tokens.len() as u32).to_be_bytes());
        m.extend_from_slice(&tokens_hash(&self.tokens));
        m.push(match self.finish {
            FinishReason::Stop => 0,
            FinishReason::Length => 1,
        });
        // llama.cpp's commitments keep the bytes they had before there were two engines.
        if self.engine != crate::engine::EngineKind::Llama {
            put_str(&mut m, self.engine.as_str());
        }
        m
    }

    /// Whether the answer claims the model ended it (not a stop sequence its tokens meet, not
    /// its length): only then is the end judged.
    pub fn ended_by_model(&self, engine: &Engine) -> bool {
        ended_by_model(
            engine,
            &self.tokens,
            self.finish,
            &self.stop,
            self.ignore_eos,
        )
    }

    /// The worker's signature over it.
    pub fn sign(&self, key: &iroh::SecretKey) -> Signature {
        Signature(key.sign(&self.message()).to_bytes())
    }

    /// The commitment to its first `n` tokens, cut there (a running commitment).
    pub fn cut(&self, n: usize) -> Commitment {
        Commitment {
            tokens: self.tokens[..n.min(self.tokens.len())].to_vec(),
            finish: FinishReason::Length,
            ..self.clone()
        }
    }

    /// Whether `sig` is the worker's signature over it.
    pub fn signed_by_worker(&self, sig: &Signature) -> bool {
        crate::ledger::chain::verify_one(&self.worker, &sig.0, &self.message())
    }
}

/// An ed25519 signature, hex in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature(#[serde(with = "crate::ledger::chain::hexarr")] pub [u8; 64]);

/// A worker's signed commitment whose answer failed a check, with the prompt it answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FraudProof {
    pub commitment: Commitment,
    pub signature: Signature,
    pub prompt: Prompt,
    /// Tools and format the answer was made under.
    #[serde(default, skip_serializing_if = "Constraints::is_default")]
    pub constraints: Constraints,
    /// The answer's tokens before the segment (from other workers).
    pub before: Vec<u32>,
    /// What the checker found (for people; a verifier finds it again).
    pub fault: String,
    /// The regions whose nodes may be shown it (its prompt), from the routing policy of the
    /// job it proves; `None`: any node of the network. Every node that keeps it serves it
    /// only to those.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regions: Option<Vec<String>>,
}

/// A fraud proof as status lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fraud {
    pub worker: NodeId,
    pub job: String,
    pub model: String,
    pub fault: String,
}

impl Fraud {
    pub fn of(p: &FraudProof) -> Fraud {
        Fraud {
            worker: p.commitment.worker,
            job: p.commitment.job.clone(),
            model: p.commitment.model.clone(),
            fault: p.fault.clone(),
        }
    }
}

/// Why a fraud proof does not hold.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    #[error("the commitment is not signed by the worker it names")]
    Signature,
    #[error("the prompt is not the one the worker committed to")]
    Prompt,
    #[error("this node runs {ran}, not {asked}: it cannot re-run the proof")]
    Variant { asked: String, ran: String },
    #[error("the answer passes the check here: no fraud")]
    Passes,
    #[error("the proof could not be re-run: {0}")]
    Run(String),
}

impl FraudProof {
    /// Its id: a hash of the signed commitment (the same proof has one id wherever it is).
    pub fn id(&self) -> [u8; 32] {
        let mut h = blake3::Hasher::new();
        h.update(&self.commitment.message());
        h.update(&self.signature.0);
        *h.finalize().as_bytes()
    }

    /// Checks the proof's signature and prompt (cheap; any node).
    pub fn check(&self) -> Result<(), ProofError> {
        if !self.commitment.signed_by_worker(&self.signature) {
            return Err(ProofError::Signature);
        }
        if prompt_hash(&self.prompt, &self.constraints, &self.before) != self.commitment.prompt {
            return Err(ProofError::Prompt);
        }
        Ok(())
    }

    /// Re-runs the proof on `engine` (which must run the committed variant): the fault found.
    /// A fault is looked for again on another numeric path (one thread) before it counts, as a
    /// spot check's is. Blocking and CPU-heavy: a prefill of prompt and answer (two when it
    /// fails).
    pub fn verify(&self, engine: &Engine) -> Result<Fault, ProofError> {
        self.check()?;
        let c = &self.commitment;
        let ran = engine.info().id().to_string();
        if !ran.eq_ignore_ascii_case(&c.model) {
            return Err(ProofError::Variant {
                asked: c.model.clone(),
                ran,
            });
        }
        let prepared = crate::job::local::prepare(
            engine,
            &self.prompt,
            &self.constraints,
            &self.before,
            Some(1),
        )
        .map_err(|r| ProofError::Run(r.message))?;
        // Within this node's context: a claim is re-run on a context of its size, which a
        // sender could otherwise make as large as it likes.
        let ctx = engine.info().ctx_per_slot as usize;
        if prepared.tokens.len() + c.tokens.len() > ctx {
            return Err(ProofError::Run(format!(
                "prompt and answer are longer than this node's context ({ctx} tokens)"
            )));
        }
        // `upto` answer tokens (all, or up to a fault found), the end judged only when they are
        // all and the worker said the model ended the answer.
        let look = |threads: Option<u32>, upto: usize| {
            let tokens = &c.tokens[..upto];
            let mut scored = engine
                .score(
                    &prepared.tokens,
                    tokens,
                    &c.sampling,
                    threads,
                    prepared.setup.as_deref(),
                )
                .map_err(|e| ProofError::Run(e.to_string()))?;
            if upto < c.tokens.len() || !c.ended_by_model(engine) {
                scored.pop();
            }
            let tol = Tolerance::between(engine.info().engine, c.engine);
            Ok::<_, ProofError>(judge(&scored, &c.sampling, &tol))
        };
        let all = c.tokens.len();
        if let Some(f) = past_stop(engine, &c.tokens, &c.stop) {
            return Ok(f);
        }
        match look(None, all)? {
            Ok(()) => Err(ProofError::Passes),
            // The second look goes only as far as the fault: the tokens after it do not
            // matter, and a long answer would cost a long prefill again.
            Err(f) => match look(Some(1), (f.at() + 1).min(all))? {
                Ok(()) => Err(ProofError::Passes),
                Err(f) => Ok(f),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commitment(worker: &iroh::SecretKey) -> Commitment {
        let prompt = Prompt::Chat(vec![crate::job::ChatMsg::new("user", "hi")]);
        Commitment {
            job: "job-1".into(),
            requester: NodeId::from(&iroh::SecretKey::generate()),
            worker: NodeId::from(worker),
            model: "m:q4_1".into(),
            prompt: prompt_hash(&prompt, &Constraints::default(), &[1, 2]),
            sampling: Sampling {
                temperature: 0.0,
                top_p: 1.0,
                seed: Some(7),
                frequency_penalty: 0.0,
                presence_penalty: 0.0,
            },
            ignore_eos: false,
            stop: vec![],
            tokens: vec![5, 6, 7],
            finish: FinishReason::Stop,
            engine: crate::engine::EngineKind::Llama,
        }
    }

    #[test]
    fn a_commitment_binds_every_field_it_names() {
        let key = iroh::SecretKey::generate();
        let c = commitment(&key);
        let sig = c.sign(&key);
        assert!(c.signed_by_worker(&sig));
        let other = iroh::SecretKey::generate();
        assert!(!c.signed_by_worker(&c.sign(&other)));
        let changed: Vec<Commitment> = vec![
            Commitment {
                tokens: vec![5, 6, 8],
                ..c.clone()
            },
            Commitment {
                job: "job-2".into(),
                ..c.clone()
            },
            Commitment {
                model: "m:q8_0".into(),
                ..c.clone()
            },
            Commitment {
                finish: FinishReason::Length,
                ..c.clone()
            },
            Commitment {
                ignore_eos: true,
                ..c.clone()
            },
            Commitment {
                stop: vec![".".into()],
                ..c.clone()
            },
            // A worker cannot claim the other engine's wider tolerance after signing.
            Commitment {
                engine: crate::engine::EngineKind::Candle,
                ..c.clone()
            },
            Commitment {
                sampling: Sampling {
                    seed: None,
                    ..c.sampling.clone()
                },
                ..c.clone()
            },
        ];
        for x in changed {
            assert!(!x.signed_by_worker(&sig), "{x:?}");
        }
        // The prompt: another prompt, or other tokens before the segment, hash otherwise.
        let chat = Prompt::Chat(vec![crate::job::ChatMsg::new("user", "hi")]);
        assert_ne!(
            prompt_hash(&chat, &Constraints::default(), &[1]),
            prompt_hash(&chat, &Constraints::default(), &[1, 2])
        );
        assert_ne!(
            prompt_hash(&Prompt::Text("hi".into()), &Constraints::default(), &[]),
            prompt_hash(&chat, &Constraints::default(), &[])
        );
        let proof = FraudProof {
            commitment: c.clone(),
            signature: sig,
            prompt: chat.clone(),
            constraints: Constraints::default(),
            before: vec![1, 2],
            fault: String::new(),
            regions: None,
        };
        assert!(proof.check().is_ok());
        let json = serde_json::to_string(&proof).unwrap();
        assert_eq!(serde_json::from_str::<FraudProof>(&json).unwrap(), proof);
        let wrong = FraudProof {
            before: vec![1],
            ..proof
        };
        assert!(matches!(wrong.check(), Err(ProofError::Prompt)));
    }
}
