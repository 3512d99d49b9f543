//! One writer process per data directory: an exclusive lock on `LOCK`, held for the store's
//! lifetime and released by the kernel even when the process is killed.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::StoreError;

pub(crate) struct DirLock {
    _file: File,
}

impl DirLock {
    pub(crate) fn acquire(dir: &Path) -> Result<Self, StoreError> {
        let lock_file: PathBuf = dir.join("LOCK");
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_file)
            .map_err(|e| StoreError::io(format!("could not open {}", lock_file.display()), e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(StoreError::Locked {
                    dir: dir.to_path_buf(),
                    lock_file,
                })
            }
            Err(TryLockError::Error(e)) => {
                return Err(StoreError::io(
                    format!("could not lock {}", lock_file.display()),
                    e,
                ))
            }
        }
        // The holder's pid, for whoever finds the directory locked.
        file.set_len(0)
            .and_then(|()| writeln!(file, "{}", std::process::id()))
            .map_err(|e| StoreError::io(format!("could not write {}", lock_file.display()), e))?;
        Ok(Self { _file: file })
    }
}
