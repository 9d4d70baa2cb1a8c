//! azsm's integration tests: one binary, one module per area.

mod harness;

mod archives;
mod cli;
mod equivalence;
mod fixture_bundle;
