//! The library's error type: every variant names the program, URL, file or step
//! it is about, so a failure reads as a sentence a user can act on.

use std::path::PathBuf;

/// Anything the harness can fail at.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A real program could not be installed or found.
    #[error("{program}: {message}")]
    Toolchain { program: String, message: String },

    /// A program exited or never became ready; `log_tail` holds its last log lines.
    #[error("{program} did not start: {message}\n--- last lines of {log} ---\n{log_tail}")]
    Start {
        program: String,
        message: String,
        log: PathBuf,
        log_tail: String,
    },

    /// An HTTP exchange with a program went wrong.
    #[error("{program}: {url}: {message}")]
    Http {
        program: String,
        url: String,
        message: String,
    },

    /// A scenario, realm export or Dex config that does not parse or validate.
    #[error("{}: {message}", location(file, *line, *column))]
    Input {
        file: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },

    /// A step could not be done (the harness, or a program, broke);
    /// `evidence` says what the programs showed.
    #[error("step `{step}`: {message}{}", evidence_block(evidence))]
    Step {
        step: String,
        message: String,
        evidence: String,
    },

    /// The chain answered otherwise than the scenario expects: a claim, a
    /// page, a log line, an answer; `evidence` says what the programs showed.
    #[error("step `{step}`: {message}{}", evidence_block(evidence))]
    Expectation {
        step: String,
        message: String,
        evidence: String,
    },

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Whose fault an error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Your file is wrong (located in it).
    Input,
    /// The harness, or a program it runs, broke.
    Harness,
    /// The chain answered differently from what the scenario expects.
    Expectation,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kind::Input => "input",
            Kind::Harness => "harness",
            Kind::Expectation => "expectation",
        })
    }
}

fn location(file: &std::path::Path, line: usize, column: usize) -> String {
    match (line, column) {
        (0, _) => file.display().to_string(),
        (l, 0) => format!("{}:{l}", file.display()),
        (l, c) => format!("{}:{l}:{c}", file.display()),
    }
}

fn evidence_block(evidence: &str) -> String {
    if evidence.is_empty() {
        String::new()
    } else {
        format!("\n--- evidence ---\n{evidence}")
    }
}

/// Attaches a context sentence to an `io::Error`.
pub trait IoContext<T> {
    fn context(self, context: impl FnOnce() -> String) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn context(self, context: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| Error::Io {
            context: context(),
            source,
        })
    }
}

impl Error {
    pub fn toolchain(program: &str, message: impl Into<String>) -> Self {
        Error::Toolchain {
            program: program.into(),
            message: message.into(),
        }
    }

    pub fn http(program: &str, url: impl ToString, message: impl ToString) -> Self {
        Error::Http {
            program: program.into(),
            url: url.to_string(),
            message: message.to_string(),
        }
    }

    /// A user's or a scenario's file that is wrong at `line`:`column` (0: unknown).
    pub fn input(
        file: &std::path::Path,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> Self {
        Error::Input {
            file: file.to_path_buf(),
            line,
            column,
            message: message.into(),
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            Error::Input { .. } => Kind::Input,
            Error::Expectation { .. } => Kind::Expectation,
            _ => Kind::Harness,
        }
    }

    /// What the chain showed is not what the scenario expects.
    pub fn expectation(step: &str, message: impl Into<String>) -> Self {
        Error::Expectation {
            step: step.into(),
            message: message.into(),
            evidence: String::new(),
        }
    }

    pub fn step(step: &str, message: impl Into<String>) -> Self {
        Error::Step {
            step: step.into(),
            message: message.into(),
            evidence: String::new(),
        }
    }
}
