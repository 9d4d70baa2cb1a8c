//! The domain: status codes and their scopes, Microsoft's catalog, the
//! sub-cause table, timestamps, the `--since`/`--until` window and the
//! errors a run can meet. Everything above speaks in these terms.

pub mod catalog;
pub mod causes;
pub mod code;
pub mod error;
pub mod event;
pub mod timestamp;
pub mod window;
