//! Build script: gives the shared object libzmq's soname and regenerates the
//! C header from the Rust declarations in `src/capi/`.
//!
//! The header is written to `target/<profile>/zmq.h` on every build;
//! `make header` copies it to `include/zmq.h` and `make test` checks that the
//! committed copy is in sync.

use std::env;
use std::path::PathBuf;

fn main() {
    let target_os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" {
        // Programs linked against libzmq record libzmq.so.5; so must we.
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libzmq.so.5");
    }

    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=build.rs");

    let crate_dir =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    // OUT_DIR is target/<profile>/build/<pkg>-<hash>/out: the profile dir is
    // three levels up.
    let profile_dir = out_dir
        .ancestors()
        .nth(3)
        .map(PathBuf::from)
        .unwrap_or(out_dir.clone());

    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("cbindgen.toml is valid");
    match cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
    {
        Ok(bindings) => {
            bindings.write_to_file(profile_dir.join("zmq.h"));
        }
        Err(e) => {
            // A header that cannot be generated is a build error: the
            // committed header would silently go stale otherwise.
            panic!("cbindgen failed to generate zmq.h: {e}");
        }
    }
}
