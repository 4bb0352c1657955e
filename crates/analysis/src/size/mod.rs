//! Where the bytes of a binary go: every byte of the file is given one
//! kind (code, pclntab, DWARF, headers...), one place (a section or a
//! container structure) and one owner (a Go package, or a named shared
//! pool such as string literals), so that every view adds up to the file
//! size exactly.
//!
//! The attribution is a set of claims on file ranges at a few priority
//! levels; a higher level wins where claims overlap, and bytes nobody
//! claims become padding (zeros) or an explicit "unattributed" row:
//!
//! 1. container structures: ELF header, program and section header
//!    tables; Mach-O header, load commands and the `__LINKEDIT` tables;
//! 2. Go structures read from the file itself, so stripped binaries get the
//!    same answer: function bodies and their alignment fill (pclntab and the
//!    end of each function's pc/sp table), the pclntab's own pieces per
//!    function (record, name, pc-value tables, file table per compilation
//!    unit), funcdata blobs, `findfunctab`, the type-descriptor range from
//!    moduledata, and symbol-table entries per symbol name;
//! 3. symbols with a size (ELF), or the span to the next symbol (Mach-O,
//!    whose symbols carry no size, as `go tool nm` does);
//! 4. the span after a zero-size container symbol (`go:string.*`, `type:*`);
//! 5. the rest of each section, by the section's kind.
//!
//! Every layout is read by `gobin` (the container's structures, the
//! pclntab's parts, moduledata); this module only decides who owns what.
//! The files: `report.rs` holds the report types, `claims.rs` the claims
//! and their resolution, `container.rs` and `go.rs` the claims of each
//! level, `owners.rs` the package and pool names, `tally.rs` the sums.

mod claims;
mod container;
mod go;
mod owners;
mod report;
mod tally;

pub use owners::package_of;
pub use report::{Class, Kind, KindRow, ModuleRow, PackageRow, SectionRow, SizeReport};

use gobin::container::Binary;
use gobin::{Error, GoBinary};

/// Measures a file. Fat Mach-O files are refused (measure one slice).
pub fn measure(data: &[u8]) -> Result<SizeReport, Error> {
    if gobin::container::is_fat(data) {
        return Err(Error::Format(
            "fat Mach-O: measure one architecture slice (lipo -thin)".into(),
        ));
    }
    let bin = Binary::parse(data)?;
    match GoBinary::from_binary(bin) {
        Ok(go) => Ok(measure_go(&go)),
        Err(e) => {
            let bin = Binary::parse(data)?;
            let mut r = measure_binary(&bin, None);
            r.notes.push(format!("no Go function table: {e}"));
            Ok(r)
        }
    }
}

/// Measures a parsed Go binary.
pub fn measure_go(go: &GoBinary<'_>) -> SizeReport {
    measure_binary(&go.bin, Some(go))
}

fn measure_binary(bin: &Binary<'_>, go: Option<&GoBinary<'_>>) -> SizeReport {
    let data = bin.data();
    let mut b = claims::Builder::new(data);
    container::claim_structures(&mut b, bin);
    let (rows, bss_memory) = container::claim_sections(&mut b, bin);
    let stripped = bin.symbols().is_empty();
    container::claim_symbols(&mut b, bin);
    container::claim_symbol_table(&mut b, bin);
    let code = go.map(|go| go::claim(&mut b, go)).unwrap_or_default();
    let attribution = match (go.is_some(), stripped) {
        (true, true) => "pclntab",
        (true, false) => "pclntab+symbols",
        (false, true) => "sections",
        (false, false) => "symbols",
    };
    if go.is_none() && stripped {
        b.notes.push(
            "no symbols and no Go function table: bytes are attributed by section only".into(),
        );
    }
    if stripped && go.is_some() {
        b.notes.push(
            "stripped: data, rodata and string literals are not attributed to packages (no symbols)"
                .into(),
        );
    }
    b.notes.push(
        "string literals and type descriptors are shared pools: the binary does not record which package they came from"
            .into(),
    );
    let resolved = b.resolve();
    let info = go.and_then(|g| gobin::buildinfo::read(&g.bin).ok().flatten());
    let views = tally::views(&resolved, rows, bss_memory, &code, info.as_ref());
    let mut notes = resolved.notes;
    let guessed = views
        .packages
        .iter()
        .filter(|p| p.module.as_deref().is_some_and(|m| m.starts_with('~')))
        .count();
    if guessed > 0 {
        notes.push(format!(
            "{guessed} packages are in no module the build info lists (GOPATH or vendored build): their module, marked ~, is guessed from the import path"
        ));
    }
    // A truncation comes first: every other figure is short because of it.
    if let Some(t) = &bin.truncation {
        notes.insert(0, bin.truncation_warning(t));
    }
    if let Some(go) = go {
        let skip = usize::from(bin.truncation.is_some());
        notes.extend(
            go.warnings
                .iter()
                .skip(skip)
                .map(|w| format!("pclntab: {w}")),
        );
    }
    SizeReport {
        file_size: data.len() as u64,
        format: bin.format,
        arch: bin.arch.name(),
        os: bin.os.name(),
        go_version: go.and_then(|g| g.version).map(|v| v.to_string()),
        attribution,
        kinds: views.kinds,
        sections: views.sections,
        packages: views.packages,
        modules: views.modules,
        notes,
    }
}
