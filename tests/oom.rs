//! Allocation failure: the `try_*` methods return `TryReserveError::AllocError` with the
//! layout they asked for and leave the map usable; the infallible paths (`reserve`, and
//! the growth an insert needs, `ConcurrentMap`'s included) abort as `std`'s do, through `handle_alloc_error`, rather
//! than unwind through the caller.
//!
//! A global allocator here refuses every request of at least `REFUSE_FROM` bytes while
//! armed. The aborting cases run in a child process (this test binary run again with
//! `OOM_CASE` set), and the parent checks that the child died of `SIGABRT` with std's
//! allocation-failure message.

use std::alloc::{GlobalAlloc, Layout, System};
use std::process::Command;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use leakless::{HashMap, LruMap, TryReserveError, WeakKeyMap};

/// Requests of at least this many bytes are refused; `usize::MAX`: disarmed.
static REFUSE_FROM: AtomicUsize = AtomicUsize::new(usize::MAX);

struct Refusing;

// SAFETY: every method forwards to `System` unchanged, or returns null (a refusal, which
// `GlobalAlloc` allows for `alloc` and `realloc`).
unsafe impl GlobalAlloc for Refusing {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= REFUSE_FROM.load(Ordering::Relaxed) {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract; every block came from `System`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size >= REFUSE_FROM.load(Ordering::Relaxed) {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Refusing = Refusing;

/// Serializes the tests of this binary: a refusal armed by one would reach the others.
static SERIAL: Mutex<()> = Mutex::new(());

/// Refuses allocations of `bytes` or more until the guard drops.
struct Armed;

fn refuse_from(bytes: usize) -> Armed {
    REFUSE_FROM.store(bytes, Ordering::Relaxed);
    Armed
}

impl Drop for Armed {
    fn drop(&mut self) {
        REFUSE_FROM.store(usize::MAX, Ordering::Relaxed);
    }
}

/// A map of 100 entries (tables of about 2 KiB).
fn hundred() -> HashMap<u64, u64> {
    (0..100).map(|i| (i, i)).collect()
}

#[test]
fn try_reserve_reports_the_refused_layout_and_keeps_the_map() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut m = hundred();
    let before = m.capacity();
    let err = {
        let _armed = refuse_from(16 * 1024);
        m.try_reserve(10_000).unwrap_err()
    };
    match err {
        TryReserveError::AllocError { layout } => assert!(layout.size() >= 16 * 1024, "{layout:?}"),
        other => panic!("expected an allocation error, got {other:?}"),
    }
    assert_eq!(m.capacity(), before);
    assert_eq!(m.len(), 100);
    assert!((0..100).all(|i| m.get(&i) == Some(&i)));
    m.validate();

    let mut lru: LruMap<u64, u64> = LruMap::new(1 << 20);
    let _armed = refuse_from(16 * 1024);
    assert!(matches!(lru.try_reserve(10_000), Err(TryReserveError::AllocError { .. })));
    assert!(lru.is_empty());
}

/// Runs `case` of [`child`] in a child process and checks that it aborted on a refused
/// allocation, after reaching the point where it arms the refusal.
fn assert_aborts(case: &str) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env("OOM_CASE", case)
        // A panic's backtrace allocates; a child that panicked (the bug this catches)
        // must not also hang capturing one under the refusal.
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{case}: the child returned normally\n{stderr}");
    assert!(stderr.contains("armed"), "{case}: the child failed before arming\n{stderr}");
    assert!(stderr.contains("memory allocation of"), "{case}: no allocation failure reported\n{stderr}");
    assert!(!stderr.contains("panicked"), "{case}: the child panicked instead of aborting\n{stderr}");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(out.status.signal(), Some(6), "{case}: not SIGABRT: {:?}", out.status);
    }
}

#[test]
#[cfg_attr(miri, ignore = "spawns a process")]
fn infallible_growth_aborts_on_a_refused_allocation() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for case in ["hash_map_reserve", "hash_map_insert", "weak_reserve", "lru_insert", "concurrent_insert"] {
        assert_aborts(case);
    }
}

/// The child side of [`infallible_growth_aborts_on_a_refused_allocation`]; does nothing
/// unless `OOM_CASE` names a case.
#[test]
fn child() {
    let Ok(case) = std::env::var("OOM_CASE") else { return };
    match case.as_str() {
        "hash_map_reserve" => {
            let mut m = hundred();
            let _armed = refuse_from(16 * 1024);
            eprintln!("armed");
            m.reserve(10_000);
        }
        "hash_map_insert" => {
            let mut m = hundred();
            // Fill to capacity, so the next insert must grow.
            let mut i = 100;
            while m.len() < m.capacity() {
                m.insert(i, i);
                i += 1;
            }
            let _armed = refuse_from(m.allocation_size() + 1);
            eprintln!("armed");
            m.insert(i, i);
        }
        "weak_reserve" => {
            let mut m: WeakKeyMap<std::rc::Weak<u64>, u64> = WeakKeyMap::new();
            let keys: Vec<Rc<u64>> = (0..100).map(Rc::new).collect();
            for k in &keys {
                m.insert(k, 0);
            }
            let _armed = refuse_from(16 * 1024);
            eprintln!("armed");
            m.reserve(10_000);
        }
        "lru_insert" => {
            let mut m: LruMap<u64, u64> = LruMap::new(1 << 20);
            let _armed = refuse_from(64 * 1024);
            eprintln!("armed");
            for i in 0..100_000 {
                m.insert(i, i);
            }
        }
        "concurrent_insert" => {
            let m = leakless::ConcurrentMap::new();
            let _armed = refuse_from(64 * 1024);
            eprintln!("armed");
            for i in 0..100_000u64 {
                m.insert(i, i);
            }
        }
        other => panic!("unknown OOM_CASE {other}"),
    }
    eprintln!("returned");
    std::process::exit(0);
}
