//! Subcommands of `canopy-ingest`; without one it runs the server.

use std::path::PathBuf;

use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Source maps of app builds, for symbolicating their errors.
    #[command(subcommand)]
    Sourcemaps(SourcemapsCommand),
}

#[derive(Debug, Subcommand)]
pub enum SourcemapsCommand {
    /// Uploads every `*.map` under a build's output directory, each for the
    /// file it is named after (`assets/cart.js.map` → `assets/cart.js`).
    Upload(UploadArgs),
}

#[derive(Debug, Clone, Args)]
pub struct UploadArgs {
    /// The app, as it registers.
    #[arg(long)]
    pub app: String,
    /// The app version, as it registers.
    #[arg(long = "version")]
    pub app_version: String,
    /// The ingest server.
    #[arg(long, env = "CANOPY_SERVER", default_value = "http://127.0.0.1:8787")]
    pub server: String,
    /// `sourcemaps.upload_token` of the server.
    #[arg(long, env = "CANOPY_SOURCEMAPS_TOKEN", hide_env_values = true)]
    pub token: String,
    /// The build's output directory.
    pub dir: PathBuf,
}
