//! Stage 1: OpenStreetMap in. Our own parallel PBF reader and writer
//! ([`pbf`]), the walking rules of the profile applied to tags ([`walkable`]),
//! the passes that keep what the later stages need ([`ingest`]) and the
//! facility classification beyond tag selectors ([`classify`]).

pub mod classify;
pub mod ingest;
pub mod pbf;
pub mod walkable;
