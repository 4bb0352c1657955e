//! The whole-binary report behind `rabbithole inspect`.
