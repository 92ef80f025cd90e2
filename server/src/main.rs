//! `agentry`: the server, and (later) the agent command line.

use clap::Parser;

/// mimalloc rather than glibc's malloc: measured in docs/PERFORMANCE.md ("Agent directory").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = agentry_server::cli::Cli::parse();
    match agentry_server::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("agentry: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
