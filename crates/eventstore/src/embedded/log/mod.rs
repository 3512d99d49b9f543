//! The embedded store's log, where events live: segment files of frames, one frame per group
//! commit, each frame and each event in it checksummed. An append is acknowledged after one
//! `fdatasync` of the log; the SQLite index beside it is derived from the log and catches up later.

mod append;
mod format;
mod read;
mod scan;

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::StoreError;

pub(crate) use append::LogWriter;
pub(crate) use format::FrameBuilder;
pub(crate) use read::Segments;
pub(crate) use scan::{scan, scan_after, ScanEnd, ScanFrom, Scanned};

/// The log's directory inside the data directory.
pub(crate) const LOG_DIR: &str = "log";

const SEGMENT_SUFFIX: &str = ".log";

/// Where an event's record sits: its segment (named by the segment's first position), the offset
/// of the record in it, and the record's length including its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Location {
    pub segment: u64,
    pub offset: u64,
    pub length: u32,
}

/// The segments of a log directory, oldest first: (first position, path).
pub(crate) fn segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>, StoreError> {
    let mut found = Vec::new();
    let entries = std::fs::read_dir(dir)
        .map_err(|e| StoreError::io(format!("could not list {}", dir.display()), e))?;
    for entry in entries {
        let entry =
            entry.map_err(|e| StoreError::io(format!("could not list {}", dir.display()), e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(first) = name
            .strip_suffix(SEGMENT_SUFFIX)
            .and_then(|n| n.parse::<u64>().ok())
        {
            found.push((first, entry.path()));
        }
    }
    found.sort();
    Ok(found)
}

pub(crate) fn segment_path(dir: &Path, first: u64) -> PathBuf {
    dir.join(format!("{first:020}{SEGMENT_SUFFIX}"))
}

pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io(format!("could not sync {}", dir.display()), e))
}

#[cfg(test)]
mod tests {
    use std::fs::OpenOptions;

    use uuid::Uuid;

    use super::format::{HEADER, TRAILER};
    use super::*;
    use crate::{Metadata, Position, RecordedEvent, StreamName};

    fn event(n: u8) -> RecordedEvent {
        RecordedEvent {
            id: Uuid::now_v7(),
            stream: StreamName::new("order-1").unwrap(),
            version: 0,
            position: Position::START,
            event_type: "Tested".into(),
            schema_version: 2,
            payload: format!("{{\"n\":{n}}}"),
            metadata: Metadata::new(Uuid::new_v4(), 1_700_000_000_000 + n as i64).by("tester"),
        }
    }

    fn at(mut e: RecordedEvent, position: u64) -> RecordedEvent {
        e.position = Position::from_u64(position);
        e.version = position - 1;
        e
    }

    fn write_frames(dir: &Path, frames: &[(u64, Vec<RecordedEvent>)]) -> Vec<Location> {
        let mut log = LogWriter::start(dir, None).unwrap();
        let mut all = Vec::new();
        for (first, events) in frames {
            let mut frame = FrameBuilder::default();
            for (i, e) in events.iter().enumerate() {
                frame.push(&at(e.clone(), first + i as u64));
            }
            all.extend(log.write(*first, &frame).unwrap().1);
        }
        all
    }

    #[test]
    fn frames_scan_and_read_back_as_written() {
        // given two frames
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (event(1), event(2), event(3));
        let at = write_frames(
            dir.path(),
            &[(1, vec![a.clone(), b.clone()]), (3, vec![c.clone()])],
        );
        // when the log is scanned after position 1
        let (end, scanned) = scan_after(dir.path(), 1, None).unwrap();
        let head = end.head;
        // then the events after it come back whole, with their locations
        assert_eq!(head, 3);
        let got: Vec<_> = scanned.iter().map(|s| &s.event).collect();
        assert_eq!((got[0].id, got[0].position.as_u64()), (b.id, 2));
        assert_eq!((got[1].id, got[1].position.as_u64()), (c.id, 3));
        assert_eq!(got[1].metadata, c.metadata);
        assert_eq!(got[1].payload, c.payload);
        assert_eq!(scanned[1].location, at[2]);
        // and reading by location gives the same events
        let segments = Segments::new(dir.path());
        let read = segments
            .read(&[(1, at[0]), (2, at[1]), (3, at[2])])
            .unwrap();
        assert_eq!(read[0].id, a.id);
        assert_eq!(read[2].id, c.id);
        // while a location read as the wrong position fails its checksum
        assert!(segments.read(&[(5, at[0])]).is_err());
    }

    #[test]
    fn a_torn_last_frame_is_cut_and_writing_goes_on_after_the_rest() {
        // given two frames, the second cut short by a crash
        let dir = tempfile::tempdir().unwrap();
        write_frames(dir.path(), &[(1, vec![event(1)]), (2, vec![event(2)])]);
        let (_, path) = segments(dir.path()).unwrap().pop().unwrap();
        let len = std::fs::metadata(&path).unwrap().len();
        OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(len - 10)
            .unwrap();
        // when scanned, then the first frame is kept and the torn one cut from the file
        let (end, scanned) = scan_after(dir.path(), 0, None).unwrap();
        assert_eq!((end.head, scanned.len()), (1, 1));
        // and the log goes on right after the first frame
        let mut log = LogWriter::start(dir.path(), end.end).unwrap();
        let mut frame = FrameBuilder::default();
        let replacement = event(9);
        frame.push(&at(replacement.clone(), 2));
        log.write(2, &frame).unwrap();
        let (end, again) = scan_after(dir.path(), 0, None).unwrap();
        assert_eq!(end.head, 2);
        assert_eq!(again[1].event.id, replacement.id);
    }

    #[test]
    fn a_frame_left_after_a_gap_of_zeros_is_cut_not_revived() {
        // given three frames whose middle one never reached the disk (zeros), the third did
        let dir = tempfile::tempdir().unwrap();
        let at = write_frames(
            dir.path(),
            &[
                (1, vec![event(1)]),
                (2, vec![event(2)]),
                (3, vec![event(3)]),
            ],
        );
        let (_, path) = segments(dir.path()).unwrap().pop().unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        let second = at[1].offset as usize - HEADER;
        let third = at[2].offset as usize - HEADER;
        bytes[second..third].fill(0);
        std::fs::write(&path, &bytes).unwrap();
        // when scanned at start
        let (end, scanned) = scan_after(dir.path(), 0, None).unwrap();
        // then the log ends after the first frame and nothing of the third is left to be revived
        assert_eq!((end.head, scanned.len()), (1, 1));
        assert_eq!(std::fs::metadata(&path).unwrap().len(), second as u64);
    }

    #[test]
    fn a_flipped_byte_in_a_whole_frame_is_corruption_even_at_the_end() {
        // given one whole frame with a flipped byte in its payload
        let dir = tempfile::tempdir().unwrap();
        write_frames(dir.path(), &[(1, vec![event(1)]), (2, vec![event(2)])]);
        let (_, path) = segments(dir.path()).unwrap().pop().unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        let at = bytes.len() - TRAILER.len() - 12;
        bytes[at] ^= 0x40;
        std::fs::write(&path, bytes).unwrap();
        // when scanned, then it is a loud error naming the position
        let err = scan_after(dir.path(), 0, None).err().expect("corruption");
        assert!(
            matches!(&err, StoreError::Corrupt { location, .. } if location.contains("position 2")),
            "{err}"
        );
    }

    #[test]
    fn a_damaged_frame_before_the_last_segment_is_corruption() {
        // given a log of two segments whose first is cut short
        let dir = tempfile::tempdir().unwrap();
        write_frames(dir.path(), &[(1, vec![event(1)])]);
        {
            let mut log = LogWriter::start(dir.path(), None).unwrap();
            let mut frame = FrameBuilder::default();
            frame.push(&at(event(2), 2));
            log.write(2, &frame).unwrap();
        }
        let list = segments(dir.path()).unwrap();
        assert_eq!(list.len(), 2);
        let len = std::fs::metadata(&list[0].1).unwrap().len();
        OpenOptions::new()
            .write(true)
            .open(&list[0].1)
            .unwrap()
            .set_len(len - 10)
            .unwrap();
        // when scanned from the start, then it is a loud error
        let err = scan(dir.path(), ScanFrom::Start { upto: u64::MAX }, |_| Ok(()))
            .err()
            .expect("corruption");
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    }
}
