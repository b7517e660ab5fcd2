//! Redis for tests: a private `redis-server` per test binary (or `REDIS_URL`), private
//! servers for tests that stop Redis or count its commands, and small helpers. Shared by
//! the tests of every crate of the workspace.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use redis::aio::MultiplexedConnection;

mod topology;

pub use self::topology::{RedisCluster, SentinelSet, TempDir, on_port};

/// A key prefix no other test uses: tests sharing a server keep apart by prefix.
pub fn unique_prefix(test: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("test:{test}:{nanos}:{}:", N.fetch_add(1, Ordering::Relaxed))
}

/// Where `program` is found on `PATH`, if it is (an executable file by that name).
pub fn program_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|candidate| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(candidate)
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

/// Stops the test at once when `redis-server` is not on `PATH`, naming what to install
/// (instead of waiting for a server that cannot start).
fn require_redis_server() {
    static FOUND: OnceLock<bool> = OnceLock::new();
    let found = *FOUND.get_or_init(|| program_on_path("redis-server").is_some());
    assert!(
        found,
        "`redis-server` is not on PATH: the tests start private Redis servers. Install it \
         (Debian/Ubuntu: `apt-get install -y redis-server`), or run `./test.sh`, which does"
    );
}

/// A `redis-server` process of our own, on a free loopback port, keeping nothing on disk.
/// It is stopped when dropped, and also when the test process exits (it runs under a
/// shell that kills it when our end of its stdin closes).
pub struct RedisServer {
    port: u16,
    pid: u32,
    /// The arguments after `redis-server`.
    args: Vec<String>,
    child: Option<(Child, ChildStdin)>,
}

/// A free loopback port.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free loopback port");
    listener.local_addr().expect("local address").port()
}

impl RedisServer {
    /// Starts a server on a free port.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Starts a server on a free port with `extra` options (`["--replicaof", ...]`). A free
    /// port is only free when it is picked: if the server exits at once (another process
    /// took the port meanwhile), it is started again on another, up to five times.
    pub fn start_with(extra: &[String]) -> Self {
        for _ in 0..5 {
            if let Some(server) = Self::try_start_with(extra) {
                return server;
            }
        }
        panic!("redis-server exited at start on five free ports in a row");
    }

    /// [`RedisServer::start_with`] once: `None` when the server exits before it answers
    /// (its port, or one in `extra`, was taken meanwhile).
    pub fn try_start_with(extra: &[String]) -> Option<Self> {
        let port = free_port();
        let mut args: Vec<String> = ["--port", &port.to_string(), "--bind", "127.0.0.1"]
            .iter()
            .chain(&["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .chain(&["--loglevel", "warning"])
            .map(|s| (*s).to_owned())
            .collect();
        args.extend(extra.iter().cloned());
        let mut server = Self { port, pid: 0, args, child: None };
        server.launch().ok()?;
        Some(server)
    }

    /// Runs `redis-server ARGS...`, which must listen on `port`, and waits until it answers.
    pub fn spawn(port: u16, args: Vec<String>) -> Self {
        let mut server = Self { port, pid: 0, args, child: None };
        server.restart();
        server
    }

    /// The server's URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Starts the server again on the same port (after [`RedisServer::stop`]).
    pub fn restart(&mut self) {
        if let Err(status) = self.launch() {
            panic!("redis-server exited ({status}) on port {}", self.port);
        }
    }

    /// Starts the server and waits until it answers; the exit status when it ends first.
    fn launch(&mut self) -> Result<(), std::process::ExitStatus> {
        assert!(self.child.is_none(), "the server is running");
        require_redis_server();
        // The shell ends when redis-server does (so a server that cannot start is noticed
        // at once), and kills it when our end of its stdin closes. (An asynchronous list
        // reads /dev/null, hence the copy of stdin on descriptor 3.)
        let script = "exec 3<&0; redis-server \"$@\" & pid=$!; \
                      { read _ <&3; kill $pid 2>/dev/null; } & wait $pid";
        let spawned = Command::new("sh")
            .args(["-c", script, "sh"])
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn();
        let mut child = spawned.expect("cannot run sh to start redis-server");
        let stdin = child.stdin.take().expect("piped stdin");
        self.child = Some((child, stdin));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !ping(self.port) {
            if let Some((child, _)) = &mut self.child
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                return Err(status);
            }
            assert!(Instant::now() < deadline, "redis-server did not answer within 10 s");
            std::thread::sleep(Duration::from_millis(20));
        }
        self.pid = server_pid(self.port);
        Ok(())
    }

    /// Whether the server runs (it was not stopped or killed since it last started).
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Stops the server and waits until it has exited.
    pub fn stop(&mut self) {
        if let Some((mut child, stdin)) = self.child.take() {
            drop(stdin);
            let _ = child.wait();
        }
    }

    /// Kills the server at once (SIGKILL: no shutdown, nothing flushed) and waits until
    /// it has exited, as a crashed machine would go.
    pub fn kill9(&mut self) {
        let status = Command::new("kill").args(["-KILL", &self.pid.to_string()]).status();
        assert!(status.expect("kill").success(), "cannot kill redis-server {}", self.pid);
        self.stop();
    }

    /// Freezes the server (SIGSTOP): it accepts connections but never answers.
    pub fn freeze(&self, frozen: bool) {
        let signal = if frozen { "-STOP" } else { "-CONT" };
        let status = Command::new("kill").args([signal, &self.pid.to_string()]).status();
        assert!(status.expect("kill").success(), "cannot signal redis-server {}", self.pid);
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether something answers `PING` on `port`.
fn ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
    let mut line = String::new();
    stream.write_all(b"PING\r\n").is_ok()
        && BufReader::new(stream).read_line(&mut line).is_ok()
        && line.starts_with("+PONG")
}

/// The process id the server on `port` reports in `INFO server`.
fn server_pid(port: u16) -> u32 {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect for INFO");
    stream.write_all(b"INFO server\r\n").unwrap();
    for line in BufReader::new(stream).lines() {
        let line = line.expect("INFO reply");
        if let Some(pid) = line.strip_prefix("process_id:") {
            return pid.trim().parse().expect("a process id");
        }
    }
    panic!("INFO server has no process_id");
}

/// The Redis this test binary shares between its tests: `REDIS_URL` if set, otherwise a
/// private server started on first use. Tests keep apart by key prefix.
pub fn shared_url() -> String {
    static SHARED: OnceLock<(String, Option<RedisServer>)> = OnceLock::new();
    let (url, _) = SHARED.get_or_init(|| match std::env::var("REDIS_URL") {
        Ok(url) if !url.is_empty() => (url, None),
        _ => {
            let server = RedisServer::start();
            (server.url(), Some(server))
        }
    });
    url.clone()
}

/// The Redis Cluster this test binary shares between its tests (3 masters, 3 replicas,
/// `cluster-node-timeout` 1000 ms), started on first use. Tests keep apart by key prefix.
pub fn shared_cluster() -> &'static RedisCluster {
    static SHARED: OnceLock<RedisCluster> = OnceLock::new();
    SHARED.get_or_init(|| RedisCluster::start(1000))
}

/// The Sentinel set this test binary shares between its tests (a primary, a replica, 3
/// Sentinels with `down-after-milliseconds` 1000), started on first use.
pub fn shared_sentinels() -> &'static SentinelSet {
    static SHARED: OnceLock<SentinelSet> = OnceLock::new();
    SHARED.get_or_init(|| SentinelSet::start(1000))
}

/// A new async connection to `url`, for assertions.
pub async fn connect(url: &str) -> MultiplexedConnection {
    let client = redis::Client::open(url).expect("a Redis URL");
    client.get_multiplexed_async_connection().await.expect("connect to the test Redis")
}

/// Every key under `prefix`.
pub async fn keys(url: &str, prefix: &str) -> Vec<String> {
    let mut conn = connect(url).await;
    let mut keys: Vec<String> =
        redis::cmd("KEYS").arg(format!("{prefix}*")).query_async(&mut conn).await.unwrap();
    keys.sort();
    keys
}

/// Runs one command and returns its reply.
pub async fn query<T: redis::FromRedisValue>(url: &str, cmd: &redis::Cmd) -> T {
    let mut conn = connect(url).await;
    cmd.query_async(&mut conn).await.expect("test Redis command")
}

/// Counts the commands Redis receives, through `MONITOR`.
pub struct Monitor {
    port: u16,
    lines: BufReader<TcpStream>,
    seq: u64,
}

impl Monitor {
    /// Starts monitoring the server on `port`.
    pub fn start(url: &str) -> Self {
        let port = url
            .rsplit(':')
            .next()
            .and_then(|tail| tail.split('/').next())
            .and_then(|p| p.parse().ok())
            .expect("a redis://host:port URL");
        let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect for MONITOR");
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        stream.write_all(b"MONITOR\r\n").unwrap();
        let mut lines = BufReader::new(stream);
        let mut ok = String::new();
        lines.read_line(&mut ok).unwrap();
        assert!(ok.starts_with("+OK"), "MONITOR refused: {ok}");
        let mut monitor = Self { port, lines, seq: 0 };
        monitor.take();
        monitor
    }

    /// The commands clients sent since the last call (commands run inside Lua scripts are
    /// not counted: they are not round trips). Waits for them without sleeping: it sends
    /// a marker command itself and reads until the marker shows up, and Redis runs
    /// commands in the order it receives them.
    pub fn take(&mut self) -> Vec<String> {
        self.seq += 1;
        let marker = format!("monitor-marker-{}", self.seq);
        let mut marker_conn = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(marker_conn, "ECHO {marker}\r\n").unwrap();
        let mut reply = String::new();
        BufReader::new(&marker_conn).read_line(&mut reply).unwrap();
        let mut seen = Vec::new();
        loop {
            let mut line = String::new();
            let n = self.lines.read_line(&mut line).expect("MONITOR stream");
            assert!(n > 0, "MONITOR stream closed");
            if line.contains(&marker) {
                return seen;
            }
            if line.contains(" lua] ") || line.contains("[0 lua]") {
                continue;
            }
            // `+1700000000.000000 [0 127.0.0.1:5000] "EVALSHA" "..."`: keep the command.
            let line = line.trim_end();
            let command = line.split("] ").nth(1).unwrap_or(line);
            let verb = command.split(' ').next().unwrap_or("").trim_matches('"');
            seen.push(verb.to_ascii_uppercase());
        }
    }
}
