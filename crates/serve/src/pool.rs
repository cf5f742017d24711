//! The bounded worker pool: searches run on a dedicated rayon pool, never on
//! the I/O threads. A semaphore bounds the jobs waiting for or running on it,
//! so a flood of requests waits (asynchronously, holding no worker) instead
//! of queueing unbounded work.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{oneshot, Semaphore};

/// Why a job did not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolError {
    /// No slot freed up within the queue timeout.
    Busy,
    /// The job panicked (a bug; the worker survives).
    Panicked,
}

/// Worker threads and the bound on their queue.
#[derive(Debug)]
pub struct Pool {
    threads: rayon::ThreadPool,
    slots: Arc<Semaphore>,
    queue_timeout: Duration,
}

impl Pool {
    /// `workers` threads, at most `workers * per_worker` jobs queued or running.
    pub fn new(workers: usize, per_worker: usize, queue_timeout: Duration) -> Result<Pool, String> {
        let threads = rayon::ThreadPoolBuilder::new()
            .num_threads(workers)
            .thread_name(|i| format!("childcircle-search-{i}"))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Pool {
            threads,
            slots: Arc::new(Semaphore::new(workers * per_worker.max(1))),
            queue_timeout,
        })
    }

    /// Number of worker threads.
    pub fn workers(&self) -> usize {
        self.threads.current_num_threads()
    }

    /// Runs `job` on a worker and awaits its result.
    pub async fn run<R: Send + 'static>(
        &self,
        job: impl FnOnce() -> R + Send + 'static,
    ) -> Result<R, PoolError> {
        let permit = tokio::time::timeout(self.queue_timeout, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| PoolError::Busy)?
            .map_err(|_| PoolError::Busy)?;
        let (tx, rx) = oneshot::channel();
        self.threads.spawn(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
            drop(permit);
            let _ = tx.send(result.map_err(|_| PoolError::Panicked));
        });
        rx.await.map_err(|_| PoolError::Panicked)?
    }
}
