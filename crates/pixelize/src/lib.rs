//! pixelize (to be written).
