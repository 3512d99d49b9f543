//! Reading events back by their locations, checking each record.

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::format::decode_record;
use super::{segment_path, Location};
use crate::{Position, RecordedEvent, StoreError};

/// Read access to the segments, keeping each open once.
pub(crate) struct Segments {
    dir: PathBuf,
    open: Mutex<HashMap<u64, Arc<File>>>,
}

impl Segments {
    pub(crate) fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
            open: Default::default(),
        }
    }

    fn file(&self, segment: u64) -> Result<Arc<File>, StoreError> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(file) = open.get(&segment) {
            return Ok(file.clone());
        }
        let path = segment_path(&self.dir, segment);
        let file = Arc::new(
            File::open(&path)
                .map_err(|e| StoreError::io(format!("could not open {}", path.display()), e))?,
        );
        open.insert(segment, file.clone());
        Ok(file)
    }

    /// Reads the events at these positions and locations, in the order given. Neighbours in one
    /// segment are read with one system call.
    pub(crate) fn read(
        &self,
        wanted: &[(u64, Location)],
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut events = Vec::with_capacity(wanted.len());
        let mut i = 0;
        while i < wanted.len() {
            // A run of records in one segment that lie in increasing order not too far apart.
            let (_, first) = wanted[i];
            let mut end = first.offset + first.length as u64;
            let mut j = i + 1;
            while j < wanted.len() {
                let (_, next) = wanted[j];
                if next.segment != first.segment
                    || next.offset < end
                    || next.offset - end > 64 * 1024
                    || next.offset + next.length as u64 - first.offset > 16 << 20
                {
                    break;
                }
                end = next.offset + next.length as u64;
                j += 1;
            }
            let file = self.file(first.segment)?;
            let mut buf = vec![0u8; (end - first.offset) as usize];
            file.read_exact_at(&mut buf, first.offset).map_err(|e| {
                StoreError::corrupt_at(
                    Position::from_u64(wanted[i].0),
                    format!("the record cannot be read from the log: {e}"),
                )
            })?;
            for (position, location) in &wanted[i..j] {
                let from = (location.offset - first.offset) as usize;
                let bytes = &buf[from..from + location.length as usize];
                events.push(decode_record(*position, bytes)?);
            }
            i = j;
        }
        Ok(events)
    }
}
