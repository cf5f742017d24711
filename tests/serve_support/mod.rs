//! Shared by the `serve` tests: start the real binary, a minimal keep-alive
//! HTTP/1.1 client over std (no client crate), and the test venv.
#![allow(dead_code)]

#[path = "../bin/mod.rs"]
mod bin;
pub use bin::childcircle_bin;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn monaco() -> PathBuf {
    manifest_dir().join("data/osm/monaco.osm.pbf")
}

/// A running `childcircle serve`, stopped (SIGTERM) when dropped.
pub struct Server {
    pub child: Child,
    pub addr: String,
    pub stdout: BufReader<std::process::ChildStdout>,
}

impl Server {
    /// Starts the server on a free loopback port and waits until `/status`
    /// says it is ready.
    pub fn start(extract: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(childcircle_bin())
            .arg("serve")
            .arg(extract)
            .args(["--bind", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start childcircle serve");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("read the first line");
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        let server = Server {
            child,
            addr,
            stdout,
        };
        let t = Instant::now();
        loop {
            if let Ok(r) = get(&server.addr, "/status") {
                if r.status == 200 {
                    break;
                }
            }
            assert!(
                t.elapsed() < Duration::from_secs(300),
                "server never became ready"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(ok.success());
    }

    /// Resident memory of the server process, KiB.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("read /proc/PID/status");
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            .expect("VmRSS line")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .status();
            let t = Instant::now();
            while t.elapsed() < Duration::from_secs(10) {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// One HTTP response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

/// A keep-alive connection.
pub struct Conn {
    reader: BufReader<TcpStream>,
}

impl Conn {
    pub fn open(addr: &str) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            reader: BufReader::new(stream),
        })
    }

    pub fn stream(&mut self) -> &mut TcpStream {
        self.reader.get_mut()
    }

    /// Sends a request and reads its response.
    pub fn request(&mut self, method: &str, path: &str, body: &[u8]) -> std::io::Result<Response> {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let s = self.stream();
        s.write_all(head.as_bytes())?;
        // The server may answer (413) before reading everything.
        let _ = s.write_all(body);
        self.read_response()
    }

    /// Reads one response (Content-Length bodies only, as the server writes).
    pub fn read_response(&mut self) -> std::io::Result<Response> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed",
            ));
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
        let mut headers = Vec::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        let len: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        self.reader.read_exact(&mut body)?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

pub fn post(addr: &str, path: &str, body: &[u8]) -> std::io::Result<Response> {
    Conn::open(addr)?.request("POST", path, body)
}

pub fn get(addr: &str, path: &str) -> std::io::Result<Response> {
    Conn::open(addr)?.request("GET", path, b"")
}

/// The venv with routingpy, openrouteservice and pyvalhalla; panics naming
/// the setup script when it is missing.
pub fn venv_python() -> PathBuf {
    let venv = std::env::var_os("CHILDCIRCLE_TEST_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir().join("target/serve-venv"));
    let python = venv.join("bin/python");
    assert!(
        python.exists(),
        "{} is missing: run python/setup-test-venv.sh (it makes the venv with routingpy, openrouteservice and pyvalhalla that the serve tests use)",
        python.display()
    );
    python
}

/// pyvalhalla's executables and bundled libraries in the venv.
pub fn valhalla_paths() -> (PathBuf, PathBuf) {
    let python = venv_python();
    let out = Command::new(&python)
        .args([
            "-c",
            "import valhalla, pathlib; p = pathlib.Path(valhalla.__file__).parent; print(p / 'bin'); print(p.parent / 'pyvalhalla.libs')",
        ])
        .output()
        .expect("run the venv's python");
    assert!(
        out.status.success(),
        "import valhalla failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let mut lines = text.lines().map(PathBuf::from);
    (lines.next().expect("bin"), lines.next().expect("libs"))
}

/// A free loopback port (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
