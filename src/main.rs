use clap::Parser;
use iopsim::cli::Cli;

fn main() {
    let cli = Cli::parse();
    match iopsim::commands::dispatch(cli) {
        Ok(()) => {}
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(iopsim::commands::exit_code(&e));
        }
    }
}
