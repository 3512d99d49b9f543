//! How the log lays out bytes: a frame per group commit (header with length, checksum, count and
//! first position; the records; a trailer) and a record per event (length, checksum over the fields
//! and the position, the fields). Encoding, decoding, and telling a torn frame from a damaged one.

use uuid::Uuid;

use crate::{Metadata, Position, RecordedEvent, StoreError, StreamName};

/// Frame header: body length (u64), checksum (u32), event count (u32), first position (u64).
pub(crate) const HEADER: usize = 24;
/// Every frame ends with these bytes: a frame without them was not written whole.
pub(crate) const TRAILER: &[u8; 4] = b"ZHC1";
/// Record header: record length after the header (u32), checksum (u32).
pub(crate) const RECORD_HEADER: usize = 8;

/// A frame being built: the events of one group commit, each as a checksummed record.
#[derive(Default)]
pub(crate) struct FrameBuilder {
    body: Vec<u8>,
    /// Offset of each record in the body.
    pub(crate) records: Vec<(u64, u32)>,
}

impl FrameBuilder {
    pub(crate) fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The whole frame for events from position `first`: header, records, trailer.
    pub(crate) fn encode(&self, first: u64) -> Result<Vec<u8>, StoreError> {
        let count = u32::try_from(self.records.len()).map_err(|_| {
            StoreError::Storage("a group commit holds more than 2^32 events".into())
        })?;
        let body = &self.body;
        let mut bytes = Vec::with_capacity(HEADER + body.len() + TRAILER.len());
        bytes.extend_from_slice(&(body.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&frame_checksum(count, first, body).to_le_bytes());
        bytes.extend_from_slice(&count.to_le_bytes());
        bytes.extend_from_slice(&first.to_le_bytes());
        bytes.extend_from_slice(body);
        bytes.extend_from_slice(TRAILER);
        Ok(bytes)
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

/// What a frame at some offset turned out to be.
pub(crate) enum FrameRead<'a> {
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

pub(crate) fn read_frame(bytes: &[u8], offset: usize, expected: u64) -> FrameRead<'_> {
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
