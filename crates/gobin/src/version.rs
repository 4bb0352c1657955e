//! `GoVersion`: every Go-version decision goes through this one type.
