//! Stage 2: the walking network. The ways the profile walks become a
//! contracted, Hilbert-ordered CSR graph ([`graph`]), with the road-crossing
//! model applied on the way ([`crossings`]).

pub mod build;
pub mod crossings;
pub mod graph;
