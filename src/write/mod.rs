//! Stage 9: writers. Every file of a run is staged and committed together,
//! all or nothing ([`commit`]), each file made side by side with the others
//! ([`jobs`]); the GeoJSON layers and `summary.json`
//! ([`layers`]); the list of every file a run may write ([`manifest`]); the
//! CSV tables ([`tables`], on [`csv`]); the walking graph for other tools
//! ([`export`]); the shipped default data as files ([`shipped`]).

pub mod commit;
pub mod csv;
pub mod export;
pub mod jobs;
pub mod layers;
pub mod manifest;
pub mod shipped;
pub mod tables;
