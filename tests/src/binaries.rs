//! Where the hook binaries under test are: built once per test run by `make test`
//! (`cargo build --workspace --bins`) into the shared target directory.

use std::path::{Path, PathBuf};

/// The workspace root (the folder holding `Cargo.toml`, `tests/`, `functions/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ sits in the workspace").to_path_buf()
}

/// The path of a workspace binary built in the same profile as the running test.
pub fn binary(name: &str) -> PathBuf {
    // The test runs from target/<profile>/deps/<test>; the binaries sit in target/<profile>/.
    let exe = std::env::current_exe().expect("the test knows its own path");
    let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile>/deps");
    let path = profile_dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: build the hooks first with `cargo build --workspace --bins` (make test does)",
        path.display()
    );
    path
}
