//! donationalerts (to be written).
