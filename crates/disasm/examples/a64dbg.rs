//! Development aid: print yaxpeax's view of arm64 words given in hex.
use yaxpeax_arch::{Decoder as _, U8Reader};
use yaxpeax_arm::armv8::a64::InstDecoder;
fn main() {
    for w in std::env::args().skip(1) {
        let v = u32::from_str_radix(&w, 16).unwrap().to_le_bytes();
        let mut r = U8Reader::new(&v);
        match InstDecoder::default().decode(&mut r) {
            Ok(i) => println!("{w} {i}  {:?} {:?}", i.opcode, i.operands),
            Err(e) => println!("{w} ERR {e:?}"),
        }
    }
}
