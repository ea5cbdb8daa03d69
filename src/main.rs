fn main() -> std::process::ExitCode {
    golden::cli::main()
}
