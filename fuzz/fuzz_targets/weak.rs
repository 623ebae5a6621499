//! `leakless::WeakKeyMap` against a model that also drops strong keys, for `Rc` and `Arc`
//! keys compared by value and by identity (`WeakIdentityMap`, where two distinct `Rc`s
//! with equal contents are different keys): `validate()` after every op, and the model
//! predicts where every value goes, and when.
//!
//! - An overwrite (`insert`, `OccupiedEntry::insert`) hands the old value back, counted
//!   as `Replaced`; `remove` and `OccupiedEntry::remove` hand it back, counted as
//!   `Explicit`; none of them reaches the finalizer.
//! - `retain` finalizes exactly the live values it rejects as `Explicit`, and every
//!   dead entry as `Collected`.
//! - A value whose key died leaves exactly once, as `Collected` (never while its key is
//!   alive): never during a read; at any incremental step (`get_mut`, `remove`, `entry`,
//!   an `insert` that replaces); all at once or not at all when an insert of a new key
//!   or `reserve` may sweep before growth (and the table never grows with a dead entry
//!   in it); all at once on `prune`, `shrink_to_fit` and `retain`; and at the latest
//!   once the incremental steps since its key died (or since the table last shrank,
//!   which restarts the cursor) have covered every bucket, `SWEEP_STEP` each — unless
//!   `clear` (`Cleared`) or dropping the map (`Dropped`) takes it first.
//! - `clear` finalizes every live and every not yet collected dead value as `Cleared`;
//!   dropping the map, every one left as `Dropped`.
//! - `stats()` agrees: insertions, removals by cause, `pruned` equal to the `Collected`
//!   count, hits and misses of the reads.
//! - By the end every value inserted left exactly once.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/models/weak.rs"]
mod model;

use model::{ArcById, ArcByValue, Checked, Kind, RcById, RcByValue};

const SLOTS: usize = 16;

#[derive(Arbitrary, Debug)]
enum Op {
    NewKey(u8, u8),
    DropKey(u8),
    Insert(u8),
    Get(u8),
    GetMut(u8),
    Remove(u8),
    RemoveAbsent,
    EntryOrInsert(u8),
    /// `entry(k)`: `OccupiedEntry::insert` (an overwrite) or `VacantEntry::insert`.
    EntryInsert(u8),
    EntryRemove(u8),
    Retain(u8),
    Prune,
    Clear,
    Iter,
    Reserve(u16),
    ShrinkToFit,
    /// Insert `n` fresh keys, keeping every `keep`-th alive in the overflow pool.
    InsertMany(u16, u8),
    /// Drop the overflow pool.
    DropPool,
}

fn run<K: Kind<T = u16>>(ops: &[Op]) {
    let mut m = Checked::<K>::new(SLOTS);
    let slot = |s: u8| usize::from(s) % SLOTS;
    for op in ops {
        match *op {
            Op::NewKey(s, v) => m.new_key(slot(s), u16::from(v % 32)),
            Op::DropKey(s) => m.drop_key(slot(s)),
            Op::Insert(s) => m.insert(slot(s)),
            Op::Get(s) => m.get(slot(s)),
            Op::GetMut(s) => m.get_mut(slot(s)),
            Op::Remove(s) => m.remove(slot(s)),
            Op::RemoveAbsent => m.remove_absent(u16::MAX),
            Op::EntryOrInsert(s) => m.entry_or_insert(slot(s)),
            Op::EntryInsert(s) => m.entry_insert(slot(s)),
            Op::EntryRemove(s) => m.entry_remove(slot(s)),
            Op::Retain(d) => m.retain(u32::from(d.max(1))),
            Op::Prune => m.prune(),
            Op::Clear => m.clear(),
            Op::Iter => m.iter(),
            Op::Reserve(n) => m.reserve(usize::from(n % 4096)),
            Op::ShrinkToFit => m.shrink_to_fit(),
            // Keys from 1000 up never equal the slot keys (< 32).
            Op::InsertMany(n, keep) => {
                m.insert_many(usize::from(n % 2048), usize::from(keep.max(1)), |next| 1000 + (next % 60_000) as u16)
            }
            Op::DropPool => m.drop_pool(),
        }
    }
    m.finish();
}

fuzz_target!(|ops: Vec<Op>| {
    run::<RcByValue<u16>>(&ops);
    run::<ArcByValue<u16>>(&ops);
    run::<RcById<u16>>(&ops);
    run::<ArcById<u16>>(&ops);
});
