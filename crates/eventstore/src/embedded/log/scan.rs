//! Reading the log at start and for verification: frame by frame from a point to the end, cutting
//! a write torn by a crash from the end, refusing damage anywhere else.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::Path;

use super::format::{decode_record, read_frame, FrameRead, HEADER, RECORD_HEADER, TRAILER};
use super::{segments, Location};
use crate::{Position, RecordedEvent, StoreError};

/// One event found while scanning the log.
pub(crate) struct Scanned {
    pub event: RecordedEvent,
    pub location: Location,
}

/// Where a scan starts.
pub(crate) enum ScanFrom {
    /// The first segment, reading up to a position, changing nothing (verification of an open
    /// store, whose writer may be in the middle of a frame past that position).
    Start { upto: u64 },
    /// After this position, whose record the index places at `at` (when it has any), to the end
    /// of the log, cutting a torn end (at start, before anything writes).
    After { position: u64, at: Option<Location> },
}

/// Where a scan ended: the last position the log holds, and the end of the whole frames in the
/// newest segment (its first position and the offset), where writing goes on.
pub(crate) struct ScanEnd {
    pub head: u64,
    pub end: Option<(u64, u64)>,
}

/// Reads the log from `from` to the end, checks every frame, and hands each event after the start
/// to `visit`. A frame that fails its check at the very end of the log — running past the end of
/// the file, or with a block of it never written (zeros) or without its trailer — is a write torn by
/// a crash: the segment is cut back to the last whole frame. Any other damaged frame is corruption,
/// a loud error. Frames before the start are not read: each record is checked when it is read.
pub(crate) fn scan(
    dir: &Path,
    from: ScanFrom,
    mut visit: impl FnMut(Scanned) -> Result<(), StoreError>,
) -> Result<ScanEnd, StoreError> {
    let list = segments(dir)?;
    let (after, upto, repair) = match from {
        ScanFrom::Start { upto } => (0, upto, false),
        ScanFrom::After { position, .. } => (position, u64::MAX, true),
    };
    // Start right after the last indexed event when its record is where the index says, and the
    // frame ends with it; otherwise at the start of the segment that should hold `after + 1`.
    let mut resume: Option<(usize, usize)> = None;
    if let ScanFrom::After {
        position,
        at: Some(at),
    } = from
    {
        if let Some(index) = list.iter().position(|(first, _)| *first == at.segment) {
            let path = &list[index].1;
            let end = at.offset + at.length as u64;
            let mut record = vec![0u8; at.length as usize + TRAILER.len()];
            let whole = File::open(path)
                .and_then(|f| f.read_exact_at(&mut record, at.offset))
                .is_ok()
                && decode_record(position, &record[..at.length as usize]).is_ok()
                && &record[at.length as usize..] == TRAILER;
            if whole {
                resume = Some((index, (end + TRAILER.len() as u64) as usize));
            }
        }
    }
    let start = match (&from, resume) {
        (ScanFrom::Start { .. }, _) => 0,
        (_, Some((index, _))) => index,
        (ScanFrom::After { .. }, None) => list
            .iter()
            .rposition(|(first, _)| *first <= after + 1)
            .unwrap_or(0),
    };
    let mut head = match resume {
        Some(_) => after,
        None => list
            .get(start)
            .map_or(0, |(first, _)| first.saturating_sub(1)),
    };
    let mut end = None;
    let mut next_expected: Option<u64> = None;
    'segments: for (index, (first, path)) in list.iter().enumerate().skip(start) {
        let last_segment = index + 1 == list.len();
        if let Some(expected) = next_expected {
            if *first != expected {
                return Err(StoreError::Corrupt {
                    location: path.display().to_string(),
                    detail: format!(
                        "the log segment starts at position {first}, but the one before it ends \
                         at {}",
                        expected - 1
                    ),
                });
            }
        }
        let mut bytes = Vec::new();
        File::open(path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(|e| StoreError::io(format!("could not read {}", path.display()), e))?;
        let (mut offset, mut expected) = match resume {
            Some((resume_index, resume_offset)) if resume_index == index => {
                (resume_offset, after + 1)
            }
            _ => (0usize, *first),
        };
        loop {
            if expected > upto {
                // What lies beyond may be being written right now: not part of this scan.
                end = Some((*first, offset as u64));
                break 'segments;
            }
            match read_frame(&bytes, offset, expected) {
                FrameRead::End => {
                    // Nothing may follow the end: bytes left there by writes that never became
                    // durable must not be taken for frames once new ones are written before them.
                    if repair && last_segment && bytes[offset..].iter().any(|b| *b != 0) {
                        cut(path, offset)?;
                    }
                    break;
                }
                FrameRead::Frame { count, body } => {
                    let body_start = offset + HEADER;
                    let mut at = 0usize;
                    for i in 0..count as u64 {
                        let position = expected + i;
                        let rest = &body[at..];
                        if rest.len() < RECORD_HEADER {
                            return Err(StoreError::corrupt_at(
                                Position::from_u64(position),
                                "the frame ends inside a record",
                            ));
                        }
                        let len = u32::from_le_bytes(rest[0..4].try_into().expect("4 bytes"))
                            as usize
                            + RECORD_HEADER;
                        let record = rest.get(..len).ok_or_else(|| {
                            StoreError::corrupt_at(
                                Position::from_u64(position),
                                "the frame ends inside a record",
                            )
                        })?;
                        if position > after {
                            let event = decode_record(position, record)?;
                            visit(Scanned {
                                event,
                                location: Location {
                                    segment: *first,
                                    offset: (body_start + at) as u64,
                                    length: len as u32,
                                },
                            })?;
                        }
                        at += len;
                    }
                    if at != body.len() {
                        return Err(StoreError::corrupt_at(
                            Position::from_u64(expected),
                            "the frame holds bytes after its last record",
                        ));
                    }
                    offset = body_start + body.len() + TRAILER.len();
                    expected += count as u64;
                    head = expected - 1;
                }
                FrameRead::Torn(reason) if last_segment => {
                    if repair {
                        tracing::warn!(
                            segment = %path.display(),
                            offset,
                            reason,
                            "cutting a torn write from the end of the log"
                        );
                        cut(path, offset)?;
                    }
                    break;
                }
                FrameRead::Torn(reason) | FrameRead::Bad(reason) => {
                    return Err(StoreError::Corrupt {
                        location: format!(
                            "global position {expected} ({} at byte {offset})",
                            path.display()
                        ),
                        detail: reason,
                    });
                }
            }
        }
        next_expected = Some(expected);
        end = Some((*first, offset as u64));
    }
    Ok(ScanEnd { head, end })
}

/// Cuts a segment at `offset`, for good.
fn cut(path: &Path, offset: usize) -> Result<(), StoreError> {
    let file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| StoreError::io(format!("could not open {}", path.display()), e))?;
    file.set_len(offset as u64)
        .and_then(|_| file.sync_all())
        .map_err(|e| StoreError::io(format!("could not cut {}", path.display()), e))
}

/// The events after `after` (the short stretch the index lacks at start), collected.
pub(crate) fn scan_after(
    dir: &Path,
    after: u64,
    at: Option<Location>,
) -> Result<(ScanEnd, Vec<Scanned>), StoreError> {
    let mut events = Vec::new();
    let end = scan(
        dir,
        ScanFrom::After {
            position: after,
            at,
        },
        |s| {
            events.push(s);
            Ok(())
        },
    )?;
    Ok((end, events))
}
