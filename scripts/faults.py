#!/usr/bin/env python3
"""Faults survived (issue 16): the release server and a PostgreSQL cluster of its own, on loopback,
broken on purpose while they work. Run by scripts/faults.sh (and so by `make test`, short form).

Each scenario starts real work, breaks something in the middle of it — PostgreSQL stopped hard
(`pg_ctl stop -m immediate`), the server killed (SIGKILL) or stopped (SIGTERM), the object store's
disk full — and then checks, in the database, that every write the server acknowledged is there,
that every write it did not acknowledge is wholly absent (no half-written upload, run or batch),
that interrupted jobs ran again and finished once, and how the server answered meanwhile.

    faults.py BIN SITE_ROOT WORK_DIR PGBIN [rows]

Prints one line per scenario and a JSON summary (WORK_DIR/faults.json); exits 1 on any loss.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

BIN, SITE, WORK, PGBIN = sys.argv[1:5]
ROWS = int(sys.argv[5]) if len(sys.argv) > 5 else 60000
AS_ROOT = os.geteuid() == 0
results = []
problems = []
servers = []


def log(msg):
    print(f"faults: {msg}", flush=True)


def free_port():
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def as_owner(args, **kw):
    """A PostgreSQL server program as the cluster's owner (postgres when we are root)."""
    if AS_ROOT:
        import shlex

        return subprocess.run(["su", "postgres", "-s", "/bin/sh", "-c", "cd / && " + shlex.join(args)], **kw)
    return subprocess.run(args, **kw)


class Cluster:
    def __init__(self, path, port):
        self.path, self.port = path, port
        self.url = f"postgres://postgres@127.0.0.1:{port}/settlepaisa_faults"
        os.makedirs(path)
        if AS_ROOT:
            shutil.chown(path, "postgres", "postgres")
        as_owner([f"{PGBIN}/initdb", "-D", path, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8"], check=True, capture_output=True)
        with open(f"{path}/postgresql.conf", "a") as f:
            f.write(f"listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{path}'\n"
                    "max_connections = 100\nshared_buffers = 256MB\n")

    def start(self):
        as_owner([f"{PGBIN}/pg_ctl", "-D", self.path, "-l", f"{self.path}/server.log", "-w", "-t", "60", "start"],
                 check=True, capture_output=True)

    def stop_hard(self):
        as_owner([f"{PGBIN}/pg_ctl", "-D", self.path, "-m", "immediate", "stop"], check=True, capture_output=True)

    def sql(self, query):
        out = subprocess.run(["psql", self.url, "-qAt", "-v", "ON_ERROR_STOP=1", "-c", query],
                             check=True, capture_output=True, text=True).stdout.strip()
        return out

    def one(self, query):
        return int(self.sql(query) or 0)


class Server:
    def __init__(self, cluster, env_extra=None):
        self.cluster = cluster
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, DATABASE_URL=cluster.url, APP_ENV="demo", LEPTOS_ENV="PROD",
                        LEPTOS_SITE_ROOT=SITE, LEPTOS_SITE_ADDR=f"127.0.0.1:{self.port}", LOG_FORMAT="json",
                        JOB_STALE_AFTER_SECS="6", UPLOAD_MAX_MB="200", SHUTDOWN_GRACE_SECS="25",
                        OBJECT_STORE_URL=f"file://{WORK}/objects", METRICS_ADDR="", MIGRATION_DATABASE_URL="")
        self.env.update(env_extra or {})
        self.proc = None
        self.starts = 0
        servers.append(self)

    def start(self):
        self.starts += 1
        logf = open(f"{WORK}/server-{self.starts}.log", "w")
        self.proc = subprocess.Popen([BIN, "serve"], env=self.env, stdout=logf, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the server exited at start (see {WORK}/server-{self.starts}.log)")
            if get(self, "/health")[0] == 200:
                return
            time.sleep(0.1)
        raise SystemExit("the server did not become healthy")

    def signal(self, sig):
        self.proc.send_signal(sig)


def request(server, method, path, token=None, body=None, timeout=30):
    headers = {"Origin": server.base}
    data = None
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(server.base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as e:
        return 0, str(e)


def get(server, path, token=None):
    return request(server, "GET", path, token)


def upload_cmd(server, token, kind, cycle, path, rate=None):
    cmd = ["curl", "-s", "--max-time", "120", "-o", f"{path}.reply", "-w", "%{http_code}", "-H", f"Authorization: Bearer {token}",
           "-H", f"Origin: {server.base}", "-F", f"kind={kind}", "-F", f"cycleDate={cycle}", "-F", f"file=@{path}",
           f"{server.base}/api/recon/v1/uploads"]
    if rate:
        cmd[1:1] = ["--limit-rate", rate]
    return cmd


OK = (200, 201)


def upload(server, token, kind, cycle, path):
    """An upload's status (201 stored, 200 the same file again) and reply."""
    out = subprocess.run(upload_cmd(server, token, kind, cycle, path), capture_output=True, text=True)
    return int(out.stdout or 0), open(f"{path}.reply").read()


def generate(cycle, prefix, rows):
    """A PG export and its bank statement for one cycle (the shape of benchmarks/recon.sh)."""
    pg, bank = f"{WORK}/pg-{prefix}.csv", f"{WORK}/bank-{prefix}.csv"
    with open(pg, "w") as f:
        f.write("Transaction ID,Merchant ID,Amount,Currency,Transaction Date,Transaction Time,Payment Method,UTR,RRN,Status\n")
        for i in range(rows):
            amount, k = 100 + (i * 7919) % 500000, i % 100
            utr = "" if k == 90 else f"{prefix}U{i:012d}"
            f.write(f"{prefix}T{i:012d},MERCH_00{1 + i % 3},{amount}.{i % 100:02d},INR,{cycle},10:{i % 60:02d}:00,"
                    f"UPI,{utr},{prefix}R{i:012d},SUCCESS\n")
    with open(bank, "w") as f:
        f.write("Bank Reference,Bank Name,Amount,Transaction Date,Value Date,UTR,Remarks,Debit/Credit\n")
        for i in range(rows):
            amount, k, paise = 100 + (i * 7919) % 500000, i % 100, i % 100
            if k == 80:
                paise -= 1
                if paise < 0:
                    paise, amount = 99, amount - 1
            utr = f"{prefix}ONLY{i:09d}" if k == 94 else f"{prefix}U{i:012d}"
            f.write(f"{prefix}B{i:012d},HDFC,{amount}.{paise:02d},{cycle},{cycle},{utr},,CR\n")
    return pg, bank


def record(name, tried, acknowledged, lost, note):
    results.append({"fault": name, "tried": tried, "acknowledged": acknowledged, "lost": lost, "note": note})
    log(f"{name}: tried {tried}, acknowledged {acknowledged}, lost {lost} — {note}")
    if lost:
        problems.append(f"{name}: {lost} lost ({note})")


def wait_for(what, check, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise SystemExit(f"timed out waiting for {what}")


def run_state(server, token, run_id):
    status, body = get(server, f"/api/recon/v1/runs/{run_id}", token)
    return json.loads(body) if status == 200 else {}


def start_run(server, token, cycle):
    status, body = request(server, "POST", "/api/recon/v1/runs", token, {"cycleDate": cycle})
    assert status == 202, (status, body)
    return json.loads(body)["id"]


def run_is_whole(db, run_id):
    """A completed run's results are all there once: one result per PG row and per bank line."""
    pg = db.one(f"SELECT count(*) FROM transactions t JOIN recon_runs r ON r.cycle_date = t.cycle_date WHERE r.id = '{run_id}'")
    bank = db.one(f"SELECT count(*) FROM bank_statement_lines l JOIN recon_runs r ON r.cycle_date = l.cycle_date WHERE r.id = '{run_id}'")
    pg_results = db.one(f"SELECT count(DISTINCT transaction_id) FROM recon_results WHERE run_id = '{run_id}' AND side = 'pg'")
    dup = db.one(f"SELECT count(*) - count(DISTINCT (side, transaction_id, bank_line_id)) FROM recon_results WHERE run_id = '{run_id}'")
    bank_results = db.one(f"SELECT count(DISTINCT bank_line_id) FROM recon_results WHERE run_id = '{run_id}' AND bank_line_id IS NOT NULL")
    return pg_results == pg and bank_results == bank and dup == 0, f"{pg_results}/{pg} PG, {bank_results}/{bank} bank, {dup} duplicates"


def job_attempts(db, key):
    return db.sql(f"SELECT string_agg(status || ':' || attempts, ',' ORDER BY id) FROM jobs WHERE unique_key = '{key}'")


def landed(attempts):
    """Whether a fault hit a job mid-work: its (only) job needed a second attempt."""
    return any(int(a.split(":")[1]) >= 2 for a in attempts.split(",") if ":" in a)


def main():
    os.makedirs(WORK, exist_ok=True)
    if AS_ROOT:
        shutil.chown(WORK, "postgres", "postgres")
    db = Cluster(f"{WORK}/pg", free_port())
    db.start()
    subprocess.run(["psql", db.url.rsplit("/", 1)[0] + "/postgres", "-qc", "CREATE DATABASE settlepaisa_faults"], check=True)
    env = dict(os.environ, DATABASE_URL=db.url, APP_ENV="demo")
    subprocess.run([BIN, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([BIN, "seed", "demo"], env=env, check=True, capture_output=True)
    ops = subprocess.run([BIN, "token", "create", "--user", "ops@settlepaisa.test", "--name", "faults"], env=env,
                         check=True, capture_output=True, text=True).stdout.strip()
    fin = subprocess.run([BIN, "token", "create", "--user", "finance@settlepaisa.test", "--name", "faults"], env=env,
                         check=True, capture_output=True, text=True).stdout.strip()
    server = Server(db)
    server.start()
    log(f"server on {server.base}, PostgreSQL on port {db.port}, {ROWS} rows per cycle")

    # 1. PostgreSQL down: pages and the API answer 503 with a sentence, /health says so; back by itself.
    db.stop_hard()
    health = get(server, "/health")
    api = get(server, "/api/recon/summary", ops)
    page = get(server, "/overview", ops)
    down_ok = (health[0] == 503 and '"database":"down"' in health[1].replace(" ", "")
               and api[0] == 503 and "error" in api[1] and page[0] == 503 and "<p>" in page[1])
    if not down_ok:
        problems.append(f"while the database is down: /health {health}, API {api[0]} {api[1][:200]}, page {page[0]}")
    db.start()
    back_at = time.time()
    wait_for("health after the database came back", lambda: get(server, "/health")[0] == 200, 5)
    recovered = time.time() - back_at
    wait_for("the API after the database came back", lambda: get(server, "/api/recon/summary", ops)[0] == 200, 5)
    recovered_api = time.time() - back_at
    record("PostgreSQL down, then back", 0, 0, 0,
           f"503 with a sentence from /health ({health[1][:60]}…), the API and pages; healthy {recovered:.2f} s and the API "
           f"answering {recovered_api:.2f} s after PostgreSQL was back, without a restart")
    if recovered_api > 5:
        problems.append(f"the server took {recovered_api:.1f} s to recover (goal 5 s)")

    # 2. PostgreSQL stopped in the middle of an upload.
    c1 = "2026-02-10"
    pg1, bank1 = generate(c1, "FA", ROWS)
    size = os.path.getsize(pg1)
    rate = f"{max(size // 4, 100000)}"  # about 4 s
    cut = subprocess.Popen(upload_cmd(server, ops, "pg", c1, pg1, rate), stdout=subprocess.PIPE, text=True)
    time.sleep(2.0)
    db.stop_hard()
    status = int(cut.communicate(timeout=150)[0] or 0)
    db.start()
    wait_for("the API after the restart", lambda: get(server, "/api/recon/summary", ops)[0] == 200, 5)
    present = db.one(f"SELECT count(*) FROM transactions WHERE cycle_date = '{c1}'")
    files = db.one(f"SELECT count(*) FROM uploaded_files WHERE cycle_date = '{c1}'")
    lost = 0 if (status not in OK and present == 0 and files == 0) or (status in OK and present == ROWS) else 1
    again, reply = upload(server, ops, "pg", c1, pg1)
    after = db.one(f"SELECT count(*) FROM transactions WHERE cycle_date = '{c1}'")
    lost += 0 if again in OK and after == ROWS else 1
    record("PostgreSQL stopped mid-upload", 2, 1 + (status in OK), lost,
           f"the cut upload answered {status} and left {present} rows and {files} file records; "
           f"sent again: {again}, {after} rows")
    status, reply = upload(server, ops, "bank", c1, bank1)
    assert status in OK, reply

    # 3. PostgreSQL stopped in the persist step of a recon run: the job runs again and completes once.
    run = start_run(server, ops, c1)
    wait_for("the run's persist step", lambda: run_state(server, ops, run).get("stage") == "persist"
             or run_state(server, ops, run).get("status") == "completed", 60)
    stage = run_state(server, ops, run).get("stage")
    db.stop_hard()
    time.sleep(0.5)
    db.start()
    wait_for("the run to complete", lambda: run_state(server, ops, run).get("status") in ("completed", "failed"), 120)
    state = run_state(server, ops, run)
    whole, detail = run_is_whole(db, run)
    jobs = job_attempts(db, f"recon:{c1}")
    record("PostgreSQL stopped during a recon run's persist step", int(landed(jobs)), 1,
           0 if state["status"] == "completed" and whole else 1,
           f"stopped at stage {stage}; the run {state['status']} with {detail}; its job (status:attempts) {jobs}"
           + ("" if landed(jobs) else " — the run had finished before the fault landed: not tried"))

    # 4. PostgreSQL stopped during a bulk exception action: all of it or none of it.
    matching = db.one(f"SELECT count(*) FROM exceptions WHERE cycle_date = '{c1}' AND status = 'open'")
    body = {"filter": {"cycleDate": c1, "status": "open"}, "action": "tag", "tags": ["fault-drill"]}
    out = {}

    def bulk():
        out["reply"] = request(server, "POST", "/api/recon/v1/exceptions/bulk", ops, body, timeout=60)

    import threading

    t = threading.Thread(target=bulk)
    t.start()
    time.sleep(0.15)
    db.stop_hard()
    t.join()
    db.start()
    wait_for("the API after the restart", lambda: get(server, "/api/recon/summary", ops)[0] == 200, 5)
    tagged = db.one("SELECT count(*) FROM exceptions WHERE 'fault-drill' = ANY(tags)")
    code = out["reply"][0]
    whole = (code == 200 and tagged == json.loads(out["reply"][1])["changed"]) or (code != 200 and tagged == 0)
    again = request(server, "POST", "/api/recon/v1/exceptions/bulk", ops, body, timeout=60)
    tagged_after = db.one("SELECT count(*) FROM exceptions WHERE 'fault-drill' = ANY(tags)")
    record("PostgreSQL stopped during a bulk exception action", 2, (code == 200) + (again[0] == 200),
           0 if whole and again[0] == 200 and tagged_after == matching else 1,
           f"{matching} open exceptions; the cut action answered {code} and left {tagged} tagged; "
           f"sent again: {again[0]}, {tagged_after} tagged")

    # 5. PostgreSQL stopped during batch creation: the job runs again; no batch half-written or twice.
    def batches(cycle):
        status, body = request(server, "POST", "/api/settlements/v1/batches", fin, {"cycleDate": cycle})
        assert status == 202, (status, body)
        return json.loads(body)["jobId"]

    def batch_job(job):
        status, body = get(server, f"/api/settlements/v1/jobs/{job}", fin)
        return json.loads(body) if status == 200 else {}

    def batches_whole(cycle):
        n = db.one(f"SELECT count(*) FROM settlement_batches WHERE cycle_date = '{cycle}'")
        per_merchant = db.one(f"SELECT count(*) FROM (SELECT merchant_id FROM settlement_batches WHERE cycle_date = '{cycle}' "
                              f"GROUP BY merchant_id HAVING count(*) > 1) x")
        torn = db.one(f"SELECT count(*) FROM settlement_batches b WHERE cycle_date = '{cycle}' AND txn_count <> "
                      f"(SELECT count(*) FROM settlement_items i WHERE i.batch_id = b.id)")
        left = db.one(f"SELECT count(*) FROM transactions t WHERE cycle_date = '{cycle}' AND status = 'RECONCILED' "
                      f"AND NOT EXISTS (SELECT 1 FROM settlement_items i WHERE i.transaction_id = t.id)")
        return n > 0 and per_merchant == 0 and torn == 0 and left == 0, \
            f"{n} batches, {per_merchant} merchants twice, {torn} torn, {left} reconciled transactions left out"

    def batch_creation_broken(name, cycle, fault):
        """Start the cycle's batch creation, apply `fault` the moment a worker has the job (it makes
        one batch per merchant, in one transaction each), then check what it left."""
        job = batches(cycle)
        wait_for("the batch job to start",
                 lambda: db.sql(f"SELECT status FROM jobs WHERE unique_key = 'settle:{cycle}'") != "queued", 30)
        fault()
        wait_for("the batch job to end", lambda: batch_job(job).get("status") in ("completed", "succeeded", "failed"), 120)
        whole, detail = batches_whole(cycle)
        jobs = job_attempts(db, f"settle:{cycle}")
        status = batch_job(job).get("status")
        record(name, int(landed(jobs)), 1, 0 if whole and status != "failed" else 1,
               f"job {status} (status:attempts {jobs}): {detail}"
               + ("" if landed(jobs) else " — the job had finished before the fault landed: not tried"))

    def database_bounce():
        db.stop_hard()
        time.sleep(0.5)
        db.start()

    def server_killed():
        server.signal(signal.SIGKILL)
        server.proc.wait()
        server.start()

    batch_creation_broken("PostgreSQL stopped during batch creation", c1, database_bounce)

    # 6. The server killed (SIGKILL) during a recon run: after a restart the job is taken over and finishes once.
    c2 = "2026-02-11"
    pg2, bank2 = generate(c2, "FB", ROWS)
    for kind, path in (("pg", pg2), ("bank", bank2)):
        status, reply = upload(server, ops, kind, c2, path)
        assert status in OK, reply
    run = start_run(server, ops, c2)
    # Under way (or, on a fast machine, already done: then the kill lands on nothing, and says so).
    wait_for("the run to be under way", lambda: run_state(server, ops, run).get("stage") in ("match", "persist")
             or run_state(server, ops, run).get("status") in ("completed", "failed"), 60)
    stage = run_state(server, ops, run).get("stage")
    server.signal(signal.SIGKILL)
    server.proc.wait()
    server.start()
    wait_for("the run to complete", lambda: run_state(server, ops, run).get("status") in ("completed", "failed"), 120)
    state = run_state(server, ops, run)
    whole, detail = run_is_whole(db, run)
    jobs = job_attempts(db, f"recon:{c2}")
    record("server killed (SIGKILL) during a recon run", int(landed(jobs)), 1,
           0 if state["status"] == "completed" and whole else 1,
           f"killed at stage {stage}; after a restart the run {state['status']} with {detail}; its job {jobs}")

    # 7. The server killed during batch creation.
    batch_creation_broken("server killed (SIGKILL) during batch creation", c2, server_killed)

    # 8. SIGTERM: an upload in flight finishes, and so does the running job; then the server exits.
    c3 = "2026-02-12"
    pg3, bank3 = generate(c3, "FC", ROWS)
    status, reply = upload(server, ops, "bank", c3, bank3)
    assert status in OK, reply
    slow = subprocess.Popen(upload_cmd(server, ops, "pg", c3, pg3, f"{max(os.path.getsize(pg3) // 3, 100000)}"),
                            stdout=subprocess.PIPE, text=True)
    time.sleep(1.0)
    stopped_at = time.time()
    server.signal(signal.SIGTERM)
    code = int(slow.communicate(timeout=150)[0] or 0)
    exit_code = server.proc.wait(timeout=60)
    rows = db.one(f"SELECT count(*) FROM transactions WHERE cycle_date = '{c3}'")
    record("SIGTERM during an upload", 1, int(code in OK), 0 if code in OK and rows == ROWS else 1,
           f"the upload in flight answered {code} with {rows} rows stored; the server exited {exit_code} "
           f"{time.time() - stopped_at:.1f} s after SIGTERM")
    server.start()
    run = start_run(server, ops, c3)
    wait_for("the run to be under way", lambda: run_state(server, ops, run).get("stage") in ("match", "persist", "load")
             or run_state(server, ops, run).get("status") in ("completed", "failed"), 60)
    before = run_state(server, ops, run)
    stage = before.get("stage")
    in_flight = before.get("status") not in ("completed", "failed")
    stopped_at = time.time()
    server.signal(signal.SIGTERM)
    exit_code = server.proc.wait(timeout=60)
    took = time.time() - stopped_at
    jobs = job_attempts(db, f"recon:{c3}")
    status = db.sql(f"SELECT status FROM recon_runs WHERE id = '{run}'")
    whole, detail = run_is_whole(db, run)
    record("SIGTERM during a recon run", int(in_flight), 1, 0 if status == "completed" and whole and jobs == "succeeded:1" else 1,
           f"stopped at stage {stage}; the stopping server finished the run ({status}, {detail}; job {jobs}) and "
           f"exited {exit_code} {took:.1f} s after SIGTERM")
    server.start()

    # 8b. SIGTERM with no grace for the job in hand, during a recon run: the work is dropped (its
    # transaction rolls back) and the job is queued again at once (the attempt counts) rather than
    # left running until its heartbeat goes stale; the restarted server finishes it, once.
    c5 = "2026-02-14"
    pg5, bank5 = generate(c5, "FE", ROWS)
    for kind, path in (("bank", bank5), ("pg", pg5)):
        status, reply = upload(server, ops, kind, c5, path)
        assert status in OK, reply
    server.signal(signal.SIGTERM)
    server.proc.wait(timeout=60)
    hasty = Server(db, {"SHUTDOWN_GRACE_SECS": "0"})
    hasty.start()
    run = start_run(hasty, ops, c5)
    wait_for("the run to be under way", lambda: run_state(hasty, ops, run).get("stage") in ("match", "persist", "load")
             or run_state(hasty, ops, run).get("status") in ("completed", "failed"), 60)
    in_flight = run_state(hasty, ops, run).get("status") not in ("completed", "failed")
    hasty.signal(signal.SIGTERM)
    exit_code = hasty.proc.wait(timeout=60)
    right_after = db.sql(f"SELECT status || ':' || attempts || ':' || coalesce(locked_by, '-') FROM jobs WHERE unique_key = 'recon:{c5}'")
    server.start()
    wait_for("the run to end", lambda: run_state(server, ops, run).get("status") in ("completed", "failed"), 180)
    status = db.sql(f"SELECT status FROM recon_runs WHERE id = '{run}'")
    whole, detail = run_is_whole(db, run)
    jobs = job_attempts(db, f"recon:{c5}")
    record("SIGTERM past the grace during a recon run", int(in_flight), 1,
           0 if status == "completed" and whole and jobs == ("succeeded:2" if right_after.startswith("queued") else "succeeded:1") else 1,
           f"the stopping server exited {exit_code}, its job then {right_after} (status:attempts:worker); after a "
           f"restart the run {status} with {detail}; job {jobs}")
    # The run may still have committed between the check above and the signal: then it succeeded
    # on its first attempt. What must never be seen is the job still running (left to go stale).
    if in_flight and not (right_after == "queued:1:-" or right_after.startswith("succeeded:1:")):
        problems.append(f"a job stopped at the shutdown deadline was not queued again at once: {right_after}")

    # 9. The object store's disk full during an upload: a clear error, nothing recorded.
    small = f"{WORK}/small-store"
    os.makedirs(small, exist_ok=True)
    mounted = AS_ROOT and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", small]).returncode == 0
    if mounted:
        try:
            server.proc.send_signal(signal.SIGTERM)
            server.proc.wait(timeout=60)
            full = Server(db, {"OBJECT_STORE_URL": f"file://{small}"})
            full.start()
            c4 = "2026-02-13"
            pg4, _ = generate(c4, "FD", max(ROWS // 4, 20000))
            code, reply = upload(full, ops, "pg", c4, pg4)
            rows = db.one(f"SELECT count(*) FROM transactions WHERE cycle_date = '{c4}'")
            files = db.one(f"SELECT count(*) FROM uploaded_files WHERE cycle_date = '{c4}'")
            clear = code == 507 and "full" in reply.lower()
            record("object store disk full during an upload", 1, int(code in OK), 0 if code not in OK and rows == 0 and files == 0 else 1,
                   f"answered {code}: {reply[:160]}; {rows} rows and {files} file records written")
            if not clear:
                problems.append(f"the disk-full answer does not say what happened: {code} {reply[:200]}")
            full.proc.send_signal(signal.SIGTERM)
            full.proc.wait(timeout=60)
        finally:
            subprocess.run(["umount", small])
    else:
        record("object store disk full during an upload", 0, 0, 0, "not tried: mounting a small tmpfs needs root")
        server.proc.send_signal(signal.SIGTERM)
        server.proc.wait(timeout=60)
    db.stop_hard()

    with open(f"{WORK}/faults.json", "w") as f:
        json.dump(results, f, indent=2)
    tried = sum(r["tried"] for r in results)
    lost = sum(r["lost"] for r in results)
    log(f"{len(results)} faults, {tried} writes tried, {lost} lost")
    if problems:
        for p in problems:
            log(f"PROBLEM: {p}")
        sys.exit(1)


if __name__ == "__main__":
    try:
        main()
    finally:
        for s in servers:
            if s.proc and s.proc.poll() is None:
                s.proc.kill()
                s.proc.wait()
