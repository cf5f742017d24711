//! Facilities as a planner counts them: school levels from every signal, in
//! every language the profile has rules for, non-schools excluded and reported,
//! the planner's overrides, GB 50180-2018 park sizes, tiny areas and capacity.
//! Names are real ones from the shipped extracts (Monaco, Helsinki, Beijing,
//! Shanghai) and from Heidelberg, or marked as realistic where no shipped
//! extract has one.

mod common;

use std::path::Path;

use childcircle::analysis::{analyze_with_options, Analysis, AnalyzeOptions};
use childcircle::osm::classify::NoteKind;
use childcircle::profile::overrides::FacilityOverrides;
use childcircle::profile::Profile;
use childcircle::tags::OsmRef;
use childcircle_synth::PbfWriter;

/// The category ids an object with these tags gets from a profile.
fn cats(p: &Profile, tags: &[(&str, &str)]) -> Vec<String> {
    let set = p.classify(tags);
    (0..p.categories.len())
        .filter(|i| set & (1 << i) != 0)
        .map(|i| p.categories[i].id.clone())
        .collect()
}

fn school(name: &str) -> [(&str, &str); 2] {
    [("amenity", "school"), ("name", name)]
}

/// Tags and the category ids they must get.
type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);

#[track_caller]
fn check(p: &Profile, cases: &[Case]) {
    for (tags, want) in cases {
        assert_eq!(cats(p, tags), *want, "{tags:?}");
    }
}

#[test]
fn french_names_from_monaco() {
    let p = Profile::default();
    check(
        &p,
        &[
            (&school("École de la Condamine"), &["primary"]),
            (&school("École Saint-Charles"), &["primary"]),
            // A lycée is upper secondary: "high", not the 初中 the life circle needs.
            (
                &[
                    ("amenity", "school"),
                    ("name", "Lycée Albert-1er"),
                    ("school:FR", "lycée"),
                ],
                &["high"],
            ),
            (&school("Lycée Albert-1er"), &["high"]),
            // school:MC=maternelle: a kindergarten, whatever the name says.
            (
                &[
                    ("amenity", "school"),
                    ("name", "École du Parc"),
                    ("school:MC", "maternelle"),
                ],
                &["kinder"],
            ),
            // building=school, no amenity: the generic École rule applies.
            (
                &[("building", "school"), ("name", "École des Révoires")],
                &["primary"],
            ),
            (
                &[
                    ("building", "school"),
                    ("name", "Lycée Technique et Hôtelier"),
                ],
                &["high"],
            ),
            // Realistic, not in the extract: a collège is lower secondary.
            (&school("Collège Charles III"), &["middle"]),
        ],
    );
}

#[test]
fn non_schools_are_excluded_and_say_why() {
    let p = Profile::default();
    for tags in [
        &school("International University of Monaco")[..],
        &[
            ("amenity", "driving_school"),
            ("name", "Auto-école Georges"),
        ],
        &[("amenity", "driving_school"), ("name", "Autokoulu Symppis")],
        // Realistic names (no shipped extract has one mapped as a school).
        &school("蓝天驾校"),
        &school("新东方培训学校"),
        &school("德州市艺术学校"),
        &school("小天鹅舞蹈学校"),
        &school("学而思辅导中心"),
        &school("Tanzschule Nuzinger"),
        &school("Musikschule Heidelberg"),
        &school("École de musique de Monaco"),
        &school("Yoga School Helsinki"),
        &[
            ("amenity", "school"),
            ("name", "Kids Club"),
            ("school", "language"),
        ],
    ] {
        let c = p.classify_full(tags);
        assert_eq!(c.categories, 0, "{tags:?}");
        assert!(
            matches!(c.note, Some(NoteKind::NotForChildren { kept: false, .. })),
            "{tags:?}: {:?}",
            c.note
        );
    }
    // A university's affiliated primary school is a primary school.
    check(&p, &[(&school("中国农业大学附属实验小学"), &["primary"])]);
    // The profile switch keeps them, as "other school".
    let keep = Profile::from_toml_str(
        &childcircle::profile::DEFAULT_PROFILE_TOML
            .replace("keep_non_schools = false", "keep_non_schools = true"),
        Path::new("keep.toml"),
    )
    .unwrap();
    check(
        &keep,
        &[
            (
                &[
                    ("amenity", "driving_school"),
                    ("name", "Auto-école Georges"),
                ],
                &["school"],
            ),
            (&school("International University of Monaco"), &["school"]),
        ],
    );
}

#[test]
fn chinese_names_from_beijing_and_shanghai() {
    let p = Profile::default();
    check(
        &p,
        &[
            (&school("中国农业大学附属实验小学"), &["primary"]),
            (&school("北京石油学院附属小学(月华分校)"), &["primary"]),
            // A plain 中学 / 附中 teaches 初中 and 高中.
            (&school("北京石油学院附属中学"), &["middle", "high"]),
            (&school("上海大学附属中学"), &["middle", "high"]),
            (&school("上大附中"), &["middle", "high"]),
            (&school("中国农业大学东校区幼儿园"), &["kinder"]),
            // Realistic names for the rules the extracts have no example of.
            (&school("人大附小"), &["primary"]),
            (&school("德州市第一初级中学"), &["middle"]),
            (&school("德州市第一中学初中部"), &["middle"]),
            (&school("德州市第二高级中学"), &["high"]),
            (&school("北京市第八十中学高中"), &["high"]),
            (&school("德州市实验九年一贯制学校"), &["primary", "middle"]),
            (&school("北京市第二十二完全中学"), &["middle", "high"]),
            (&school("德州市天衢学校"), &["primary", "middle"]),
        ],
    );
    // The hospital building of Shanghai University is no 学校 (大学|校医院).
    assert_eq!(
        p.classify(&[("building", "hospital"), ("name", "上海大学校医院")]),
        0
    );
    // "Where the profile says so": 高中 counted as middle school.
    let wide = Profile::from_toml_str(
        &childcircle::profile::DEFAULT_PROFILE_TOML.replace(
            r#"upper_secondary = "high""#,
            r#"upper_secondary = "middle""#,
        ),
        Path::new("wide.toml"),
    )
    .unwrap();
    check(
        &wide,
        &[
            (&school("德州市第二高级中学"), &["middle"]),
            (&school("Lycée Albert-1er"), &["middle"]),
        ],
    );
}

#[test]
fn finnish_and_swedish_names_from_helsinki() {
    let p = Profile::default();
    check(
        &p,
        &[
            (&school("Kaisaniemen ala-aste"), &["primary"]),
            (&school("Kruununhaan yläasteen koulu"), &["middle"]),
            (&school("Ressun lukio"), &["high"]),
            (
                &[
                    ("building", "school"),
                    ("name", "Helsingin eurooppalainen koulu"),
                ],
                &["primary"],
            ),
            // Realistic: a comprehensive school, a Swedish gymnasium and lågstadium.
            (&school("Pasilan peruskoulu"), &["primary", "middle"]),
            (&school("Gymnasiet Lärkan"), &["high"]),
            (&school("Tölö lågstadieskola"), &["primary"]),
        ],
    );
}

#[test]
fn german_names_from_heidelberg() {
    let p = Profile::default();
    check(
        &p,
        &[
            (&school("Strahlenberger Grundschule"), &["primary"]),
            (&school("Grundschule Schlierbach"), &["primary"]),
            // school=primary decides before the name.
            (
                &[
                    ("amenity", "school"),
                    ("name", "Grundschule Neckargemünd"),
                    ("school", "primary"),
                ],
                &["primary"],
            ),
            (&school("Kurfürst-Friedrich-Gymnasium"), &["middle", "high"]),
            (&school("Heinrich Sigmund Gymnasium"), &["middle", "high"]),
            (
                &school("Waldorfschule Heidelberg"),
                &["primary", "middle", "high"],
            ),
            (
                &school("Staatliche Gehörlosenschule"),
                &["primary", "middle"],
            ),
            (
                &school("Ecole Pierre & Marie Curie Heidelberg"),
                &["primary"],
            ),
            // A name that says no level stays "other school".
            (&school("Tiefburgschule"), &["school"]),
            // Realistic: combined and lower-secondary schools.
            (
                &school("Grund- und Werkrealschule Wiesloch"),
                &["primary", "middle"],
            ),
            (
                &school("Internationale Gesamtschule Heidelberg"),
                &["middle", "high"],
            ),
            (&school("Realschule Neckargemünd"), &["middle"]),
            (&school("Julius-Springer-Berufsschule"), &["high"]),
        ],
    );
}

#[test]
fn english_portuguese_and_spanish_names() {
    // Realistic names of Baltimore, Porto and Spanish schools (the issue's
    // extracts are not shipped).
    let p = Profile::default();
    check(
        &p,
        &[
            (
                &school("Roland Park Elementary/Middle School"),
                &["primary", "middle"],
            ),
            (&school("Hampden Elementary School"), &["primary"]),
            (&school("Lake Clifton Middle School"), &["middle"]),
            (&school("Booker T. Washington Junior High"), &["middle"]),
            (&school("Baltimore Polytechnic High School"), &["high"]),
            (
                &school("The Park School K-12"),
                &["primary", "middle", "high"],
            ),
            (&school("Tench Tilghman K-8 School"), &["primary", "middle"]),
            (&school("Escola Básica de Miragaia"), &["primary"]),
            (&school("Escola EB1 da Fontinha"), &["primary"]),
            (
                &school("Escola EB2,3 Gomes Teixeira"),
                &["primary", "middle"],
            ),
            (&school("Escola Secundária Rodrigues de Freitas"), &["high"]),
            (&school("Escuela Primaria Benito Juárez"), &["primary"]),
            (&school("Colegio San José"), &["primary", "middle"]),
            (&school("Instituto Ramiro de Maeztu"), &["middle", "high"]),
            (&school("Academia de Dança do Porto"), &[]),
        ],
    );
}

#[test]
fn tags_decide_before_names_in_order() {
    let p = Profile::default();
    check(
        &p,
        &[
            // isced:level first, even against the name.
            (
                &[
                    ("amenity", "school"),
                    ("name", "Ressun lukio"),
                    ("isced:level", "1"),
                ],
                &["primary"],
            ),
            (
                &[("amenity", "school"), ("isced:level", "2;3")],
                &["middle", "high"],
            ),
            // then school:*=..., then grades, then ages.
            (
                &[
                    ("amenity", "school"),
                    ("name", "Tiefburgschule"),
                    ("school:DE", "Grundschule"),
                ],
                &["primary"],
            ),
            (
                &[("amenity", "school"), ("grades", "K-8")],
                &["primary", "middle"],
            ),
            (&[("amenity", "school"), ("grades", "6-8")], &["middle"]),
            (&[("amenity", "school"), ("grades", "9-12")], &["high"]),
            (
                &[("amenity", "school"), ("min_age", "6"), ("max_age", "12")],
                &["primary"],
            ),
            (&[("amenity", "school")], &["school"]),
        ],
    );
    // ISCED 5+ only: higher education.
    assert_eq!(
        p.classify(&[("amenity", "school"), ("isced:level", "6")]),
        0
    );
    // Every selector key of the school rules is a trigger key of ingest.
    let keys: Vec<&str> = p.trigger_keys().collect();
    assert!(keys.contains(&"amenity") && keys.contains(&"name"));
}

fn run(extract: &Path, profile: Profile) -> Analysis {
    let options = AnalyzeOptions {
        profile,
        isochrones: None,
        ..AnalyzeOptions::default()
    };
    analyze_with_options(extract, &options, &mut |_| {}).unwrap()
}

fn facility_cats(a: &Analysis, name: &str) -> Vec<String> {
    let mut v: Vec<String> = a
        .facilities
        .iter()
        .filter(|f| f.name.as_deref() == Some(name))
        .map(|f| a.profile.categories[f.category].id.clone())
        .collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn shipped_extracts_have_few_unlevelled_schools_and_no_false_ones() {
    for (extract, schools) in [
        ("monaco", 8),
        ("helsinki", 4),
        ("beijing-cau", 3),
        ("shanghai-shu", 2),
    ] {
        let a = run(
            &common::data(&format!("osm/{extract}.osm.pbf")),
            Profile::default(),
        );
        let c = &a.classification;
        assert_eq!(c.schools, schools, "{extract}: {c:?}");
        assert!(c.other_share <= 0.25, "{extract}: {c:?}");
        assert!(
            !a.warnings.iter().any(|w| w.contains("have no level")),
            "{extract}: {:?}",
            a.warnings
        );
    }
    let a = run(&common::data("osm/monaco.osm.pbf"), Profile::default());
    assert_eq!(facility_cats(&a, "École de la Condamine"), ["primary"]);
    assert_eq!(facility_cats(&a, "Lycée Albert-1er"), ["high"]);
    assert!(facility_cats(&a, "Auto-école Georges").is_empty());
    assert!(facility_cats(&a, "International University of Monaco").is_empty());
    let c = &a.classification;
    assert_eq!(c.not_for_children, 3, "{c:?}");
    assert!(c
        .not_for_children_examples
        .iter()
        .any(|e| e.starts_with("Auto-école Georges (n5919288543")));
    let json = serde_json::to_value(childcircle::findings::summary::Summary::new(&a)).unwrap();
    assert_eq!(json["classification"]["not_for_children"], 3);
}

#[test]
fn overrides_fix_what_the_data_gets_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("overrides.csv");
    std::fs::write(
        &csv,
        "id,name,category\nw104863462,,middle;high\n,École des Carmes,exclude\nn1,,primary\n",
    )
    .unwrap();
    let mut profile = Profile::default();
    let o = FacilityOverrides::from_file(&csv, &profile).unwrap();
    profile.overrides = Some(std::sync::Arc::new(o));
    let a = run(&common::data("osm/monaco.osm.pbf"), profile);
    assert_eq!(facility_cats(&a, "Lycée Albert-1er"), ["high", "middle"]);
    assert!(facility_cats(&a, "École des Carmes").is_empty());
    // The overridden lycée is still a school; the excluded école is none.
    assert_eq!(a.classification.schools, 7, "{:?}", a.classification);
    assert_eq!(a.classification.by_signal.get("override"), Some(&1));
    let used: Vec<(&str, usize)> = a
        .classification
        .overrides
        .iter()
        .map(|o| (o.entry.key.as_str(), o.matched))
        .collect();
    assert_eq!(
        used,
        [("w104863462", 1), ("École des Carmes", 1), ("n1", 0)]
    );
    assert!(
        a.warnings
            .iter()
            .any(|w| w.contains("\"n1\" matched no object")),
        "{:?}",
        a.warnings
    );
    let json = serde_json::to_value(childcircle::findings::summary::Summary::new(&a)).unwrap();
    assert_eq!(
        json["classification"]["overrides"][0]["category"],
        "middle;high"
    );

    // GeoJSON works too; bad rows are named.
    let gj = dir.path().join("o.geojson");
    std::fs::write(
        &gj,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null,"properties":{"name":"Tiefburgschule","category":"primary"}}]}"#,
    )
    .unwrap();
    let o = FacilityOverrides::from_file(&gj, &Profile::default()).unwrap();
    assert_eq!(
        o.get(&OsmRef::Way(5).to_string(), Some("Tiefburgschule"))
            .unwrap()
            .1
            .categories,
        1 << Profile::default().category_index("primary").unwrap()
    );
    for (text, want) in [
        (
            "id,category\nw12,gymnasium\n",
            "line 2: unknown category \"gymnasium\"",
        ),
        (
            "id,category\nway12,primary\n",
            "line 2: id \"way12\" is not an OSM id",
        ),
        ("name,kind\nA,primary\n", "no `category` column"),
    ] {
        std::fs::write(&csv, text).unwrap();
        let e = FacilityOverrides::from_file(&csv, &Profile::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains(want) && e.contains("overrides.csv"), "{e}");
    }
}

/// A small town near Dezhou: a street grid 100 m apart, a 3 ha park drawn
/// clockwise with a playground inside, a 1 m² "park", a kindergarten with a
/// capacity, a compound.
fn write_town(path: &Path) {
    let mut w = PbfWriter::new(std::fs::File::create(path).unwrap(), None).unwrap();
    let at = |r: f64, c: f64| (37.45 + r * 0.0009, 116.31 + c * 0.00113);
    let id = |r: i64, c: i64| 1 + r * 10 + c;
    for r in 0..10 {
        for c in 0..10 {
            let (lat, lon) = at(r as f64, c as f64);
            w.add_node(id(r, c), lat, lon, &[]).unwrap();
        }
    }
    let (lat, lon) = at(5.2, 5.0);
    let kinder = [
        ("amenity", "kindergarten"),
        ("name", "康乐幼儿园"),
        ("capacity", "180"),
    ];
    w.add_node(101, lat, lon, &kinder).unwrap();
    // The park: rows 6-8, columns 6-7.7 (about 200 m x 170 m = 3.4 ha), clockwise.
    let corners = [(6.0, 6.0), (8.0, 6.0), (8.0, 7.7), (6.0, 7.7)];
    for (k, (r, c)) in corners.iter().enumerate() {
        let (lat, lon) = at(*r, *c);
        w.add_node(200 + k as i64, lat, lon, &[]).unwrap();
    }
    let (lat, lon) = at(7.0, 6.8);
    w.add_node(210, lat, lon, &[("leisure", "playground")])
        .unwrap();
    // The 1 m² park.
    for (k, (dr, dc)) in [(0.0, 0.0), (0.0, 0.00885), (0.0111, 0.00885), (0.0111, 0.0)]
        .iter()
        .enumerate()
    {
        let (lat, lon) = at(2.5 + dr, 2.5 + dc);
        w.add_node(300 + k as i64, lat, lon, &[]).unwrap();
    }
    for k in 0..20 {
        let line: Vec<i64> = (0..10)
            .map(|i| if k < 10 { id(k, i) } else { id(i, k - 10) })
            .collect();
        w.add_way(1 + k, &line, &[("highway", "residential")])
            .unwrap();
    }
    let compound = [id(1, 1), id(1, 3), id(3, 3), id(3, 1), id(1, 1)];
    w.add_way(
        21,
        &compound,
        &[("landuse", "residential"), ("name", "康乐小区")],
    )
    .unwrap();
    let park = [200, 201, 202, 203, 200];
    w.add_way(22, &park, &[("leisure", "park"), ("name", "长河公园")])
        .unwrap();
    w.add_way(23, &[300, 301, 302, 303, 300], &[("leisure", "park")])
        .unwrap();
    w.finish().unwrap();
}

#[test]
fn gb50180_park_sizes_tiny_areas_playgrounds_and_capacity() {
    let dir = tempfile::tempdir().unwrap();
    let town = dir.path().join("town.osm.pbf");
    write_town(&town);
    let a = run(&town, Profile::default());
    let of = |osm: OsmRef| -> Vec<String> {
        let mut v: Vec<String> = a
            .facilities
            .iter()
            .filter(|f| f.osm == osm)
            .map(|f| a.profile.categories[f.category].id.clone())
            .collect();
        v.sort();
        v
    };
    // 3.4 ha, about 170 m wide, drawn clockwise: a 10-minute park (>= 1 ha,
    // 50 m) and a 5-minute 游园, not the 15-minute park (>= 5 ha, 80 m).
    assert_eq!(of(OsmRef::Way(22)), ["garden", "park10"]);
    assert_eq!(a.classification.sizes.below_size.get("park"), Some(&1));
    // The 1 m² park: reported, not counted.
    assert!(of(OsmRef::Way(23)).is_empty());
    assert_eq!(a.classification.sizes.too_small, 1);
    assert!(a.warnings.iter().any(|w| w.contains("smaller than 10 m²")));
    // The playground inside the park counts as a playground.
    assert_eq!(of(OsmRef::Node(210)), ["play"]);
    // capacity is carried into facilities.geojson.
    let geojson: serde_json::Value =
        serde_json::from_slice(&childcircle::write::layers::facilities_geojson(&a)).unwrap();
    let k = geojson["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["osm_id"] == 101)
        .unwrap();
    assert_eq!(k["properties"]["capacity"], 180.0);
}

#[test]
fn beyond_the_name_other_names_websites_and_descriptions() {
    let p = Profile::default();
    check(
        &p,
        &[
            // Heidelberg's Neckarschule (w27072584), all its tags: the name says no
            // level, the website's host says Grundschule.
            (
                &[
                    ("amenity", "school"),
                    ("name", "Neckarschule"),
                    ("website", "http://www.grundschule-ziegelhausen.de"),
                    ("wheelchair", "limited"),
                ],
                &["primary"],
            ),
            // Heidelberg schools whose website says no level either (w384802164,
            // w372753850, w372535122, w27164935): "other school".
            (
                &[
                    ("addr:street", "Kriegsstraße"),
                    ("amenity", "school"),
                    ("name", "Tiefburgschule"),
                    ("phone", "+49 6221 480201"),
                    ("website", "http://www.tiefburgschule-hd.de"),
                ],
                &["school"],
            ),
            (
                &[
                    ("amenity", "school"),
                    ("name", "Landhausschule Heidelberg"),
                    ("website", "http://www.lhs.schulen-hd.de/"),
                ],
                &["school"],
            ),
            (
                &[
                    ("amenity", "school"),
                    ("name", "Willy-Hellpach-Schule"),
                    ("website", "http://www.whs.hd.bw.schule.de/"),
                ],
                &["school"],
            ),
            (
                &[
                    ("amenity", "school"),
                    ("name", "Heidelberg College"),
                    ("website", "http://www.heidelberg-college.de"),
                ],
                &["school"],
            ),
            // The other Heidelberg schools without a level, all their tags: no
            // signal, so no guess (an "International School" is no level, nor a
            // "-Schule"; w268515363, w29114721, w24608070, w372535119, w372535120).
            (
                &[
                    ("amenity", "school"),
                    ("name", "Heidelberg International School"),
                    ("short_name", "H.I.S."),
                    ("website", "http://www.hischool.de"),
                ],
                &["school"],
            ),
            (
                &[
                    ("addr:city", "Heidelberg"),
                    ("addr:street", "Roonstraße"),
                    ("amenity", "school"),
                    ("name", "St. Raphael-Schulen"),
                    ("website", "http://www.st-raphael-schule.de/"),
                    ("wheelchair", "no"),
                ],
                &["school"],
            ),
            (
                &[
                    ("amenity", "school"),
                    ("name", "Elisabeth von Thadden-Schule"),
                    ("wheelchair", "limited"),
                ],
                &["school"],
            ),
            (
                &[("amenity", "school"), ("name", "Julius-Springer-Schule")],
                &["school"],
            ),
            (
                &[("amenity", "school"), ("name", "Pestalozzi-Schule")],
                &["school"],
            ),
            // The name decides before short_name and website (w155204823).
            (
                &[
                    ("amenity", "school"),
                    ("name", "Kurfürst-Friedrich-Gymnasium"),
                    ("short_name", "KFG"),
                    ("website", "http://www.kfg-heidelberg.de"),
                ],
                &["middle", "high"],
            ),
            // ... and before name:en (Shanghai's w447951684).
            (
                &[
                    ("amenity", "school"),
                    ("name", "上海大学附属中学"),
                    ("name:en", "High School Affiliated to Shanghai University"),
                ],
                &["middle", "high"],
            ),
            // Helsinki's Ressun lukio (w37264738) with its name removed: the
            // name:fi / name:sv keys give the level.
            (
                &[
                    ("amenity", "school"),
                    ("name:fi", "Ressun lukio"),
                    ("name:sv", "Gymnasiet Ressu"),
                    ("website", "https://www.hel.fi/ressul/fi"),
                ],
                &["high"],
            ),
            // Helsinki's Kaisaniemen ala-aste (w596507272) with its name removed:
            // the website's path is not read (the city's directory "peruskoulut"
            // would make every school a comprehensive school).
            (
                &[
                    ("amenity", "school"),
                    (
                        "website",
                        "https://www.hel.fi/peruskoulut/fi/koulut/kaisaniemen-ala-aste/",
                    ),
                ],
                &["school"],
            ),
            // Monaco's École du Parc (n6460987741): school:MC decides before the
            // host ecole-parc.
            (
                &[
                    ("amenity", "school"),
                    ("name", "École du Parc"),
                    ("school:MC", "maternelle"),
                    ("website", "https://ecole-parc.gouv.mc/"),
                ],
                &["kinder"],
            ),
            // Not schools: Heidelberg's dog school (w446537927, animal=school) and
            // a railway station named after one (n35961619, old_name
            // Berufsschulzentrum): other names apply to tagged schools only.
            (
                &[
                    ("animal", "school"),
                    ("name", "Happy Fiffi"),
                    ("school_type", "dog"),
                    ("website", "http://www.happy-fiffi.de"),
                ],
                &[],
            ),
            (
                &[
                    ("name", "Berufsschule"),
                    ("old_name", "Berufsschulzentrum"),
                    ("railway", "station"),
                ],
                &[],
            ),
            // Realistic (no school of the extracts has one): a description, and a
            // website that says driving school.
            (
                &[
                    ("amenity", "school"),
                    ("name", "Schule am Park"),
                    ("description", "Grundschule mit Ganztagsbetreuung"),
                ],
                &["primary"],
            ),
            (
                &[
                    ("amenity", "school"),
                    ("name", "Stop"),
                    ("website", "http://www.fahrschule-stop.de"),
                ],
                &[],
            ),
        ],
    );
}

/// Schools mapped inside schools, on a street grid: real names and tags, made-up
/// geometry.
fn write_campuses(path: &Path) {
    let mut w = PbfWriter::new(std::fs::File::create(path).unwrap(), None).unwrap();
    let at = |r: f64, c: f64| (49.40 + r * 0.0009, 8.68 + c * 0.00138);
    let id = |r: i64, c: i64| 1 + r * 10 + c;
    for r in 0..10 {
        for c in 0..10 {
            let (lat, lon) = at(r as f64, c as f64);
            w.add_node(id(r, c), lat, lon, &[]).unwrap();
        }
    }
    let school = |n: &'static str| vec![("amenity", "school"), ("name", n)];
    let lycee = vec![
        ("amenity", "school"),
        ("name", "Lycée Albert-1er"),
        ("school:FR", "lycée"),
    ];
    let parc = vec![
        ("amenity", "school"),
        ("name", "École du Parc"),
        ("school:MC", "maternelle"),
    ];
    // Schools mapped as nodes: id, row, column, tags.
    let nodes = [
        (400, 2.1, 6.1, school("Lycée Albert-1er")),
        (401, 6.1, 2.1, parc),
        (402, 6.1, 6.1, school("Tiefburgschule")),
    ];
    for (id, r, c, tags) in &nodes {
        let (lat, lon) = at(*r, *c);
        w.add_node(*id, lat, lon, tags).unwrap();
    }
    // Square areas: way id, centre row and column, half side (cells), tags.
    let squares = [
        // 1. Unnamed grounds (as Heidelberg's w427003607) around a building named
        //    Strahlenberger Grundschule: one primary school, the grounds.
        (30, 2.0, 2.0, 0.8, vec![("amenity", "school")]),
        (
            31,
            2.0,
            2.0,
            0.3,
            vec![
                ("building", "school"),
                ("name", "Strahlenberger Grundschule"),
            ],
        ),
        // 2. Lycée Albert-1er as an area and as a node inside it (n400): one school.
        (32, 2.0, 6.0, 0.8, lycee),
        // 3. A maternelle (n401) on a primary school's grounds: two schools.
        (33, 6.0, 2.0, 0.8, school("Grundschule Schlierbach")),
        // 4. Tiefburgschule as grounds and a node (n402), no level: one "other school".
        (34, 6.0, 6.0, 0.8, school("Tiefburgschule")),
    ];
    for (k, (_, r, c, h, _)) in squares.iter().enumerate() {
        let corners = [
            (r - h, c - h),
            (r - h, c + h),
            (r + h, c + h),
            (r + h, c - h),
        ];
        for (j, (r, c)) in corners.iter().enumerate() {
            let (lat, lon) = at(*r, *c);
            w.add_node(500 + 10 * k as i64 + j as i64, lat, lon, &[])
                .unwrap();
        }
    }
    for k in 0..20 {
        let line: Vec<i64> = (0..10)
            .map(|i| if k < 10 { id(k, i) } else { id(i, k - 10) })
            .collect();
        w.add_way(1 + k, &line, &[("highway", "residential")])
            .unwrap();
    }
    for (k, (way, _, _, _, tags)) in squares.iter().enumerate() {
        let first = 500 + 10 * k as i64;
        let ring = [first, first + 1, first + 2, first + 3, first];
        w.add_way(*way, &ring, tags).unwrap();
    }
    w.finish().unwrap();
}

#[test]
fn a_school_inside_a_school_area_is_one_school() {
    let dir = tempfile::tempdir().unwrap();
    let town = dir.path().join("campuses.osm.pbf");
    write_campuses(&town);
    let a = run(&town, Profile::default());
    let of = |osm: OsmRef| -> Vec<String> {
        let mut v: Vec<String> = a
            .facilities
            .iter()
            .filter(|f| f.osm == osm)
            .map(|f| a.profile.categories[f.category].id.clone())
            .collect();
        v.sort();
        v
    };
    assert_eq!(of(OsmRef::Way(30)), ["primary"]);
    assert!(of(OsmRef::Way(31)).is_empty());
    assert_eq!(of(OsmRef::Way(32)), ["high"]);
    assert!(of(OsmRef::Node(400)).is_empty());
    assert_eq!(of(OsmRef::Way(33)), ["primary"]);
    assert_eq!(of(OsmRef::Node(401)), ["kinder"]);
    assert_eq!(of(OsmRef::Way(34)), ["school"]);
    assert!(of(OsmRef::Node(402)).is_empty());
    let c = &a.classification;
    assert_eq!(c.schools, 5, "{c:?}");
    assert_eq!(c.nested.merged, 3, "{c:?}");
    assert_eq!(c.by_signal.get("nested"), Some(&1), "{c:?}");
    assert_eq!(c.other, 1, "{c:?}");
    assert!(
        c.nested
            .examples
            .iter()
            .any(|e| e == "Strahlenberger Grundschule (w31) in unnamed (w30)"),
        "{c:?}"
    );
    let json = serde_json::to_value(childcircle::findings::summary::Summary::new(&a)).unwrap();
    assert_eq!(json["classification"]["nested"]["merged"], 3);
}

/// Heidelberg (not shipped: `../shared/data/osm/heidelberg.osm.pbf` beside the
/// repository, or `HEIDELBERG_PBF`): the measured figures of the README.
#[test]
fn heidelberg_as_measured() {
    let path = std::env::var_os("HEIDELBERG_PBF").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/osm/heidelberg.osm.pbf"),
        std::path::PathBuf::from,
    );
    if !path.exists() {
        eprintln!("skipped: {} is absent", path.display());
        return;
    }
    let a = run(&path, Profile::default());
    let c = &a.classification;
    assert_eq!(c.schools, 20, "{c:?}");
    assert_eq!(facility_cats(&a, "Neckarschule"), ["primary"]);
    assert_eq!(c.by_signal.get("website"), Some(&1), "{c:?}");
    // No honest signal gives the other ten a level: the warning fires.
    assert_eq!(c.other, 10, "{c:?}");
    assert_eq!(c.nested.merged, 0, "{c:?}");
    assert!(a
        .warnings
        .iter()
        .any(|w| w.contains("10 of 20 schools (50 %)")));
}
