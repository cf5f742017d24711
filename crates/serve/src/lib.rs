//! `childcircle serve`: a walking-isochrone service that speaks the Valhalla
//! (`/isochrone`) and openrouteservice (`/v2/isochrones/{profile}`) APIs, so
//! their existing clients (routingpy, openrouteservice-py, the QGIS plugins)
//! work unchanged.
//!
//! | concern | module |
//! |---|---|
//! | routing, CORS, readiness | [`http`] |
//! | shared state, reading bodies within the limits | [`app`] |
//! | Valhalla request and response | [`valhalla`] |
//! | openrouteservice request and response | [`ors`] |
//! | errors in each API's format | [`error`] |
//! | the timestamp of ORS answers and errors | [`clock`] |
//! | limits and timeouts, scenario limits | [`limits`] |
//! | the loaded model and its queries | [`engine`] |
//! | the bounded worker pool | [`pool`] |
//! | what-if planning: the page and the scenario API | [`whatif`], [`whatif_answer`], [`whatif_map`], [`whatif_store`] |
//!
//! Modules import one way only, from the routes down: [`http`] →
//! [`whatif`], [`valhalla`], [`ors`] → [`whatif_answer`], [`whatif_map`],
//! [`reach`] → [`app`] → [`whatif_store`] → [`error`] → [`clock`], with
//! [`engine`], [`limits`], [`geometry`] and [`pool`] at the bottom.
//!
//! The service uses only the library's public API, so it can move into its
//! own crate. It listens at once, loads the extract in the background
//! (`/status` and `/v2/health` say ready only then), answers on a tokio
//! runtime whose I/O threads never search, and on SIGTERM or Ctrl-C stops
//! accepting, lets in-flight requests finish and returns.

pub mod app;
pub mod clock;
pub mod engine;
pub mod error;
pub mod geometry;
pub mod http;
pub mod limits;
pub mod ors;
pub mod pool;
pub mod reach;
pub mod valhalla;
pub mod whatif;
pub mod whatif_answer;
pub mod whatif_map;
pub mod whatif_store;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

pub use engine::Engine;
pub use error::ServeError;
pub use limits::Limits;

use childcircle::profile::Profile;

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub extract: PathBuf,
    pub profile: Profile,
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    pub bind: String,
    /// Search worker threads (0: one per core).
    pub threads: usize,
    pub limits: Limits,
    /// Bounds on the what-if scenarios.
    pub scenarios: limits::ScenarioLimits,
}

/// Runs the service until SIGTERM or Ctrl-C. `on_event` hears
/// `listening on http://ADDR`, `ready: …` and `stopped` lines.
pub fn serve(
    options: ServeOptions,
    on_event: impl Fn(&str) + Send + Sync + 'static,
) -> Result<(), ServeError> {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let workers = if options.threads == 0 {
        cores
    } else {
        options.threads
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores.clamp(1, 2))
        .thread_name("childcircle-io")
        .enable_all()
        .build()
        .map_err(|e| ServeError::Runtime(e.to_string()))?;
    let pool = pool::Pool::new(
        workers,
        options.limits.queue_per_worker,
        options.limits.queue_timeout,
    )
    .map_err(ServeError::Runtime)?;
    let app = Arc::new(app::App {
        engine: OnceLock::new(),
        pool,
        limits: options.limits.clone(),
        whatif: whatif_store::Store::new(options.scenarios.clone()),
    });
    runtime.block_on(run(options, app, Arc::new(on_event)))
}

type Events = Arc<dyn Fn(&str) + Send + Sync>;

async fn run(
    options: ServeOptions,
    app: Arc<app::App>,
    on_event: Events,
) -> Result<(), ServeError> {
    let listener = TcpListener::bind(&options.bind)
        .await
        .map_err(|error| ServeError::Bind {
            addr: options.bind.clone(),
            error,
        })?;
    let addr = listener.local_addr().map_err(|error| ServeError::Bind {
        addr: options.bind.clone(),
        error,
    })?;
    on_event(&format!("listening on http://{addr}"));
    let loader = {
        let (app, options) = (app.clone(), options.clone());
        tokio::task::spawn_blocking(move || -> Result<f64, childcircle::Error> {
            let t = Instant::now();
            let engine = Engine::load(&options.extract, &options.profile)?;
            let _ = app.engine.set(engine);
            Ok(t.elapsed().as_secs_f64())
        })
    };
    let ready = {
        let (app, on_event) = (app.clone(), on_event.clone());
        async move {
            let seconds = loader
                .await
                .map_err(|e| ServeError::Runtime(e.to_string()))??;
            let engine = app.engine.get().expect("set by the loader");
            on_event(&format!(
                "ready: {} nodes, {} facilities, {} communities, loaded in {seconds:.2} s; {} search workers",
                engine.graph().node_count(),
                engine.facilities().len(),
                engine.communities().len(),
                app.pool.workers()
            ));
            Ok::<(), ServeError>(())
        }
    };
    accept_loop(listener, addr, app, ready).await?;
    on_event("stopped");
    Ok(())
}

/// Accepts connections until a stop signal (or a failed load), then drains.
async fn accept_loop(
    listener: TcpListener,
    addr: SocketAddr,
    app: Arc<app::App>,
    ready: impl std::future::Future<Output = Result<(), ServeError>>,
) -> Result<(), ServeError> {
    let router = http::router(app.clone());
    let graceful = GracefulShutdown::new();
    let connections = Arc::new(Semaphore::new(app.limits.max_connections));
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(app.limits.read_timeout)
        .keep_alive(true);
    let _ = (addr, TokioExecutor::new());
    let mut ready = std::pin::pin!(ready);
    let mut loaded = false;
    let mut stop = std::pin::pin!(stop_signal());
    loop {
        let permit = tokio::select! {
            p = connections.clone().acquire_owned() => p.expect("never closed"),
            _ = &mut stop => break,
        };
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let service = TowerToHyperService::new(router.clone());
                let conn = builder.serve_connection(TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                    drop(permit);
                });
            }
            result = &mut ready, if !loaded => {
                loaded = true;
                result?;
            }
            _ = &mut stop => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(app.limits.drain_timeout, graceful.shutdown()).await;
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C.
async fn stop_signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("can listen for SIGTERM");
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
