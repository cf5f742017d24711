//! Shares, the one way every finding divides: of communities (counts) and of
//! people or children (sums, each person counted once where levels nest).
//! The summary, the district table, the siting figures and the merged tiles
//! all read their shares from here, so a share means the same in every file.

use crate::places::Community;

/// `part / whole` of a count, 0 when `whole` is 0.
///
/// ```
/// use childcircle::findings::shares::share;
/// assert_eq!(share(1, 4), 0.25);
/// assert_eq!(share(0, 0), 0.0);
/// ```
pub fn share(part: usize, whole: usize) -> f64 {
    fraction(part as f64, whole as f64)
}

/// `part / whole` of a sum (people, children, weights), 0 when `whole` is not
/// positive.
///
/// ```
/// use childcircle::findings::shares::fraction;
/// assert_eq!(fraction(30.0, 120.0), 0.25);
/// assert_eq!(fraction(5.0, 0.0), 0.0);
/// ```
pub fn fraction(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        part / whole
    } else {
        0.0
    }
}

/// The share `part / whole` of two sums that may be unknown: unknown when
/// `whole` is, and a missing `part` counts as 0.
///
/// ```
/// use childcircle::findings::shares::known_fraction;
/// assert_eq!(known_fraction(Some(1.0), Some(4.0)), Some(0.25));
/// assert_eq!(known_fraction(None, Some(4.0)), Some(0.0));
/// assert_eq!(known_fraction(Some(1.0), None), None);
/// ```
pub fn known_fraction(part: Option<f64>, whole: Option<f64>) -> Option<f64> {
    whole.map(|whole| fraction(part.unwrap_or(0.0), whole))
}

/// The sum of `value` over the communities `ids`, each person once (a 小区
/// inside a 社区 that carries the value is not counted again: see
/// [`crate::places::counted_once`]). An empty sum is 0, never -0.
pub fn people(
    communities: &[Community],
    ids: &[usize],
    value: impl Fn(&Community) -> Option<f64>,
) -> f64 {
    crate::places::counted_once(communities, ids)
        .into_iter()
        .filter_map(|i| value(&communities[i]))
        .sum::<f64>()
        + 0.0
}
