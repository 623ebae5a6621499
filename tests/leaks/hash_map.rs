//! L1: `leakless::HashMap` gives its table back.
