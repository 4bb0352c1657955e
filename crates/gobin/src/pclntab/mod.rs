//! pclntab: functions, pc-value tables, inline trees, for every Go format.
