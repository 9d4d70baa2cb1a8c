//! azsm's integration tests: one binary, one module per area.

mod harness;

mod archives;
mod args;
mod ci;
mod cli;
mod encodings;
mod equivalence;
mod explain;
mod exports;
mod fixture_bundle;
mod formats;
mod fuzz_regressions;
mod interrupt;
mod items;
mod jobkeys;
mod jobruns;
mod json_render;
mod layers;
mod live;
mod output_safety;
mod secrets;
mod special;
mod streaming;
mod structured;
mod sub_causes;
mod walk;
mod window;
