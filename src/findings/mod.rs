//! Stage 8: what an analysis finds, for the planner: the run's figures
//! ([`summary`]), coverage per district and subdistrict against a target
//! ([`districts`]), and where the gaps are and new facilities help most
//! ([`siting`]). Data only: the writers ([`crate::write`]) and the report
//! crate turn it into files.

pub mod districts;
pub mod shares;
pub mod siting;
pub mod summary;
