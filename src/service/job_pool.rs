//! A fixed number of workers run the HTTP bulk jobs; more jobs wait in a queue, `queued` in
//! the jobs table, until a worker is free. Each job is heavy (a whole file through matching),
//! so running every upload at once would only make them all slow and starve the API.
//!
//! Each worker runs its jobs inside a thread pool of its own with `job_threads` threads, so
//! a job's parallel matching takes at most those cores and the API keeps the rest; a pool
//! per worker (not one shared) keeps one job from waiting inside another's parallel steps.
//! Those threads also run at a lower scheduling priority (nice 10, on Linux): when a job and
//! API requests want the same core, the requests get it first.
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
                .start_handler(|_| lower_priority())
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

/// How much nicer than the API a job's threads are (0 is normal, 19 the nicest).
const JOB_NICENESS: i32 = 10;

/// Lowers the calling thread's scheduling priority to [`JOB_NICENESS`]; where that fails,
/// the job runs at normal priority and says so.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        let thread = rustix::thread::gettid();
        if let Err(e) = rustix::process::setpriority_process(Some(thread), JOB_NICENESS) {
            tracing::warn!(error = %e, "cannot lower a job thread's priority");
        }
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

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_job_thread_runs_nicer_than_the_rest_of_the_process() {
        let before = rustix::process::getpriority_process(None).unwrap();
        let inside = std::thread::spawn(|| {
            lower_priority();
            rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap()
        })
        .join()
        .unwrap();
        assert_eq!(inside, JOB_NICENESS.max(before));
        assert_eq!(rustix::process::getpriority_process(None).unwrap(), before);
    }
}
