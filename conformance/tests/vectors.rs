//! Every SCL:V1 vector as its own test against this project's engine, in
//! process. `cargo test -p conformance --test vectors -- ID` filters by id.

use conformance::{check_vector, Answer, Strictness, VectorFile};
use libtest_mimic::{Arguments, Failed, Trial};

fn our_answer(input: &[u8]) -> Result<Answer, conformance::RunError> {
    let line = aiid::engine::respond(input);
    serde_json::from_str(&line).map_err(|e| conformance::RunError::BadOutput {
        message: e.to_string(),
        stdout: line,
    })
}

fn main() {
    let args = Arguments::from_args();
    let file = VectorFile::scl_v1().expect("the shipped vector file is valid");
    let trials = file
        .vectors
        .into_iter()
        .map(|v| {
            Trial::test(v.id.clone(), move || {
                check_vector(&v, Strictness::Full, our_answer).map_err(|diff| {
                    Failed::from(format!("{}\n{}\ninput: {:?}", v.description, diff, v.input))
                })
            })
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
