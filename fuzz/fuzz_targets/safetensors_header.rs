//! `model.safetensors`'s header (the rows-on-demand path reads it before anything else), the
//! ranges it lays out, its row table, and every family's check of a config against it.
#![no_main]
use ja_rerank::ModelConfig;
use ja_rerank::load::Header;
use libfuzzer_sys::fuzz_target;

const CONFIGS: [&[u8]; 3] = [
    include_bytes!("../../fixtures/models/tiny/config.json"),
    include_bytes!("../../fixtures/models/mb-tiny/config.json"),
    include_bytes!("../../fixtures/models/bert-tiny/config.json"),
];

fuzz_target!(|data: &[u8]| {
    let Ok(size) = Header::size_from_prefix(data) else { return };
    assert!(size >= 8);
    let Ok(header) = Header::parse(data) else { return };
    assert!(header.tensors().iter().all(|t| t.bytes.start <= t.bytes.end && t.bytes.end <= header.file_len()));
    for range in header.ranges(|name| !name.contains("word"), 1 << 20) {
        assert!(range.start <= range.end && range.end <= header.file_len());
    }
    if let Some(t) = header.tensors().first()
        && let [rows, width] = t.shape[..]
        && let Ok(table) = header.row_table(&t.name, [rows, width])
        && rows > 0
    {
        assert!(table.bytes(rows as u32 - 1, 1).end <= header.file_len());
    }
    for config in CONFIGS {
        let config = ModelConfig::from_json(config).expect("a fixture's config");
        let _ = config.check_header(&header);
        let _ = config.eager_ranges(&header);
    }
});
