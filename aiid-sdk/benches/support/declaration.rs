// The benchmark declaration, shared by `aiid-sdk`'s `identity` bench and
// `scl-hash`'s `stream` bench (through `include!`), so both measure one shape.

/// A realistic raw-mode declaration of roughly `target` bytes.
fn declaration(target: usize) -> Vec<u8> {
    let mut doc = String::from(
        "SCL:V1\n\nhandles {\n  model(\"provider:example\",\"name:model-x\",\"snapshot:2026-01-01\")\n  params(\"temperature=0\",\"seed=42\")\n  context(\"doc:report.pdf\")\n}\nscl {\n",
    );
    let lines = [
        "You are a careful analyst. Summarise the attached report for the board.",
        "  - quote figures exactly as they appear, with \"page\" references",
        "  - if a figure is missing, write \"not reported\"; never estimate",
        "",
        "Context: the audience is non-technical; keep sentences short. Ünïcødé ✓",
    ];
    let mut i = 0;
    while doc.len() + 2 < target {
        doc.push_str(lines[i % lines.len()]);
        doc.push('\n');
        i += 1;
    }
    doc.push('}');
    doc.into_bytes()
}
