//! [`ConfigError`]: every problem names its key (a dotted path such as
//! `connections.acme.client_secret_env`) and where the value came from (a line of the file or an
//! environment variable). No message ever carries a secret's value.

use std::fmt;
use std::path::PathBuf;

/// Where a value (or the table that lacks it) came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Nowhere in particular: a default, or the file as a whole.
    File,
    /// A line of the configuration file, counted from 1.
    Line(usize),
    /// An environment variable that overrides the file.
    Env(String),
    /// A command-line flag, which overrides both.
    Flag(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File => Ok(()),
            Origin::Line(line) => write!(f, " (line {line})"),
            Origin::Env(var) => write!(f, " (from {var})"),
            Origin::Flag(flag) => write!(f, " (from {flag})"),
        }
    }
}

/// One thing wrong with the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The dotted key, e.g. `api_keys.voice-agent.permissions`.
    pub key: String,
    /// Where the bad value (or its table, when the key is missing) is.
    pub origin: Origin,
    /// What is wrong, lowercase, never quoting a secret.
    pub message: String,
}

impl Problem {
    pub(crate) fn new(key: impl Into<String>, origin: Origin, message: impl Into<String>) -> Self {
        Problem {
            key: key.into(),
            origin,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}: {}", self.key, self.origin, self.message)
    }
}

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file itself could not be read.
    #[error("cannot read config file {}: {source}", .path.display())]
    Read {
        /// The path given.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file was read but some values are wrong; all of them are listed.
    #[error("{}", ProblemList { file, problems })]
    Invalid {
        /// The file's name as given, for the report.
        file: String,
        /// Every problem found, in file order where possible.
        problems: Vec<Problem>,
    },
}

impl ConfigError {
    /// The problems found, empty for a [`ConfigError::Read`].
    pub fn problems(&self) -> &[Problem] {
        match self {
            ConfigError::Invalid { problems, .. } => problems,
            ConfigError::Read { .. } => &[],
        }
    }
}

struct ProblemList<'a> {
    file: &'a str,
    problems: &'a [Problem],
}

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        let s = if n == 1 { "" } else { "s" };
        write!(f, "{}: {n} configuration problem{s}", self.file)?;
        for problem in self.problems {
            write!(f, "\n  {problem}")?;
        }
        Ok(())
    }
}

/// Collects problems so one run reports all of them, not just the first.
#[derive(Debug, Default)]
pub(crate) struct Problems(pub(crate) Vec<Problem>);

impl Problems {
    pub(crate) fn push(
        &mut self,
        key: impl Into<String>,
        origin: Origin,
        message: impl Into<String>,
    ) {
        self.0.push(Problem::new(key, origin, message));
    }

    /// `Some(value)` on success; on failure records the problem and gives `None`.
    pub(crate) fn ok<T>(&mut self, result: Result<T, Problem>) -> Option<T> {
        result.map_err(|p| self.0.push(p)).ok()
    }
}
