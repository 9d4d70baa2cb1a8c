//! The `azsm` binary: everything happens in [`azsm::run`].

fn main() {
    azsm::util::interrupt::install();
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
        leftovers: azsm::Leftovers::default(),
    };
    let status = azsm::run(std::env::args_os(), &mut io);
    // `io` is not dropped: `process::exit` runs no destructors, so what the
    // run left in `io.leftovers` goes back to the kernel with the process,
    // unfreed (see `azsm::Leftovers`). Standard output is flushed by the
    // run, and by `process::exit` too.
    std::process::exit(status);
}
