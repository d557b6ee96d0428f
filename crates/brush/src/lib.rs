//! brush (to be written).
