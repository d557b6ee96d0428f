//! hud (to be written).
