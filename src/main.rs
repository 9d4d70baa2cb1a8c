//! The `azsm` binary: everything happens in [`azsm::run`].

fn main() {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let mut out = stdout.lock();
    let mut err = stderr.lock();
    let mut io = azsm::Io {
        stdout: &mut out,
        stderr: &mut err,
        stdin: Some(Box::new(std::io::stdin())),
        terminal: azsm::real_terminal(),
    };
    let status = azsm::run(std::env::args_os(), &mut io);
    drop(io);
    std::process::exit(status);
}
