//! A fixed number of workers run the HTTP bulk jobs; more jobs wait in a queue, `queued` in
//! the jobs table, until a worker is free. Each job is heavy (a whole file through matching),
//! so running every upload at once would only make them all slow and starve the API.
//!
//! Each worker runs its jobs inside a thread pool of its own with `job_threads` threads, so
//! a job's parallel matching takes at most those cores and the API keeps the rest; a pool
//! per worker (not one shared) keeps one job from waiting inside another's parallel steps.
//!
//! The queue holds job IDs, not the service: a stopped server leaves its queued jobs in the
//! table, and the next start queues them again (see [`Golden::resume_jobs`]). Workers hold
//! the service only while they run a job, and end once the service is gone.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, Weak};

use super::{Golden, ServiceError};

#[derive(Default)]
struct Queue {
    ids: VecDeque<String>,
    /// Workers started so far.
    workers: usize,
    /// Set when the service is dropped: idle workers end.
    closed: bool,
}

#[derive(Default)]
struct Shared {
    queue: Mutex<Queue>,
    ready: Condvar,
}

/// The queue and its workers.
#[derive(Default)]
pub struct JobPool {
    shared: Arc<Shared>,
}

impl JobPool {
    /// Queues job `id`; starts a worker for it, matching on `threads` threads, when fewer than
    /// `max_workers` run.
    pub fn submit(
        &self,
        golden: Weak<Golden>,
        (max_workers, threads): (usize, usize),
        id: String,
    ) -> Result<(), ServiceError> {
        let mut queue = self.lock();
        queue.ids.push_back(id);
        if queue.workers < max_workers.max(1) {
            let shared = self.shared.clone();
            let number = queue.workers + 1;
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads.max(1))
                .thread_name(move |i| format!("job-worker-{number}-{i}"))
                .build()
                .map_err(|e| ServiceError::internal("cannot start a job worker's threads", e))?;
            std::thread::Builder::new()
                .name(format!("job-worker-{number}"))
                .spawn(move || pool.install(|| work(&shared, &golden)))
                .map_err(|e| ServiceError::internal("cannot start a job worker", e))?;
            queue.workers = number;
        }
        drop(queue);
        self.shared.ready.notify_one();
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.shared.queue.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for JobPool {
    fn drop(&mut self) {
        self.lock().closed = true;
        self.shared.ready.notify_all();
    }
}

/// A worker: takes the next job, runs it, and waits for another.
fn work(shared: &Shared, golden: &Weak<Golden>) {
    loop {
        let id = {
            let mut queue = shared.queue.lock().unwrap_or_else(|p| p.into_inner());
            loop {
                if queue.closed {
                    return;
                }
                if let Some(id) = queue.ids.pop_front() {
                    break id;
                }
                queue = shared.ready.wait(queue).unwrap_or_else(|p| p.into_inner());
            }
        };
        let Some(golden) = golden.upgrade() else {
            return;
        };
        golden.run_queued_job(&id);
    }
}
