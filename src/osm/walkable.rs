//! Which OpenStreetMap ways a child may walk on. Every rule lives here, and the
//! README's "Walking rules" section repeats them.
//!
//! 1. `highway` must be one of [`WALKABLE_HIGHWAYS`]. `cycleway` and `bridleway`
//!    count only with `foot=yes|designated|permissive`. Motorways, construction,
//!    proposed roads, platforms and raceways never count.
//! 2. `foot=no|use_sidepath` drops the way.
//! 3. `access=no|private` drops the way unless `foot=yes|designated|permissive`,
//!    **except** `access=private` ways inside a residential compound
//!    (`landuse=residential`): the residents of a gated 小区 walk its paths every day.
//!    Such ways are kept as [`Walkability::IfInsideCompound`] until their geometry is
//!    known.
//! 4. `area=yes` pedestrian areas are walked along their outline.
//! 5. Direction does not matter on foot: `oneway` is ignored.
//!
//! Node roles that matter for access: `barrier=gate`, `entrance=*` and
//! `highway=crossing` nodes always become graph nodes so that compounds, parks
//! and schools can be entered exactly there.

use crate::tags::TagLookup;

/// `highway` values a child may walk on.
pub const WALKABLE_HIGHWAYS: &[&str] = &[
    "footway",
    "pedestrian",
    "path",
    "steps",
    "living_street",
    "residential",
    "service",
    "unclassified",
    "track",
    "road",
    "corridor",
    "tertiary",
    "tertiary_link",
    "secondary",
    "secondary_link",
    "primary",
    "primary_link",
    "trunk",
    "trunk_link",
];

/// Keys one of which a way must carry to be walkable, or a node to have a
/// [`node_roles`] role: ingest skips objects without any of them unread.
pub const TRIGGER_KEYS: &[&str] = &["highway", "barrier", "entrance", "crossing"];

const FOOT_ALLOWED: &[&str] = &["yes", "designated", "permissive"];

/// The kind of walkable way, which decides its speed (and, later, its crossing cost).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum WayClass {
    /// Footways, paths, pedestrian streets, corridors, tracks.
    Footway = 0,
    /// Residential, service, living and unclassified streets.
    Local = 1,
    /// Tertiary roads.
    Collector = 2,
    /// Primary, secondary and trunk roads: arterials.
    Arterial = 3,
    /// `highway=steps`.
    Steps = 4,
}

impl WayClass {
    /// The class's lower-case name: `footway`, `local`, `collector`, `arterial` or `steps`.
    pub fn as_str(self) -> &'static str {
        match self {
            WayClass::Footway => "footway",
            WayClass::Local => "local",
            WayClass::Collector => "collector",
            WayClass::Arterial => "arterial",
            WayClass::Steps => "steps",
        }
    }
}

/// The verdict on one way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Walkability {
    /// Not walkable.
    No,
    /// Walkable, as a way of this class.
    Yes(WayClass),
    /// `access=private`: walkable only inside a residential compound.
    IfInsideCompound(WayClass),
}

/// Applies the walking rules to a way's tags.
///
/// ```
/// use childcircle::osm::walkable::{walkability, Walkability, WayClass};
/// assert_eq!(walkability(&[("highway", "footway")]), Walkability::Yes(WayClass::Footway));
/// assert_eq!(walkability(&[("highway", "motorway")]), Walkability::No);
/// assert_eq!(walkability(&[("highway", "cycleway")]), Walkability::No);
/// assert_eq!(
///     walkability(&[("highway", "cycleway"), ("foot", "designated")]),
///     Walkability::Yes(WayClass::Footway)
/// );
/// assert_eq!(
///     walkability(&[("highway", "service"), ("access", "private")]),
///     Walkability::IfInsideCompound(WayClass::Local)
/// );
/// ```
pub fn walkability<T: TagLookup + ?Sized>(tags: &T) -> Walkability {
    let Some(highway) = tags.get("highway") else {
        return Walkability::No;
    };
    let foot = tags.get("foot");
    let foot_allowed = foot.is_some_and(|f| FOOT_ALLOWED.contains(&f));
    let class = match highway {
        "cycleway" | "bridleway" if foot_allowed => WayClass::Footway,
        "steps" => WayClass::Steps,
        "footway" | "pedestrian" | "path" | "corridor" | "track" => WayClass::Footway,
        "living_street" | "residential" | "service" | "unclassified" | "road" => WayClass::Local,
        "tertiary" | "tertiary_link" => WayClass::Collector,
        h if WALKABLE_HIGHWAYS.contains(&h) => WayClass::Arterial,
        _ => return Walkability::No,
    };
    if matches!(foot, Some("no" | "use_sidepath")) {
        return Walkability::No;
    }
    match tags.get("access") {
        Some("no") if !foot_allowed => Walkability::No,
        Some("private") if !foot_allowed => Walkability::IfInsideCompound(class),
        _ => Walkability::Yes(class),
    }
}

/// Road-safety attributes of a walkable way, as bits (see [`way_flags`]).
pub mod way_flag {
    /// A major road for a child: `primary`, `secondary`, `trunk` (and links),
    /// or any road with `lanes >= 4` or `maxspeed >= 50`.
    pub const MAJOR: u8 = 1;
    /// No sidewalk on the left / right of the way's direction
    /// (`sidewalk=no|none|right|left`, `sidewalk:left|right=no`).
    pub const NO_SIDEWALK_LEFT: u8 = 2;
    /// No sidewalk on the right (see [`NO_SIDEWALK_LEFT`]).
    pub const NO_SIDEWALK_RIGHT: u8 = 4;
    /// Edges made by the crossing model: a crossing of a major road at grade.
    pub const CROSSING: u8 = 8;
    /// ... with traffic signals.
    pub const SIGNALLED: u8 = 16;
    /// ... at a marked crossing (zebra, `highway=crossing`) without signals.
    pub const MARKED: u8 = 32;
}

/// The road-safety attributes of a way (see [`way_flag`]).
///
/// ```
/// use childcircle::osm::walkable::{way_flags, way_flag};
/// assert_eq!(way_flags(&[("highway", "primary")]), way_flag::MAJOR);
/// assert_eq!(way_flags(&[("highway", "residential"), ("lanes", "4")]), way_flag::MAJOR);
/// assert_eq!(way_flags(&[("highway", "tertiary"), ("maxspeed", "60")]), way_flag::MAJOR);
/// assert_eq!(way_flags(&[("highway", "residential"), ("maxspeed", "30")]), 0);
/// assert_eq!(
///     way_flags(&[("highway", "secondary"), ("sidewalk", "no")]),
///     way_flag::MAJOR | way_flag::NO_SIDEWALK_LEFT | way_flag::NO_SIDEWALK_RIGHT
/// );
/// ```
pub fn way_flags<T: TagLookup + ?Sized>(tags: &T) -> u8 {
    let mut flags = 0;
    let number = |key: &str| {
        tags.get(key).and_then(|v| {
            let digits: String = v
                .trim()
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            let n: f64 = digits.parse().ok()?;
            // "30 mph" is about 48 km/h.
            Some(if v.contains("mph") { n * 1.609 } else { n })
        })
    };
    let arterial = matches!(
        tags.get("highway"),
        Some("primary" | "primary_link" | "secondary" | "secondary_link" | "trunk" | "trunk_link")
    );
    if arterial
        || number("lanes").is_some_and(|l| l >= 4.0)
        || number("maxspeed").is_some_and(|m| m >= 50.0)
    {
        flags |= way_flag::MAJOR;
    }
    let no = |v: Option<&str>| matches!(v, Some("no" | "none"));
    match tags.get("sidewalk").or_else(|| tags.get("sidewalk:both")) {
        Some("no" | "none") => flags |= way_flag::NO_SIDEWALK_LEFT | way_flag::NO_SIDEWALK_RIGHT,
        Some("left") => flags |= way_flag::NO_SIDEWALK_RIGHT,
        Some("right") => flags |= way_flag::NO_SIDEWALK_LEFT,
        _ => {}
    }
    if no(tags.get("sidewalk:left")) {
        flags |= way_flag::NO_SIDEWALK_LEFT;
    }
    if no(tags.get("sidewalk:right")) {
        flags |= way_flag::NO_SIDEWALK_RIGHT;
    }
    flags
}

/// Node roles kept for access points and crossings.
pub mod node_role {
    /// `barrier=gate` (a compound gate, a park gate).
    pub const GATE: u8 = 1;
    /// `entrance=*` (a building or site entrance).
    pub const ENTRANCE: u8 = 2;
    /// `highway=crossing` or `crossing=*`.
    pub const CROSSING: u8 = 4;
    /// `highway=traffic_signals` or `crossing=traffic_signals`.
    pub const SIGNALS: u8 = 8;
    /// A marked crossing without signals (`crossing=zebra|marked|uncontrolled`,
    /// or `highway=crossing` with no `crossing=unmarked`).
    pub const MARKED: u8 = 16;
}

/// The access-relevant roles of a node, as a bit set of [`node_role`] flags.
pub fn node_roles<T: TagLookup + ?Sized>(tags: &T) -> u8 {
    let mut roles = 0;
    if matches!(
        tags.get("barrier"),
        Some("gate" | "entrance" | "lift_gate" | "swing_gate")
    ) {
        roles |= node_role::GATE;
    }
    if tags.get("entrance").is_some() {
        roles |= node_role::ENTRANCE;
    }
    if tags.get("highway") == Some("crossing") || tags.get("crossing").is_some() {
        roles |= node_role::CROSSING;
    }
    if tags.get("highway") == Some("traffic_signals")
        || tags.get("crossing") == Some("traffic_signals")
    {
        roles |= node_role::SIGNALS;
    }
    let marked = matches!(
        tags.get("crossing"),
        Some("zebra" | "marked" | "uncontrolled")
    ) || (tags.get("highway") == Some("crossing")
        && !matches!(tags.get("crossing"), Some("unmarked" | "no")));
    if marked && roles & node_role::SIGNALS == 0 {
        roles |= node_role::MARKED;
    }
    roles
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        use Walkability::*;
        assert_eq!(
            walkability(&[("highway", "primary")]),
            Yes(WayClass::Arterial)
        );
        assert_eq!(
            walkability(&[("highway", "trunk_link")]),
            Yes(WayClass::Arterial)
        );
        assert_eq!(walkability(&[("highway", "steps")]), Yes(WayClass::Steps));
        for h in [
            "motorway",
            "motorway_link",
            "construction",
            "proposed",
            "platform",
            "raceway",
            "bus_stop",
        ] {
            assert_eq!(walkability(&[("highway", h)]), No, "{h}");
        }
        assert_eq!(walkability(&[("highway", "primary"), ("foot", "no")]), No);
        assert_eq!(
            walkability(&[("highway", "primary"), ("foot", "use_sidepath")]),
            No
        );
        assert_eq!(walkability(&[("highway", "path"), ("access", "no")]), No);
        assert_eq!(
            walkability(&[("highway", "path"), ("access", "no"), ("foot", "yes")]),
            Yes(WayClass::Footway)
        );
        assert_eq!(walkability(&[("highway", "bridleway")]), No);
        assert_eq!(walkability(&[("building", "yes")]), No);
    }

    #[test]
    fn roles() {
        assert_eq!(
            node_roles(&[("barrier", "gate"), ("access", "private")]),
            node_role::GATE
        );
        assert_eq!(
            node_roles(&[("highway", "crossing"), ("crossing", "traffic_signals")]),
            node_role::CROSSING | node_role::SIGNALS
        );
        assert_eq!(
            node_roles(&[("highway", "crossing"), ("crossing", "zebra")]),
            node_role::CROSSING | node_role::MARKED
        );
        assert_eq!(
            node_roles(&[("highway", "crossing"), ("crossing", "unmarked")]),
            node_role::CROSSING
        );
        assert_eq!(node_roles(&[("amenity", "bench")]), 0);
    }
}
