//! Places per child served: a facility's `capacity` (places, where mapped or
//! listed in the planner's `--facilities` file) against the children of the
//! communities that it is the nearest facility of its category for.
//!
//! [`places`] does it for every category with places
//! ([`crate::profile::Category::places`]: kindergarten, childcare, primary,
//! middle school): each community's children (each person once across
//! nested levels, [`crate::places::counted_once`]) go to its nearest facility
//! of the category within the category's threshold (walking time from its
//! access points, as `served` counts them; ties go to the facility listed
//! first), or count as unserved when none is in reach. A facility split into
//! several parts of one OSM object (or one file row) is one facility.
//! [`places_per_child`] gives the ratios.

use std::collections::HashMap;

use crate::coverage::FacilityReach;
use crate::places::{Community, Facility};
use crate::profile::Profile;
use crate::time::Time;

/// Places per child served, per facility and overall.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacesPerChild {
    /// Children of the communities each facility is nearest to (0 when none).
    pub children_served: Vec<f64>,
    /// `capacity / children_served` per facility; `None` when the capacity is
    /// not mapped or the facility serves no children.
    pub per_facility: Vec<Option<f64>>,
    /// Places of the facilities with a known capacity that serve children.
    pub places: f64,
    /// `places` divided by the children those facilities serve; `None` when
    /// there are none.
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
        places,
        overall: (known > 0.0).then(|| places / known),
        known_share: (total > 0.0).then(|| known / total),
        children_unserved: unserved,
    }
}

/// Places per child of one category (`places` of a category in
/// `summary.json`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CategoryPlaces {
    /// Facilities of the category, each OSM object or file row once.
    pub facilities: usize,
    /// Those with a known capacity.
    pub with_capacity: usize,
    /// Places of the facilities with a known capacity that serve children.
    pub places: f64,
    /// Children whose nearest facility of the category is within its threshold.
    pub children_served: f64,
    /// Children with no facility of the category within its threshold.
    pub children_unserved: f64,
    /// Places per child over the facilities with a known capacity and the
    /// children they serve; `None` when no such facility serves a child.
    pub overall: Option<f64>,
    /// Share of the children served whose nearest facility has a known
    /// capacity (how many children `overall` speaks for); `None` when no
    /// child is served.
    pub known_share: Option<f64>,
}

/// Places per child of an analysis: per facility and per category.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Places {
    /// Per facility (indexed like the facilities): places per child served,
    /// `None` when the category has no places, the capacity is unknown or
    /// the facility serves no child.
    pub per_facility: Vec<Option<f64>>,
    /// Per category of the profile; `None` for categories without places.
    pub by_category: Vec<Option<CategoryPlaces>>,
}

/// Places per child of every category with places. `reach` is
/// [`crate::coverage::facility_reach`] of the same facilities and
/// communities (its `within` lists).
pub fn places(
    profile: &Profile,
    facilities: &[Facility],
    communities: &[Community],
    reach: &[FacilityReach],
) -> Places {
    let all: Vec<usize> = (0..communities.len()).collect();
    let mut children = vec![0.0; communities.len()];
    for i in crate::places::counted_once(communities, &all) {
        children[i] = communities[i].children.unwrap_or(0.0);
    }
    let mut out = Places {
        per_facility: vec![None; facilities.len()],
        by_category: vec![None; profile.categories.len()],
    };
    for (k, cat) in profile.categories.iter().enumerate() {
        if !cat.places {
            continue;
        }
        // One unit per OSM object or file row (its id), in order of listing.
        let mut units: HashMap<String, usize> = HashMap::new();
        let mut capacity: Vec<Option<f64>> = Vec::new();
        let mut unit_of: HashMap<usize, usize> = HashMap::new();
        let mut nearest: Vec<Option<(Time, usize)>> = vec![None; communities.len()];
        for (i, f) in facilities
            .iter()
            .enumerate()
            .filter(|(_, f)| f.category == k)
        {
            let unit = *units.entry(f.fid(&cat.id)).or_insert_with(|| {
                capacity.push(None);
                capacity.len() - 1
            });
            capacity[unit] = capacity[unit].or(f.capacity);
            unit_of.insert(i, unit);
            for &(c, t) in reach.get(i).map_or(&[][..], |r| &r.within[..]) {
                let best = &mut nearest[c as usize];
                // Facilities come in order: an equal time keeps the first.
                if best.is_none_or(|(bt, _)| t < bt) {
                    *best = Some((t, unit));
                }
            }
        }
        let nearest: Vec<Option<usize>> = nearest.iter().map(|n| n.map(|(_, u)| u)).collect();
        let r = places_per_child(&capacity, &children, &nearest);
        for (&i, &unit) in &unit_of {
            out.per_facility[i] = r.per_facility[unit];
        }
        out.by_category[k] = Some(CategoryPlaces {
            facilities: capacity.len(),
            with_capacity: capacity.iter().filter(|c| c.is_some()).count(),
            places: r.places,
            children_served: r.children_served.iter().sum::<f64>() + 0.0,
            children_unserved: r.children_unserved,
            overall: r.overall,
            known_share: r.known_share,
        });
    }
    out
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

    fn school(osm: i64, category: usize, capacity: Option<f64>) -> Facility {
        Facility {
            osm: crate::tags::OsmRef::Way(osm),
            category,
            name: None,
            lonlat: [0.0, 0.0],
            geometry: crate::places::PlaceGeometry::Point([0.0, 0.0]),
            access: Vec::new(),
            capacity,
            file: None,
        }
    }

    fn community(name: &str, kind: &'static str, parent: Option<&str>, children: f64) -> Community {
        Community {
            id: name.into(),
            name: name.into(),
            source: "osm",
            kind,
            rule: "landuse",
            code: None,
            subdistrict: None,
            parent: parent.map(Into::into),
            population: Some(children * 5.0),
            pop_source: "buildings",
            children: Some(children),
            polygon: geo::MultiPolygon(Vec::new()),
            area_m2: 0.0,
            access: Vec::new(),
            access_kind: crate::places::AccessKind::None,
            inside_nodes: Vec::new(),
        }
    }

    fn reach(within: &[(u32, Time)]) -> FacilityReach {
        FacilityReach {
            within: within.to_vec(),
            ..Default::default()
        }
    }

    /// A school split into two parts of one OSM object (w1) counts once: its
    /// capacity once, the children nearest to either part together. The
    /// nearest part wins, ties go to the facility listed first, a compound
    /// inside a listed neighbourhood is counted with it, and a category
    /// without places gets none.
    #[test]
    fn one_school_in_two_parts_counts_once() {
        let profile = Profile::default();
        let primary = profile.category_index("primary").unwrap();
        let high = profile.category_index("high").unwrap();
        let facilities = [
            school(1, primary, Some(300.0)),
            school(1, primary, None),
            school(2, primary, None),
            school(3, high, Some(900.0)),
        ];
        let communities = [
            community("A", "compound", None, 100.0),
            community("B", "compound", None, 50.0),
            community("N", "neighbourhood", None, 30.0),
            community("C", "compound", Some("N"), 20.0),
            community("D", "compound", None, 7.0),
        ];
        let reach = [
            // Part one of w1 reaches A at 300 and B at 400 (deciseconds).
            reach(&[(0, 300), (1, 400)]),
            // Part two reaches B sooner, and N.
            reach(&[(1, 200), (2, 500)]),
            // w2 reaches N as soon as part two does (listed later: w1 keeps
            // it) and C (counted with N, so not at all).
            reach(&[(2, 500), (3, 100)]),
            reach(&[(0, 10), (1, 10)]),
        ];
        let p = places(&profile, &facilities, &communities, &reach);
        // w1 serves A, B and N: 180 children, 300 places.
        let per = 300.0 / 180.0;
        assert_eq!(p.per_facility, [Some(per), Some(per), None, None]);
        let c = p.by_category[primary].as_ref().unwrap();
        assert_eq!(
            *c,
            CategoryPlaces {
                facilities: 2,
                with_capacity: 1,
                places: 300.0,
                children_served: 180.0,
                children_unserved: 7.0,
                overall: Some(per),
                known_share: Some(1.0),
            }
        );
        assert_eq!(p.by_category[high], None);
        let kinder = profile.category_index("kinder").unwrap();
        let none = p.by_category[kinder].as_ref().unwrap();
        assert_eq!(
            (none.facilities, none.overall, none.known_share),
            (0, None, None)
        );
        assert_eq!(none.children_unserved, 187.0);
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
