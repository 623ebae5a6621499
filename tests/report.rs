//! The leak report's workloads at a small scale: every `leakless` row releases its memory
//! (≤ 1% of its peak, every value cleaned up) while every ordinary row does not.

#[path = "../examples/scenarios/mod.rs"]
mod scenarios;

#[global_allocator]
static ALLOC: scenarios::alloc::CountingAlloc = scenarios::alloc::CountingAlloc;

#[test]
fn every_scenario_shows_the_leak_and_its_fix() {
    // One scenario at a time: they measure the whole process.
    for (id, run, scale) in scenarios::ALL {
        // A tenth of the report's size: large enough that fixed per-map overheads (a
        // concurrent map's collector, a few KB) stay under 1% of the workload.
        let scale = if cfg!(miri) { 64 } else { (scale / 10).max(2_000) };
        let s = run(scale);
        assert_eq!(s.id, *id);
        let l = &s.leakless;
        assert!(s.leakless_ok(), "{id}: {} holds {} of its peak {} (cleaned {:?})", l.map, l.held, l.peak, l.cleaned);
        for o in &s.ordinary {
            assert!(!o.released(), "{id}: the ordinary {} did not leak: held {} of peak {}", o.map, o.held, o.peak);
        }
        assert!(!l.samples.is_empty());
    }
}
