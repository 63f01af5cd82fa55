//! Load for the greeting protocol: many clients at once, and how long each of them waited. The engine of the
//! `greet-load` program, which compares the servers of lessons 02 and 03 (and a Python one).
//!
//! Every client is a thread: it connects, waits for `Welcome`, then for each round writes a line
//! `client-I-R`, reads the reply and checks that it is exactly `Hello, client-I-R!`; then it sends `exit`.
//! All clients are released together by a [`Barrier`], so the server really has them all at once.
//!
//! Two waits are measured, and reported as percentiles, not averages:
//! - a *round trip*: from writing a line to having read its reply (the server's speed once it listens);
//! - the *wait for `Welcome`*: from `connect` to the greeting. A one-at-a-time server leaves the later
//!   clients in the listen backlog until the earlier ones are done: this is where queueing shows.
//!
//! Why p50, p99 and max: an average hides the clients who waited. If 99 clients are greeted at once and one
//! waits a second, the average says "10 ms" and nobody waited 10 ms. The median (p50) is the typical client,
//! p99 the unlucky one in a hundred, and max the worst; a queue makes them far apart.
//!
//! Nothing grows with the length of a run: waits go into a [`Histogram`] of fixed size, replies are read at
//! most [`MAX_REPLY`] bytes at a time, and every socket has a timeout, so a silent server fails the tool.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Barrier, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

use crate::greeting::{BUSY, EXIT, WELCOME, hello};
use crate::trace::is_timeout;

/// The longest reply line read, `\n` included: `Hello, client-1999-999999!` is 27 bytes. A server sending
/// endless bytes without a newline is a failure, not a reason to fill the memory.
pub const MAX_REPLY: u64 = 1024;

/// How long the run is: so many rounds per client, or rounds until a time is up.
#[derive(Debug, Clone, Copy)]
pub enum Length {
    Rounds(u32),
    Time(Duration),
}

/// What to run against which server.
#[derive(Debug, Clone)]
pub struct Plan {
    pub addr: SocketAddr,
    pub clients: u32,
    pub length: Length,
    /// The longest a client waits for the connection, for any read and for any write.
    pub timeout: Duration,
}

/// What a run measured. A client ends turned away, failed, or done; `greeted` counts those that got
/// `Welcome`, including the ones that failed later.
#[derive(Debug)]
pub struct Report {
    pub clients: u32,
    pub greeted: u64,
    pub turned_away: u64,
    pub failed: u64,
    /// The first failure in time, e.g. `client 3: waiting for the reply to client-3-0: no answer within 1s`.
    pub first_error: Option<String>,
    pub round_trips: u64,
    /// From the moment the clients are released to the moment the last one is done.
    pub elapsed: Duration,
    pub round_trip: Histogram,
    pub welcome_wait: Histogram,
}

/// What the client threads share: atomics, so that no client ever waits for another to record a number.
#[derive(Default)]
struct Tally {
    greeted: AtomicU64,
    round_trips: AtomicU64,
    round_trip: Histogram,
    welcome_wait: Histogram,
    first_error: OnceLock<String>,
}

/// Runs `plan`: starts the clients, releases them together, waits for them all.
pub fn run(plan: &Plan) -> Result<Report> {
    let tally = Arc::new(Tally::default());
    // Everyone waits here, this thread too, so the clock starts when the last client is ready.
    let start = Arc::new(Barrier::new(plan.clients as usize + 1));
    let mut handles = Vec::with_capacity(plan.clients as usize);
    for i in 0..plan.clients {
        let (plan, tally, start) = (plan.clone(), Arc::clone(&tally), Arc::clone(&start));
        // A client needs little stack; 256 KiB instead of std's 2 MiB keeps 2000 of them light. If a thread
        // cannot start, we return the error: the process ends, and the clients waiting at the barrier too.
        let handle = thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                start.wait();
                let outcome = client(i, &plan, &tally);
                if let Err(err) = &outcome {
                    let _ = tally.first_error.set(format!("client {i}: {err:#}"));
                }
                outcome
            })
            .with_context(|| {
                format!("starting client thread {i} (too many --clients for this machine?)")
            })?;
        handles.push(handle);
    }
    start.wait();
    let started = Instant::now();
    let (mut turned_away, mut failed) = (0, 0);
    for handle in handles {
        match handle.join() {
            Ok(Ok(Greeting::Welcome)) => {}
            Ok(Ok(Greeting::Busy)) => turned_away += 1,
            // A panicking client would be a bug in this file, not the server's doing; count it, don't crash.
            Ok(Err(_)) | Err(_) => failed += 1,
        }
    }
    let elapsed = started.elapsed();
    let tally = Arc::into_inner(tally).context("a client thread outlived its join")?;
    Ok(Report {
        clients: plan.clients,
        greeted: tally.greeted.into_inner(),
        turned_away,
        failed,
        first_error: tally.first_error.into_inner(),
        round_trips: tally.round_trips.into_inner(),
        elapsed,
        round_trip: tally.round_trip,
        welcome_wait: tally.welcome_wait,
    })
}

/// The first line a server sent.
enum Greeting {
    Welcome,
    Busy,
}

/// One client's session: connect, `Welcome` (or `busy`), the rounds, `exit`.
fn client(i: u32, plan: &Plan, tally: &Tally) -> Result<Greeting> {
    let connecting = Instant::now();
    let stream = TcpStream::connect_timeout(&plan.addr, plan.timeout).map_err(|err| {
        let advice = if is_timeout(&err) {
            "no answer to the handshake: a full backlog, a firewall, or a wrong address?"
        } else {
            "is the server running, on this address?"
        };
        anyhow!("connecting to {}: {err} - {advice}", plan.addr)
    })?;
    stream.set_read_timeout(Some(plan.timeout))?;
    stream.set_write_timeout(Some(plan.timeout))?;
    let (mut reader, mut writer) = (BufReader::new(&stream), &stream);
    let mut line = Vec::new();
    read_line(&mut reader, &mut line, plan.timeout).context("waiting for `Welcome`")?;
    match line.as_slice() {
        greeted if greeted == WELCOME.as_bytes() => {}
        busy if busy == BUSY.as_bytes() => return Ok(Greeting::Busy),
        other => bail!(
            "expected `Welcome`, got {:?}",
            String::from_utf8_lossy(other)
        ),
    }
    tally.welcome_wait.record(connecting.elapsed());
    tally.greeted.fetch_add(1, Relaxed);

    // Time counts from the release: a client that queued for its `Welcome` past it sends `exit` at once,
    // so a run takes about that long whatever the server does.
    let more = |round: u32| match plan.length {
        Length::Rounds(rounds) => round < rounds,
        Length::Time(time) => connecting.elapsed() < time,
    };
    let mut round = 0;
    while more(round) {
        let name = format!("client-{i}-{round}");
        let sent = Instant::now();
        writer
            .write_all(format!("{name}\n").as_bytes())
            .with_context(|| format!("sending {name}"))?;
        read_line(&mut reader, &mut line, plan.timeout)
            .with_context(|| format!("waiting for the reply to {name}"))?;
        let expected = hello(&name);
        if line != expected.as_bytes() {
            bail!(
                "sent {name}, expected {expected:?}, got {:?}",
                String::from_utf8_lossy(&line)
            );
        }
        tally.round_trip.record(sent.elapsed());
        tally.round_trips.fetch_add(1, Relaxed);
        round += 1;
    }
    writer
        .write_all(format!("{EXIT}\n").as_bytes())
        .context("sending exit")?;
    Ok(Greeting::Welcome)
}

/// Reads one line into `line`, `\n` included, at most [`MAX_REPLY`] bytes; anything else is an error.
fn read_line(reader: &mut impl BufRead, line: &mut Vec<u8>, timeout: Duration) -> Result<()> {
    line.clear();
    match reader.take(MAX_REPLY).read_until(b'\n', line) {
        Err(err) if is_timeout(&err) => bail!("no answer within {timeout:?} (raise --timeout?)"),
        Err(err) => return Err(err.into()),
        Ok(0) => bail!("the server closed the connection"),
        Ok(_) if line.ends_with(b"\n") => {}
        Ok(n) if n as u64 == MAX_REPLY => bail!("a line longer than {MAX_REPLY} bytes"),
        Ok(_) => bail!(
            "the server closed the connection after {:?}",
            String::from_utf8_lossy(line)
        ),
    }
    Ok(())
}

/// Durations below this many microseconds have a bucket each: exact.
const EXACT: u64 = 128;
/// Above [`EXACT`], each doubling (128-255 µs, 256-511 µs, ...) is split into 64 buckets, so a bucket is at
/// most 1/64 of its values wide: every percentile is within 1.6%. That is the HdrHistogram idea, made small.
const PER_DOUBLING: u64 = 64;
/// Values from 2^31 µs (36 minutes) up share the last bucket; the timeout is capped far below that.
const TOP_BIT: u64 = 31;
const BUCKETS: usize = (EXACT + (TOP_BIT - 7) * PER_DOUBLING) as usize;

/// Counts of durations in 1664 buckets (13 KiB), however many are recorded, from any number of threads.
#[derive(Debug)]
pub struct Histogram {
    counts: Vec<AtomicU64>,
    /// The exact worst value, in microseconds: the bucket would only give it within 1.6%.
    max: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            max: AtomicU64::new(0),
        }
    }
}

impl Histogram {
    pub fn record(&self, wait: Duration) {
        let micros = u64::try_from(wait.as_micros()).unwrap_or(u64::MAX);
        self.counts[bucket(micros)].fetch_add(1, Relaxed);
        self.max.fetch_max(micros, Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.counts.iter().map(|count| count.load(Relaxed)).sum()
    }

    /// The value `percent` of the recorded values are at or below (the top of its bucket, or the max);
    /// `None` when nothing was recorded.
    pub fn percentile(&self, percent: f64) -> Option<Duration> {
        let rank = ((percent / 100.0 * self.count() as f64).ceil() as u64).max(1);
        let mut seen = 0;
        let index = self.counts.iter().position(|count| {
            seen += count.load(Relaxed);
            seen >= rank
        })?;
        Some(Duration::from_micros(
            bucket_top(index).min(self.max.load(Relaxed)),
        ))
    }

    pub fn max(&self) -> Option<Duration> {
        (self.count() > 0).then(|| Duration::from_micros(self.max.load(Relaxed)))
    }
}

/// The bucket of a value: itself below [`EXACT`], else its doubling and its top 6 bits after the leading 1.
fn bucket(micros: u64) -> usize {
    if micros < EXACT {
        return micros as usize;
    }
    let micros = micros.min((1 << TOP_BIT) - 1);
    let doubling = u64::from(63 - micros.leading_zeros()); // 7 for 128..=255
    let shift = doubling - 6;
    (EXACT + (doubling - 7) * PER_DOUBLING + ((micros >> shift) - PER_DOUBLING)) as usize
}

/// The largest value that falls into bucket `index`.
fn bucket_top(index: usize) -> u64 {
    let index = index as u64;
    if index < EXACT {
        return index;
    }
    let (doubling, sub) = (
        7 + (index - EXACT) / PER_DOUBLING,
        (index - EXACT) % PER_DOUBLING,
    );
    ((PER_DOUBLING + sub + 1) << (doubling - 6)) - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(micros: impl IntoIterator<Item = u64>) -> Histogram {
        let histogram = Histogram::default();
        micros
            .into_iter()
            .for_each(|m| histogram.record(Duration::from_micros(m)));
        histogram
    }

    fn micros(value: Option<Duration>) -> u64 {
        value.expect("a value").as_micros() as u64
    }

    #[test]
    fn small_values_are_exact() {
        let histogram = of(1..=100);
        assert_eq!(histogram.count(), 100);
        assert_eq!(micros(histogram.percentile(50.0)), 50);
        assert_eq!(micros(histogram.percentile(99.0)), 99);
        assert_eq!(micros(histogram.max()), 100);
        assert_eq!(micros(histogram.percentile(0.0)), 1);
    }

    #[test]
    fn large_values_are_within_two_percent() {
        let histogram = of((1..=100_000).map(|m| m * 10));
        for (percent, exact) in [(50.0, 500_000.0), (99.0, 990_000.0), (99.9, 999_000.0)] {
            let got = micros(histogram.percentile(percent)) as f64;
            assert!(
                (got - exact).abs() / exact < 0.02,
                "p{percent}: {got} vs {exact}"
            );
        }
        assert_eq!(micros(histogram.max()), 1_000_000);
    }

    #[test]
    fn every_value_lies_in_a_narrow_bucket_of_its_own() {
        for micros in (0..20_000).chain((10..40).map(|bit| (1 << bit) + 12_345)) {
            let index = bucket(micros);
            assert!(index < BUCKETS, "{micros}");
            let capped = micros.min((1 << TOP_BIT) - 1);
            assert!(bucket_top(index) >= capped, "{micros}");
            assert!(index == 0 || bucket_top(index - 1) < capped, "{micros}");
            assert!(
                (bucket_top(index) - capped) as f64 <= capped as f64 / 64.0,
                "{micros}"
            );
        }
    }

    #[test]
    fn empty_and_huge() {
        assert_eq!(of([]).percentile(50.0), None);
        assert_eq!(of([]).max(), None);
        let huge = of([u64::MAX / 2, 3]);
        assert_eq!(micros(huge.percentile(50.0)), 3);
        assert!(huge.percentile(99.0) <= huge.max());
    }
}
