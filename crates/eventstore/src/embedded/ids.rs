//! Which event ids the store may already hold, answered from memory: a Bloom filter that grows in
//! layers. "No" is certain, so a new id — nearly every id — needs no look-up in the index; "maybe"
//! (about one id in a hundred that are new) is settled by the index. Saved when the store closes,
//! with the position it covers, so that opening a large store reads the filter instead of every id.

use std::io::{self, Write as _};
use std::path::Path;

use uuid::Uuid;

/// The saved filter's first bytes, naming its format.
const MAGIC: &[u8; 8] = b"ZCIDF\x001\x00";

/// Bits per id in each layer, and hash functions: ~0.8 % false positives per layer.
const BITS_PER_ID: usize = 10;
const HASHES: u64 = 7;
/// Ids the first layer is sized for; each further layer doubles.
const FIRST_LAYER: usize = 1 << 16;

struct Layer {
    bits: Vec<u64>,
    capacity: usize,
    held: usize,
}

impl Layer {
    fn new(capacity: usize) -> Self {
        let words = (capacity * BITS_PER_ID).div_ceil(64);
        Self {
            bits: vec![0; words],
            capacity,
            held: 0,
        }
    }

    /// The bits that stand for `id` (double hashing over the layer's bits).
    fn positions(&self, id: &Uuid) -> impl Iterator<Item = usize> + use<> {
        let (h1, h2) = hashes(id);
        let bits = (self.bits.len() * 64) as u64;
        (0..HASHES).map(move |i| (h1.wrapping_add(i.wrapping_mul(h2)) % bits) as usize)
    }

    fn insert(&mut self, id: &Uuid) {
        for bit in self.positions(id) {
            self.bits[bit / 64] |= 1 << (bit % 64);
        }
        self.held += 1;
    }

    fn may_hold(&self, id: &Uuid) -> bool {
        self.positions(id)
            .all(|bit| self.bits[bit / 64] & (1 << (bit % 64)) != 0)
    }
}

/// Two independent 64-bit hashes of an id, mixed from its two halves (v7 ids share their leading
/// time bits, so the halves are mixed rather than used as they are).
fn hashes(id: &Uuid) -> (u64, u64) {
    let (high, low) = id.as_u64_pair();
    let a = mix(high ^ mix(low));
    let b = mix(low.wrapping_add(0x9e37_79b9_7f4a_7c15) ^ high.rotate_left(29)) | 1;
    (a, b)
}

/// SplitMix64's finaliser.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Reads a saved filter front to back.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (taken, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(taken)
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
}

/// The ids the store holds, as a filter: no false "no", few false "maybe".
pub(crate) struct IdFilter {
    layers: Vec<Layer>,
}

impl IdFilter {
    pub(crate) fn new() -> Self {
        Self {
            layers: vec![Layer::new(FIRST_LAYER)],
        }
    }

    pub(crate) fn insert(&mut self, id: &Uuid) {
        let full = self.layers.last().is_none_or(|l| l.held >= l.capacity);
        if full {
            let capacity = self.layers.last().map_or(FIRST_LAYER, |l| l.capacity * 2);
            self.layers.push(Layer::new(capacity));
        }
        self.layers.last_mut().expect("a layer").insert(id);
    }

    /// False only if the id was never inserted.
    pub(crate) fn may_hold(&self, id: &Uuid) -> bool {
        self.layers.iter().any(|l| l.may_hold(id))
    }

    /// Writes the filter, holding every id up to `position` (whose event has the id `last`), to
    /// `path`: to a temporary file, synced, renamed over, with a checksum.
    pub(crate) fn save(&self, path: &Path, position: u64, last: &Uuid) -> io::Result<()> {
        let mut bytes = Vec::with_capacity(
            64 + self
                .layers
                .iter()
                .map(|l| 24 + l.bits.len() * 8)
                .sum::<usize>(),
        );
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&position.to_le_bytes());
        bytes.extend_from_slice(last.as_bytes());
        bytes.extend_from_slice(&(self.layers.len() as u64).to_le_bytes());
        for layer in &self.layers {
            for n in [layer.capacity, layer.held, layer.bits.len()] {
                bytes.extend_from_slice(&(n as u64).to_le_bytes());
            }
            for word in &layer.bits {
                bytes.extend_from_slice(&word.to_le_bytes());
            }
        }
        let sum = crc32fast::hash(&bytes);
        bytes.extend_from_slice(&sum.to_le_bytes());
        let tmp = path.with_extension("tmp");
        {
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
        }
        std::fs::rename(&tmp, path)
    }

    /// The filter saved in `path`, the position it covers and the id of the event there; `None`
    /// if there is none or it is damaged (the caller then reads every id).
    pub(crate) fn load(path: &Path) -> Option<(Self, u64, Uuid)> {
        let bytes = std::fs::read(path).ok()?;
        let (body, sum) = bytes.split_at_checked(bytes.len().checked_sub(4)?)?;
        if crc32fast::hash(body) != u32::from_le_bytes(sum.try_into().ok()?) {
            return None;
        }
        let mut rest = Cursor(body.strip_prefix(MAGIC)?);
        let position = rest.u64()?;
        let last = Uuid::from_slice(rest.take(16)?).ok()?;
        let count = rest.u64()?;
        let mut layers = Vec::new();
        for _ in 0..count {
            let capacity = usize::try_from(rest.u64()?).ok()?;
            let held = usize::try_from(rest.u64()?).ok()?;
            let words = usize::try_from(rest.u64()?).ok()?;
            if words != (capacity.checked_mul(BITS_PER_ID)?).div_ceil(64) {
                return None;
            }
            let mut bits = Vec::with_capacity(words);
            for _ in 0..words {
                bits.push(rest.u64()?);
            }
            layers.push(Layer {
                bits,
                capacity,
                held,
            });
        }
        if !rest.0.is_empty() || layers.is_empty() {
            return None;
        }
        Some((Self { layers }, position, last))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_inserted_id_is_found_and_few_others_are() {
        // given a filter grown over several layers, with random and time-ordered ids
        let mut filter = IdFilter::new();
        let inserted: Vec<Uuid> = (0..300_000)
            .map(|i| {
                if i % 2 == 0 {
                    Uuid::new_v4()
                } else {
                    Uuid::now_v7()
                }
            })
            .collect();
        for id in &inserted {
            filter.insert(id);
        }
        assert!(filter.layers.len() > 2);
        // then none of them is ever missed
        assert!(inserted.iter().all(|id| filter.may_hold(id)));
        // and ids never inserted are mostly told apart (each layer adds under 1 %)
        let strangers = (0..100_000)
            .filter(|i| {
                filter.may_hold(&if i % 2 == 0 {
                    Uuid::new_v4()
                } else {
                    Uuid::now_v7()
                })
            })
            .count();
        assert!(strangers < 100_000 * 4 / 100, "{strangers} false positives");
    }

    #[test]
    fn a_saved_filter_reads_back_whole_and_a_damaged_one_not_at_all() {
        // given a filter of several layers, saved
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("ids");
        let mut filter = IdFilter::new();
        let inserted: Vec<Uuid> = (0..200_000).map(|_| Uuid::now_v7()).collect();
        for id in &inserted {
            filter.insert(id);
        }
        filter
            .save(&path, 200_000, &inserted[199_999])
            .expect("save");
        // when it is read back
        let (read, position, last) = IdFilter::load(&path).expect("load");
        // then it holds the same ids and says which position it covers
        assert_eq!((position, last), (200_000, inserted[199_999]));
        assert_eq!(read.layers.len(), filter.layers.len());
        assert!(inserted.iter().all(|id| read.may_hold(id)));
        // and a flipped byte or a cut file is refused
        let mut bytes = std::fs::read(&path).expect("read");
        bytes[100] ^= 1;
        std::fs::write(&path, &bytes).expect("write");
        assert!(IdFilter::load(&path).is_none());
        bytes[100] ^= 1;
        std::fs::write(&path, &bytes[..bytes.len() - 9]).expect("write");
        assert!(IdFilter::load(&path).is_none());
    }
}
