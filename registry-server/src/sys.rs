//! Operating-system settings: the data directory's permissions, the umask
//! around database file creation, and the open-file limit.

use crate::ServerError;
use std::path::Path;

/// Sets the umask to 077 for the duration of `f` (files SQLite creates —
/// the database, `-wal`, `-shm`, journals — are then 0600 from birth), and
/// restores it afterwards. The umask is process-wide: other threads
/// creating files meanwhile also get owner-only modes, which is harmless.
#[cfg(unix)]
pub fn with_private_umask<T>(f: impl FnOnce() -> T) -> T {
    use rustix::fs::Mode;
    let old = rustix::process::umask(Mode::from_raw_mode(0o077));
    let out = f();
    rustix::process::umask(old);
    out
}

/// Non-Unix: no umask.
#[cfg(not(unix))]
pub fn with_private_umask<T>(f: impl FnOnce() -> T) -> T {
    f()
}

/// Creates `dir` when missing, then makes sure nothing in it is readable,
/// writable or searchable by group or others: the directory 0700, every
/// regular file directly in it 0600, every subdirectory 0700, whatever
/// their modes were. Each mode it tightens is reported on standard error.
/// Symbolic links are not followed (their targets are left alone and
/// reported).
pub fn secure_data_dir(dir: &Path) -> Result<(), ServerError> {
    let io = |what: &str, p: &Path| {
        let ctx = format!("{what} {}", p.display());
        move |source| ServerError::Io {
            context: ctx,
            source,
        }
    };
    if !dir.exists() {
        with_private_umask(|| std::fs::create_dir_all(dir)).map_err(io("creating", dir))?;
    }
    refuse_shared(dir)?;
    tighten(dir, 0o700)?;
    for entry in std::fs::read_dir(dir).map_err(io("listing", dir))? {
        let entry = entry.map_err(io("listing", dir))?;
        let path = entry.path();
        let meta = std::fs::symlink_metadata(&path).map_err(io("inspecting", &path))?;
        if meta.is_dir() {
            tighten(&path, 0o700)?;
        } else if meta.is_file() {
            tighten(&path, 0o600)?;
        } else if meta.file_type().is_symlink() {
            eprintln!(
                "aiid registry: warning: {} is a symbolic link; its target's permissions are not managed",
                path.display()
            );
        }
    }
    Ok(())
}

/// A directory with the sticky bit (`/tmp` and the like) is shared by
/// design: never take it over as a data directory.
#[cfg(unix)]
fn refuse_shared(dir: &Path) -> Result<(), ServerError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(dir).map_err(|source| ServerError::Io {
        context: format!("inspecting {}", dir.display()),
        source,
    })?;
    if !meta.is_dir() {
        return Err(ServerError::Config(format!(
            "{} is not a directory",
            dir.display()
        )));
    }
    if meta.permissions().mode() & 0o1000 != 0 {
        return Err(ServerError::Config(format!(
            "{} is a shared directory (sticky bit); use a directory of its own for the registry data",
            dir.display()
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn refuse_shared(_: &Path) -> Result<(), ServerError> {
    Ok(())
}

#[cfg(unix)]
fn tighten(p: &Path, want: u32) -> Result<(), ServerError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::symlink_metadata(p).map_err(|source| ServerError::Io {
        context: format!("inspecting {}", p.display()),
        source,
    })?;
    let mode = meta.permissions().mode() & 0o7777;
    if mode == want {
        return Ok(());
    }
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(want)).map_err(|source| {
        ServerError::Io {
            context: format!("setting permissions of {}", p.display()),
            source,
        }
    })?;
    if mode & 0o7077 != 0 {
        eprintln!(
            "aiid registry: tightened permissions of {} from {mode:04o} to {want:04o}",
            p.display()
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn tighten(_: &Path, _: u32) -> Result<(), ServerError> {
    Ok(())
}

/// Raises the soft open-file limit to the hard limit (capped at 1 048 576)
/// and returns the soft limit in force afterwards (`None` when unknown or
/// unlimited).
#[cfg(unix)]
pub fn raise_nofile_limit() -> Option<u64> {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    const CAP: u64 = 1 << 20;
    let cur = getrlimit(Resource::Nofile);
    let target = cur.maximum.unwrap_or(CAP).min(CAP);
    if cur.current.is_some_and(|c| c < target) {
        let _ = setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(target),
                maximum: cur.maximum,
            },
        );
    }
    getrlimit(Resource::Nofile).current
}

/// Non-Unix: unknown.
#[cfg(not(unix))]
pub fn raise_nofile_limit() -> Option<u64> {
    None
}
