//! Decoders: vm.

use super::DecodeFn;

pub(super) fn decoder(_name: &str) -> Option<DecodeFn> {
    None
}
