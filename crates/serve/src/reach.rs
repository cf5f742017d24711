//! The childcircle extension: which communities and children's facilities a
//! contour reaches, added to each feature's properties. Clients of Valhalla
//! and openrouteservice ignore properties they do not know.

use serde_json::{json, Value};

use super::engine::{Engine, Reach};
use super::limits::Limits;

/// Adds `reach_pop`, `reach_pop_communities`, `communities_reached`,
/// `communities` and `children` to a feature's properties.
///
/// Population is often unknown in OSM: `reach_pop` sums the communities that
/// have one (`reach_pop_communities` of `communities_reached`) and is `null`
/// when none has.
pub fn extension(props: &mut Value, reach: &Reach, engine: &Engine, limits: &Limits) {
    let Some(obj) = props.as_object_mut() else {
        return;
    };
    let listed: Vec<Value> = reach
        .communities
        .iter()
        .take(limits.max_listed_communities)
        .map(|&i| {
            let c = &engine.communities()[i];
            json!({"id": c.id, "name": c.name, "population": c.population})
        })
        .collect();
    let children: serde_json::Map<String, Value> = engine
        .profile
        .categories
        .iter()
        .zip(&reach.facilities)
        .map(|(c, &n)| (c.id.clone(), json!(n)))
        .collect();
    obj.insert(
        "reach_pop".into(),
        (reach.with_population > 0)
            .then_some(reach.population)
            .map_or(Value::Null, |p| json!(p)),
    );
    obj.insert("reach_pop_communities".into(), json!(reach.with_population));
    obj.insert("communities_reached".into(), json!(reach.communities.len()));
    obj.insert("communities".into(), Value::Array(listed));
    obj.insert("children".into(), Value::Object(children));
}

/// Names of the extension's properties (what Valhalla's own responses lack).
pub const EXTENSION_KEYS: [&str; 5] = [
    "reach_pop",
    "reach_pop_communities",
    "communities_reached",
    "communities",
    "children",
];
