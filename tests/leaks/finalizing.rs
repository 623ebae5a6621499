//! L4: `FinalizingMap` finalizes every value and gives its table back too.

use std::cell::Cell;
use std::rc::Rc;

use crate::alloc::Window;
use crate::{exclusive, scale};
use leakless::FinalizingMap;

#[test]
fn overwrites_and_removals_release_everything() {
    let _g = exclusive();
    let n = scale(200_000);
    let finalized = Rc::new(Cell::new(0usize));
    let f = finalized.clone();
    let w = Window::open();
    let mut m = FinalizingMap::new(move |_k: u64, v: Vec<u8>, _c| {
        drop(v);
        f.set(f.get() + 1);
    });
    for round in 0..3 {
        for i in 0..n as u64 {
            m.insert(i, vec![round; 32]);
        }
    }
    assert_eq!(finalized.get(), 2 * n);
    for i in 0..n as u64 {
        assert!(m.discard(&i));
    }
    assert_eq!(finalized.get(), 3 * n);
    let (peak, held) = (w.peak(), w.held());
    eprintln!("FinalizingMap: {n} keys x3 overwrites, discard all: peak {peak} B, held {held} B");
    assert!(held * 100 <= peak, "held {held} of peak {peak}");
}
