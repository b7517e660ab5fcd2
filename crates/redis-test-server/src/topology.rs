//! Redis topologies for tests, made of [`RedisServer`]s (so they stop with their owner,
//! or with the test process): a Cluster of 3 masters and 3 replicas, and a primary with
//! one replica watched by 3 Sentinels. Both are built fast: no `redis-cli`, diskless
//! replication without delay, Sentinels told of each other in their configuration.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use redis::{FromRedisValue, Value};

use crate::{RedisServer, free_port};

/// A directory of our own under the system's temporary directory, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates an empty directory named after `what`.
    pub fn create(what: &str) -> Self {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let name = format!("rrs-{what}-{}-{nanos}", std::process::id());
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&path).unwrap_or_else(|e| panic!("cannot create {path:?}: {e}"));
        Self(path)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `cmd` on the server at `port`, on a connection of its own.
pub fn on_port<T: FromRedisValue>(port: u16, cmd: &redis::Cmd) -> redis::RedisResult<T> {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/"))?;
    let mut conn = client.get_connection_with_timeout(Duration::from_secs(2))?;
    conn.set_read_timeout(Some(Duration::from_secs(5)))?;
    cmd.query(&mut conn)
}

/// Writes a marker key named after `key`'s hash tag (so on a cluster it lands on `key`'s
/// master) on the server at `port`, then waits (`WAIT 1`) until a replica has everything
/// up to that write, so everything written before it too. (`WAIT` on a connection that
/// wrote nothing would return at once: it waits for that connection's own writes.)
fn replicate_through(port: u16, key: &str) {
    let tag = match (key.find('{'), key.find('}')) {
        (Some(open), Some(close)) if open < close => &key[open..=close],
        _ => key,
    };
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap();
    let mut conn = client.get_connection_with_timeout(Duration::from_secs(2)).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let marker = format!("{tag}:replicated");
    let () = redis::cmd("SET").arg(&marker).arg(1).arg("PX").arg(60_000).query(&mut conn).unwrap();
    let replicas: i64 = redis::cmd("WAIT").arg(1).arg(5000).query(&mut conn).unwrap();
    assert_eq!(replicas, 1, "no replica of :{port} confirmed within 5 s");
}

/// The value of `field` in `INFO section` of the server at `port`.
fn info(port: u16, section: &str, field: &str) -> Option<String> {
    let text: String = on_port(port, redis::cmd("INFO").arg(section)).ok()?;
    text.lines().find_map(|line| line.strip_prefix(&format!("{field}:")).map(str::to_owned))
}

/// Polls `check` every 20 ms until it holds; panics saying `what` after `timeout`.
fn wait_until(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !check() {
        assert!(Instant::now() < deadline, "{what}: not within {timeout:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Options that make test servers fast to replicate and to stop.
fn fast_options(dir: &Path) -> Vec<String> {
    ["--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0"]
        .iter()
        .chain(&["--repl-diskless-load", "on-empty-db", "--shutdown-on-sigterm", "nosave now"])
        .map(|s| (*s).to_owned())
        .chain(["--dir".to_owned(), dir.display().to_string()])
        .collect()
}

/// A Redis Cluster: 3 masters, each with one replica, on free loopback ports.
pub struct RedisCluster {
    nodes: Vec<Option<RedisServer>>,
    _dir: TempDir,
}

impl RedisCluster {
    /// Starts six servers in cluster mode (`cluster-node-timeout` = `node_timeout_ms`),
    /// gives the three masters a third of the slots each and a replica each, and waits
    /// until every node reports `cluster_state:ok` and every replica is in sync.
    pub fn start(node_timeout_ms: u64) -> Self {
        let dir = TempDir::create("cluster");
        // Each node with a free port and a free bus port, both picked again if the node
        // exits at start (another process took one of them meanwhile).
        let (nodes, bus_ports): (Vec<RedisServer>, Vec<u16>) = (0..6)
            .map(|i| {
                let conf = dir.path().join(format!("nodes-{i}.conf"));
                for _ in 0..5 {
                    let bus = free_port();
                    let mut extra = fast_options(dir.path());
                    extra.extend(
                        ["--cluster-enabled", "yes", "--cluster-port", &bus.to_string()]
                            .iter()
                            .chain(&["--cluster-config-file", &conf.display().to_string()])
                            .chain(&["--cluster-node-timeout", &node_timeout_ms.to_string()])
                            .map(|s| (*s).to_owned()),
                    );
                    if let Some(node) = RedisServer::try_start_with(&extra) {
                        return (node, bus);
                    }
                }
                panic!("cluster node {i} exited at start on five pairs of free ports");
            })
            .unzip();
        let ports: Vec<u16> = nodes.iter().map(RedisServer::port).collect();
        let ids: Vec<String> =
            ports.iter().map(|&p| on_port(p, redis::cmd("CLUSTER").arg("MYID")).unwrap()).collect();
        const RANGES: [(u16, u16); 3] = [(0, 5460), (5461, 10922), (10923, 16383)];
        for (port, (from, to)) in ports.iter().zip(RANGES) {
            let add = redis::cmd("CLUSTER").arg("ADDSLOTSRANGE").arg(from).arg(to).to_owned();
            let () = on_port(*port, &add).unwrap();
        }
        for (port, bus) in ports[1..].iter().zip(&bus_ports[1..]) {
            let meet =
                redis::cmd("CLUSTER").arg("MEET").arg("127.0.0.1").arg(*port).arg(*bus).to_owned();
            let () = on_port(ports[0], &meet).unwrap();
        }
        let known = |p: u16| info_cluster(p, "cluster_known_nodes").as_deref() == Some("6");
        wait_until("every node knows the five others", Duration::from_secs(20), || {
            ports.iter().all(|&p| known(p))
        });
        for (replica, master) in ports[3..].iter().zip(&ids[..3]) {
            let replicate = redis::cmd("CLUSTER").arg("REPLICATE").arg(master).to_owned();
            let () = on_port(*replica, &replicate).unwrap();
        }
        let cluster = Self { nodes: nodes.into_iter().map(Some).collect(), _dir: dir };
        cluster.wait_healthy(Duration::from_secs(30));
        // After a diskless sync a master streams writes only once its replica has
        // acknowledged the snapshot (it does every second): until then `WAIT` would time
        // out. One confirmed write per master ends that wait. (`{b}`, `{c}` and `{a}` hash
        // into the three ranges above.)
        for (port, tag) in ports.iter().zip(["{b}", "{c}", "{a}"]) {
            replicate_through(*port, tag);
        }
        cluster
    }

    /// The ports of the nodes running.
    fn live_ports(&self) -> Vec<u16> {
        self.nodes.iter().flatten().filter(|n| n.is_running()).map(RedisServer::port).collect()
    }

    /// Waits until every running node reports `cluster_state:ok`, every slot is served,
    /// and every running replica is in sync with its master.
    pub fn wait_healthy(&self, timeout: Duration) {
        let ports = self.live_ports();
        wait_until("the cluster is healthy", timeout, || {
            ports.iter().all(|&p| {
                info_cluster(p, "cluster_state").as_deref() == Some("ok")
                    && info_cluster(p, "cluster_slots_ok").as_deref() == Some("16384")
                    && (info(p, "replication", "role").as_deref() == Some("master")
                        || info(p, "replication", "master_link_status").as_deref() == Some("up"))
            })
        });
    }

    /// Seed URLs, one per node (`redis://127.0.0.1:PORT`).
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().flatten().map(|n| format!("redis://127.0.0.1:{}", n.port())).collect()
    }

    /// The index of the node that is master of `key`'s slot now.
    pub fn master_of(&self, key: &str) -> usize {
        let port = self.live_ports()[0];
        let slot: i64 = on_port(port, redis::cmd("CLUSTER").arg("KEYSLOT").arg(key)).unwrap();
        let slots: Value = on_port(port, redis::cmd("CLUSTER").arg("SLOTS")).unwrap();
        let Value::Array(ranges) = slots else { panic!("CLUSTER SLOTS: {slots:?}") };
        for range in ranges {
            let Value::Array(fields) = range else { continue };
            let (Some(Value::Int(from)), Some(Value::Int(to)), Some(Value::Array(master))) =
                (fields.first(), fields.get(1), fields.get(2))
            else {
                continue;
            };
            if (*from..=*to).contains(&slot)
                && let Some(Value::Int(master_port)) = master.get(1)
            {
                let found = self
                    .nodes
                    .iter()
                    .position(|n| n.as_ref().is_some_and(|n| i64::from(n.port()) == *master_port));
                return found.expect("the master is one of ours");
            }
        }
        panic!("no master serves slot {slot}");
    }

    /// Waits until the master of `key`'s slot has given everything it holds to a replica
    /// (`WAIT 1`), so that its writes survive its loss.
    pub fn replicate(&self, key: &str) {
        replicate_through(self.nodes[self.master_of(key)].as_ref().unwrap().port(), key);
    }

    /// Kills node `index` at once (SIGKILL).
    pub fn kill9(&mut self, index: usize) {
        self.nodes[index].as_mut().expect("a node").kill9();
    }

    /// Starts node `index` again after [`RedisCluster::kill9`], with its cluster
    /// configuration: a master whose slots were taken over comes back as a replica.
    pub fn restart(&mut self, index: usize) {
        self.nodes[index].as_mut().expect("a node").restart();
    }
}

fn info_cluster(port: u16, field: &str) -> Option<String> {
    let text: String = on_port(port, redis::cmd("CLUSTER").arg("INFO")).ok()?;
    text.lines().find_map(|line| line.strip_prefix(&format!("{field}:")).map(str::to_owned))
}

/// A primary and one replica, watched by 3 Sentinels (quorum 2) on free loopback ports.
pub struct SentinelSet {
    /// The name the Sentinels monitor the primary under.
    pub master_name: String,
    servers: Vec<Option<RedisServer>>,
    sentinels: Vec<RedisServer>,
    _dir: TempDir,
}

impl SentinelSet {
    /// Starts the primary and its replica, waits until the replica is in sync, then the
    /// Sentinels (`down-after-milliseconds` = `down_after_ms`), told of the replica and of
    /// each other, and waits until each sees them all.
    pub fn start(down_after_ms: u64) -> Self {
        let dir = TempDir::create("sentinel");
        let master_name = "sessions".to_owned();
        let primary = RedisServer::start_with(&fast_options(dir.path()));
        let mut replica_options = fast_options(dir.path());
        replica_options
            .extend(["--replicaof", "127.0.0.1", &primary.port().to_string()].map(str::to_owned));
        let replica = RedisServer::start_with(&replica_options);
        let synced = || info(replica.port(), "replication", "master_link_status");
        wait_until("the replica is in sync", Duration::from_secs(10), || {
            synced().as_deref() == Some("up")
        });
        let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let ids: Vec<String> = ports.iter().map(|p| format!("{:0>40x}", u64::from(*p))).collect();
        let sentinels = ports
            .iter()
            .enumerate()
            .map(|(i, &port)| {
                let mut conf = format!(
                    "port {port}\nbind 127.0.0.1\ndaemonize no\ndir {dir}\n\
                     sentinel myid {id}\nsentinel resolve-hostnames no\n\
                     sentinel monitor {name} 127.0.0.1 {primary} 2\n\
                     sentinel down-after-milliseconds {name} {down_after_ms}\n\
                     sentinel failover-timeout {name} 3000\n\
                     sentinel parallel-syncs {name} 1\n\
                     sentinel known-replica {name} 127.0.0.1 {replica}\n",
                    dir = dir.path().display(),
                    id = ids[i],
                    name = master_name,
                    primary = primary.port(),
                    replica = replica.port(),
                );
                for (j, other) in ports.iter().enumerate().filter(|(j, _)| *j != i) {
                    conf += &format!(
                        "sentinel known-sentinel {master_name} 127.0.0.1 {other} {}\n",
                        ids[j]
                    );
                }
                let path = dir.path().join(format!("sentinel-{port}.conf"));
                std::fs::write(&path, conf).expect("write the Sentinel's configuration");
                RedisServer::spawn(port, vec![path.display().to_string(), "--sentinel".into()])
            })
            .collect();
        // As for a cluster: after a diskless sync the primary streams to its replica once
        // the replica has acknowledged the snapshot; a confirmed write waits for that.
        replicate_through(primary.port(), "ready");
        let set =
            Self { master_name, servers: vec![Some(primary), Some(replica)], sentinels, _dir: dir };
        set.wait_ready(Duration::from_secs(30));
        set
    }

    /// Waits until every Sentinel sees the primary as up, with one replica and the two
    /// other Sentinels.
    fn wait_ready(&self, timeout: Duration) {
        wait_until("the Sentinels see each other and the replica", timeout, || {
            self.sentinels.iter().all(|s| {
                let master = redis::cmd("SENTINEL").arg("MASTER").arg(&self.master_name).to_owned();
                let Ok(fields) = on_port::<Vec<String>>(s.port(), &master) else { return false };
                let get =
                    |name: &str| fields.chunks(2).find(|kv| kv[0] == name).map(|kv| kv[1].clone());
                get("flags").as_deref() == Some("master")
                    && get("num-slaves").as_deref() == Some("1")
                    && get("num-other-sentinels").as_deref() == Some("2")
            })
        });
    }

    /// The Sentinels' URLs.
    pub fn sentinel_urls(&self) -> Vec<String> {
        self.sentinels.iter().map(|s| format!("redis://127.0.0.1:{}", s.port())).collect()
    }

    /// The port of the server the first Sentinel names as primary.
    pub fn primary_port(&self) -> u16 {
        self.named_by(&self.sentinels[0]).expect("the Sentinel names a primary")
    }

    fn named_by(&self, sentinel: &RedisServer) -> Option<u16> {
        let ask =
            redis::cmd("SENTINEL").arg("GET-MASTER-ADDR-BY-NAME").arg(&self.master_name).to_owned();
        let (_, port): (String, u16) = on_port(sentinel.port(), &ask).ok()?;
        Some(port)
    }

    /// Waits until the primary has given everything it holds to the replica (`WAIT 1`).
    pub fn replicate(&self) {
        replicate_through(self.primary_port(), "test");
    }

    /// Kills the primary at once (SIGKILL); returns its port.
    pub fn kill9_primary(&mut self) -> u16 {
        let port = self.primary_port();
        let index = self
            .servers
            .iter()
            .position(|s| s.as_ref().is_some_and(|s| s.port() == port))
            .expect("the primary is one of ours");
        self.servers[index].take().expect("running").kill9();
        port
    }

    /// Asks a Sentinel for a failover now, the primary being healthy (`SENTINEL FAILOVER`).
    pub fn force_failover(&self) {
        let failover = redis::cmd("SENTINEL").arg("FAILOVER").arg(&self.master_name).to_owned();
        let () = on_port(self.sentinels[0].port(), &failover).unwrap();
    }

    /// Waits until every Sentinel names another primary than `old` and that one answers
    /// as primary; returns its port.
    pub fn wait_new_primary(&self, old: u16, timeout: Duration) -> u16 {
        let mut new = 0;
        wait_until("the Sentinels name a new primary", timeout, || {
            let named: Vec<Option<u16>> = self.sentinels.iter().map(|s| self.named_by(s)).collect();
            match named.first() {
                Some(Some(port)) if *port != old && named.iter().all(|n| *n == Some(*port)) => {
                    new = *port;
                    info(new, "replication", "role").as_deref() == Some("master")
                }
                _ => false,
            }
        });
        new
    }
}
