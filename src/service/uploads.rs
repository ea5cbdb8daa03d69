//! Bounds on bulk uploads, checked before a byte of the body is read: how many may stream in
//! at once (per caller and in total), and whether the disk can hold the file.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use super::{Golden, ServiceError};

/// Seconds a client refused for too many uploads is told to wait.
pub const RETRY_AFTER_SECONDS: u64 = 10;

#[derive(Default)]
struct Counts {
    total: usize,
    per_caller: HashMap<String, usize>,
}

/// The uploads streaming in now.
#[derive(Default)]
pub struct UploadSlots {
    counts: Arc<Mutex<Counts>>,
}

/// One upload's place; dropping it frees the place, however the upload ends.
pub struct UploadPermit {
    counts: Arc<Mutex<Counts>>,
    caller: String,
}

impl Drop for UploadPermit {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        counts.total = counts.total.saturating_sub(1);
        if let Some(n) = counts.per_caller.get_mut(&self.caller) {
            *n -= 1;
            if *n == 0 {
                counts.per_caller.remove(&self.caller);
            }
        }
    }
}

impl UploadSlots {
    /// Uploads streaming in now.
    pub fn in_flight(&self) -> usize {
        self.counts.lock().unwrap_or_else(|p| p.into_inner()).total
    }

    /// A place for one upload of `caller`, or `TooBusy` when the caller or the server has
    /// as many uploads in flight as allowed.
    pub fn take(
        &self,
        caller: &str,
        per_caller: usize,
        total: usize,
    ) -> Result<UploadPermit, ServiceError> {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let mine = counts.per_caller.get(caller).copied().unwrap_or(0);
        if mine >= per_caller {
            return Err(ServiceError::TooBusy(format!(
                "this token already has {mine} uploads in progress (at most {per_caller}); \
                 retry when one has finished"
            )));
        }
        if counts.total >= total {
            return Err(ServiceError::TooBusy(format!(
                "the server already has {total} uploads in progress; retry later"
            )));
        }
        counts.total += 1;
        *counts.per_caller.entry(caller.to_owned()).or_default() += 1;
        Ok(UploadPermit {
            counts: self.counts.clone(),
            caller: caller.to_owned(),
        })
    }
}

impl Golden {
    /// Admits one bulk upload of `caller` declaring `length` bytes (when it says): refused
    /// with `PayloadTooLarge` over the job limit, `TooBusy` past the concurrency caps, and
    /// `InsufficientStorage` when the jobs directory's disk cannot take it and keep its reserve.
    pub fn admit_upload(
        &self,
        caller: &str,
        length: Option<u64>,
    ) -> Result<UploadPermit, ServiceError> {
        let limit = self.settings.max_job_bytes;
        if let Some(length) = length.filter(|&n| n > limit) {
            return Err(ServiceError::PayloadTooLarge(format!(
                "the file ({length} bytes) is larger than the limit of {limit} bytes"
            )));
        }
        let permit = self.uploads.take(
            caller,
            self.settings.max_uploads_per_caller,
            self.settings.max_uploads,
        )?;
        self.check_free_disk(length.unwrap_or(0))?;
        Ok(permit)
    }

    /// Refuses a file of `length` bytes that would leave less than the configured reserve
    /// free on the disk of the jobs directory.
    pub fn check_free_disk(&self, length: u64) -> Result<(), ServiceError> {
        let dir = self.settings.jobs_dir();
        let reserve = self.settings.min_free_disk_bytes;
        let available = available_space(&dir)?;
        let needed = length.saturating_add(reserve);
        if available < needed {
            return Err(ServiceError::InsufficientStorage(format!(
                "not enough free disk for this file: {available} bytes free, {needed} needed \
                 (the file and a reserve of {reserve} bytes)"
            )));
        }
        Ok(())
    }
}

fn available_space(dir: &Path) -> Result<u64, ServiceError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| ServiceError::internal(format!("cannot create {}", dir.display()), e))?;
    fs4::available_space(dir).map_err(|e| {
        ServiceError::internal(
            format!("cannot read the free space of {}", dir.display()),
            e,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_capped_per_caller_and_in_total_and_freed_on_drop() {
        let slots = UploadSlots::default();
        let a1 = slots.take("a", 2, 3).unwrap();
        let _a2 = slots.take("a", 2, 3).unwrap();
        assert!(matches!(
            slots.take("a", 2, 3),
            Err(ServiceError::TooBusy(_))
        ));
        let _b1 = slots.take("b", 2, 3).unwrap();
        assert!(matches!(
            slots.take("c", 2, 3),
            Err(ServiceError::TooBusy(_))
        ));
        drop(a1);
        let _c1 = slots.take("c", 2, 3).unwrap();
        let counts = slots.counts.lock().unwrap();
        assert_eq!(counts.total, 3);
        assert_eq!(counts.per_caller.get("a"), Some(&1));
    }
}
