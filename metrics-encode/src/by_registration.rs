//! [`ByRegistration`]: what an encoder keeps of each registered family from scrape to scrape,
//! found by the family's position in the scrape before any hash lookup.

use std::collections::HashMap;

/// Per registered family (`coremeter::Descriptor::registration`), a `T` kept across scrapes.
/// A registry visits its families in the same order at every scrape, so a family is looked for
/// at its position in the previous scrape first, and by its registration (a hash lookup) only if
/// something was registered or unregistered before it.
#[derive(Debug)]
pub(crate) struct ByRegistration<T> {
    families: Vec<Kept<T>>,
    /// Registration -> index in `families`.
    slots: HashMap<u64, usize>,
    generation: u64,
    /// Families used in this scrape.
    used: usize,
    /// The position of the next family of this scrape.
    ordinal: usize,
}

#[derive(Debug)]
struct Kept<T> {
    registration: u64,
    /// The scrape that last used it.
    generation: u64,
    value: T,
}

impl<T> Default for ByRegistration<T> {
    fn default() -> Self {
        ByRegistration {
            families: Vec::new(),
            slots: HashMap::new(),
            generation: 0,
            used: 0,
            ordinal: 0,
        }
    }
}

impl<T: Default> ByRegistration<T> {
    /// Starts a scrape.
    pub(crate) fn begin(&mut self) {
        self.generation += 1;
        self.used = 0;
        self.ordinal = 0;
    }

    /// The slot of the family registered as `registration`, the next registered family of this
    /// scrape (a new `T` if it was not seen before).
    #[inline]
    pub(crate) fn family(&mut self, registration: u64) -> usize {
        self.used += 1;
        let ordinal = self.ordinal;
        self.ordinal += 1;
        let slot = match self.families.get(ordinal) {
            Some(f) if f.registration == registration => ordinal,
            _ => self.find(registration),
        };
        self.families[slot].generation = self.generation;
        slot
    }

    /// The slot of a family that moved since the previous scrape, or a new one.
    #[cold]
    #[inline(never)]
    fn find(&mut self, registration: u64) -> usize {
        match self.slots.get(&registration) {
            Some(&slot) => slot,
            None => {
                self.families.push(Kept {
                    registration,
                    generation: 0,
                    value: T::default(),
                });
                let slot = self.families.len() - 1;
                self.slots.insert(registration, slot);
                slot
            }
        }
    }

    /// What is kept in `slot`.
    #[inline]
    pub(crate) fn get(&mut self, slot: usize) -> &mut T {
        &mut self.families[slot].value
    }

    /// Ends a scrape that visited every family: forgets the families it did not see (no longer
    /// registered).
    pub(crate) fn sweep(&mut self) {
        if self.used == self.families.len() {
            return;
        }
        let generation = self.generation;
        self.families.retain(|f| f.generation == generation);
        self.slots.clear();
        for (slot, f) in self.families.iter().enumerate() {
            self.slots.insert(f.registration, slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_follow_registrations() {
        let mut c = ByRegistration::<u8>::default();
        c.begin();
        assert_eq!((c.family(10), c.family(11), c.family(12)), (0, 1, 2));
        *c.get(2) = 7;
        c.sweep();
        c.begin();
        // 11 was unregistered: 12 is found by its registration, 10 by its position.
        assert_eq!((c.family(10), c.family(12)), (0, 2));
        c.sweep();
        assert_eq!(c.families.len(), 2);
        c.begin();
        assert_eq!((c.family(10), c.family(12)), (0, 1));
        assert_eq!(*c.get(1), 7);
    }
}
