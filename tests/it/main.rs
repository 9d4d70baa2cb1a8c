//! azsm's integration tests: one binary, one module per area.

mod harness;

mod ci;
mod cli;
mod equivalence;
mod fixture_bundle;
mod formats;
mod sub_causes;
mod window;
