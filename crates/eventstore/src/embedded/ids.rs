//! Which event ids the store may already hold, answered from memory: a Bloom filter that grows in
//! layers. "No" is certain, so a new id — nearly every id — needs no look-up in the index; "maybe"
//! (about one id in a hundred that are new) is settled by the index.

use uuid::Uuid;

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
}
