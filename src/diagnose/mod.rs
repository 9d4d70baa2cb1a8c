//! Tallies to advice: the ranked remediations, `azsm explain`, and the
//! same diagnosis as Kusto queries.

pub mod explain;
pub mod kql;
pub mod rank;
