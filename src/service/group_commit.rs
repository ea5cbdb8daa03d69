//! Group commit: writes that arrive while another write of the same kind is in progress wait
//! for it, and are then written together by one of them, in one transaction with one commit
//! and one sync. A lone writer writes at once; under concurrent load the serialized section
//! (and the WAL sync at its end) is paid once per group instead of once per request.
//!
//! Generic over the job and its outcome, with no I/O of its own, so that the hand-over between
//! writers can be tested on its own.

use std::sync::{Mutex, MutexGuard, mpsc};

/// What a waiting writer hears: its outcome, or that it writes the next group.
enum Turn<O> {
    Done(O),
    Lead,
}

/// A job waiting to be written, with the way to tell its writer.
struct Queued<K, J, O> {
    key: K,
    /// What the job adds to its group's size (its records).
    cost: usize,
    job: J,
    reply: mpsc::Sender<Turn<O>>,
}

struct State<K, J, O> {
    queue: Vec<Queued<K, J, O>>,
    /// Whether a writer is writing a group (or has been told to): then new jobs queue.
    leading: bool,
}

/// The leader went away without an outcome for this job (its write panicked).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the write this request was grouped with failed before it finished")]
pub struct Abandoned;

/// Jobs grouped by key (jobs with different keys are never written together).
pub struct GroupCommit<K, J, O> {
    state: Mutex<State<K, J, O>>,
    /// Most jobs written in one group, and most cost (records), so one transaction stays
    /// short: a job is always written, alone if it costs more than that.
    max_jobs: usize,
    max_cost: usize,
}

impl<K, J, O> GroupCommit<K, J, O> {
    pub fn new(max_jobs: usize, max_cost: usize) -> Self {
        Self {
            state: Mutex::new(State {
                queue: Vec::new(),
                leading: false,
            }),
            max_jobs: max_jobs.max(1),
            max_cost,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<K, J, O>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl<K: PartialEq, J, O> GroupCommit<K, J, O> {
    /// Writes `job` (of `cost`): at once when no write is in progress, or else after it,
    /// together with the jobs of the same key that queued meanwhile. `write` gets a group's
    /// jobs in the order they arrived, and `finish` turns what it returns into one outcome
    /// per job, in that order; whichever waiting writer leads a group calls its own `write`
    /// and `finish` for all of them. The next group's `write` may start as soon as this one's
    /// `write` returns: `finish` holds nobody up.
    pub fn submit<P>(
        &self,
        key: K,
        cost: usize,
        job: J,
        write: impl FnOnce(Vec<J>) -> P,
        finish: impl FnOnce(P) -> Vec<O>,
    ) -> Result<O, Abandoned> {
        let (reply, turn) = mpsc::channel();
        let lead_now = {
            let mut state = self.lock();
            state.queue.push(Queued {
                key,
                cost,
                job,
                reply,
            });
            !std::mem::replace(&mut state.leading, true)
        };
        if !lead_now {
            match turn.recv() {
                Ok(Turn::Done(outcome)) => return Ok(outcome),
                Ok(Turn::Lead) => {}
                Err(_) => return Err(Abandoned),
            }
        }
        // This writer's job is first in the queue: the leader is only ever the oldest job.
        let handoff = Handoff(self);
        let group = handoff.take_group();
        let (jobs, replies): (Vec<J>, Vec<mpsc::Sender<Turn<O>>>) =
            group.into_iter().map(|q| (q.job, q.reply)).unzip();
        let written = write(jobs);
        drop(handoff);
        for (reply, outcome) in replies.into_iter().zip(finish(written)) {
            // A writer that went away no longer needs its outcome.
            let _ = reply.send(Turn::Done(outcome));
        }
        match turn.recv() {
            Ok(Turn::Done(outcome)) => Ok(outcome),
            _ => Err(Abandoned),
        }
    }
}

/// Passes the lead on when a group is written, or when its write panics: the oldest waiting
/// job's writer leads next, or nobody leads when nothing waits.
struct Handoff<'a, K, J, O>(&'a GroupCommit<K, J, O>);

impl<K: PartialEq, J, O> Handoff<'_, K, J, O> {
    /// The oldest job and the jobs of its key behind it, up to the group's size and cost; the
    /// rest keep their places.
    fn take_group(&self) -> Vec<Queued<K, J, O>> {
        let mut state = self.0.lock();
        let queue = std::mem::take(&mut state.queue);
        let mut group: Vec<Queued<K, J, O>> = Vec::new();
        let mut cost = 0;
        for queued in queue {
            let fits = match group.first() {
                None => true,
                Some(first) => {
                    first.key == queued.key
                        && group.len() < self.0.max_jobs
                        && cost + queued.cost <= self.0.max_cost
                }
            };
            if fits {
                cost += queued.cost;
                group.push(queued);
            } else {
                state.queue.push(queued);
            }
        }
        group
    }
}

impl<K, J, O> Drop for Handoff<'_, K, J, O> {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        // A writer whose request went away cannot lead: the next one can.
        while let Some(next) = state.queue.first() {
            if next.reply.send(Turn::Lead).is_ok() {
                return;
            }
            state.queue.remove(0);
        }
        state.leading = false;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Barrier};
    use std::thread;
    use std::time::Duration;

    use super::*;

    /// Waits until `count` jobs are queued behind the writer in progress.
    fn wait_for_queue(groups: &GroupCommit<&str, u32, u32>, count: usize) {
        for _ in 0..2_000 {
            if groups.lock().queue.len() >= count {
                return;
            }
            thread::sleep(Duration::from_millis(1));
        }
        panic!("{count} jobs never queued");
    }

    /// Submits job 0 on a thread of its own and returns once it leads (its write is running).
    fn start_leading(
        groups: &Arc<GroupCommit<&'static str, u32, u32>>,
        write: impl Fn(Vec<u32>) -> Vec<u32> + Send + 'static,
    ) -> thread::JoinHandle<Result<u32, Abandoned>> {
        let leader = Arc::clone(groups);
        let handle = thread::spawn(move || leader.submit("vendor", 1, 0, write, |o| o));
        while !groups.lock().leading {
            thread::sleep(Duration::from_millis(1));
        }
        handle
    }

    #[test]
    fn a_lone_write_is_written_at_once_as_a_group_of_one() {
        let groups = GroupCommit::new(8, 100);
        let sizes = Mutex::new(Vec::new());
        let outcome = groups.submit(
            "vendor",
            1,
            7,
            |jobs: Vec<u32>| {
                sizes.lock().unwrap().push(jobs.len());
                jobs.into_iter().map(|j| j * 10).collect()
            },
            |o| o,
        );
        assert_eq!(outcome, Ok(70));
        assert_eq!(*sizes.lock().unwrap(), vec![1]);
        assert!(
            !groups.lock().leading,
            "nobody leads once the queue is empty"
        );
    }

    #[test]
    fn writes_queued_behind_a_write_in_progress_are_written_together_by_key() {
        let groups = Arc::new(GroupCommit::new(8, 100));
        let written = Arc::new(Mutex::new(Vec::<Vec<u32>>::new()));
        let in_first_write = Arc::new(Barrier::new(2));
        let release_first = Arc::new(Barrier::new(2));
        let write = {
            let written = Arc::clone(&written);
            let (entered, release) = (Arc::clone(&in_first_write), Arc::clone(&release_first));
            move |jobs: Vec<u32>| {
                if jobs == [1] {
                    entered.wait();
                    release.wait();
                }
                written.lock().unwrap().push(jobs.clone());
                jobs.into_iter().map(|j| j + 100).collect::<Vec<u32>>()
            }
        };
        let first = {
            let (groups, write) = (Arc::clone(&groups), write.clone());
            thread::spawn(move || groups.submit("vendor", 1, 1, write, |o| o))
        };
        in_first_write.wait();
        // While job 1 is being written, three more queue: two vendors around a location.
        let mut later = Vec::new();
        for (key, job) in [("vendor", 2), ("location", 3), ("vendor", 4)] {
            let (queued, write) = (Arc::clone(&groups), write.clone());
            later.push(thread::spawn(move || {
                queued.submit(key, 1, job, write, |o| o)
            }));
            wait_for_queue(&groups, later.len());
        }
        release_first.wait();
        assert_eq!(first.join().unwrap(), Ok(101));
        let outcomes: Vec<_> = later.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(outcomes, vec![Ok(102), Ok(103), Ok(104)]);
        assert_eq!(
            *written.lock().unwrap(),
            vec![vec![1], vec![2, 4], vec![3]],
            "the oldest waiting job leads, with the jobs of its key behind it"
        );
        assert!(!groups.lock().leading);
    }

    /// Job 0 writes while `queued` (job, cost) queue behind it in this order; returns the
    /// groups written.
    fn groups_written(max_jobs: usize, max_cost: usize, queued: &[(u32, usize)]) -> Vec<Vec<u32>> {
        let groups = Arc::new(GroupCommit::new(max_jobs, max_cost));
        let written = Arc::new(Mutex::new(Vec::<Vec<u32>>::new()));
        let release_first = Arc::new(Barrier::new(2));
        let write = {
            let (written, release) = (Arc::clone(&written), Arc::clone(&release_first));
            move |jobs: Vec<u32>| {
                if jobs == [0] {
                    release.wait();
                }
                written.lock().unwrap().push(jobs.clone());
                jobs
            }
        };
        let first = start_leading(&groups, write.clone());
        let mut later = Vec::new();
        for &(job, cost) in queued {
            let (waiting, write) = (Arc::clone(&groups), write.clone());
            later.push(thread::spawn(move || {
                waiting.submit("vendor", cost, job, write, |o| o)
            }));
            wait_for_queue(&groups, later.len());
        }
        release_first.wait();
        assert_eq!(first.join().unwrap(), Ok(0));
        for (&(job, _), handle) in queued.iter().zip(later) {
            assert_eq!(handle.join().unwrap(), Ok(job));
        }
        assert!(!groups.lock().leading);
        written.lock().unwrap().clone()
    }

    #[test]
    fn a_group_holds_at_most_its_size_and_the_rest_wait_their_turn() {
        let queued: Vec<(u32, usize)> = (1..=5).map(|job| (job, 1)).collect();
        assert_eq!(
            groups_written(2, 100, &queued),
            vec![vec![0], vec![1, 2], vec![3, 4], vec![5]]
        );
    }

    #[test]
    fn a_group_holds_at_most_its_cost_and_a_costly_job_is_written_alone() {
        // Jobs 1 to 4 cost 4, 5, 30 and 6 records.
        assert_eq!(
            groups_written(8, 10, &[(1, 4), (2, 5), (3, 30), (4, 6)]),
            vec![vec![0], vec![1, 2], vec![3], vec![4]]
        );
    }

    #[test]
    fn a_write_that_panics_abandons_its_group_and_passes_the_lead_on() {
        let groups = Arc::new(GroupCommit::new(2, 100));
        let release_first = Arc::new(Barrier::new(2));
        let write = {
            let release = Arc::clone(&release_first);
            move |jobs: Vec<u32>| {
                if jobs == [0] {
                    release.wait();
                }
                if jobs == [1, 2] {
                    panic!("the group of jobs 1 and 2 fails");
                }
                jobs
            }
        };
        let first = start_leading(&groups, write.clone());
        let waiting: Vec<_> = (1..=3)
            .map(|job| {
                let (queued, write) = (Arc::clone(&groups), write.clone());
                let handle = thread::spawn(move || queued.submit("vendor", 1, job, write, |o| o));
                wait_for_queue(&groups, job as usize);
                handle
            })
            .collect();
        release_first.wait();
        assert_eq!(first.join().unwrap(), Ok(0));
        let mut waiting = waiting.into_iter();
        let leader = waiting.next().unwrap().join();
        assert!(
            leader.is_err(),
            "the panic reaches the caller whose write it was"
        );
        assert_eq!(waiting.next().unwrap().join().unwrap(), Err(Abandoned));
        // Job 3, queued behind the failed group, leads the next one.
        assert_eq!(waiting.next().unwrap().join().unwrap(), Ok(3));
        assert!(!groups.lock().leading);
    }

    #[test]
    fn the_next_group_writes_while_the_last_one_finishes() {
        let groups = Arc::new(GroupCommit::new(8, 100));
        let (next_writing, heard) = mpsc::channel::<()>();
        let release_first = Arc::new(Barrier::new(2));
        let first = {
            let (groups, release) = (Arc::clone(&groups), Arc::clone(&release_first));
            thread::spawn(move || {
                groups.submit(
                    "vendor",
                    1,
                    0,
                    |jobs: Vec<u32>| {
                        release.wait();
                        jobs
                    },
                    // Finishing waits until the group queued behind is being written.
                    move |jobs| {
                        heard
                            .recv_timeout(Duration::from_secs(10))
                            .expect("the next group did not write while this one finished");
                        jobs
                    },
                )
            })
        };
        while !groups.lock().leading {
            thread::sleep(Duration::from_millis(1));
        }
        let second = {
            let queued = Arc::clone(&groups);
            thread::spawn(move || {
                queued.submit(
                    "vendor",
                    1,
                    1,
                    move |jobs: Vec<u32>| {
                        let _ = next_writing.send(());
                        jobs
                    },
                    |o| o,
                )
            })
        };
        wait_for_queue(&groups, 1);
        release_first.wait();
        assert_eq!(first.join().unwrap(), Ok(0));
        assert_eq!(second.join().unwrap(), Ok(1));
    }
}
