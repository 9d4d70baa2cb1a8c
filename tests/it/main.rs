//! azsm's integration tests: one binary, one module per area.

mod harness;

mod cli;
mod equivalence;
mod fixture_bundle;
mod sub_causes;
mod window;
