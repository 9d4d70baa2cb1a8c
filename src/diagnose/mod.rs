//! Tallies to advice: the ranked remediations, `azsm explain`, and the
//! same diagnosis as Kusto queries.

pub(crate) mod explain;
pub(crate) mod kql;
pub mod rank;
