//! OSM tags and object identities: the vocabulary the profile's rules and
//! the OSM reader share. A [`Selector`] is a profile's tag rule
//! (`amenity=school + isced:level=1|2`), [`TagLookup`] reads any object's
//! tags, [`OsmRef`] names an object in every output.
//!
//! ```
//! use childcircle::tags::Selector;
//! let s: Selector = "amenity=school + isced:level=1|2".parse().unwrap();
//! assert!(s.matches(&[("amenity", "school"), ("isced:level", "2")]));
//! assert!(!s.matches(&[("amenity", "school")]));
//! ```

use serde::Deserialize;

/// An OSM object reference, as `n123`, `w456`, `r789` in outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OsmRef {
    /// A node, by its id.
    Node(i64),
    /// A way, by its id.
    Way(i64),
    /// A relation, by its id.
    Relation(i64),
}

impl std::fmt::Display for OsmRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OsmRef::Node(id) => write!(f, "n{id}"),
            OsmRef::Way(id) => write!(f, "w{id}"),
            OsmRef::Relation(id) => write!(f, "r{id}"),
        }
    }
}

/// Read access to an object's tags.
pub trait TagLookup {
    /// The value of tag `key`, if the object has it.
    fn get(&self, key: &str) -> Option<&str>;
}

impl TagLookup for osmpbfreader::Tags {
    fn get(&self, key: &str) -> Option<&str> {
        std::ops::Deref::deref(self).get(key).map(|s| s.as_str())
    }
}

impl TagLookup for [(&str, &str)] {
    fn get(&self, key: &str) -> Option<&str> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
}

impl<const N: usize> TagLookup for [(&str, &str); N] {
    fn get(&self, key: &str) -> Option<&str> {
        TagLookup::get(self.as_slice(), key)
    }
}

/// A conjunction of tag tests, written `amenity=school + isced:level=1|2`.
#[derive(Debug, Clone, PartialEq)]
pub struct Selector(Vec<TagTest>);

#[derive(Debug, Clone, PartialEq)]
enum TagTest {
    /// The key is present with any value.
    Has(String),
    /// The key's value (or one of its `;`-separated parts) is one of these.
    AnyOf(String, Vec<String>),
    /// The key is absent or has none of these values.
    NoneOf(String, Vec<String>),
}

impl Selector {
    /// Whether an object with these tags matches every test of the selector.
    pub fn matches<T: TagLookup + ?Sized>(&self, tags: &T) -> bool {
        let has_value = |v: &str, values: &[String]| {
            v.split(';')
                .map(str::trim)
                .any(|part| values.iter().any(|x| x == part))
        };
        self.0.iter().all(|t| match t {
            TagTest::Has(k) => tags.get(k).is_some(),
            TagTest::AnyOf(k, vs) => tags.get(k).is_some_and(|v| has_value(v, vs)),
            TagTest::NoneOf(k, vs) => !tags.get(k).is_some_and(|v| has_value(v, vs)),
        })
    }

    /// The keys the selector needs present (every test but `key!=value`).
    pub fn required_keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.0.iter().filter_map(|t| match t {
            TagTest::Has(k) | TagTest::AnyOf(k, _) => Some(k.as_str()),
            TagTest::NoneOf(..) => None,
        })
    }
}

impl std::str::FromStr for Selector {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let values =
            |v: &str| -> Vec<String> { v.split('|').map(|x| x.trim().to_string()).collect() };
        let mut tests = Vec::new();
        for part in s.split('+').map(str::trim) {
            let test = if let Some((k, v)) = part.split_once("!=") {
                TagTest::NoneOf(k.trim().to_string(), values(v))
            } else if let Some((k, v)) = part.split_once('=') {
                TagTest::AnyOf(k.trim().to_string(), values(v))
            } else {
                TagTest::Has(part.to_string())
            };
            let key = match &test {
                TagTest::Has(k) | TagTest::AnyOf(k, _) | TagTest::NoneOf(k, _) => k,
            };
            if key.is_empty() || key.contains(char::is_whitespace) {
                return Err(format!("bad tag selector {s:?}"));
            }
            tests.push(test);
        }
        let selector = Selector(tests);
        if selector.required_keys().next().is_none() {
            // It would match every object without that tag, untagged nodes too.
            return Err(format!(
                "tag selector {s:?} needs a `key` or `key=value` test besides `key!=value`"
            ));
        }
        Ok(selector)
    }
}

impl<'de> Deserialize<'de> for Selector {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}
