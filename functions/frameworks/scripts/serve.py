#!/usr/bin/env python3
"""MLHub's local framework worker: one model, served in SageMaker's container contract.

Started by MLHub (`npm start`) as `/usr/bin/python3 functions/frameworks/scripts/serve.py` with:
- SAGEMAKER_SUBMIT_DIRECTORY: the folder holding the framework's inference.py (mlhub_serving is
  found there or beside this file);
- SAGEMAKER_PROGRAM: the script's file name (default inference.py);
- SM_MODEL_DIR: the unpacked bundle;
- SAGEMAKER_BIND_TO_PORT: the port (0 picks a free one; the "listening" log line says which);
- MLHUB_ALLOW_MODEL_CODE (or its earlier name MLHUB_ALLOW_PICKLES): 1 lets pickles load through the
  allow-listed loader, 0 (the default) refuses them.

It loads the model once through model_fn before it listens, then serves, on 127.0.0.1 only:
- GET /ping: 200 {"status": "ready"} when the model loaded; else 500
  {"error": {"code": "model_load_failed"|"pickle_refused"|"framework_missing", "message"}};
- POST /invocations: input_fn(body, Content-Type) -> predict_fn -> output_fn(prediction, Accept),
  answered with output_fn's body and type; a script error is {"error": {"code", "message"}} with
  the error's status (4xx for bad input), else 500 model_failed.
Every log line goes to stderr as one JSON object (the listening line, load failures, warnings, one line per
request). SIGTERM and SIGINT stop it cleanly (exit 0).

With MLHUB_PARENT_WATCH=1 (MLHub's local runtime sets it) it also exits when the process that
started it is gone, however it ended (kill -9 included): its stdin, a pipe MLHub holds open and
never writes, reaches EOF, or its parent process id changes. A worker never outlives MLHub.
"""

import importlib.util
import json
import os
import signal
import sys
import threading
import time
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOST = '127.0.0.1'
# InvokeEndpoint takes at most 6 MB of payload; the worker takes no more.
MAX_BODY_BYTES = 6 * 1024 * 1024
LOAD_CODES = ('model_load_failed', 'pickle_refused', 'framework_missing')


def log(**fields):
    fields = {'time': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()), **fields}
    sys.stderr.write(json.dumps(fields, default=str) + '\n')
    sys.stderr.flush()


def error_body(code, message):
    return json.dumps({'error': {'code': code, 'message': message}}).encode('utf-8')


def describe(error, fallback_code):
    """(status, code, message) of an exception: a ServingError's own, else a 500 with its type."""
    code = getattr(error, 'code', None)
    status = getattr(error, 'status', None)
    if isinstance(code, str) and isinstance(status, int):
        return status, code, getattr(error, 'message', None) or str(error)
    return 500, fallback_code, f'{type(error).__name__}: {error}'


HERE = os.path.dirname(os.path.abspath(__file__))
# Python puts this script's folder first on sys.path, and its sklearn/, xgboost/, pytorch/ and
# tensorflow/ folders would then import as namespace packages wherever the real framework is
# missing (`import tensorflow` succeeding on a folder of scripts). Only mlhub_serving is wanted
# from here, so the folder comes off the path and the package is registered by location.
sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or '.') != HERE]


def register_shared_package(directory):
    """mlhub_serving from the submit directory (SageMaker's layout) if it is there, else from beside this file."""
    for folder in (directory, HERE):
        package = os.path.join(folder, 'mlhub_serving')
        if os.path.isfile(os.path.join(package, '__init__.py')):
            spec = importlib.util.spec_from_file_location('mlhub_serving', os.path.join(package, '__init__.py'), submodule_search_locations=[package])
            module = importlib.util.module_from_spec(spec)
            sys.modules['mlhub_serving'] = module
            spec.loader.exec_module(module)
            return


def load_script(directory, program):
    """The framework's inference.py as a module, its folder first on the path as in SageMaker's containers."""
    register_shared_package(directory)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    spec = importlib.util.spec_from_file_location('inference', os.path.join(directory, program))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Worker:
    """The script and its model, or why the model could not load (status, code, message)."""

    def __init__(self, environ):
        self.script = None
        self.model = None
        self.failure = None
        directory = environ.get('SAGEMAKER_SUBMIT_DIRECTORY', '')
        program = environ.get('SAGEMAKER_PROGRAM', 'inference.py')
        try:
            self.script = load_script(directory, program)
            self.model = self.script.model_fn(environ.get('SM_MODEL_DIR', '/opt/ml/model'))
        except ImportError as error:
            from mlhub_serving.errors import framework_missing
            self.failure = describe(framework_missing(error.name or 'unknown', str(error)), 'model_load_failed')
        except Exception as error:  # noqa: BLE001 - any load failure is reported, not raised
            status, code, message = describe(error, 'model_load_failed')
            self.failure = (500, code if code in LOAD_CODES else 'model_load_failed', message)

    def invoke(self, body, content_type, accept):
        """(status, body, content type) for one invocation."""
        if self.failure:
            status, code, message = self.failure
            return status, error_body(code, message), 'application/json'
        try:
            data = self.script.input_fn(body, content_type)
            prediction = self.script.predict_fn(data, self.model)
            result = self.script.output_fn(prediction, accept)
        except Exception as error:  # noqa: BLE001 - the client gets the error as JSON
            status, code, message = describe(error, 'model_failed')
            return status, error_body(code, message), 'application/json'
        if isinstance(result, tuple):
            answer, answer_type = result
        else:
            answer, answer_type = result, accept or 'application/json'
        if isinstance(answer, str):
            answer = answer.encode('utf-8')
        return 200, answer, answer_type


def handler_for(worker):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'
        server_version = 'mlhub-worker'

        def _send(self, status, body, content_type, started, error=None):
            self.send_response(status)
            self.send_header('Content-Type', content_type)
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            fields = {'method': self.command, 'path': self.path, 'status': status, 'ms': round((time.monotonic() - started) * 1000, 1), 'bytes': len(body)}
            if status >= 400:
                try:
                    fields['error'] = json.loads(body)['error']['code']
                except (ValueError, KeyError, TypeError):
                    pass
            log(**fields)

        def do_GET(self):
            started = time.monotonic()
            if self.path != '/ping':
                self._send(404, error_body('route_not_found', f'No route GET {self.path}; the worker serves GET /ping and POST /invocations'), 'application/json', started)
                return
            if worker.failure:
                status, code, message = worker.failure
                self._send(500, error_body(code, message), 'application/json', started)
                return
            self._send(200, b'{"status":"ready"}', 'application/json', started)

        def do_POST(self):
            started = time.monotonic()
            length = int(self.headers.get('Content-Length') or 0)
            if self.path != '/invocations':
                self.rfile.read(min(length, MAX_BODY_BYTES))
                self.close_connection = True
                self._send(404, error_body('route_not_found', f'No route POST {self.path}; the worker serves GET /ping and POST /invocations'), 'application/json', started)
                return
            if length > MAX_BODY_BYTES:
                self.close_connection = True
                self._send(413, error_body('payload_too_large', f'The body has {length} bytes; at most {MAX_BODY_BYTES}'), 'application/json', started)
                return
            body = self.rfile.read(length)
            status, answer, answer_type = worker.invoke(body, self.headers.get('Content-Type', ''), self.headers.get('Accept', ''))
            self._send(status, answer, answer_type, started)

        def log_message(self, format, *args):  # noqa: A002 - the base class's signature
            pass  # _send logs one JSON line per request instead

    return Handler


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that hangs up mid-answer: one log line, not socketserver's traceback.
        log(event='connection_error', error=repr(sys.exc_info()[1]))


def parent_gone(reason):
    try:
        log(event='parent_gone', reason=reason)
    except (OSError, ValueError):
        pass  # stderr was the parent's pipe too: a write to it fails now, and must not stop the exit
    # Nothing to flush or save: the model is read-only and every answer was sent whole.
    os._exit(0)


def watch_parent():
    """Exits the worker when its parent dies: stdin EOF (the kernel closes the pipe), or a new parent pid (re-parented to init or a subreaper)."""
    parent = os.getppid()

    def until_eof():
        # os.read on fd 0, not sys.stdin: a daemon thread blocked in a BufferedReader's read holds
        # its lock, and the interpreter aborts at exit ("Fatal Python error: _enter_buffered_busy").
        try:
            while os.read(0, 65536):
                pass
        except (OSError, ValueError):
            pass
        parent_gone('stdin closed')

    def poll():
        while True:
            time.sleep(1)
            if os.getppid() != parent:
                parent_gone('parent process changed')

    threading.Thread(target=until_eof, daemon=True).start()
    threading.Thread(target=poll, daemon=True).start()


def log_warning(message, category, filename, lineno, file=None, line=None):
    # Frameworks warn (version mismatches, deprecations); each warning stays one JSON line.
    log(event='warning', message=f'{category.__name__}: {message}', source=f'{filename}:{lineno}')


def main():
    # Stop cleanly on SIGTERM even while the model is still loading.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # Watched from the start: a model can take minutes to load, and MLHub may die meanwhile.
    if os.environ.get('MLHUB_PARENT_WATCH') == '1':
        watch_parent()
    warnings.showwarning = log_warning
    environ = dict(os.environ)
    worker = Worker(environ)
    if worker.failure:
        status, code, message = worker.failure
        log(event='model_not_loaded', code=code, message=message)
    port = int(environ.get('SAGEMAKER_BIND_TO_PORT') or 8080)
    server = Server((HOST, port), handler_for(worker))

    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log(event='listening', host=HOST, port=server.server_address[1], model_loaded=worker.failure is None)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        log(event='stopped')


if __name__ == '__main__':
    main()
