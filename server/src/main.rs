//! `agentry`: the server, and (later) the agent command line.

use clap::Parser;

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
