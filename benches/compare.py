#!/usr/bin/env python3
"""Side-by-side benchmark of llp against llama.cpp's own tools, on the same model and threads.

    python3 benches/compare.py --llama-bin DIR [--llp target/debug/llp] [--rounds 3]

DIR holds llama-bench and llama-server built from llama.cpp (for example from the sources in
the llama-cpp-python sdist: cmake -B build -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON
-DGGML_F16C=ON && cmake --build build --target llama-bench llama-server).

Engine: llama-bench pp512/tg128 against `llp bench --engine-only`, alternating, medians.
API: llama-server and `llp serve` with the same threads, slots and context, each loaded by the
same client (`llp bench --url ... --api-only`), alternating. Prints ratios llp / llama.cpp:
absolute speeds on a shared machine swing with its load, ratios from one run hold better.
"""
import argparse, json, os, signal, socket, statistics, subprocess, sys, tempfile, time
from pathlib import Path


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def wait_http(url, proc, secs=120):
    import urllib.request
    end = time.time() + secs
    while time.time() < end:
        if proc.poll() is not None:
            sys.exit(f"server exited early ({proc.returncode})")
        try:
            urllib.request.urlopen(url, timeout=2).read(); return
        except Exception:
            time.sleep(0.2)
    sys.exit(f"{url} not up")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--llama-bin", required=True)
    ap.add_argument("--llp", default="target/debug/llp")
    ap.add_argument("--model", default=None, help="GGUF path (default: the llp default model)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--slots", type=int, default=4)
    ap.add_argument("--ctx-per-slot", type=int, default=2048)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--clients", default="8,50")
    ap.add_argument("--duration", type=int, default=30)
    ap.add_argument("--skip-api", action="store_true")
    ap.add_argument("--skip-engine", action="store_true")
    a = ap.parse_args()
    llp = str(Path(a.llp).resolve())
    lb = Path(a.llama_bin)
    model = a.model or subprocess.check_output([llp, "models", "path", "smollm2-135m-instruct:q4_1"], text=True).strip()
    data = tempfile.mkdtemp(prefix="llp-compare-")
    env = dict(os.environ, LLP_LOG="warn")
    out = {"model": model, "threads": a.threads, "slots": a.slots}

    if not a.skip_engine:
        ref, ours = {"pp": [], "tg": []}, {"pp": [], "tg": []}
        for r in range(a.rounds):
            j = json.loads(subprocess.check_output(
                [str(lb / "llama-bench"), "-m", model, "-t", str(a.threads), "-p", "512", "-n", "128", "-r", "3", "-o", "json"],
                text=True, stderr=subprocess.DEVNULL))
            for t in j:
                ref["pp" if t["n_prompt"] else "tg"].append(t["avg_ts"])
            j = json.loads(subprocess.check_output(
                [llp, "bench", "--engine-only", "--json", "--reps", "3", "--threads", str(a.threads), "--data-dir", data],
                text=True, env=env))
            ours["pp"].append(j["engine"]["prompt_tokens_per_s"]); ours["tg"].append(j["engine"]["generation_tokens_per_s"])
            print(f"round {r+1}: llama-bench pp {ref['pp'][-1]:.1f} tg {ref['tg'][-1]:.1f} | llp pp {ours['pp'][-1]:.1f} tg {ours['tg'][-1]:.1f}", flush=True)
        e = {k: {"llama_bench": statistics.median(ref[k]), "llp": statistics.median(ours[k])} for k in ref}
        for k in e:
            e[k]["ratio"] = e[k]["llp"] / e[k]["llama_bench"]
            print(f"engine {k}: llama-bench {e[k]['llama_bench']:.1f} tok/s, llp {e[k]['llp']:.1f} tok/s, ratio {e[k]['ratio']:.3f}")
        out["engine"] = e

    if not a.skip_api:
        runs = {"llama-server": [], "llp": []}
        for r in range(max(1, a.rounds - 1)):
            for name in ("llama-server", "llp"):
                port = free_port()
                if name == "llama-server":
                    cmd = [str(lb / "llama-server"), "-m", model, "-t", str(a.threads), "-tb", str(a.threads),
                           "-np", str(a.slots), "-c", str(a.slots * a.ctx_per_slot), "--port", str(port), "--host", "127.0.0.1"]
                else:
                    cmd = [llp, "serve", "--data-dir", data, "--api", f"127.0.0.1:{port}", "--threads", str(a.threads),
                           "--slots", str(a.slots), "--ctx-size", str(a.ctx_per_slot)]
                proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
                try:
                    wait_http(f"http://127.0.0.1:{port}/health", proc)
                    j = json.loads(subprocess.check_output(
                        [llp, "bench", "--api-only", "--json", "--url", f"http://127.0.0.1:{port}", "--clients", a.clients,
                         "--duration", str(a.duration), "--data-dir", data], text=True, env=env))
                finally:
                    proc.send_signal(signal.SIGTERM); proc.wait(timeout=30)
                runs[name].append(j["api"])
                for x in j["api"]:
                    print(f"round {r+1} {name:12} clients {x['clients']:3}: {x['generated_tokens_per_s']:7.1f} tok/s, "
                          f"{x['requests_per_s']:.2f} req/s, p50 {x['latency_p50_s']:.2f} s, p95 {x['latency_p95_s']:.2f} s, "
                          f"ttft p50 {x['ttft_p50_s']:.3f} s, failed {x['failed']}", flush=True)
        api = []
        for i, c in enumerate(a.clients.split(",")):
            med = lambda name, key: statistics.median(run[i][key] for run in runs[name])
            row = {"clients": int(c)}
            for key in ("generated_tokens_per_s", "latency_p50_s", "latency_p95_s", "ttft_p50_s"):
                row[key] = {"llama_server": med("llama-server", key), "llp": med("llp", key)}
                row[key]["ratio"] = row[key]["llp"] / row[key]["llama_server"] if row[key]["llama_server"] else None
            api.append(row)
            print(f"api {c} clients: throughput ratio {row['generated_tokens_per_s']['ratio']:.3f} (higher is better), "
                  f"p50 latency ratio {row['latency_p50_s']['ratio']:.3f} (lower is better)")
        out["api"] = api
    print(json.dumps(out))


if __name__ == "__main__":
    main()
