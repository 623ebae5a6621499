//! `leakless::HashMap` against `std::collections::HashMap` (the model and checks shared with
//! `tests/model.rs`): what every call returns, then `validate()`, the size, the capacity and
//! `stats()` after every op, and the contents at the end.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use leakless::{DefaultHashBuilder, HashMap};
use libfuzzer_sys::fuzz_target;

/// The map against `std`'s, shared with `tests/model.rs` (`hash_map_matches_std`).
#[path = "../../tests/models/hash_map.rs"]
mod hash_map;
use hash_map::{Checked, Op};

/// The ops this target runs: the proptest's, with up to 2047 keys a range, every match
/// extracted, and `GetDisjointMut` on two different keys only (equal present keys panic
/// by design, and a fuzz target aborts on any panic). (`Op` is this crate's own type,
/// from the shared module.)
impl<'a> Arbitrary<'a> for Op {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match u.choose_index(25)? {
            0 => Op::Insert(u.arbitrary()?, u.arbitrary()?),
            1 => Op::Remove(u.arbitrary()?),
            2 => Op::Get(u.arbitrary()?),
            3 => Op::GetMut(u.arbitrary()?, u.arbitrary()?),
            4 => Op::EntryOrInsert(u.arbitrary()?, u.arbitrary()?),
            5 => Op::EntryRemove(u.arbitrary()?),
            6 => Op::EntryOrInsertWith(u.arbitrary()?, u.arbitrary()?),
            7 => Op::EntryOrInsertWithKey(u.arbitrary()?, u.arbitrary()?),
            8 => Op::EntryOrDefault(u.arbitrary()?),
            9 => Op::EntryAndModify(u.arbitrary()?, u.arbitrary()?),
            10 => Op::EntrySet(u.arbitrary()?, u.arbitrary()?),
            11 => Op::EntryTake(u.arbitrary()?, u.arbitrary()?),
            12 => Op::EntryInsert(u.arbitrary()?, u.arbitrary()?),
            13 => Op::IterMut(u.arbitrary()?),
            14 => Op::Retain(u.arbitrary::<u16>()?.max(1)),
            15 => Op::ExtractIf(u.arbitrary::<u16>()?.max(1), usize::MAX),
            16 => Op::Drain,
            17 => Op::Clear,
            18 => Op::Reserve(u.arbitrary()?),
            19 => Op::ShrinkToFit,
            20 => Op::ShrinkTo(u.arbitrary()?),
            21 => Op::InsertRange(u.arbitrary()?, u.arbitrary::<u16>()? % 2048),
            22 => Op::ValuesMut(u.arbitrary()?),
            23 => {
                let k1: u16 = u.arbitrary()?;
                let k2 = k1.wrapping_add(u.arbitrary::<u16>()?.max(1));
                Op::GetDisjointMut(k1, Some(k2), u.arbitrary()?)
            }
            _ => Op::RemoveRange(u.arbitrary()?, u.arbitrary::<u16>()? % 2048),
        })
    }
}

fuzz_target!(|ops: Vec<Op>| {
    // A fixed-seed hasher, so a crash replays identically.
    let mut c = Checked::new(HashMap::with_hasher(DefaultHashBuilder::with_seeds(1, 2, 3, 4)));
    for op in ops {
        c.apply(op);
        c.verify();
    }
    c.finish();
});
