//! L4: `FinalizingMap` gives its table back too.
