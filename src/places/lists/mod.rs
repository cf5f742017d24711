//! A planner's own lists: facilities ([`facility_file`]) and community points
//! ([`community_points`]) from CSV, spreadsheets and GeoJSON, in WGS84, GCJ-02
//! or BD-09 ([`crate::crs`]).
//!
//! | module | concern |
//! |---|---|
//! | [`table`] | CSV (UTF-8, BOM, GBK) and `.xlsx` into rows of text |
//! | [`records`] | columns, coordinates, WKT, range and extract checks, CRS |
//! | [`facility_file`] | categories, ids, merging with OSM's facilities |
//! | [`community_points`] | 社区 points → areas (nearest residential land, or a catchment) |
//! | [`offset_check`] | "these WGS84 points look like GCJ-02" |

pub mod community_points;
pub mod facility_file;
pub mod offset_check;
pub mod records;
pub mod table;

pub use facility_file::{FacilityFileOptions, FileRef, Mode};
pub use records::{Columns, InputOptions};
