//! `draw-stream`: thin entry point; everything lives in the library.

fn main() -> std::process::ExitCode {
    draw_stream::cli::main()
}
