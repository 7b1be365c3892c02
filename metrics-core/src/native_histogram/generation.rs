//! A native histogram's generations: the schema and the window of bucket chunks that
//! observations write to, replaced (under the histogram's lock) when an observation falls outside
//! the window or the buckets exceed their limit.

use std::sync::OnceLock;

use super::key::{self, Bounds, CHUNK, MIN_SCHEMA, chunk_of, key_at};
use crate::slab::CellRun;

/// The cell of a chunk's run that holds the sum of the values observed into it.
pub(crate) const CHUNK_SUM: usize = CHUNK as usize;
/// The cells of a chunk's run: its buckets and its sum.
const CHUNK_CELLS: usize = CHUNK as usize + 1;
/// The chunks of a window, per sign: 256 buckets, 32 powers of 2 at schema 3. At schema -4 every
/// finite magnitude (and `+Inf`) has a key in -67..=65, chunks -5..=4: a window of 10 always
/// fits, so lowering the schema always ends.
pub(crate) const WINDOW: usize = 16;

/// Which buckets: above the zero threshold (0) or below minus it (1).
pub(crate) type Sign = usize;

/// What observations read to find their cells: a schema, and for each sign a window of chunk
/// slots starting at chunk `base` (see [`chunk_of`]). A slot is filled once, under the
/// histogram's lock, and never emptied; a generation is never changed after it is published
/// except for filling slots.
pub(crate) struct Generation {
    pub(crate) schema: i32,
    pub(crate) bounds: Option<&'static Bounds>,
    pub(crate) base: [i32; 2],
    /// Inline, so that an observation loads its chunk from the generation itself.
    pub(crate) slots: [[OnceLock<Slot>; WINDOW]; 2],
}

impl Generation {
    /// A generation with empty slots.
    pub(crate) fn new(schema: i32, base: [i32; 2]) -> Generation {
        Generation {
            schema,
            bounds: key::bounds(schema),
            base,
            slots: Default::default(),
        }
    }

    /// The run of chunk `chunk` of sign `sign`, if it is in the window and allocated.
    #[inline(always)]
    pub(crate) fn chunk(&self, sign: Sign, chunk: i32) -> Option<&Slot> {
        self.slot(sign, chunk)?.get()
    }

    /// The slot of chunk `chunk` of sign `sign`, if the window holds it.
    #[inline(always)]
    fn slot(&self, sign: Sign, chunk: i32) -> Option<&OnceLock<Slot>> {
        let slot = usize::try_from(chunk.wrapping_sub(self.base[sign])).ok()?;
        self.slots[sign].get(slot)
    }
}

/// A chunk in a generation's window: its run, and where this process' restartable adds find its
/// cells without loads through the run's block.
#[derive(Clone)]
pub(crate) struct Slot {
    run: CellRun,
    #[cfg(rseq)]
    resolved: crate::slab::ResolvedCells<CHUNK_CELLS>,
}

impl Slot {
    fn new(run: CellRun) -> Slot {
        Slot {
            #[cfg(rseq)]
            resolved: run.resolve(),
            run,
        }
    }

    /// Adds an observation of `v` to bucket `index` of the chunk.
    #[inline(always)]
    pub(crate) fn observe(&self, index: usize, v: f64) {
        #[cfg(rseq)]
        return self
            .run
            .observe_resolved(&self.resolved, index, CHUNK_SUM, v);
        #[cfg(not(rseq))]
        self.run.observe(index, CHUNK_SUM, v);
    }
}

/// A chunk ever allocated, in any generation: what a read sums.
pub(crate) struct Chunk {
    pub(crate) sign: Sign,
    pub(crate) schema: i32,
    /// The chunk's number (see [`chunk_of`]).
    pub(crate) id: i32,
    pub(crate) run: CellRun,
}

/// What the histogram's lock guards: every generation (the last is current), every chunk, and
/// the chunks used at the current schema.
pub(crate) struct Generations {
    /// Boxed so that a published generation never moves; never shortened, so every generation
    /// lives as long as the histogram (see `NativeHistogram::generation`).
    #[expect(
        clippy::vec_box,
        reason = "the box keeps a published generation in place when the vector grows"
    )]
    pub(crate) all: Vec<Box<Generation>>,
    pub(crate) chunks: Vec<Chunk>,
    /// Per sign, the lowest and highest chunk allocated at the current schema.
    used: [Option<(i32, i32)>; 2],
}

/// What the slow path did.
pub(crate) enum Placed<'g> {
    /// The chunk that holds the bucket, in the current generation.
    Chunk(&'g Slot),
    /// A new generation was made: the caller publishes it and places the value again.
    Replaced,
}

impl Generations {
    pub(crate) fn new(schema: i32) -> Generations {
        Generations {
            // Centred on bucket 0 (1.0): at schema 3, 2^-16 to 2^16.
            all: vec![Box::new(Generation::new(schema, [-(WINDOW as i32) / 2; 2]))],
            chunks: Vec::new(),
            used: [None; 2],
        }
    }

    pub(crate) fn current(&self) -> &Generation {
        self.all
            .last()
            .expect("a histogram always has a generation")
    }

    /// Finds or allocates the chunk of bucket `key` (at the current schema) of sign `sign`; or,
    /// if the window cannot hold it, makes a new generation: the window moved over the chunks
    /// used, if they and this one fit in it, else the next coarser schema.
    pub(crate) fn place(&mut self, sign: Sign, key: i32) -> Placed<'_> {
        let chunk = chunk_of(key);
        let current = self
            .all
            .last()
            .expect("a histogram always has a generation");
        let schema = current.schema;
        if current.slot(sign, chunk).is_some() {
            let used = &mut self.used[sign];
            *used = Some(used.map_or((chunk, chunk), |(lo, hi)| (lo.min(chunk), hi.max(chunk))));
            let chunks = &mut self.chunks;
            let slot = self.all.last().and_then(|g| g.slot(sign, chunk));
            let slot = slot.expect("checked above").get_or_init(|| {
                let run = CellRun::new(CHUNK_CELLS);
                chunks.push(Chunk {
                    sign,
                    schema,
                    id: chunk,
                    run: run.clone(),
                });
                Slot::new(run)
            });
            return Placed::Chunk(slot);
        }
        let (lo, hi) =
            self.used[sign].map_or((chunk, chunk), |(lo, hi)| (lo.min(chunk), hi.max(chunk)));
        if ((hi - lo) as usize) < WINDOW || schema == MIN_SCHEMA {
            self.shift(sign, lo, hi);
        } else {
            self.coarsen(schema - 1);
        }
        Placed::Replaced
    }

    /// A generation of the same schema whose window for `sign` holds chunks `lo..=hi`, with the
    /// chunks of the current one.
    fn shift(&mut self, sign: Sign, lo: i32, hi: i32) {
        let current = self.current();
        let mut base = current.base;
        let spare = WINDOW as i32 - (hi - lo + 1);
        base[sign] = lo - spare.max(0) / 2;
        let next = Generation::new(current.schema, base);
        for (s, slots) in next.slots.iter().enumerate() {
            for (i, slot) in slots.iter().enumerate() {
                if let Some(run) = current.slot(s, base[s] + i as i32).and_then(OnceLock::get) {
                    let _ = slot.set(run.clone());
                }
            }
        }
        self.all.push(Box::new(next));
    }

    /// A generation of schema `schema` (coarser than the current one), with empty windows
    /// centred on where the chunks used so far fall in it. The chunks of earlier generations
    /// keep what was observed into them; reads merge them into the new schema.
    pub(crate) fn coarsen(&mut self, schema: i32) {
        let from = self.current().schema;
        let mut base = self.current().base;
        for (sign, used) in self.used.iter().enumerate() {
            let centre = match used {
                Some((lo, hi)) => {
                    let lo = chunk_of(key::coarsen(key_at(*lo, 0), from, schema));
                    let hi = chunk_of(key::coarsen(key_at(*hi, 0), from, schema));
                    lo + (hi - lo) / 2
                }
                None => continue,
            };
            base[sign] = centre - WINDOW as i32 / 2;
        }
        self.used = [None; 2];
        self.all.push(Box::new(Generation::new(schema, base)));
    }
}
