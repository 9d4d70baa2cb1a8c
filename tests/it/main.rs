//! azsm's integration tests: one binary, one module per area.

mod harness;

mod archives;
mod ci;
mod cli;
mod equivalence;
mod exports;
mod fixture_bundle;
mod formats;
mod items;
mod jobruns;
mod sub_causes;
mod window;
