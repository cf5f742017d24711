//! Stage 7: writers. Every file of a run is staged and committed together,
//! all or nothing ([`commit`]); the layers and `summary.json` ([`layers`]);
//! CSV tables ([`csv`]); the walking graph for other tools ([`export`]).

pub mod commit;
pub mod csv;
pub mod export;
pub mod layers;
pub mod tables;
