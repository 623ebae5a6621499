//! `leakless::NestedMap` against a flat `std::collections::HashMap<(K1, K2), V>`, and a
//! depth-three `NestedMap` against `HashMap<(K1, K2, K3), V>`; `validate()` (no empty
//! inner collection, leaf count right, tables valid) after every op.
#![no_main]

use std::collections::{HashMap as Model, HashSet};

use arbitrary::Arbitrary;
use leakless::{HashMap, NestedMap};
use libfuzzer_sys::fuzz_target;

type Fixed = leakless::DefaultHashBuilder;
type Two = NestedMap<u8, HashMap<u8, u16, Fixed>, Fixed>;
type Three = NestedMap<u8, NestedMap<u8, HashMap<u8, u16, Fixed>, Fixed>, Fixed>;

#[derive(Arbitrary, Debug)]
enum Op {
    Insert(u8, u8, u16),
    Remove(u8, u8),
    Get(u8, u8),
    GetMut(u8, u8, u16),
    RemoveInner(u8),
    /// Through the guard: keep the inner keys at or above the bound, maybe insert one.
    Guard(u8, u8, bool),
    /// Through the closure: empty the inner map.
    EmptyInner(u8),
    Retain(u8),
    Clear,
    Insert3(u8, u8, u8, u16),
    Remove3(u8, u8, u8),
    Get3(u8, u8, u8),
    Retain3(u8),
    /// Through both guards: empty the `(a, b)` level of the depth-three map.
    EmptyMid(u8, u8),
}

fn fixed() -> Fixed {
    Fixed::with_seeds(1, 2, 3, 4)
}

fuzz_target!(|ops: Vec<Op>| {
    let mut two: Two = NestedMap::with_hasher(fixed());
    let mut model: Model<(u8, u8), u16> = Model::new();
    let mut three: Three = NestedMap::with_hasher(fixed());
    let mut model3: Model<(u8, u8, u8), u16> = Model::new();
    for op in ops {
        match op {
            Op::Insert(a, b, v) => assert_eq!(two.insert(a, b, v), model.insert((a, b), v)),
            Op::Remove(a, b) => assert_eq!(two.remove(&a, &b), model.remove(&(a, b))),
            Op::Get(a, b) => {
                let bytes = two.allocation_size();
                assert_eq!(two.get(&a, &b), model.get(&(a, b)));
                assert_eq!(two.contains(&a, &b), model.contains_key(&(a, b)));
                assert_eq!(two.allocation_size(), bytes);
            }
            Op::GetMut(a, b, v) => {
                let x = two.get_mut(&a, &b).map(|x| std::mem::replace(x, v));
                assert_eq!(x, model.get_mut(&(a, b)).map(|x| std::mem::replace(x, v)));
            }
            Op::RemoveInner(a) => {
                let n = two.remove_inner(&a).map_or(0, |m| m.len());
                let before = model.len();
                model.retain(|(x, _), _| *x != a);
                assert_eq!(n, before - model.len());
            }
            Op::Guard(a, bound, add) => {
                let mut g = two.inner_mut(a);
                g.retain(|k, _| *k >= bound);
                model.retain(|(x, k), _| *x != a || *k >= bound);
                if add {
                    assert_eq!(g.insert(bound, 7), model.insert((a, bound), 7));
                }
            }
            Op::EmptyInner(a) => {
                let had = model.keys().any(|(x, _)| *x == a);
                assert_eq!(two.with_inner_mut(&a, |m| m.clear()).is_some(), had);
                model.retain(|(x, _), _| *x != a);
            }
            Op::Retain(m) => {
                let m = u16::from(m.max(1));
                two.retain(|a, b, v| (u16::from(*a) ^ u16::from(*b) ^ *v) % m != 0);
                model.retain(|(a, b), v| (u16::from(*a) ^ u16::from(*b) ^ *v) % m != 0);
            }
            Op::Clear => {
                two.clear();
                model.clear();
                three.clear();
                model3.clear();
            }
            Op::Insert3(a, b, c, v) => assert_eq!(three.insert3(a, b, c, v), model3.insert((a, b, c), v)),
            Op::Remove3(a, b, c) => assert_eq!(three.remove3(&a, &b, &c), model3.remove(&(a, b, c))),
            Op::Get3(a, b, c) => assert_eq!(three.get3(&a, &b, &c), model3.get(&(a, b, c))),
            Op::Retain3(m) => {
                let m = u16::from(m.max(1));
                three.retain3(|a, b, c, v| (u16::from(*a) ^ u16::from(*b) ^ u16::from(*c) ^ *v) % m != 0);
                model3.retain(|(a, b, c), v| (u16::from(*a) ^ u16::from(*b) ^ u16::from(*c) ^ *v) % m != 0);
            }
            Op::EmptyMid(a, b) => {
                if let Some(mut mid) = three.get_inner_mut(&a) {
                    if let Some(mut inner) = mid.get_inner_mut(&b) {
                        inner.clear();
                    }
                }
                model3.retain(|(x, y, _), _| (*x, *y) != (a, b));
            }
        }
        two.validate();
        three.validate();
        assert_eq!(two.len(), model.len());
        assert_eq!(two.outer_len(), model.keys().map(|(a, _)| *a).collect::<HashSet<_>>().len());
        assert_eq!(three.len(), model3.len());
        assert_eq!(three.outer_len(), model3.keys().map(|(a, _, _)| *a).collect::<HashSet<_>>().len());
    }
    let mut got: Vec<_> = two.iter().map(|(a, b, v)| ((*a, *b), *v)).collect();
    let mut want: Vec<_> = model.into_iter().collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    let mut got: Vec<_> = three.iter3().map(|(a, b, c, v)| ((*a, *b, *c), *v)).collect();
    let mut want: Vec<_> = model3.into_iter().collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
});
