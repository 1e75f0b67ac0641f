"""Does a DuckLake catalog on a local PostgreSQL work with this Python's DuckDB? Measured, not assumed.

Starts a throw-away PostgreSQL (Debian's `postgresql` package: initdb + pg_ctl on a Unix
socket in a temporary folder), loads the DuckLake and postgres extensions from their pip
packages (`duckdb-extension-ducklake`, `duckdb-extension-postgres`: no machine here can
download extensions at run time), attaches `ducklake:postgres:` with a local DATA_PATH, writes
100,000 rows, then lets several processes commit into one table at once (what a single DuckDB
file cannot do) and checks every row arrived. Prints one JSON object; exit code 2 when blocked
(the reason is in "blocked").

It imports nothing of carbonwatch, so it runs under any interpreter with a DuckDB:

    .venv/bin/python benchmarks/ducklake_probe.py          # the project's DuckDB (2.0.0): blocked
    uv venv /tmp/dl && uv pip install --python /tmp/dl/bin/python duckdb==1.5.5 \\
        duckdb-extension-ducklake==1.5.5 duckdb-extension-postgres==1.5.5
    /tmp/dl/bin/python benchmarks/ducklake_probe.py        # works
"""
from __future__ import annotations

import glob
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WRITERS = 3
COMMITS = 20
ROWS_PER_COMMIT = 500


def extension_file(package: str, name: str, version: str) -> Path | None:
    """The extension file a pip package ships for DuckDB `version`, or None."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    found = Path(list(spec.submodule_search_locations)[0]) / "extensions" / f"v{version}" / f"{name}.duckdb_extension"
    return found if found.is_file() else None


def shipped_versions(package: str) -> list[str]:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return []
    return sorted(p.name for p in (Path(list(spec.submodule_search_locations)[0]) / "extensions").glob("v*"))


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class LocalPostgres:
    """A PostgreSQL cluster in a temporary folder, on a Unix socket only (no TCP port)."""

    def __init__(self, bindir: Path, port: int = 54329):
        self.bindir, self.port = bindir, port
        self.root = Path(tempfile.mkdtemp(prefix="cw-pg-"))
        self.data, self.socket = self.root / "data", self.root / "sock"
        # PostgreSQL refuses to run as root: run it as the `postgres` user then
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *cmd: str) -> None:
        subprocess.run([*self.as_user, *cmd], check=True, capture_output=True, text=True)

    def __enter__(self) -> "LocalPostgres":
        self.socket.mkdir(parents=True)
        if self.as_user:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.socket, "postgres")
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-w", "-l", str(self.root / "pg.log"), "-o",
                  f"-k {self.socket} -p {self.port} -c listen_addresses=", "start")
        self._run(str(self.bindir / "createdb"), "-h", str(self.socket), "-p", str(self.port), "-U", "postgres", "lake")
        return self

    def __exit__(self, *exc) -> None:
        subprocess.run([*self.as_user, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop"],
                       capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)

    @property
    def dsn(self) -> str:
        return f"dbname=lake host={self.socket} port={self.port} user=postgres"


def connect_lake(dsn: str, data_path: str, extensions: list[Path]):
    import duckdb

    con = duckdb.connect(config={"allow_unsigned_extensions": "true", "autoinstall_known_extensions": "false",
                                 "autoload_known_extensions": "false"})
    for ext in extensions:
        con.execute(f"LOAD '{ext}'")
    con.execute(f"ATTACH 'ducklake:postgres:{dsn}' AS lake (DATA_PATH '{data_path}')")
    return con


def writer(name: str, dsn: str, data_path: str, extensions: list[str]) -> None:
    """One process committing COMMITS transactions into lake.documents."""
    con = connect_lake(dsn, data_path, [Path(e) for e in extensions])
    t0, retries = time.perf_counter(), 0
    for i in range(COMMITS):
        while True:
            try:
                con.execute("BEGIN")
                con.execute(f"INSERT INTO lake.documents SELECT '{name}-{i}-' || j, {i} FROM range({ROWS_PER_COMMIT}) t(j)")
                con.execute("COMMIT")
                break
            except Exception:  # a write-write conflict: DuckLake asks the loser to retry
                con.execute("ROLLBACK")
                retries += 1
    print(json.dumps({"writer": name, "seconds": round(time.perf_counter() - t0, 2), "retries": retries}))


def probe() -> dict:
    import duckdb

    version = duckdb.__version__
    out: dict = {"duckdb": version}
    # the postgres extension's entry point is postgres_scanner: its file must carry that name
    ducklake = extension_file("duckdb_extension_ducklake", "ducklake", version)
    postgres = extension_file("duckdb_extension_postgres", "postgres", version)
    if ducklake is None or postgres is None:
        out["blocked"] = (f"no DuckLake/postgres extension for DuckDB {version} on this machine: the pip packages ship "
                          f"{shipped_versions('duckdb_extension_ducklake') or 'nothing'} (ducklake), "
                          f"{shipped_versions('duckdb_extension_postgres') or 'nothing'} (postgres), and an extension "
                          "loads only into the DuckDB version it was built for")
        return out
    bindir = postgres_bin()
    if bindir is None:
        out["blocked"] = "PostgreSQL is not installed (Debian: apt-get install -y postgresql)"
        return out
    with tempfile.TemporaryDirectory(prefix="cw-lake-") as tmp, LocalPostgres(bindir) as pg:
        scanner = Path(tmp) / "postgres_scanner.duckdb_extension"
        shutil.copy(postgres, scanner)
        extensions = [scanner, ducklake]
        data_path = str(Path(tmp) / "data") + "/"
        t0 = time.perf_counter()
        con = connect_lake(pg.dsn, data_path, extensions)
        out["attach_s"] = round(time.perf_counter() - t0, 2)
        con.execute("CREATE TABLE lake.facts (fact_id VARCHAR, case_no INTEGER, metric VARCHAR, year INTEGER)")
        con.execute("CREATE TABLE lake.documents (document_id VARCHAR, run INTEGER)")
        t0 = time.perf_counter()
        con.execute("INSERT INTO lake.facts SELECT 'f' || i, i % 2000, 'net_zero', 2050 FROM range(100000) t(i)")
        out["insert_100k_rows_s"] = round(time.perf_counter() - t0, 2)
        out["facts"] = con.execute("SELECT count(*) FROM lake.facts").fetchall()[0][0]
        con.close()
        t0 = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, __file__, "--writer", f"w{i}", pg.dsn, data_path,
                                   *map(str, extensions)], stdout=subprocess.PIPE, text=True) for i in range(WRITERS)]
        out["writers"] = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
        out["concurrent_writers_s"] = round(time.perf_counter() - t0, 2)
        con = connect_lake(pg.dsn, data_path, extensions)
        out["documents"], out["distinct_documents"] = con.execute(
            "SELECT count(*), count(DISTINCT document_id) FROM lake.documents").fetchall()[0]
        out["expected_documents"] = WRITERS * COMMITS * ROWS_PER_COMMIT
        out["snapshots"] = con.execute("SELECT count(*) FROM lake.snapshots()").fetchall()[0][0]
        out["parquet_files"] = len(list(Path(data_path).rglob("*.parquet")))
        con.close()
    return out


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--writer":
        writer(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
    else:
        result = probe()
        print(json.dumps(result, indent=1))
        sys.exit(2 if "blocked" in result else 0)
