"""Load on the kaohe HTTP API over loopback, from a second process: latency, throughput, soak.

    python bench/api_load.py                       # start a server, run single + batch, print figures
    python bench/api_load.py --mode soak           # 64 clients for 60 s: errors, server RSS over time
    python bench/api_load.py --url http://127.0.0.1:8000 --mode single   # against a running server

Single-teacher requests (POST /v1/evaluations/teacher, detail=compact) at 1, 16 and 64 concurrent
clients: p50/p99 latency and requests/s. Batch: POST /v1/evaluations/stream (JSON Lines, one
school a line) and POST /v1/evaluations (one JSON body), teachers/s. Soak: 64 clients for
--soak-seconds, every answer checked, the server's RSS sampled each second.

Bounded: every phase stops at --requests requests or --seconds seconds, whichever first, and the
target must be a loopback address. The client is a minimal HTTP/1.1 keep-alive client on asyncio
(uvloop when installed), so that it takes as little of the machine's CPU as it can.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "examples"))

import generate_guangdong  # noqa: E402

AS_OF = "2022-12-31"


# ---- a small HTTP/1.1 client ---------------------------------------------------------------------

class Connection:
    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port, limit=1 << 20)
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except Exception:
                pass

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            await self.open()
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length, chunked, close = None, False, False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and b"close" in value.lower():
                close = True
        if chunked:
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            body = b"".join(parts)
        else:
            body = await self.reader.readexactly(length or 0)
        if close:
            await self.close()
            self.writer = None
        return status, body


def http_request(method: str, path: str, host: str, body: bytes = b"", content_type: str = "application/json",
                 headers: dict | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body


# ---- phases --------------------------------------------------------------------------------------

def teacher_bodies(count: int, seed: int) -> list[bytes]:
    teachers = [t for s in generate_guangdong.iter_schools(count, 40, seed) for t in s["teachers"]][:count]
    return [json.dumps({"ruleset": "guangdong", "as_of": AS_OF, "detail": "compact", "teacher": t},
                       ensure_ascii=False).encode("utf-8") for t in teachers]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


async def run_clients(host: str, port: int, requests: list[bytes], clients: int, max_requests: int, seconds: float,
                      check=None) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    counter = {"sent": 0}
    deadline = time.perf_counter() + seconds

    async def client(index: int) -> None:
        conn = Connection(host, port)
        await conn.open()
        i = index
        try:
            while counter["sent"] < max_requests and time.perf_counter() < deadline:
                counter["sent"] += 1
                raw = requests[i % len(requests)]
                i += clients
                start = time.perf_counter()
                try:
                    status, body = await conn.request(raw)
                except (ConnectionError, asyncio.IncompleteReadError) as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")
                    await conn.close()
                    conn = Connection(host, port)
                    await conn.open()
                    continue
                latencies.append(time.perf_counter() - start)
                if status != 200:
                    errors.append(f"HTTP {status}: {body[:200]!r}")
                elif check is not None:
                    problem = check(body)
                    if problem:
                        errors.append(problem)
        finally:
            await conn.close()

    start = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    elapsed = time.perf_counter() - start
    return {"clients": clients, "requests": len(latencies), "errors": len(errors), "first_errors": errors[:3],
            "seconds": round(elapsed, 2), "rps": round(len(latencies) / elapsed, 1),
            "p50_ms": round(percentile(latencies, 50) * 1000, 2) if latencies else None,
            "p99_ms": round(percentile(latencies, 99) * 1000, 2) if latencies else None,
            "mean_ms": round(statistics.fmean(latencies) * 1000, 2) if latencies else None}


async def single_phase(host, port, bodies, levels, max_requests, seconds, headers, pids) -> list[dict]:
    raws = [http_request("POST", "/v1/evaluations/teacher", f"{host}:{port}", b, headers=headers) for b in bodies]
    out = []
    # warm-up: every distinct teacher once, so each rule outcome is decided before timing
    await run_clients(host, port, raws, 4, len(raws), seconds)
    for clients in levels:
        before = cpu_seconds(pids)
        row = await run_clients(host, port, raws, clients, max_requests, seconds)
        if pids and row["requests"]:
            row["server_cpu_us_per_request"] = round((cpu_seconds(pids) - before) / row["requests"] * 1e6, 1)
        row["loadavg_1m_after"] = round(os.getloadavg()[0], 2)
        out.append(row)
    return out


def _stream_body(schools: list[dict]) -> bytes:
    return b"".join(json.dumps(s, ensure_ascii=False).encode("utf-8") + b"\n" for s in schools)


async def batch_phase(host, port, teachers: int, seed: int, seconds: float, headers, streams: int = 1,
                      detail: str = "compact", pids: list[int] = ()) -> dict:
    schools = list(generate_guangdong.iter_schools(teachers, 50, seed))
    count = sum(len(s["teachers"]) for s in schools)
    body = _stream_body(schools)
    raw = http_request("POST", f"/v1/evaluations/stream?ruleset=guangdong&as_of={AS_OF}&detail={detail}", f"{host}:{port}",
                       body, content_type="application/x-ndjson", headers=headers)
    # warm-up with a slice, then time `streams` concurrent uploads of the whole export
    warm = Connection(host, port)
    await warm.request(http_request("POST", f"/v1/evaluations/stream?ruleset=guangdong&as_of={AS_OF}&detail={detail}",
                                    f"{host}:{port}", _stream_body(schools[:40]), "application/x-ndjson", headers))
    await warm.close()

    async def one() -> tuple[int, bytes, float]:
        conn = Connection(host, port)
        start = time.perf_counter()
        status, answer = await asyncio.wait_for(conn.request(raw), seconds)
        took = time.perf_counter() - start
        await conn.close()
        return status, answer, took

    before = cpu_seconds(pids)
    start = time.perf_counter()
    results = await asyncio.gather(*(one() for _ in range(streams)))
    elapsed = time.perf_counter() - start
    cpu = cpu_seconds(pids) - before
    errors, evaluated = 0, 0
    for status, answer, _ in results:
        lines = answer.splitlines()
        end = json.loads(lines[-1]) if lines else {}
        if status != 200 or end.get("type") != "end" or not end.get("complete") or end["summary"]["errors"]:
            errors += 1
        evaluated += end.get("summary", {}).get("teachers", 0)
    return {"endpoint": "POST /v1/evaluations/stream", "detail": detail, "streams": streams, "teachers": evaluated,
            "expected_teachers": count * streams, "bytes_in": len(body) * streams, "errors": errors,
            "seconds": round(elapsed, 2), "teachers_per_s": round(evaluated / elapsed),
            "server_cpu_us_per_teacher": round(cpu / evaluated * 1e6, 1) if pids and evaluated else None,
            "loadavg_1m_after": round(os.getloadavg()[0], 2)}


async def json_batch_phase(host, port, teachers: int, seed: int, seconds: float, headers, detail="compact") -> dict:
    schools = list(generate_guangdong.iter_schools(teachers, 50, seed))
    count = sum(len(s["teachers"]) for s in schools)
    body = json.dumps({"ruleset": "guangdong", "as_of": AS_OF, "detail": detail, "schools": schools},
                      ensure_ascii=False).encode("utf-8")
    raw = http_request("POST", "/v1/evaluations", f"{host}:{port}", body, headers=headers)
    conn = Connection(host, port)
    await conn.request(raw)  # warm-up
    start = time.perf_counter()
    status, answer = await asyncio.wait_for(conn.request(raw), seconds)
    elapsed = time.perf_counter() - start
    await conn.close()
    summary = json.loads(answer).get("summary", {}) if status == 200 else {}
    return {"endpoint": "POST /v1/evaluations", "detail": detail, "teachers": summary.get("teachers", 0),
            "expected_teachers": count, "bytes_in": len(body), "status": status, "seconds": round(elapsed, 2),
            "teachers_per_s": round(summary.get("teachers", 0) / elapsed)}


# ---- the server ----------------------------------------------------------------------------------

def rss_mib(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (0 when they are not ours to see)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / ticks


def server_pids(root: int) -> list[int]:
    """The server process and its direct children (workers; with one worker, the idle ruleset checker)."""
    pids = [root]
    try:
        children = Path(f"/proc/{root}/task/{root}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    return pids


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, workers: int, access_log: bool) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "kaohe.api.server", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
           "--log-level", "warning", "--no-auth"]
    if access_log:
        cmd.append("--access-log")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if b" 200 " in s.recv(100):
                    return proc
        except OSError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not become ready in 60 s")


def loopback(host: str) -> bool:
    try:
        return all(ipaddress.ip_address(info[4][0]).is_loopback for info in socket.getaddrinfo(host, None))
    except (OSError, ValueError):
        return False


async def soak_phase(host, port, bodies, clients, seconds, pids, headers) -> dict:
    raws = [http_request("POST", "/v1/evaluations/teacher", f"{host}:{port}", b, headers=headers) for b in bodies]
    samples: list[tuple[float, float]] = []
    stop = asyncio.Event()

    async def sample() -> None:
        start = time.perf_counter()
        while not stop.is_set():
            samples.append((round(time.perf_counter() - start, 1), round(rss_mib(pids), 1)))
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except asyncio.TimeoutError:
                pass

    def check(body: bytes) -> str | None:
        return None if b'"verdict"' in body else f"no verdict in {body[:120]!r}"

    sampler = asyncio.create_task(sample())
    result = await run_clients(host, port, raws, clients, 10 ** 9, seconds, check)
    stop.set()
    await sampler
    rss = [m for _, m in samples] or [0.0]
    settled = next((m for t, m in samples if t >= min(10.0, seconds / 6)), rss[0])  # after warm-up
    result.update(rss_start_mib=rss[0], rss_at_10s_mib=settled, rss_end_mib=rss[-1], rss_max_mib=max(rss),
                  rss_growth_after_10s_mib=round(rss[-1] - settled, 1), rss_samples=samples)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server (loopback only); default: start one")
    parser.add_argument("--workers", type=int, default=1, help="server workers when this starts the server")
    parser.add_argument("--access-log", action="store_true", help="server writes an access log line per request")
    parser.add_argument("--mode", choices=("all", "single", "batch", "soak"), default="all")
    parser.add_argument("--levels", default="1,16,64", help="concurrent clients for single-teacher requests")
    parser.add_argument("--requests", type=int, default=20000, help="most requests per level")
    parser.add_argument("--seconds", type=float, default=20, help="most seconds per level or batch")
    parser.add_argument("--distinct", type=int, default=2000, help="distinct teachers in the request pool")
    parser.add_argument("--batch-teachers", type=int, default=20000)
    parser.add_argument("--json-batch-teachers", type=int, default=5000, help="teachers in one POST /v1/evaluations")
    parser.add_argument("--soak-seconds", type=float, default=60)
    parser.add_argument("--soak-clients", type=int, default=64)
    parser.add_argument("--api-key", default=os.environ.get("KAOHE_API_KEY"))
    parser.add_argument("--seed", type=int, default=2022)
    parser.add_argument("--json-out", help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.soak_seconds > 600 or args.seconds > 600:
        parser.error("phases are bounded at 600 s")

    proc = None
    if args.url:
        parts = urlsplit(args.url)
        host, port = parts.hostname, parts.port or 80
        pids: list[int] = []
    else:
        host, port = "127.0.0.1", free_port()
        proc = start_server(port, args.workers, args.access_log)
        pids = server_pids(proc.pid)
    if not loopback(host):
        parser.error(f"{host} is not a loopback address: this benchmark only sends traffic to this machine")
    headers = {"Authorization": f"Bearer {args.api_key}"} if args.api_key else None
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    report: dict = {"server": {"url": args.url or f"http://{host}:{port}", "workers": args.workers if proc else None,
                               "access_log": args.access_log}, "cpus": os.cpu_count(),
              "loadavg_before": os.getloadavg()}
    try:
        bodies = teacher_bodies(args.distinct, args.seed)
        if args.mode in ("all", "single"):
            levels = [int(x) for x in args.levels.split(",")]
            report["single_teacher"] = asyncio.run(single_phase(host, port, bodies, levels, args.requests, args.seconds,
                                                                headers, pids))
            for row in report["single_teacher"]:
                print(f"single teacher  clients={row['clients']:>3}  p50={row['p50_ms']} ms  p99={row['p99_ms']} ms  "
                      f"{row['rps']} req/s  ({row['requests']} requests, {row['errors']} errors; server CPU "
                      f"{row.get('server_cpu_us_per_request')} us/request; load {row['loadavg_1m_after']})", flush=True)
        if args.mode in ("all", "batch"):
            report["batch"] = []
            for streams, detail in ((1, "compact"), (2, "compact"), (1, "full")):
                row = asyncio.run(batch_phase(host, port, args.batch_teachers, args.seed, max(args.seconds, 120), headers,
                                              streams, detail, pids))
                report["batch"].append(row)
                print(f"batch stream  detail={detail:<7} streams={streams}  {row['teachers_per_s']} teachers/s  "
                      f"({row['teachers']} teachers in {row['seconds']} s, {row['errors']} errors; server CPU "
                      f"{row['server_cpu_us_per_teacher']} us/teacher; load {row['loadavg_1m_after']})", flush=True)
            row = asyncio.run(json_batch_phase(host, port, args.json_batch_teachers, args.seed, max(args.seconds, 120),
                                               headers))
            report["batch"].append(row)
            print(f"batch json    detail=compact  {row['teachers_per_s']} teachers/s  ({row['teachers']} teachers in "
                  f"{row['seconds']} s, HTTP {row['status']})", flush=True)
        if args.mode == "soak":
            if not pids:
                print("note: --url given, so the server's RSS cannot be sampled", file=sys.stderr)
            row = asyncio.run(soak_phase(host, port, bodies, args.soak_clients, args.soak_seconds, pids, headers))
            report["soak"] = row
            print(f"soak  clients={row['clients']}  {row['seconds']} s  {row['requests']} requests  {row['errors']} errors  "
                  f"p50={row['p50_ms']} ms  p99={row['p99_ms']} ms  {row['rps']} req/s  server RSS: start {row['rss_start_mib']} "
                  f"MiB, at 10 s {row['rss_at_10s_mib']} MiB, end {row['rss_end_mib']} MiB, max {row['rss_max_mib']} MiB "
                  f"(growth after 10 s: {row['rss_growth_after_10s_mib']} MiB)", flush=True)
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    failed = any(r.get("errors") for r in report.get("single_teacher", []) + report.get("batch", [])) or \
        (report.get("soak") or {}).get("errors")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
