//! Challenges: jobs whose answers the sender already knows (the seed's proof of compute). A node
//! that runs a variant learns answers by checking them (a peer's answer that passed a spot
//! check here, a whole answer from the prompt); now and then it sends one of those prompts again,
//! with the same settings, to a peer on probation that it never checked, as an ordinary paid
//! job. The peer cannot tell it from a real job: the prompt is a real one (from another
//! worker's job, never its own), of a real size, sent at random times (exponential gaps), and
//! only while the node would send its own jobs out (paused, or its engine full). An
//! answer that is the known one passes without a prefill; any other is checked by teacher
//! forcing like a spot check (sampling and thread counts make honest answers differ at
//! near-ties), and one that fails is proven, banned and not paid.
//!
//! Owns: the book of known answers and the challenge's timing. The job itself runs as any
//! remote job does (`net::remote::challenge`).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use crate::ids::NodeId;
use crate::job::{FinishReason, Spec};

/// Known answers kept (the newest).
pub const MAX_KNOWN: usize = 32;

/// An answer this node checked: the job as asked and what the model answered.
#[derive(Debug, Clone)]
pub struct Known {
    pub spec: Spec,
    /// The variant that ran it (`name:quant`).
    pub variant: String,
    pub tokens: Vec<u32>,
    pub reason: FinishReason,
    /// The worker that sent it (never challenged with it: it has seen the prompt).
    pub by: NodeId,
}

impl Known {
    /// Whether `tokens`, ended for `reason`, is this very answer.
    pub fn is(&self, tokens: &[u32], reason: FinishReason) -> bool {
        self.tokens == tokens && self.reason == reason
    }
}

/// The known answers, newest last.
#[derive(Debug, Default)]
pub struct Book {
    known: Mutex<VecDeque<Known>>,
}

impl Book {
    /// Keeps an answer that passed a check here; the oldest goes past [`MAX_KNOWN`]. One
    /// answer per prompt and settings: a prompt asked again replaces its older answer.
    pub fn learn(&self, k: Known) {
        let mut all = self.known.lock().expect("known answers");
        all.retain(|o| !(o.spec.prompt == k.spec.prompt && o.variant == k.variant));
        if all.len() >= MAX_KNOWN {
            all.pop_front();
        }
        all.push_back(k);
    }

    /// A known answer of `variant` that `worker` did not send and that `may` send it (its
    /// job's routing policy lets `worker` see the prompt), drawn at random.
    pub fn draw(
        &self,
        variant: &str,
        worker: &NodeId,
        may: impl Fn(&Known) -> bool,
    ) -> Option<Known> {
        let all = self.known.lock().expect("known answers");
        let fit: Vec<&Known> = all
            .iter()
            .filter(|k| k.variant.eq_ignore_ascii_case(variant) && k.by != *worker && may(k))
            .collect();
        if fit.is_empty() {
            return None;
        }
        let i = (crate::ids::random_u64() % fit.len() as u64) as usize;
        Some(fit[i].clone())
    }

    pub fn len(&self) -> usize {
        self.known.lock().expect("known answers").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The wait before the next challenge: exponential with mean `mean` (a Poisson process, so the
/// time since the last one says nothing of the next), at most 10 means.
pub fn next_wait(mean: Duration) -> Duration {
    // Uniform in (0, 1]: 53 random bits.
    let u = ((crate::ids::random_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
    mean.mul_f64((-u.ln()).min(10.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{Prompt, Sampling};

    fn known(text: &str, by: NodeId) -> Known {
        Known {
            spec: Spec {
                model: None,
                prompt: Prompt::Text(text.into()),
                max_tokens: Some(8),
                sampling: Sampling::default(),
                stop: Vec::new(),
                ignore_eos: false,
                constraints: Default::default(),
                logprobs: None,
                policy: Default::default(),
            },
            variant: "m:q4_1".into(),
            tokens: vec![1, 2, 3],
            reason: FinishReason::Stop,
            by,
        }
    }

    #[test]
    fn a_worker_is_never_challenged_with_its_own_answer_and_the_book_stays_bounded() {
        let (a, b) = (
            NodeId::from(&iroh::SecretKey::generate()),
            NodeId::from(&iroh::SecretKey::generate()),
        );
        let book = Book::default();
        book.learn(known("from a", a));
        for _ in 0..20 {
            assert!(book.draw("m:q4_1", &a, |_| true).is_none());
            assert_eq!(book.draw("M:Q4_1", &b, |_| true).unwrap().by, a);
            assert!(book.draw("m:q8_0", &b, |_| true).is_none());
        }
        // The same prompt again replaces its answer.
        book.learn(known("from a", b));
        assert_eq!(book.len(), 1);
        assert_eq!(book.draw("m:q4_1", &a, |_| true).unwrap().by, b);
        for i in 0..2 * MAX_KNOWN {
            book.learn(known(&format!("p{i}"), a));
        }
        assert_eq!(book.len(), MAX_KNOWN);
        let k = known("x", a);
        assert!(k.is(&[1, 2, 3], FinishReason::Stop));
        assert!(!k.is(&[1, 2, 3], FinishReason::Length));
        assert!(!k.is(&[1, 2], FinishReason::Stop));
    }

    #[test]
    fn challenge_gaps_are_exponential_around_their_mean() {
        let mean = Duration::from_secs(100);
        let n = 4000;
        let waits: Vec<f64> = (0..n).map(|_| next_wait(mean).as_secs_f64()).collect();
        let avg = waits.iter().sum::<f64>() / n as f64;
        assert!((85.0..115.0).contains(&avg), "{avg}");
        // About e^-1 of the gaps are longer than the mean, as an exponential's are.
        let over = waits.iter().filter(|&&w| w > 100.0).count() as f64 / n as f64;
        assert!((0.31..0.43).contains(&over), "{over}");
        assert!(waits.iter().all(|&w| w <= 1000.0));
    }
}
