//! The `brokersim` command: runs the simulator until it is killed (or stdin ends, with
//! `--stop-on-eof`), after printing one JSON line with its URLs and demo accounts.

use std::io::{self, Write};
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use brokersim::{LoggedRequest, Sim, SimOptions, SimTls};

/// The text `--help` and argument errors print.
const USAGE: &str = "\
Usage: brokersim [OPTIONS]

Runs an offline simulator of Indian brokers' REST APIs (Angel One SmartAPI; Noren OMS as
Kambala, Shoonya, Zebu, Tradesmart and Flattrade; Zerodha Kite Connect; Upstox; Fyers;
DhanHQ v2) on plain HTTP, or HTTPS with --tls. Prints one JSON line with the base URLs and the
demo accounts' credentials, then serves until killed.

Usage: brokersim browse LOGIN_URL

Acts as the user's browser on a simulated login page (broker_login_url's address, http://
only): prints the address it redirects to, which carries the login code. Exit status 1 if it
does not redirect.

Options:
  --host HOST           address to listen on (default 127.0.0.1)
  --port PORT           port to listen on; 0 picks a free one (default 0)
  --no-rate-limit       do not enforce the brokers' rate limits
  --token-ttl-secs N    lifetime of access tokens in seconds (default 28800; Zebu's at
                        most 3600)
  --keep-tokens-on-refresh
                        a refresh leaves the tokens it replaced valid until they expire
                        (default: it revokes them; the real brokers' behaviour is not
                        documented)
  --tls                 serve HTTPS (TLS 1.2 and 1.3) with a certificate for localhost,
                        127.0.0.1 and ::1 signed by a CA made at start; the startup line
                        gives the CA certificate's path as ca_file (a temporary file,
                        removed when brokersim stops on end of input)
  --allowed-ip [APP=]IP accept calls for the API app APP (Angel One api_key, Noren client_id,
                        Flattrade api_key; without APP=, every app) only from IP; repeat it
                        for more addresses. Other callers are refused as the brokers refuse
                        an unregistered static IP (Angel One AG7002, Noren INVALID_IP,
                        Flattrade an empty apitoken failure)
  --clock-offset-secs N run the brokers' clock N seconds ahead (negative: behind): moves
                        the Date header and the moment TOTP codes are checked against
  --shoonya-quickauth-open
                        keep Shoonya's QuickAuth open (default: closed since 2026-04-01,
                        answering 502)
  --flattrade-stat      Flattrade's apitoken says stat on success, as some replies do
                        (default: the documented status with an empty emsg)
  --stop-on-eof         stop when standard input reaches end of file
  --verbose             log each request (method, path, status) to standard error
  --help                print this help
";

/// What the command line asked for.
#[derive(Debug, PartialEq)]
enum Command {
    /// Print the usage and exit.
    Help,
    /// Run the simulator.
    Run(RunOptions),
    /// Follow a simulated login page and print where it redirects.
    Browse(String),
}

/// How to run the simulator.
#[derive(Debug, PartialEq)]
struct RunOptions {
    /// The simulator's options.
    sim: SimOptions,
    /// Stop when stdin reaches end of file.
    stop_on_eof: bool,
    /// Log each request to stderr.
    verbose: bool,
}

/// Parses the arguments (without the program name). Options take their value as the next
/// argument or after `=`.
fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut run = RunOptions {
        sim: SimOptions::default(),
        stop_on_eof: false,
        verbose: false,
    };
    let mut args = args.into_iter().peekable();
    if args.peek().is_some_and(|a| a == "browse") {
        args.next();
        return match (args.next(), args.next()) {
            (Some(url), None) => Ok(Command::Browse(url)),
            _ => Err("browse takes exactly one LOGIN_URL".to_string()),
        };
    }
    while let Some(arg) = args.next() {
        let (name, inline_value) = match arg.split_once('=') {
            Some((name, value)) => (name.to_owned(), Some(value.to_owned())),
            None => (arg.clone(), None),
        };
        let mut value = || {
            inline_value
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match name.as_str() {
            "--help" | "-h" => return Ok(Command::Help),
            "--host" => run.sim.host = value()?,
            "--port" => run.sim.port = parse_number(&name, &value()?)?,
            "--token-ttl-secs" => {
                run.sim.token_ttl = Duration::from_secs(parse_number(&name, &value()?)?);
            }
            "--allowed-ip" => {
                let value = value()?;
                let (app, ip) = value.split_once('=').unwrap_or(("*", value.as_str()));
                let ip = ip
                    .parse()
                    .map_err(|_| format!("{name}: not an IP address: {ip}"))?;
                run.sim
                    .allowed_ips
                    .entry(app.to_owned())
                    .or_default()
                    .push(ip);
            }
            "--clock-offset-secs" => run.sim.clock_offset_secs = parse_number(&name, &value()?)?,
            "--no-rate-limit"
            | "--keep-tokens-on-refresh"
            | "--shoonya-quickauth-open"
            | "--flattrade-stat"
            | "--stop-on-eof"
            | "--verbose"
            | "--tls"
                if inline_value.is_some() =>
            {
                return Err(format!("{name} takes no value"));
            }
            "--no-rate-limit" => run.sim.rate_limits = false,
            "--keep-tokens-on-refresh" => run.sim.revoke_on_refresh = false,
            "--shoonya-quickauth-open" => run.sim.shoonya_quickauth_open = true,
            "--flattrade-stat" => run.sim.flattrade_says_stat = true,
            "--tls" => run.sim.tls = Some(SimTls::Valid),
            "--stop-on-eof" => run.stop_on_eof = true,
            "--verbose" => run.verbose = true,
            _ => return Err(format!("unknown argument: {arg}")),
        }
    }
    Ok(Command::Run(run))
}

/// Parses the value of a numeric option.
fn parse_number<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{name}: not a valid number: {value}"))
}

/// One stderr line for `--verbose`.
fn log_line(request: &LoggedRequest) {
    eprintln!("{} {} {}", request.method, request.path, request.status);
}

/// Starts the simulator, prints the startup line and serves until told to stop.
fn run(options: RunOptions) -> ExitCode {
    let sim = match Sim::start_with(options.sim) {
        Ok(sim) => sim,
        Err(error) => {
            eprintln!("brokersim: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    if options.verbose {
        sim.set_request_listener(log_line);
    }
    let mut stdout = io::stdout().lock();
    if let Err(error) = writeln!(stdout, "{}", sim.startup_line()).and_then(|()| stdout.flush()) {
        eprintln!("brokersim: cannot write to standard output: {error}");
        return ExitCode::FAILURE;
    }
    drop(stdout);
    if options.stop_on_eof {
        // Reading errors end the wait just like end of file.
        let _ = io::copy(&mut io::stdin().lock(), &mut io::sink());
        drop(sim);
        return ExitCode::SUCCESS;
    }
    loop {
        thread::park();
    }
}

fn main() -> ExitCode {
    match parse_args(std::env::args().skip(1)) {
        Ok(Command::Help) => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Ok(Command::Run(options)) => run(options),
        Ok(Command::Browse(url)) => match brokersim::browse(&url) {
            Ok(location) => {
                println!("{location}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("brokersim browse: {error}");
                ExitCode::FAILURE
            }
        },
        Err(message) => {
            eprintln!("brokersim: {message}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, String> {
        parse_args(args.iter().map(|a| a.to_string()))
    }

    #[test]
    fn defaults_without_arguments() {
        let Ok(Command::Run(run)) = parse(&[]) else {
            panic!("expected Run");
        };
        assert_eq!(run.sim, SimOptions::default());
        assert!(!run.stop_on_eof && !run.verbose);
    }

    #[test]
    fn every_option_is_understood() {
        let parsed = parse(&[
            "--host",
            "0.0.0.0",
            "--port=8080",
            "--no-rate-limit",
            "--keep-tokens-on-refresh",
            "--token-ttl-secs",
            "60",
            "--stop-on-eof",
            "--verbose",
            "--tls",
            "--allowed-ip",
            "10.0.0.7",
            "--allowed-ip=demo-api-key=::1",
            "--clock-offset-secs",
            "-45",
            "--shoonya-quickauth-open",
            "--flattrade-stat",
        ]);
        let Ok(Command::Run(run)) = parsed else {
            panic!("expected Run");
        };
        assert_eq!(run.sim.host, "0.0.0.0");
        assert_eq!(run.sim.port, 8080);
        assert!(!run.sim.rate_limits);
        assert!(!run.sim.revoke_on_refresh);
        assert_eq!(run.sim.token_ttl, Duration::from_secs(60));
        assert!(run.stop_on_eof && run.verbose);
        assert_eq!(run.sim.tls, Some(SimTls::Valid));
        assert_eq!(
            run.sim.allowed_ips["*"],
            ["10.0.0.7".parse::<std::net::IpAddr>().unwrap()]
        );
        assert_eq!(
            run.sim.allowed_ips["demo-api-key"],
            ["::1".parse::<std::net::IpAddr>().unwrap()]
        );
        assert_eq!(run.sim.clock_offset_secs, -45);
        assert!(run.sim.shoonya_quickauth_open && run.sim.flattrade_says_stat);
    }

    #[test]
    fn help_and_errors() {
        assert_eq!(parse(&["--port", "1", "--help"]), Ok(Command::Help));
        assert_eq!(
            parse(&["browse", "http://x/y"]),
            Ok(Command::Browse("http://x/y".into()))
        );
        assert!(parse(&["browse"]).is_err());
        assert!(parse(&["browse", "a", "b"]).is_err());
        assert!(parse(&["--port"]).is_err());
        assert!(parse(&["--port", "70000"]).is_err());
        assert!(parse(&["--token-ttl-secs", "-1"]).is_err());
        assert!(parse(&["--verbose=yes"]).is_err());
        assert!(parse(&["--tls=yes"]).is_err());
        assert!(parse(&["--keep-tokens-on-refresh=yes"]).is_err());
        assert!(parse(&["--bogus"]).is_err());
        assert!(parse(&["--allowed-ip", "not-an-ip"]).is_err());
        assert!(parse(&["--flattrade-stat=yes"]).is_err());
    }
}
