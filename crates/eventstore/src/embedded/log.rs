//! The embedded store's log, where events live: segment files of frames, one frame per group
//! commit, each frame and each event in it checksummed. An append is acknowledged after one
//! `fdatasync` of the log; the SQLite index beside it is derived from the log and catches up later.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;

use uuid::Uuid;

use crate::{Metadata, Position, RecordedEvent, StoreError, StreamName};

/// The log's directory inside the data directory.
pub(crate) const LOG_DIR: &str = "log";

/// Size of a preallocated segment. Rewriting blocks that already exist makes a sync flush only the
/// data — measured here at half the cost of syncing a file that grows (~90 µs against ~210 µs).
const SEGMENT_BYTES: u64 = 64 << 20;

/// A growing segment asks for a preallocated successor once it holds this much, so that a store
/// with little traffic (or a test) never spends time and disk on preallocation.
const PREALLOCATE_AFTER: u64 = 4 << 20;

/// Frame header: body length (u64), checksum (u32), event count (u32), first position (u64).
const HEADER: usize = 24;
/// Every frame ends with these bytes: a frame without them was not written whole.
const TRAILER: &[u8; 4] = b"ZHC1";
/// Record header: record length after the header (u32), checksum (u32).
const RECORD_HEADER: usize = 8;

const SEGMENT_SUFFIX: &str = ".log";
const PREPARED_SUFFIX: &str = ".tmp";

fn log_io(context: impl Into<String>, e: std::io::Error) -> StoreError {
    StoreError::io(context, e)
}

/// Where an event's record sits: its segment (named by the segment's first position), the offset
/// of the record in it, and the record's length including its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Location {
    pub segment: u64,
    pub offset: u64,
    pub length: u32,
}

/// A frame being built: the events of one group commit, each as a checksummed record.
#[derive(Default)]
pub(crate) struct FrameBuilder {
    body: Vec<u8>,
    /// Offset of each record in the body.
    records: Vec<(u64, u32)>,
}

impl FrameBuilder {
    pub(crate) fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Adds an event.
    pub(crate) fn push(&mut self, event: &RecordedEvent) {
        let (position, stream, version) = (
            event.position.as_u64(),
            event.stream.as_str(),
            event.version,
        );
        let start = self.body.len();
        self.body.extend_from_slice(&[0; RECORD_HEADER]);
        let bytes = |body: &mut Vec<u8>, b: &[u8]| {
            body.extend_from_slice(&(b.len() as u64).to_le_bytes());
            body.extend_from_slice(b);
        };
        let body = &mut self.body;
        body.extend_from_slice(event.id.as_bytes());
        bytes(body, stream.as_bytes());
        body.extend_from_slice(&version.to_le_bytes());
        bytes(body, event.event_type.as_bytes());
        body.extend_from_slice(&event.schema_version.to_le_bytes());
        bytes(body, event.payload.as_bytes());
        let m = &event.metadata;
        body.extend_from_slice(m.correlation_id.as_bytes());
        match &m.causation_id {
            Some(c) => {
                body.push(1);
                body.extend_from_slice(c.as_bytes());
            }
            None => body.push(0),
        }
        match &m.actor {
            Some(a) => {
                body.push(1);
                bytes(body, a.as_bytes());
            }
            None => body.push(0),
        }
        body.extend_from_slice(&m.timestamp_ms.to_le_bytes());
        let fields = &body[start + RECORD_HEADER..];
        let len = fields.len() as u32;
        let sum = record_checksum(position, fields);
        body[start..start + 4].copy_from_slice(&len.to_le_bytes());
        body[start + 4..start + 8].copy_from_slice(&sum.to_le_bytes());
        self.records
            .push((start as u64, len + RECORD_HEADER as u32));
    }
}

/// A record's checksum covers its global position too, so a record read at the wrong place fails.
fn record_checksum(position: u64, fields: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&position.to_le_bytes());
    h.update(fields);
    h.finalize()
}

fn frame_checksum(count: u32, first: u64, body: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&(body.len() as u64).to_le_bytes());
    h.update(&count.to_le_bytes());
    h.update(&first.to_le_bytes());
    h.update(body);
    h.finalize()
}

/// Decodes the record at `position` from its bytes (header included), checking its checksum.
pub(crate) fn decode_record(position: u64, bytes: &[u8]) -> Result<RecordedEvent, StoreError> {
    let at = Position::from_u64(position);
    let corrupt = |detail: String| StoreError::corrupt_at(at, detail);
    if bytes.len() < RECORD_HEADER {
        return Err(corrupt("the record is cut short".into()));
    }
    let len = u32::from_le_bytes(bytes[0..4].try_into().expect("4 bytes")) as usize;
    let sum = u32::from_le_bytes(bytes[4..8].try_into().expect("4 bytes"));
    let Some(fields) = bytes.get(RECORD_HEADER..RECORD_HEADER + len) else {
        return Err(corrupt("the record is cut short".into()));
    };
    let computed = record_checksum(position, fields);
    if computed != sum {
        return Err(corrupt(format!(
            "checksum mismatch (stored {sum:#010x}, computed {computed:#010x})"
        )));
    }
    decode_fields(position, fields).map_err(corrupt)
}

fn decode_fields(position: u64, fields: &[u8]) -> Result<RecordedEvent, String> {
    struct Cursor<'a>(&'a [u8]);
    impl<'a> Cursor<'a> {
        fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
            if self.0.len() < n {
                return Err("the record ends inside a field".into());
            }
            let (head, rest) = self.0.split_at(n);
            self.0 = rest;
            Ok(head)
        }
        fn u64(&mut self) -> Result<u64, String> {
            Ok(u64::from_le_bytes(
                self.take(8)?.try_into().expect("8 bytes"),
            ))
        }
        fn u32(&mut self) -> Result<u32, String> {
            Ok(u32::from_le_bytes(
                self.take(4)?.try_into().expect("4 bytes"),
            ))
        }
        fn uuid(&mut self) -> Result<Uuid, String> {
            Ok(Uuid::from_slice(self.take(16)?).expect("16 bytes"))
        }
        fn string(&mut self) -> Result<String, String> {
            let len = usize::try_from(self.u64()?).map_err(|e| e.to_string())?;
            String::from_utf8(self.take(len)?.to_vec()).map_err(|e| e.to_string())
        }
        fn flag(&mut self) -> Result<bool, String> {
            match self.take(1)?[0] {
                0 => Ok(false),
                1 => Ok(true),
                other => Err(format!("unexpected flag byte {other}")),
            }
        }
    }
    let mut c = Cursor(fields);
    let id = c.uuid()?;
    let stream = StreamName::new(c.string()?).map_err(|e| e.to_string())?;
    let version = c.u64()?;
    let event_type = c.string()?;
    let schema_version = c.u32()?;
    let payload = c.string()?;
    let correlation_id = c.uuid()?;
    let causation_id = if c.flag()? { Some(c.uuid()?) } else { None };
    let actor = if c.flag()? { Some(c.string()?) } else { None };
    let timestamp_ms = c.u64()? as i64;
    if !c.0.is_empty() {
        return Err("the record holds bytes after its last field".into());
    }
    Ok(RecordedEvent {
        id,
        stream,
        version,
        position: Position::from_u64(position),
        event_type,
        schema_version,
        payload,
        metadata: Metadata {
            correlation_id,
            causation_id,
            actor,
            timestamp_ms,
        },
    })
}

/// The segments of a log directory, oldest first: (first position, path).
pub(crate) fn segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>, StoreError> {
    let mut found = Vec::new();
    let entries = std::fs::read_dir(dir)
        .map_err(|e| log_io(format!("could not list {}", dir.display()), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| log_io(format!("could not list {}", dir.display()), e))?;
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
        .map_err(|e| log_io(format!("could not sync {}", dir.display()), e))
}

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
            .map_err(|e| log_io(format!("could not read {}", path.display()), e))?;
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
        .map_err(|e| log_io(format!("could not open {}", path.display()), e))?;
    file.set_len(offset as u64)
        .and_then(|_| file.sync_all())
        .map_err(|e| log_io(format!("could not cut {}", path.display()), e))
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

enum FrameRead<'a> {
    /// Zeros (a preallocated segment's unwritten space) or the end of the file.
    End,
    Frame {
        count: u32,
        body: &'a [u8],
    },
    /// Not written whole: the end of the log when it is in the last segment.
    Torn(String),
    /// Written whole, yet wrong: corruption.
    Bad(String),
}

fn read_frame(bytes: &[u8], offset: usize, expected: u64) -> FrameRead<'_> {
    let rest = &bytes[offset..];
    if rest.len() < HEADER {
        return if rest.iter().all(|b| *b == 0) {
            FrameRead::End
        } else {
            FrameRead::Torn("a frame header is cut short".into())
        };
    }
    let header = &rest[..HEADER];
    if header.iter().all(|b| *b == 0) {
        return FrameRead::End;
    }
    let len = u64::from_le_bytes(rest[0..8].try_into().expect("8 bytes"));
    let sum = u32::from_le_bytes(rest[8..12].try_into().expect("4 bytes"));
    let count = u32::from_le_bytes(rest[12..16].try_into().expect("4 bytes"));
    let first = u64::from_le_bytes(rest[16..24].try_into().expect("8 bytes"));
    let extent = HEADER as u64 + len + TRAILER.len() as u64;
    if extent > rest.len() as u64 {
        return FrameRead::Torn("a frame runs past the end of its segment".into());
    }
    let frame = &rest[..extent as usize];
    let body = &frame[HEADER..HEADER + len as usize];
    if frame_checksum(count, first, body) == sum && &frame[frame.len() - TRAILER.len()..] == TRAILER
    {
        return if first != expected || count == 0 {
            FrameRead::Bad(format!(
                "a frame starts at position {first} where {expected} was expected"
            ))
        } else {
            FrameRead::Frame { count, body }
        };
    }
    // A frame the crash interrupted has blocks that were never written (zeros, since segments are
    // new or preallocated with zeros) or lacks its trailer; anything else is damage.
    let unwritten_block = (offset..offset + extent as usize)
        .step_by(1)
        .filter(|at| at % 512 == 0)
        .any(|at| {
            let end = (at + 512).min(offset + extent as usize);
            end - at >= 64 && bytes[at..end].iter().all(|b| *b == 0)
        });
    if unwritten_block || &frame[frame.len() - TRAILER.len()..] != TRAILER {
        FrameRead::Torn("a frame was not written whole".into())
    } else {
        FrameRead::Bad("a frame fails its checksum".into())
    }
}

/// Read access to the segments, keeping each open once.
pub(crate) struct Segments {
    dir: PathBuf,
    open: std::sync::Mutex<std::collections::HashMap<u64, Arc<File>>>,
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
                .map_err(|e| log_io(format!("could not open {}", path.display()), e))?,
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

/// A segment being written.
struct Segment {
    first: u64,
    file: Arc<File>,
    /// Where the next frame goes.
    offset: u64,
    /// `Some(size)` for a preallocated segment; `None` for one that grows as it is written.
    preallocated: Option<u64>,
}

/// The writer's side of the log: appends frames to the newest segment, rolling over to a
/// preallocated one made ahead of time by a helper thread.
pub(crate) struct LogWriter {
    dir: PathBuf,
    current: Option<Segment>,
    /// Frames written so far; a sync of the newest segment covers every one of them.
    written: u64,
    want: Option<mpsc::Sender<()>>,
    ready: mpsc::Receiver<Result<(PathBuf, File), StoreError>>,
    asked: bool,
    preparer: Option<JoinHandle<()>>,
}

impl Drop for LogWriter {
    fn drop(&mut self) {
        self.want.take();
        if let Some(thread) = self.preparer.take() {
            let _ = thread.join();
        }
    }
}

impl LogWriter {
    /// Continues the log in `dir` at `end` (from [`scan`]: the newest segment and the end of its
    /// whole frames), or starts it.
    pub(crate) fn start(dir: &Path, end: Option<(u64, u64)>) -> Result<Self, StoreError> {
        remove_prepared(dir)?;
        let current = match end {
            Some((first, offset)) => {
                let path = segment_path(dir, first);
                let file = OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(&path)
                    .map_err(|e| log_io(format!("could not open {}", path.display()), e))?;
                let size = file
                    .metadata()
                    .map_err(|e| log_io(format!("could not read {}", path.display()), e))?
                    .len();
                Some(Segment {
                    first,
                    file: Arc::new(file),
                    offset,
                    preallocated: (size == SEGMENT_BYTES).then_some(size),
                })
            }
            None => None,
        };
        let (want, wanted) = mpsc::channel::<()>();
        let (made, ready) = mpsc::channel();
        let prepare_dir = dir.to_path_buf();
        let preparer = std::thread::Builder::new()
            .name("zhuchao-log-preparer".into())
            .spawn(move || {
                let mut n = 0u64;
                while wanted.recv().is_ok() {
                    n += 1;
                    if made.send(prepare(&prepare_dir, n)).is_err() {
                        break;
                    }
                }
            })
            .map_err(|e| log_io("could not start the log's preparer thread", e))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            current,
            written: 0,
            want: Some(want),
            ready,
            asked: false,
            preparer: Some(preparer),
        })
    }

    /// Frames written so far.
    pub(crate) fn written(&self) -> u64 {
        self.written
    }

    /// Writes one frame holding the events from position `first`; returns the segment to sync for
    /// it to be durable, and where each event's record went. Nothing is synced here, except a full
    /// segment when the next begins.
    pub(crate) fn write(
        &mut self,
        first: u64,
        frame: &FrameBuilder,
    ) -> Result<(Arc<File>, Vec<Location>), StoreError> {
        let count = u32::try_from(frame.records.len()).map_err(|_| {
            StoreError::Storage("a group commit holds more than 2^32 events".into())
        })?;
        let body = &frame.body;
        let mut bytes = Vec::with_capacity(HEADER + body.len() + TRAILER.len());
        bytes.extend_from_slice(&(body.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&frame_checksum(count, first, body).to_le_bytes());
        bytes.extend_from_slice(&count.to_le_bytes());
        bytes.extend_from_slice(&first.to_le_bytes());
        bytes.extend_from_slice(body);
        bytes.extend_from_slice(TRAILER);
        let len = bytes.len() as u64;
        self.make_room(first, len)?;
        let segment = self.current.as_mut().expect("make_room leaves a segment");
        segment
            .file
            .write_all_at(&bytes, segment.offset)
            .map_err(|e| log_io("could not write to the log", e))?;
        let body_at = segment.offset + HEADER as u64;
        let locations = frame
            .records
            .iter()
            .map(|(at, length)| Location {
                segment: segment.first,
                offset: body_at + at,
                length: *length,
            })
            .collect();
        segment.offset += len;
        self.written += 1;
        // A busy log keeps one preallocated segment in reserve.
        if !self.asked && (segment.preallocated.is_some() || segment.offset >= PREALLOCATE_AFTER) {
            self.asked = self.want.as_ref().is_some_and(|w| w.send(()).is_ok());
        }
        Ok((segment.file.clone(), locations))
    }

    /// Makes sure the current segment can take `len` more bytes, rolling over when it cannot, or
    /// when it grows and a preallocated segment is ready.
    fn make_room(&mut self, first: u64, len: u64) -> Result<(), StoreError> {
        let fits = |s: &Segment| match s.preallocated {
            Some(size) => s.offset + len <= size,
            None => s.offset + len <= SEGMENT_BYTES || s.offset == 0,
        };
        let (needs_new, growing) = match &self.current {
            None => (true, false),
            Some(s) => (!fits(s), s.preallocated.is_none()),
        };
        if !needs_new && !growing {
            return Ok(());
        }
        let prepared = if self.asked {
            match self.ready.try_recv() {
                Ok(Ok(made)) => {
                    self.asked = false;
                    Some(made)
                }
                Ok(Err(e)) => {
                    // No room to preallocate (a full disk, most likely): go on with growing
                    // segments, which need less, and stop asking.
                    tracing::warn!(error = %e, "could not preallocate a log segment");
                    self.want = None;
                    None
                }
                Err(_) => None,
            }
        } else {
            None
        };
        let next = match prepared {
            Some((path, file)) if len <= SEGMENT_BYTES => {
                let named = segment_path(&self.dir, first);
                std::fs::rename(&path, &named)
                    .map_err(|e| log_io(format!("could not rename {}", path.display()), e))?;
                Segment {
                    first,
                    file: Arc::new(file),
                    offset: 0,
                    preallocated: Some(SEGMENT_BYTES),
                }
            }
            other => {
                if let Some((path, _)) = other {
                    let _ = std::fs::remove_file(path);
                }
                if !needs_new {
                    return Ok(());
                }
                let named = segment_path(&self.dir, first);
                let file = OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create_new(true)
                    .open(&named)
                    .map_err(|e| log_io(format!("could not create {}", named.display()), e))?;
                Segment {
                    first,
                    file: Arc::new(file),
                    offset: 0,
                    preallocated: None,
                }
            }
        };
        // The segment ending now is synced whole before the next one is written, so that at
        // start a damaged frame anywhere but in the last segment is known to be corruption.
        if let Some(old) = &self.current {
            old.file
                .sync_data()
                .map_err(|e| log_io("could not sync a full log segment", e))?;
        }
        sync_dir(&self.dir)?;
        self.current = Some(next);
        Ok(())
    }
}

fn remove_prepared(dir: &Path) -> Result<(), StoreError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| log_io(format!("could not list {}", dir.display()), e))?;
    for entry in entries.flatten() {
        if entry
            .file_name()
            .to_string_lossy()
            .ends_with(PREPARED_SUFFIX)
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(())
}

/// Writes a segment's worth of zeros and syncs it, so that later syncs flush only data.
fn prepare(dir: &Path, n: u64) -> Result<(PathBuf, File), StoreError> {
    let path = dir.join(format!("next-{n}{PREPARED_SUFFIX}"));
    let made = (|| {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)?;
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..SEGMENT_BYTES / zeros.len() as u64 {
            file.write_all(&zeros)?;
        }
        file.sync_all()?;
        Ok::<_, std::io::Error>(file)
    })();
    made.map(|file| (path.clone(), file)).map_err(|e| {
        let _ = std::fs::remove_file(&path);
        log_io(format!("could not prepare {}", path.display()), e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
