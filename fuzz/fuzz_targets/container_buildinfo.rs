//! Container, layout, symbol-table, import and build info readers on
//! arbitrary bytes: `inspect` must
//! return a report or an error, never panic, hang or allocate hugely.
//! Seed the corpus with the fixtures: `cp ../tests/fixtures/bin/*-go* corpus/container_buildinfo/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(report) = gobin::report::inspect(data) {
        // Serializing walks every field the command prints.
        let _ = serde_json::to_string(&report);
    }
    if let Ok(obj) = gobin::symtab::ObjFile::parse(data) {
        let _ = obj.symtab.lookup(obj.text_addr);
    }
    for slice in gobin::container::slices(data).unwrap_or_default() {
        if let Ok(bin) = gobin::Binary::parse(slice.data) {
            let _ = gobin::buildinfo::read(&bin);
            let _ = bin.layout();
            let _ = gobin::imports::Stubs::read(&bin).import_at(bin.entry);
            for s in bin.sections() {
                let _ = bin.section_data(s);
            }
        }
    }
});
