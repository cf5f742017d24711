//! Places per child served: a facility's `capacity` (places, where mapped)
//! against the children of the communities that it is the nearest facility of
//! its category for.
//!
//! Not wired into the outputs yet: communities carry no child counts. Given
//! per-facility capacities, per-community children and each community's
//! nearest facility, [`places_per_child`] gives the ratio per facility and
//! overall.

/// Places per child served, per facility and overall.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacesPerChild {
    /// Children of the communities each facility is nearest to (0 when none).
    pub children_served: Vec<f64>,
    /// `capacity / children_served` per facility; `None` when the capacity is
    /// not mapped or the facility serves no children.
    pub per_facility: Vec<Option<f64>>,
    /// Places of the facilities with a known capacity that serve children,
    /// divided by the children they serve; `None` when there are none.
    pub overall: Option<f64>,
    /// Share of all assigned children whose nearest facility has a known
    /// capacity (how much of the population `overall` speaks for); `None`
    /// when no child is assigned.
    pub known_share: Option<f64>,
    /// Children of communities with no reachable facility.
    pub children_unserved: f64,
}

/// Places per child served. `capacity[f]`: places of facility `f` where
/// mapped; `children[c]`: children of community `c`; `nearest[c]`: the
/// facility community `c` is assigned to (its nearest by walking time), or
/// `None` when it reaches none. Negative or non-finite child counts count as 0.
///
/// # Panics
/// When `children` and `nearest` differ in length or a `nearest` index is not
/// a facility of `capacity`.
pub fn places_per_child(
    capacity: &[Option<f64>],
    children: &[f64],
    nearest: &[Option<usize>],
) -> PlacesPerChild {
    assert_eq!(
        children.len(),
        nearest.len(),
        "one nearest facility per community"
    );
    let mut served = vec![0.0; capacity.len()];
    let mut unserved = 0.0;
    for (&kids, near) in children.iter().zip(nearest) {
        let kids = if kids.is_finite() && kids > 0.0 {
            kids
        } else {
            0.0
        };
        match near {
            Some(f) => served[*f] += kids,
            None => unserved += kids,
        }
    }
    let per_facility: Vec<Option<f64>> = capacity
        .iter()
        .zip(&served)
        .map(|(cap, &s)| cap.filter(|_| s > 0.0).map(|c| c / s))
        .collect();
    let (mut places, mut known, mut total) = (0.0, 0.0, 0.0);
    for (cap, &s) in capacity.iter().zip(&served) {
        total += s;
        if let Some(c) = cap.filter(|_| s > 0.0) {
            places += c;
            known += s;
        }
    }
    PlacesPerChild {
        children_served: served,
        per_facility,
        overall: (known > 0.0).then(|| places / known),
        known_share: (total > 0.0).then(|| known / total),
        children_unserved: unserved,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_per_facility_and_overall() {
        // Two schools of 300 and unknown places; three communities.
        let r = places_per_child(
            &[Some(300.0), None, Some(50.0)],
            &[120.0, 80.0, 200.0, 40.0],
            &[Some(0), Some(0), Some(1), None],
        );
        assert_eq!(r.children_served, [200.0, 200.0, 0.0]);
        assert_eq!(r.per_facility, [Some(1.5), None, None]);
        assert_eq!(r.overall, Some(1.5));
        assert_eq!(r.known_share, Some(0.5));
        assert_eq!(r.children_unserved, 40.0);
    }

    #[test]
    fn nothing_known_is_none_not_zero() {
        let r = places_per_child(&[None], &[10.0, f64::NAN, -3.0], &[Some(0), Some(0), None]);
        assert_eq!(r.children_served, [10.0]);
        assert_eq!(r.per_facility, [None]);
        assert_eq!(r.overall, None);
        assert_eq!(r.known_share, Some(0.0));
        assert_eq!(r.children_unserved, 0.0);
        let empty = places_per_child(&[Some(10.0)], &[], &[]);
        assert_eq!((empty.overall, empty.known_share), (None, None));
    }

    /// A slow oracle: per facility, sum its communities' children afresh.
    #[test]
    fn matches_a_per_facility_oracle_on_seeded_random_cases() {
        let seed = 0x5eed_2026_u64;
        let mut s = seed;
        let mut next = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        for case in 0..200 {
            let nf = (next() % 6 + 1) as usize;
            let nc = (next() % 12) as usize;
            let capacity: Vec<Option<f64>> = (0..nf)
                .map(|_| (next() % 3 != 0).then(|| (next() % 500) as f64))
                .collect();
            let children: Vec<f64> = (0..nc).map(|_| (next() % 300) as f64).collect();
            let nearest: Vec<Option<usize>> = (0..nc)
                .map(|_| (next() % 5 != 0).then(|| (next() % nf as u64) as usize))
                .collect();
            let r = places_per_child(&capacity, &children, &nearest);
            let mut places = 0.0;
            let mut known = 0.0;
            for (f, &cap) in capacity.iter().enumerate() {
                let kids: f64 = (0..nc)
                    .filter(|&c| nearest[c] == Some(f))
                    .map(|c| children[c])
                    .sum();
                let want = cap.filter(|_| kids > 0.0).map(|c| c / kids);
                assert_eq!(
                    r.per_facility[f], want,
                    "seed {seed:#x} case {case} facility {f}"
                );
                if let Some(c) = want.and(cap) {
                    places += c;
                    known += kids;
                }
            }
            let want = (known > 0.0).then(|| places / known);
            match (r.overall, want) {
                (Some(a), Some(b)) => assert!((a - b).abs() < 1e-12, "seed {seed:#x} case {case}"),
                (a, b) => assert_eq!(a, b, "seed {seed:#x} case {case}"),
            }
        }
    }
}
