//! `export-graph` writes the graph other tools run on: a plain Dijkstra over
//! the exported CSV must reproduce the distances we export for task A.

#[path = "bin/mod.rs"]
mod bin;
use bin::childcircle_bin;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::path::Path;
use std::process::Command;

fn csv(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

#[test]
fn exported_graph_reproduces_exported_distances() {
    let dir = tempfile::tempdir().unwrap();
    let extract = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/osm/monaco.osm.pbf");
    let out = Command::new(childcircle_bin())
        .current_dir(dir.path())
        .args([
            "export-graph",
            extract.to_str().unwrap(),
            "--out",
            "g",
            "--cap",
            "800",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let g = dir.path().join("g");
    let n = csv(&g.join("nodes.csv")).len();
    // Decimetres, as the export writes one decimal of metres.
    let mut adj: Vec<Vec<(usize, u64)>> = vec![Vec::new(); n];
    for e in csv(&g.join("edges.csv")) {
        let (u, v): (usize, usize) = (e[0].parse().unwrap(), e[1].parse().unwrap());
        let w = (e[2].parse::<f64>().unwrap() * 10.0).round() as u64;
        adj[u].push((v, w));
        adj[v].push((u, w));
    }
    let mut by_category: HashMap<String, Vec<usize>> = HashMap::new();
    for f in csv(&g.join("facilities.csv")) {
        by_category
            .entry(f[1].clone())
            .or_default()
            .push(f[0].parse().unwrap());
    }
    let mut exported: HashMap<(usize, String), u64> = HashMap::new();
    for d in csv(&g.join("distances_a.csv")) {
        exported.insert(
            (d[0].parse().unwrap(), d[1].clone()),
            (d[2].parse::<f64>().unwrap() * 10.0).round() as u64,
        );
    }
    let mut checked = 0;
    for (category, sources) in &by_category {
        let mut dist = vec![u64::MAX; n];
        let mut heap = BinaryHeap::new();
        for &s in sources {
            dist[s] = 0;
            heap.push(Reverse((0u64, s)));
        }
        while let Some(Reverse((d, u))) = heap.pop() {
            if d > dist[u] {
                continue;
            }
            for &(v, w) in &adj[u] {
                if d + w < dist[v] {
                    dist[v] = d + w;
                    heap.push(Reverse((d + w, v)));
                }
            }
        }
        for (node, &d) in dist.iter().enumerate() {
            let ours = exported.get(&(node, category.clone()));
            if d <= 8000 {
                assert_eq!(ours, Some(&d), "node {node}, {category}");
                checked += 1;
            } else {
                assert_eq!(ours, None, "node {node}, {category}: beyond the cap");
            }
        }
    }
    assert!(checked > 1000, "{checked}");
}
