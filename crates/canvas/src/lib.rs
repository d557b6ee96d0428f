//! canvas (to be written).
