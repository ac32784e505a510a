//! A real SFTP server for the connector tests: OpenSSH's `sshd` (Debian `openssh-server`, which
//! `make test` installs when missing) on a free loopback port, with a throw-away host key, serving
//! one user confined by `internal-sftp` to a temporary directory (`ChrootDirectory`). Never a mock.
//!
//! sshd checks passwords against the system, so the tests' user `spsftp` is a system account
//! (no shell, no home) made once; its password is set afresh, at random, by each test process.
//! Running sshd, and making that account, needs root (as `make test` runs here and in CI).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

pub const USER: &str = "spsftp";
const SSHD: &str = "/usr/sbin/sshd";

/// The user's password for this test process.
pub fn password() -> &'static str {
    static PASSWORD: OnceLock<String> = OnceLock::new();
    PASSWORD.get_or_init(|| {
        assert!(Path::new(SSHD).exists(), "{SSHD} is missing: `make test` installs openssh-server");
        let exists =
            Command::new("id").arg(USER).stdout(Stdio::null()).stderr(Stdio::null()).status().unwrap().success();
        if !exists {
            let made = Command::new("useradd")
                .args(["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER])
                .status()
                .expect("useradd runs (the SFTP tests need root)");
            assert!(made.success(), "useradd {USER} failed (the SFTP tests need root)");
        }
        let password = format!("Sftp-{}", uuid::Uuid::new_v4().simple());
        let mut chpasswd = Command::new("chpasswd").stdin(Stdio::piped()).spawn().expect("chpasswd runs");
        use std::io::Write;
        writeln!(chpasswd.stdin.take().unwrap(), "{USER}:{password}").unwrap();
        assert!(chpasswd.wait().unwrap().success(), "chpasswd failed");
        std::fs::create_dir_all("/run/sshd").expect("sshd's privilege separation directory");
        password
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn keygen(path: &Path, comment: &str) {
    let _ = std::fs::remove_file(path);
    let _ = std::fs::remove_file(path.with_extension("pub"));
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
        .arg(path)
        .status()
        .expect("ssh-keygen runs")
        .success();
    assert!(ok, "ssh-keygen {}", path.display());
}

pub struct Sshd {
    child: Option<Child>,
    pub port: u16,
    /// The server's files: `root` is the chroot (root-owned), `root/outgoing` the user's directory.
    base: PathBuf,
    /// The client key the server accepts (OpenSSH private key text).
    pub client_key: String,
}

impl Sshd {
    pub fn start() -> Sshd {
        password();
        // The chroot and every directory above it must be root's and not writable by others: the
        // target directory is, where /tmp is not.
        let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("sshd-{}", uuid::Uuid::new_v4().simple()));
        let root = base.join("root");
        std::fs::create_dir_all(root.join("outgoing")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        for dir in [&base, &root] {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::fs::set_permissions(root.join("outgoing"), std::fs::Permissions::from_mode(0o755)).unwrap();
        let client = base.join("client_key");
        keygen(&client, "settlepaisa-test-client");
        std::fs::copy(client.with_extension("pub"), base.join("authorized_keys")).unwrap();
        let client_key = std::fs::read_to_string(&client).unwrap();
        let mut sshd = Sshd { child: None, port: free_port(), base, client_key };
        sshd.new_host_key();
        sshd.launch();
        sshd
    }

    fn new_host_key(&self) {
        keygen(&self.base.join("host_key"), "settlepaisa-test-host");
    }

    fn launch(&mut self) {
        let conf = self.base.join("sshd_config");
        let b = self.base.display();
        std::fs::write(
            &conf,
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {b}/host_key\nPidFile {b}/sshd.pid\nUsePAM no\n\
                 PasswordAuthentication yes\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\n\
                 AuthorizedKeysFile {b}/authorized_keys\nStrictModes no\nAllowUsers {USER}\nPermitRootLogin no\n\
                 Subsystem sftp internal-sftp\nForceCommand internal-sftp -d /outgoing\nChrootDirectory {b}/root\n\
                 AllowTcpForwarding no\nX11Forwarding no\nMaxStartups 50\nLogLevel ERROR\n",
                port = self.port
            ),
        )
        .unwrap();
        let child = Command::new(SSHD)
            .arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(&conf)
            .stdout(Stdio::null())
            .spawn()
            .expect("sshd starts");
        self.child = Some(child);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("sshd did not listen on {}", self.port);
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The same server (port, files, users) with a new host key, as a bank that changed its key.
    pub fn restart_with_new_host_key(&mut self) {
        self.stop();
        self.new_host_key();
        self.launch();
    }

    /// Put a file in the user's directory.
    pub fn put(&self, name: &str, bytes: &[u8]) {
        std::fs::write(self.base.join("root/outgoing").join(name), bytes).unwrap();
    }

    /// Put a file and its `.sha256` sidecar (as `sha256sum` writes it).
    pub fn put_with_sidecar(&self, name: &str, bytes: &[u8]) {
        use sha2::Digest;
        self.put(name, bytes);
        let hash = hex::encode(sha2::Sha256::digest(bytes));
        self.put(&format!("{name}.sha256"), format!("{hash}  {name}\n").as_bytes());
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.base);
    }
}
