//! Standalone registry server (the same as `aiid registry serve`):
//! `registry-server --listen 127.0.0.1:PORT --data DIR [--issuer URL]
//! [--rate-limit-unauthenticated N] [--rate-limit-verify N] [--rate-limit-whois N]`.
//! Prints `listening on <url> issuer <iss>` once bound.
#![forbid(unsafe_code)]

extern crate aiid_registry_server as registry_server;
use registry_server::{serve_blocking, ServerConfig};
use std::io::Write as _;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut listen = None;
    let mut cfg = ServerConfig::new("");
    let mut data = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next();
        let Some(v) = v else {
            eprintln!("registry-server: {a} needs a value");
            return ExitCode::from(2);
        };
        let num = |v: &str| v.parse::<u32>().map_err(|e| format!("{a}: {e}"));
        let r: Result<(), String> = match a.as_str() {
            "--listen" => v
                .parse()
                .map(|s| listen = Some(s))
                .map_err(|e| format!("--listen: {e}")),
            "--data" => {
                data = Some(v);
                Ok(())
            }
            "--issuer" => {
                cfg.issuer = Some(v);
                Ok(())
            }
            "--rate-limit-unauthenticated" => {
                num(&v).map(|n| cfg.rate_limits.unauthenticated_per_min = n)
            }
            "--rate-limit-verify" => num(&v).map(|n| cfg.rate_limits.verify_per_min = n),
            "--rate-limit-whois" => num(&v).map(|n| cfg.rate_limits.whois_per_min = n),
            other => Err(format!("unknown argument {other}")),
        };
        if let Err(e) = r {
            eprintln!("registry-server: {e}");
            return ExitCode::from(2);
        }
    }
    let (Some(listen), Some(data)) = (listen, data) else {
        eprintln!("registry-server: --listen and --data are required");
        return ExitCode::from(2);
    };
    cfg.data_dir = data.into();
    match serve_blocking(listen, cfg, |url, iss| {
        println!("listening on {url} issuer {iss}");
        let _ = std::io::stdout().flush();
    }) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("registry-server: {e}");
            ExitCode::from(2)
        }
    }
}
