import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * TEST FIXTURE, for tests that need a controllable fake (a crash, a restart): a stand-in for functions/frameworks/scripts/serve.py, following the brief's worker
 * contract (env SAGEMAKER_SUBMIT_DIRECTORY, SM_MODEL_DIR, SAGEMAKER_BIND_TO_PORT, MLHUB_ALLOW_PICKLES;
 * GET /ping 200 once loaded or 500 with {"error": {"code", "message"}}; POST /invocations; stderr
 * logs; exits on SIGTERM). Its "model" is model.joblib holding JSON {"w": [...], "b": n}: each
 * instance's answer is w·x + b (model.joblib may sit in the bundle's top folder), so the test computes what it must say. {"fail": "..."} makes
 * /ping answer 500 model_load_failed with that message; with MLHUB_ALLOW_PICKLES=0 it answers
 * 500 pickle_refused. It checks that inference.py and mlhub_serving/ came from the scripts archive.
 */
const SERVE_PY = String.raw`
import json, os, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

model_dir = os.environ["SM_MODEL_DIR"]
code_dir = os.environ["SAGEMAKER_SUBMIT_DIRECTORY"]
port = int(os.environ["SAGEMAKER_BIND_TO_PORT"])
program = os.environ.get("SAGEMAKER_PROGRAM")

def load():
    if program != "inference.py" or not os.path.isfile(os.path.join(code_dir, program)) or not os.path.isdir(os.path.join(code_dir, "mlhub_serving")):
        return None, ("model_load_failed", "the scripts archive lacks inference.py or mlhub_serving")
    if os.environ.get("MLHUB_ALLOW_PICKLES") != "1":
        return None, ("pickle_refused", "pickles are off (MLHUB_ALLOW_PICKLES=0): model.joblib was not loaded")
    # Bundles usually hold one top folder (tar czf b.tar.gz iris), which SageMaker unpacks as it is.
    found = [os.path.join(root, "model.joblib") for root, _, files in os.walk(model_dir) if "model.joblib" in files]
    with open(found[0]) as f:
        model = json.load(f)
    if "fail" in model:
        return None, ("model_load_failed", model["fail"])
    return model, None

model, problem = load()
print(("stand-in worker loaded, pid %d" % os.getpid()) if model else "stand-in worker failed: " + problem[1], file=sys.stderr, flush=True)

class Handler(BaseHTTPRequestHandler):
    def answer(self, status, document):
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path != "/ping":
            return self.answer(404, {"error": {"code": "not_found", "message": self.path}})
        if problem:
            return self.answer(500, {"error": {"code": problem[0], "message": problem[1]}})
        self.answer(200, {"status": "ok"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        try:
            instances = json.loads(self.rfile.read(length))["instances"]
            rows = [sum(w * x for w, x in zip(model["w"], row, strict=True)) + model["b"] for row in instances]
        except Exception as error:
            return self.answer(400, {"error": {"code": "invalid_input", "message": str(error)}})
        self.answer(200, {"predictions": rows})

    def log_message(self, format, *args):
        print(format % args, file=sys.stderr, flush=True)

HTTPServer(("127.0.0.1", port), Handler).serve_forever()
`;

/** Writes the stand-in scripts folder (serve.py, sklearn/inference.py, mlhub_serving/) and returns its path. */
export async function standInScripts(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mlhub-stand-in-scripts-'));
  await mkdir(join(dir, 'sklearn'));
  await mkdir(join(dir, 'mlhub_serving'));
  await writeFile(join(dir, 'serve.py'), SERVE_PY);
  await writeFile(join(dir, 'sklearn', 'inference.py'), '# stand-in: the test worker does not import it\n');
  await writeFile(join(dir, 'mlhub_serving', '__init__.py'), '');
  return dir;
}
