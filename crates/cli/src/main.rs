//! The `childcircle` command line: argument parsing, progress and the printed
//! summary. All the work happens in the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use childcircle::findings::summary::Summary;
use childcircle::isochrone::IsochroneOptions;
use childcircle::places::community_file::CommunityFields;
use childcircle::{analyze_with_options, AnalyzeOptions, Profile};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

/// Which residential communities give children a 15-minute walk to the places
/// children need.
#[derive(Parser)]
#[command(name = "childcircle", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Print only errors.
    #[arg(long, short, global = true)]
    quiet: bool,
    /// Print warnings and phase timings too.
    #[arg(long, short, global = true)]
    verbose: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Analyse an extract: coverage of every community, facilities, summary.
    Analyze(Box<AnalyzeArgs>),
    /// Walking isochrones around one point.
    Isochrone(IsochroneArgs),
    /// Generate the synthetic Dezhou model (an .osm.pbf), for the default data
    /// and for city-scale benchmarks.
    Synth(SynthArgs),
    /// Export the walking graph and facility nodes as CSV, with our timings of
    /// two reference tasks, for comparisons with other tools.
    ExportGraph(ExportArgs),
    /// Serve walking isochrones over HTTP, speaking the Valhalla and
    /// openrouteservice APIs.
    Serve(ServeArgs),
    /// Cut an extract into tiles with a halo (DIR/plan.json, DIR/tiles/<i>/).
    Plan(PlanArgs),
    /// Analyse one tile of a plan; keeps what its core owns.
    Tile(TileArgs),
    /// Merge the finished tiles of a plan into the outputs of the whole area.
    Merge(MergeArgs),
}

#[derive(Args)]
struct PlanArgs {
    /// OpenStreetMap extract (.osm.pbf).
    extract: PathBuf,
    /// Size of the grid cells, degrees.
    #[arg(long, default_value_t = 0.25)]
    tile_deg: f64,
    /// Plan directory.
    #[arg(long, short)]
    out: PathBuf,
    /// Split a tile (quadtree) while its core + halo holds more OSM nodes.
    #[arg(long, default_value_t = 4_000_000)]
    node_budget: u64,
    /// How far an owned community or facility may reach beyond its core, metres.
    #[arg(long, default_value_t = 1300.0)]
    allowance: f64,
    /// Scale the halo (below 1 breaks exactness: for tests only).
    #[arg(long, default_value_t = 1.0, hide = true)]
    halo_factor: f64,
    /// Profile: `child` (default), `adult`, or a TOML file.
    #[arg(long)]
    profile: Option<PathBuf>,
    /// Age group of the profile.
    #[arg(long)]
    age: Option<String>,
}

#[derive(Args)]
struct TileArgs {
    /// Plan directory (from `childcircle plan`).
    dir: PathBuf,
    /// Which tile.
    #[arg(long)]
    index: usize,
}

#[derive(Args)]
struct MergeArgs {
    /// Plan directory whose tiles are all finished.
    dir: PathBuf,
    /// Output directory.
    #[arg(long, short)]
    out: PathBuf,
    /// District polygons (GeoJSON, WGS84, name in `name`) for districts.csv,
    /// as `analyze --districts`.
    #[arg(long)]
    districts: Option<PathBuf>,
    /// Target share of communities in the life circle, e.g. 0.3.
    #[arg(long)]
    target: Option<f64>,
}

#[derive(Args)]
struct ServeArgs {
    /// OpenStreetMap extract (.osm.pbf). Default: the Dezhou model shipped in data/.
    extract: Option<PathBuf>,
    /// Address to listen on; loopback only unless asked (e.g. 0.0.0.0:8002).
    #[arg(long, default_value = "127.0.0.1:8002")]
    bind: String,
    /// Profile: `child` (default), `adult`, or a TOML file.
    #[arg(long)]
    profile: Option<PathBuf>,
    /// Age group of the profile: all, 0-3, 3-6, 6-12, 12-15, adult.
    #[arg(long)]
    age: Option<String>,
    /// Search worker threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Seconds a client has to send its request head and body.
    #[arg(long, default_value_t = 10.0)]
    read_timeout: f64,
}

#[derive(Args)]
struct SynthArgs {
    /// `decheng` (the central city, the shipped default), `prefecture` (all
    /// 11 districts and counties, over a million walking nodes) or `province`
    /// (16 prefectures with provincial roads between them, about 26 M nodes).
    #[arg(long, default_value = "decheng")]
    region: childcircle_synth::Region,
    /// Random seed; the same seed gives the same bytes.
    #[arg(long, default_value_t = 2023)]
    seed: u64,
    /// Output file.
    #[arg(long, short)]
    out: PathBuf,
}

#[derive(Args)]
struct ExportArgs {
    /// OpenStreetMap extract (.osm.pbf). Default: the Dezhou model built into the binary.
    extract: Option<PathBuf>,
    /// Output directory.
    #[arg(long, short, default_value = "graph")]
    out: PathBuf,
    /// Distance cap of both tasks, metres.
    #[arg(long, default_value_t = 1000.0)]
    cap: f64,
    /// Profile (`child`, `adult` or a TOML file) whose categories define the facilities.
    #[arg(long)]
    profile: Option<PathBuf>,
    /// Age group of the profile.
    #[arg(long)]
    age: Option<String>,
}

#[derive(Args)]
struct IsochroneArgs {
    /// OpenStreetMap extract (.osm.pbf), as for `analyze`; or `--extract`.
    /// Default: the Dezhou model built into the binary.
    #[arg(value_name = "EXTRACT", conflicts_with = "extract")]
    extract_arg: Option<PathBuf>,
    /// Longitude of the point (WGS84).
    #[arg(long, allow_hyphen_values = true)]
    lon: f64,
    /// Latitude of the point (WGS84).
    #[arg(long, allow_hyphen_values = true)]
    lat: f64,
    /// OpenStreetMap extract (.osm.pbf), the same as the positional EXTRACT.
    #[arg(long)]
    extract: Option<PathBuf>,
    /// Output GeoJSON file.
    #[arg(long, short, default_value = "isochrone.geojson")]
    out: PathBuf,
    /// Profile: `child` (default), `adult`, or a TOML file.
    #[arg(long)]
    profile: Option<PathBuf>,
    /// Age group of the profile: all, 0-3, 3-6, 6-12, 12-15, adult.
    #[arg(long)]
    age: Option<String>,
    #[command(flatten)]
    iso: IsoArgs,
}

#[derive(Args)]
struct AnalyzeArgs {
    /// OpenStreetMap extract (.osm.pbf). Default: the Dezhou model built into the binary.
    extract: Option<PathBuf>,
    /// Output directory.
    #[arg(long, short, default_value = "out")]
    out: PathBuf,
    /// Profile: `child` (default), `adult`, or a TOML file.
    #[arg(long)]
    profile: Option<PathBuf>,
    /// Age group of the profile: all, 0-3, 3-6, 6-12, 12-15, adult.
    #[arg(long)]
    age: Option<String>,
    /// The planner's communities instead of OSM's: polygons (GeoJSON), or
    /// centre points (CSV, .xlsx, GeoJSON points) given the residential land
    /// nearest to them.
    #[arg(long)]
    communities: Option<PathBuf>,
    #[command(flatten)]
    lists: ListArgs,
    /// Property holding a community's name in --communities.
    #[arg(long)]
    name_field: Option<String>,
    /// Property holding a community's population in --communities.
    #[arg(long)]
    population_field: Option<String>,
    /// Population raster (GeoTIFF: WorldPop EPSG:4326, GHS-POP Mollweide):
    /// every community's people, area-weighted (default: from buildings).
    #[arg(long, value_name = "FILE.tif")]
    population: Option<PathBuf>,
    /// Share of residents who are children of the age group, e.g. 0.18
    /// (default: the profile's, e.g. 0.1878 for 0-14 from Shandong's 2020 census).
    #[arg(long, value_name = "SHARE")]
    children_share: Option<f64>,
    /// Print each phase's wall time, throughput and peak memory.
    #[arg(long)]
    timings: bool,
    #[command(flatten)]
    iso: IsoArgs,
    /// Skip isochrone and coverage polygons (faster).
    #[arg(long)]
    no_isochrones: bool,
    /// When a community counts as covered: `access` (any gate or entrance),
    /// `centroid` (the walk from its centre) or `share:F` (at least a share
    /// F of its walking nodes). Default: share:0.5 for 社区 neighbourhoods,
    /// access for 小区 compounds and other kinds.
    #[arg(long, value_name = "RULE")]
    coverage_rule: Option<String>,
    /// Corrections of facility categories: CSV (`id` or `name`, `category`) or
    /// GeoJSON; category ids (`primary;middle`) or `exclude`.
    #[arg(long)]
    facility_overrides: Option<PathBuf>,
    /// Refuse early (instead of being killed by the OS) when the analysis
    /// would need more memory than this, e.g. 4G or 512M.
    #[arg(long, value_parser = childcircle::limits::parse_size)]
    max_memory: Option<u64>,
    /// District polygons (GeoJSON, WGS84, name in `name`) for the tables and
    /// maps; default: data/dezhou/districts.geojson for the Dezhou model.
    #[arg(long)]
    districts: Option<PathBuf>,
    /// Target share of communities in the life circle, e.g. 0.3.
    #[arg(long)]
    target: Option<f64>,
    /// Suggest K new sites of a category, e.g. kinder:5 (repeatable).
    /// Categories of the default profile: kinder, childcare, play, primary,
    /// middle, high, school, culture, park, park10, garden, sports.
    #[arg(long, value_name = "CATEGORY:K")]
    suggest: Vec<String>,
    /// The planner's candidate sites (GeoJSON points) for --suggest.
    #[arg(long)]
    candidates: Option<PathBuf>,
}

/// The planner's own lists (see README, "Bringing your own data").
#[derive(Args)]
struct ListArgs {
    /// The planner's facilities: CSV (lon/lat or WKT column), .xlsx, or
    /// GeoJSON points and polygons, with name, category, id, capacity.
    #[arg(long)]
    facilities: Option<PathBuf>,
    /// `add` to OSM's facilities (duplicates merged) or `replace` them.
    #[arg(long, default_value = "add")]
    facilities_mode: childcircle::places::lists::Mode,
    /// Columns of --facilities, e.g. name=学校名称,category=类别,lon=X,lat=Y
    /// (roles: name id category capacity lon lat wkt).
    #[arg(long)]
    facility_columns: Option<String>,
    /// Columns of a --communities point list, e.g. name=社区,code=代码
    /// (roles: name id code population subdistrict lon lat wkt).
    #[arg(long)]
    community_columns: Option<String>,
    /// Table of category values → category ids (two columns) for --facilities.
    #[arg(long)]
    category_map: Option<PathBuf>,
    /// Coordinate system of both lists: wgs84, gcj02 (Amap, Tencent) or
    /// bd09 (Baidu). Default: what the file declares, else wgs84.
    #[arg(long)]
    crs: Option<childcircle::crs::Crs>,
    /// Coordinate system of --facilities only.
    #[arg(long)]
    facilities_crs: Option<childcircle::crs::Crs>,
    /// Coordinate system of --communities only.
    #[arg(long)]
    communities_crs: Option<childcircle::crs::Crs>,
    /// The sheet to read from a workbook with several.
    #[arg(long)]
    sheet: Option<String>,
}

impl ListArgs {
    fn input(
        &self,
        columns: &Option<String>,
        crs: Option<childcircle::crs::Crs>,
    ) -> anyhow::Result<childcircle::places::lists::InputOptions> {
        let columns = match columns {
            Some(spec) => {
                childcircle::places::lists::Columns::parse(spec).map_err(anyhow::Error::msg)?
            }
            None => Default::default(),
        };
        Ok(childcircle::places::lists::InputOptions {
            columns,
            crs: crs.or(self.crs),
            sheet: self.sheet.clone(),
        })
    }

    fn facility_file(
        &self,
    ) -> anyhow::Result<Option<childcircle::places::lists::FacilityFileOptions>> {
        let Some(path) = &self.facilities else {
            return Ok(None);
        };
        Ok(Some(childcircle::places::lists::FacilityFileOptions {
            path: path.clone(),
            mode: self.facilities_mode,
            input: self.input(&self.facility_columns, self.facilities_crs)?,
            category_map: self.category_map.clone(),
        }))
    }
}

#[derive(Args)]
struct IsoArgs {
    /// Isochrone time bands, minutes.
    #[arg(long, value_delimiter = ',', default_value = "5,10,15")]
    bands: Vec<f64>,
    /// Isochrone grid cell, metres.
    #[arg(long, default_value_t = 25.0)]
    cell: f64,
    /// How far off the network a walker may step, metres.
    #[arg(long, default_value_t = 50.0)]
    margin: f64,
}

impl IsoArgs {
    /// The options, checked by the library.
    fn options(&self) -> childcircle::Result<IsochroneOptions> {
        IsochroneOptions::new(&self.bands, self.cell, self.margin)
    }
}

/// Prints a line to stdout; a closed pipe (`childcircle ... | head`) is not an
/// error, so a write failure is ignored rather than a panic.
macro_rules! say {
    () => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout());
    }};
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

mod summary;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("childcircle: error: {e:#}");
            // Bad arguments exit 2, as clap's own refusals do.
            let usage = e
                .downcast_ref::<childcircle::Error>()
                .is_some_and(childcircle::Error::is_usage);
            ExitCode::from(if usage { 2 } else { 1 })
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<()> {
    match &cli.command {
        Command::Analyze(args) => analyze(cli, args),
        Command::Isochrone(args) => isochrone(cli, args),
        Command::ExportGraph(args) => export_graph(cli, args),
        Command::Synth(args) => synth(cli, args),
        Command::Serve(args) => serve(cli, args),
        Command::Plan(args) => plan(cli, args),
        Command::Tile(args) => tile(cli, args),
        Command::Merge(args) => merge(cli, args),
    }
}

fn plan(cli: &Cli, args: &PlanArgs) -> anyhow::Result<()> {
    use childcircle::tiles::plan::{make_plan, PlanOptions};
    let profile = load_profile(args.profile.as_deref(), args.age.as_deref())?;
    if !(args.allowance.is_finite() && (0.0..=100_000.0).contains(&args.allowance)) {
        anyhow::bail!("--allowance must be between 0 and 100000 metres");
    }
    let cell = IsochroneOptions::default().cell_m;
    let halo =
        childcircle::tiles::Halo::new(&profile, args.allowance, cell).scaled(args.halo_factor);
    let options = PlanOptions {
        tile_deg: args.tile_deg,
        node_budget: args.node_budget,
        halo,
        profile: args.profile.clone(),
        age: args.age.clone(),
    };
    let plan = make_plan(&args.extract, &options, &args.out)?;
    if !cli.quiet {
        let nodes: u64 = plan.tiles.iter().map(|t| t.nodes).sum();
        say!(
            "{} tiles ({} skipped without residential land), halo {:.0} m; {} nodes in all tiles",
            plan.tiles.len(),
            plan.skipped,
            plan.halo.total_m,
            nodes
        );
        say!(
            "wrote {}",
            args.out.join(childcircle::tiles::PLAN_FILE).display()
        );
    }
    Ok(())
}

fn tile(cli: &Cli, args: &TileArgs) -> anyhow::Result<()> {
    use childcircle::tiles::own::{run_tile, Outcome};
    match run_tile(&args.dir, args.index)? {
        Outcome::Skipped if !cli.quiet => say!("tile {} is finished already", args.index),
        Outcome::Done(s) if !cli.quiet => say!(
            "tile {} ({}): {} of {} communities and {} of {} facilities owned, {:.2} s",
            s.index,
            s.key,
            s.communities,
            s.communities_seen,
            s.facilities,
            s.facilities_seen,
            s.seconds
        ),
        _ => {}
    }
    Ok(())
}

fn merge(cli: &Cli, args: &MergeArgs) -> anyhow::Result<()> {
    if let Some(t) = args.target.filter(|t| !(0.0..=1.0).contains(t)) {
        anyhow::bail!("--target must be a share between 0 and 1, e.g. 0.3, not {t}");
    }
    let options = childcircle::tiles::merge::MergeOptions {
        districts: args.districts.clone(),
        target: args.target,
    };
    let (summary, written) =
        childcircle::tiles::merge::merge_with_options(&args.dir, &args.out, &options)?;
    for w in &summary.warnings {
        eprintln!("warning: {w}");
    }
    if !cli.quiet {
        say!(
            "{} tiles: {} communities, {} in the life circle",
            summary.tiles.tiles,
            summary.overall.communities,
            summary.overall.life_circle
        );
        for p in written {
            say!("wrote {}", p.display());
        }
    }
    Ok(())
}

fn serve(cli: &Cli, args: &ServeArgs) -> anyhow::Result<()> {
    if !(args.read_timeout.is_finite() && args.read_timeout > 0.0 && args.read_timeout <= 3600.0) {
        anyhow::bail!("--read-timeout must be between 0 and 3600 seconds");
    }
    let options = childcircle_serve::ServeOptions {
        extract: extract_or_default(args.extract.as_deref())?,
        profile: load_profile(args.profile.as_deref(), args.age.as_deref())?,
        bind: args.bind.clone(),
        threads: args.threads,
        limits: childcircle_serve::Limits {
            read_timeout: Duration::from_secs_f64(args.read_timeout),
            ..Default::default()
        },
        scenarios: Default::default(),
    };
    let quiet = cli.quiet;
    childcircle_serve::serve(options, move |event| {
        if !quiet {
            say!("{event}");
        }
    })?;
    Ok(())
}

fn synth(cli: &Cli, args: &SynthArgs) -> anyhow::Result<()> {
    let options = childcircle_synth::SynthOptions {
        region: args.region,
        seed: args.seed,
    };
    let t = std::time::Instant::now();
    let stats = childcircle_synth::generate_pbf(&options, &args.out)?;
    if !cli.quiet {
        say!(
            "{} model, seed {}: {} nodes, {} ways, {} relations, {} compounds, {} facilities, {} communities, {:.1} MB in {:.2} s",
            args.region,
            args.seed,
            stats.nodes,
            stats.ways,
            stats.relations,
            stats.compounds,
            stats.facilities,
            stats.communities,
            stats.bytes as f64 / 1e6,
            t.elapsed().as_secs_f64()
        );
        say!("wrote {}", args.out.display());
    }
    Ok(())
}

fn export_graph(cli: &Cli, args: &ExportArgs) -> anyhow::Result<()> {
    let extract = extract_or_default(args.extract.as_deref())?;
    let profile = childcircle::write::export::distance_profile(&load_profile(
        args.profile.as_deref(),
        args.age.as_deref(),
    )?);
    if !(args.cap.is_finite() && args.cap > 0.0 && args.cap <= 100_000.0) {
        anyhow::bail!("--cap must be between 0 and 100000 metres");
    }
    let (graph, facilities) = childcircle::analysis::load_facilities(&extract, &profile)?;
    let (t, written) = childcircle::write::export::export_graph(
        &graph,
        &facilities,
        &profile,
        args.cap,
        &args.out,
    )?;
    if !cli.quiet {
        say!(
            "{} nodes, {} edges, {} facility nodes; task A {:.4} s ({:.1} ns/arc), task B {:.4} s on {} threads",
            t.nodes, t.edges, t.facilities, t.task_a_seconds, t.task_a_ns_per_arc, t.task_b_seconds, t.threads
        );
        for p in written {
            say!("wrote {}", p.display());
        }
    }
    Ok(())
}

/// A profile by built-in name (`child`, `adult`) or file, with an age group.
fn load_profile(path: Option<&Path>, age: Option<&str>) -> anyhow::Result<Profile> {
    Ok(Profile::resolve(path, age)?)
}

fn isochrone(cli: &Cli, args: &IsochroneArgs) -> anyhow::Result<()> {
    let extract = extract_or_default(args.extract.as_deref().or(args.extract_arg.as_deref()))?;
    let profile = load_profile(args.profile.as_deref(), args.age.as_deref())?;
    let options = args.iso.options()?;
    let lonlat = [args.lon, args.lat];
    let bands = childcircle::analysis::point_isochrone(&extract, lonlat, &options, &profile)?;
    let bytes =
        childcircle::write::layers::point_isochrone_geojson(lonlat, &bands, &profile.label());
    childcircle::write::commit::write_atomic(&args.out, &bytes)?;
    if !cli.quiet {
        for b in &bands {
            say!("{:>5} min: {:>10.0} m²", b.minutes, b.area_m2);
        }
        say!("wrote {}", args.out.display());
    }
    Ok(())
}

/// The extract a command reads: the one given, else the synthetic Dezhou
/// model built into the binary.
fn extract_or_default(given: Option<&Path>) -> anyhow::Result<PathBuf> {
    Ok(match given {
        Some(p) => p.to_path_buf(),
        None => childcircle::write::shipped::dezhou_model()?,
    })
}

/// `childcircle analyze`: the extract (the shipped Dezhou model by default)
/// analysed, its outputs and the planner deliverables written, a summary
/// printed.
fn analyze(cli: &Cli, args: &AnalyzeArgs) -> anyhow::Result<()> {
    let extract = extract_or_default(args.extract.as_deref())?;
    let options = analyze_options(args)?;
    let planner = planner_options(args)?;
    planner.check(&options.profile)?;
    let mut analysis = analyze_with_progress(cli, &extract, &options)?;
    let deliverables = childcircle_report::planner_deliverables(&mut analysis, &planner)?;
    let extra = deliverables.jobs(&analysis);
    let written = childcircle::write::layers::write_outputs_with(&analysis, &args.out, extra)
        .with_context(|| format!("writing outputs to {}", args.out.display()))?;
    if !cli.quiet {
        print_analysis(cli, args, &analysis, &deliverables, &written);
    }
    Ok(())
}

/// The profile `analyze` runs with: the given or default one, with the
/// facility overrides and the children's share of the population.
fn analyze_profile(args: &AnalyzeArgs) -> anyhow::Result<Profile> {
    let mut profile = load_profile(args.profile.as_deref(), args.age.as_deref())?;
    if let Some(path) = &args.facility_overrides {
        let o = childcircle::profile::overrides::FacilityOverrides::from_file(path, &profile)?;
        profile.overrides = Some(std::sync::Arc::new(o));
    }
    if let Some(share) = args.children_share {
        if !(0.0..=1.0).contains(&share) {
            anyhow::bail!("--children-share must be between 0 and 1, not {share}");
        }
        profile.population.children_share = share;
    }
    Ok(profile)
}

/// The analysis options of `analyze`'s arguments.
fn analyze_options(args: &AnalyzeArgs) -> anyhow::Result<AnalyzeOptions> {
    Ok(AnalyzeOptions {
        profile: analyze_profile(args)?,
        frame: None,
        communities: args.communities.clone(),
        population_raster: args.population.clone(),
        community_fields: CommunityFields {
            name: args.name_field.clone(),
            population: args.population_field.clone(),
        },
        community_input: args
            .lists
            .input(&args.lists.community_columns, args.lists.communities_crs)?,
        facility_file: args.lists.facility_file()?,
        isochrones: if args.no_isochrones {
            None
        } else {
            Some(args.iso.options()?)
        },
        max_memory: args.max_memory,
        coverage_rules: match &args.coverage_rule {
            Some(r) => childcircle::coverage::CoverageRules::same(r.parse()?),
            None => Default::default(),
        },
    })
}

/// The planner deliverables `analyze` makes. The shipped Dezhou model runs
/// the whole planner workflow by default: Dezhou's district outlines, the
/// policy's 30 % target, and where five new kindergartens and playgrounds
/// would help most.
fn planner_options(args: &AnalyzeArgs) -> anyhow::Result<childcircle_report::PlannerOptions> {
    let dezhou = args.extract.is_none();
    Ok(childcircle_report::PlannerOptions {
        districts: match &args.districts {
            Some(p) => Some(p.clone()),
            None if dezhou => Some(childcircle::write::shipped::dezhou_districts()?),
            None => None,
        },
        target: args.target.or(dezhou.then_some(0.3)),
        suggest: if args.suggest.is_empty() && dezhou {
            vec!["kinder:5".into(), "play:5".into()]
        } else {
            args.suggest.clone()
        },
        candidates: args.candidates.clone(),
    })
}

/// The analysis, with a spinner naming the phase (hidden with `--quiet`).
fn analyze_with_progress(
    cli: &Cli,
    extract: &Path,
    options: &AnalyzeOptions,
) -> anyhow::Result<childcircle::Analysis> {
    let bar = if cli.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new_spinner()
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("valid template"),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    let result = analyze_with_options(extract, options, &mut |phase| {
        bar.set_message(phase.to_string())
    });
    bar.finish_and_clear();
    Ok(result?)
}

/// What `analyze` prints when done: the summary, the suggested sites, the
/// timings (`--timings`, `--verbose`), the warnings and the files written.
fn print_analysis(
    cli: &Cli,
    args: &AnalyzeArgs,
    analysis: &childcircle::Analysis,
    deliverables: &childcircle_report::Deliverables,
    written: &childcircle::write::layers::Written,
) {
    let summary = Summary::new(analysis);
    summary::print_summary(&summary);
    summary::print_suggestions(&deliverables.suggestions);
    if args.timings || cli.verbose {
        let rows: Vec<_> = summary.timings.iter().chain(&written.timings).collect();
        summary::print_timings(&rows, summary.threads);
    }
    if cli.verbose {
        for w in &summary.warnings {
            eprintln!("warning: {w}");
        }
    } else if !summary.warnings.is_empty() {
        eprintln!(
            "{} warning(s); see summary.json or run with --verbose",
            summary.warnings.len()
        );
    }
    say!();
    for p in &written.files {
        say!("wrote {}", p.display());
    }
}
