//! The integration tests: one binary, real parts. Nodes are real `llp serve` processes on
//! 127.0.0.1 with their own temporary data dirs, serving the default model with llama.cpp (the
//! API's core tests run once more on candle: `on_both_engines!`).
//! `scripts/test.sh` fetches that model first; set LLP_MODELS_DIR to use another models dir.

// The harness and its helpers panic on anything unexpected (that is a failed test), and share
// their items across the test modules. A test is one scenario, read top to bottom: it may run
// longer than a function of the program.
#![allow(clippy::unwrap_used, unreachable_pub, clippy::too_many_lines)]

#[macro_use]
mod common;

mod api;
mod auto;
mod bad_input;
mod churn;
mod cli;
mod clients;
mod concurrency;
mod degraded;
mod double_spend;
mod economy;
mod engines;
mod fallback;
mod fetch;
mod fleet;
mod idle;
mod kit;
mod ledger;
mod lifecycle;
mod netlab;
mod network;
mod pipeline;
mod policy;
mod scale;
mod security;
mod share;
mod soak;
mod trust;
mod tui;
mod variants;
mod wire;
