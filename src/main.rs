//! The `azsm` binary: everything happens in [`azsm::run`].

fn main() {
    azsm::interrupt::install();
    // Not locked for the whole run: the per-event writer writes to it from
    // a thread of its own.
    let mut out = std::io::stdout();
    // Not locked for the whole run: the Ctrl-C handler writes to it too.
    let mut err = std::io::stderr();
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
