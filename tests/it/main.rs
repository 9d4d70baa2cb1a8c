//! azsm's integration tests: one binary, one module per area.

mod harness;

mod args;
mod ci;
mod cli;
mod equivalence;
mod fixture_bundle;
mod formats;
mod fuzz_regressions;
mod interrupt;
mod live;
mod output_safety;
mod secrets;
mod special;
