//! The tables a planner opens in Excel or LibreOffice: `districts.csv`
//! (coverage per district, [`crate::findings::districts`]) and `gaps.csv`
//! (the communities outside each category's threshold, most urgent first,
//! [`crate::findings::siting::gaps`]). UTF-8 with a BOM, so Excel shows
//! Chinese correctly.

use super::csv::{num, Csv};
use crate::analysis::Analysis;
use crate::findings::districts::DistrictTables;
use crate::findings::siting::gaps;

/// A share as a percentage with one decimal ("35.3%"), which Excel and
/// LibreOffice read as the number 0.353 formatted as a percentage.
pub fn percent(share: f64) -> String {
    // `+ 0.0` turns the -0.0 of an empty float sum into 0.0.
    format!("{:.1}%", 100.0 * share + 0.0)
}

/// `districts.csv`: UTF-8 with a BOM (Excel then shows Chinese correctly).
pub fn districts_csv(t: &DistrictTables) -> Vec<u8> {
    let mut header = vec![
        "层级 level".to_string(),
        "名称 name".to_string(),
        "所属区县 district".to_string(),
        "类型 kind".to_string(),
        "社区数 communities".to_string(),
        "人口 population".to_string(),
        "儿童 children".to_string(),
    ];
    for c in &t.categories {
        header.push(format!(
            "{}覆盖率 {} ({} min{})",
            c.label_zh,
            c.id,
            c.minutes,
            if c.required { "" } else { ", optional" }
        ));
    }
    header.extend([
        "生活圈达标社区数 in_life_circle".to_string(),
        "生活圈达标率 share_life_circle".to_string(),
        "人口达标率 share_population_life_circle".to_string(),
        "儿童达标率 share_children_life_circle".to_string(),
    ]);
    if let Some(target) = t.target {
        header.push(format!("达到目标{} meets_target", percent(target)));
    }
    let mut csv = Csv::new(&header);
    for r in &t.rows {
        let mut fields = vec![
            r.level.label().to_string(),
            r.name.clone(),
            r.parent.clone().unwrap_or_default(),
            r.kind.clone().unwrap_or_default(),
            r.communities.to_string(),
            crate::write::csv::num(r.population, 0),
            crate::write::csv::num(r.children, 0),
        ];
        fields.extend(r.share_covered.iter().map(|&s| percent(s)));
        fields.push(r.life_circle.to_string());
        fields.push(percent(r.share_life_circle));
        fields.push(
            r.share_population_life_circle
                .map(percent)
                .unwrap_or_default(),
        );
        fields.push(
            r.share_children_life_circle
                .map(percent)
                .unwrap_or_default(),
        );
        if let Some(meets) = r.meets_target {
            fields.push((if meets { "是 yes" } else { "否 no" }).to_string());
        }
        csv.row(&fields);
    }
    csv.row(&[
        "覆盖判定 coverage rule",
        &format!(
            "{} (--coverage-rule: access / centroid / share:F)",
            t.coverage_rule
        ),
    ]);
    if let Some(note) = &t.data_note {
        csv.row(&["注 note", note.as_str()]);
    }
    csv.into_bytes()
}

/// `gaps.csv`: every category's gaps, ranked ([`gaps`]).
pub fn gaps_csv(a: &Analysis) -> Vec<u8> {
    let mut csv = Csv::new(&[
        "类别 category",
        "类别名称 label_zh",
        "label_en",
        "标准(分钟) threshold_min",
        "必需 required",
        "排序 rank",
        "编号 id",
        "名称 name",
        "类型 kind",
        "街道 subdistrict",
        "所属社区 parent",
        "人口 population",
        "面积(平方米) area_m2",
        "现状步行(分钟) minutes",
        "接入 access",
    ]);
    for (k, cat) in a.profile.categories.iter().enumerate() {
        for (rank, i) in gaps(a, k).into_iter().enumerate() {
            let c = &a.communities[i];
            csv.row(&[
                cat.id.clone(),
                cat.label_zh.clone(),
                cat.label_en.clone(),
                format!("{}", cat.minutes),
                (if cat.required { "yes" } else { "no" }).to_string(),
                (rank + 1).to_string(),
                c.id.clone(),
                c.name.clone(),
                c.kind.to_string(),
                c.subdistrict.clone().unwrap_or_default(),
                c.parent.clone().unwrap_or_default(),
                num(c.population, 0),
                format!("{:.0}", c.area_m2),
                num(a.coverage[i].minutes[k], 1),
                c.access_kind.as_str().to_string(),
            ]);
        }
    }
    csv.into_bytes()
}
