//! Standalone registry server (the same as `aiid registry serve`):
//! `registry-server --listen 127.0.0.1:PORT (--data DIR | --database postgres://USER@HOST:PORT/DB)
//! [--issuer URL]
//! [--rate-limit-unauthenticated N] [--rate-limit-verify N] [--rate-limit-whois N]
//! [--header-read-timeout D] [--body-read-timeout D] [--idle-timeout D]
//! [--max-connections N] [--max-connections-per-ip N] [--max-header-bytes N]
//! [--trusted-proxy ADDR[/BITS]]... [--shutdown-timeout D] [--db-busy-timeout D]`
//! (durations like `500ms`, `10s`, `5m`). Prints `listening on <url> issuer <iss>` once bound.

extern crate aiid_registry_server as registry_server;
use registry_server::{serve_blocking, ServerConfig};
use std::io::Write as _;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut listen = None;
    let mut cfg = ServerConfig::new("");
    let mut data = None;
    let mut database = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next();
        let Some(v) = v else {
            eprintln!("registry-server: {a} needs a value");
            return ExitCode::from(2);
        };
        let r: Result<(), String> = match a.as_str() {
            "--listen" => v
                .parse()
                .map(|s| listen = Some(s))
                .map_err(|e| format!("--listen: {e}")),
            "--data" => {
                data = Some(v);
                Ok(())
            }
            "--database" => registry_server::pg::parse_database_url(&v)
                .map(|_| database = Some(v))
                .map_err(|e| format!("--database: {e}")),
            flag => match cfg.set_option(flag, &v) {
                Ok(true) => Ok(()),
                Ok(false) => Err(format!("unknown argument {flag}")),
                Err(e) => Err(e),
            },
        };
        if let Err(e) = r {
            eprintln!("registry-server: {e}");
            return ExitCode::from(2);
        }
    }
    let Some(listen) = listen else {
        eprintln!("registry-server: --listen is required");
        return ExitCode::from(2);
    };
    match (data, database) {
        (Some(data), None) => cfg.data_dir = data.into(),
        (None, Some(url)) => cfg.database = Some(url),
        _ => {
            eprintln!("registry-server: exactly one of --data and --database is required");
            return ExitCode::from(2);
        }
    }
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
