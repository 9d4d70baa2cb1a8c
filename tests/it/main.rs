//! azsm's integration tests: one binary, one module per area.

mod harness;

mod archives;
mod cli;
mod equivalence;
mod exports;
mod fixture_bundle;
mod items;
mod jobruns;
