"""Spillway's Python runtime client: the process of a python3.x execution environment.

It speaks the Lambda Runtime API at AWS_LAMBDA_RUNTIME_API, imports the handler that _HANDLER names
(`module.function`, `pkg/module.function`) from LAMBDA_TASK_ROOT, and gives it what AWS's Python runtime gives it:
the event, a context object with AWS's attribute names, logging in AWS's format, and exceptions reported as AWS
reports them ({"errorMessage", "errorType", "requestId", "stackTrace"}). It runs on the machine's python3, whatever
python3.x the function asked for. Standard library only.
"""

import importlib
import json
import logging
import os
import socket
import sys
import time
import traceback

RUNTIME_API_VERSION = "2018-06-01"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"
THIS_FILE = os.path.abspath(__file__)


class FaultException(Exception):
    """A failure around the user's code, typed as AWS types it."""

    MARSHAL_ERROR = "Runtime.MarshalError"
    UNMARSHAL_ERROR = "Runtime.UnmarshalError"
    USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
    HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
    IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
    BUILT_IN_MODULE_CONFLICT = "Runtime.BuiltInModuleConflict"
    MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"
    LAMBDA_CONTEXT_UNMARSHAL_ERROR = "Runtime.LambdaContextUnmarshalError"

    def __init__(self, exception_type, msg, trace=None):
        super().__init__(msg)
        self.msg = msg
        self.exception_type = exception_type
        self.trace = trace


def _host_gone(reason):
    """Without its Runtime API the environment has nothing left to do: its host is gone."""
    sys.stderr.write("The Runtime API is gone (%s); the environment exits.\n" % reason)
    sys.stderr.flush()
    os._exit(129)


class RuntimeApiClient:
    """HTTP/1.1 over one kept-alive connection to the host's Runtime API. An answer and the next /next leave in one
    write (pipelined), and the host answers them in order; its answers always carry a Content-Length."""

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        try:
            self.sock = socket.create_connection((host, int(port)))
        except OSError as err:
            _host_gone(str(err))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = self.sock.makefile("rb")
        self.host = address
        self.pending = []

    def _request(self, method, path, body=None, headers=None):
        head = "%s %s HTTP/1.1\r\nHost: %s\r\n" % (method, path, self.host)
        for name, value in (headers or {}).items():
            head += "%s: %s\r\n" % (name, value)
        if body is not None:
            head += "Content-Length: %d\r\n" % len(body)
        return head.encode("latin-1") + b"\r\n" + (body or b"")

    def _send(self, *requests):
        try:
            self.sock.sendall(b"".join(requests))
        except OSError as err:
            _host_gone(str(err))

    def _reply(self):
        try:
            status_line = self.reader.readline()
            if not status_line:
                _host_gone("connection closed")
            status = int(status_line.split()[1])
            headers = {}
            while True:
                line = self.reader.readline()
                if line in (b"\r\n", b"\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            body = self.reader.read(int(headers.get("content-length", "0")))
        except (OSError, ValueError, IndexError) as err:
            _host_gone(str(err))
        return status, headers, body

    def _next_request(self):
        return self._request("GET", "/%s/runtime/invocation/next" % RUNTIME_API_VERSION)

    def next(self, already_sent=False):
        if not already_sent:
            self._send(self._next_request())
        status, headers, body = self._reply()
        if status != 200:
            _host_gone("GET /next answered %d: %r" % (status, body[:200]))
        return headers, body

    def answer_and_next(self, path, body, headers):
        """Posts an answer with the next /next behind it; returns the next event."""
        self._send(self._request("POST", path, body, headers), self._next_request())
        self._reply()
        return self.next(already_sent=True)

    def post_init_error(self, error):
        body = to_json(error).encode("utf-8")
        headers = {"Content-Type": "application/json", ERROR_TYPE_HEADER: error["errorType"]}
        self._send(self._request("POST", "/%s/runtime/init/error" % RUNTIME_API_VERSION, body, headers))
        self._reply()


def _decimal_serializer(value):
    import decimal

    if isinstance(value, decimal.Decimal):
        return float(value) if value % 1 else int(value)
    raise TypeError("Object of type %s is not JSON serializable" % type(value).__name__)


def to_json(value):
    """AWS's marshaller: json.dumps with its default separators, and Decimal as a number."""
    return json.dumps(value, default=_decimal_serializer)


class CognitoIdentity:
    __slots__ = ["cognito_identity_id", "cognito_identity_pool_id"]


class Client:
    __slots__ = ["installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name"]


class ClientContext:
    __slots__ = ["custom", "env", "client"]


def _obj_from_dict(cls, values):
    if values is None:
        return None
    obj = cls()
    for field in cls.__slots__:
        setattr(obj, field, values.get(field))
    return obj


class LambdaContext:
    """The context object, with the attribute names of AWS's Python runtime."""

    def __init__(self, request_id, client_context, cognito_identity, deadline_ms, invoked_function_arn):
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self.client_context = _obj_from_dict(ClientContext, client_context)
        if self.client_context is not None:
            self.client_context.client = _obj_from_dict(Client, self.client_context.client)
        self.identity = _obj_from_dict(CognitoIdentity, {})
        if cognito_identity is not None:
            self.identity.cognito_identity_id = cognito_identity.get("cognitoIdentityId")
            self.identity.cognito_identity_pool_id = cognito_identity.get("cognitoIdentityPoolId")
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        remaining = self._deadline_ms - int(time.time() * 1000)
        return remaining if remaining > 0 else 0

    def log(self, msg):
        sys.stdout.write(str(msg))

    def __repr__(self):
        return (
            "LambdaContext([aws_request_id=%s,log_group_name=%s,log_stream_name=%s,function_name=%s,"
            "memory_limit_in_mb=%s,function_version=%s,invoked_function_arn=%s,client_context=%s,identity=%s])"
            % (
                self.aws_request_id,
                self.log_group_name,
                self.log_stream_name,
                self.function_name,
                self.memory_limit_in_mb,
                self.function_version,
                self.invoked_function_arn,
                self.client_context,
                self.identity,
            )
        )


_request_id = None


class _RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = _request_id or ""
        return True


def setup_logging():
    """The root logger writes AWS's text format: `[LEVEL]\\t<time>Z\\t<request id>\\t<message>`."""
    logging.Formatter.converter = time.gmtime
    handler = logging.StreamHandler(sys.stdout)
    handler.terminator = ""
    handler.setFormatter(
        logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
            "%Y-%m-%dT%H:%M:%S",
        )
    )
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper()
    if level in logging._nameToLevel:  # noqa: SLF001 - the names logging knows
        root.setLevel(level)


def make_error(message, error_type, stack_trace, request_id=None):
    return {
        "errorMessage": message if message else "",
        "errorType": error_type if error_type else "",
        "requestId": request_id if request_id is not None else "",
        "stackTrace": stack_trace if stack_trace else [],
    }


def log_error(error):
    """`[ERROR] Type: message` and the traceback, as AWS logs an error it reports."""
    description = "[ERROR]"
    if error.get("errorType"):
        description += " " + error["errorType"]
    if error.get("errorMessage"):
        description += (":" if error.get("errorType") else "") + " " + error["errorMessage"]
    lines = [description]
    if error.get("stackTrace") is not None:
        lines.append("Traceback (most recent call last):")
        for element in error["stackTrace"]:
            lines.extend(element.splitlines() or [""])
    sys.stdout.write("\n".join(lines) + "\n")


def _user_frames(tb):
    """The traceback without the runtime's own frames, as AWS trims it."""
    frames = traceback.extract_tb(tb)
    for i, frame in enumerate(frames):
        if frame.filename != THIS_FILE:
            return frames[i:]
    return frames


def get_handler(handler):
    try:
        module_name, function_name = handler.rsplit(".", 1)
    except ValueError as err:
        raise FaultException(FaultException.MALFORMED_HANDLER_NAME, "Bad handler '%s': %s" % (handler, err))
    try:
        if module_name.split(".")[0] in sys.builtin_module_names:
            raise FaultException(
                FaultException.BUILT_IN_MODULE_CONFLICT,
                "Cannot use built-in module %s as a handler module" % module_name,
            )
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as err:
        raise FaultException(
            FaultException.IMPORT_MODULE_ERROR, "Unable to import module '%s': %s" % (module_name, err)
        )
    except SyntaxError as err:
        trace = ['  File "%s" Line %s\n    %s' % (err.filename, err.lineno, err.text)]
        raise FaultException(
            FaultException.USER_CODE_SYNTAX_ERROR,
            "Syntax error in module '%s': %s" % (module_name, err),
            trace,
        )
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise FaultException(
            FaultException.HANDLER_NOT_FOUND, "Handler '%s' missing on module '%s'" % (function_name, module_name)
        )


def _parse_json_header(value, name):
    try:
        return json.loads(value)
    except Exception as err:  # noqa: BLE001 - any malformed header is the same fault
        raise FaultException(
            FaultException.LAMBDA_CONTEXT_UNMARSHAL_ERROR, "Unable to parse %s JSON: %s" % (name, err)
        )


def handle_event(client, request_handler, headers, body):
    """Runs one invocation, posts its answer and returns the next event."""
    global _request_id
    request_id = headers.get("lambda-runtime-aws-request-id", "")
    _request_id = request_id
    trace_id = headers.get("lambda-runtime-trace-id")
    if trace_id:
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)
    error = None
    try:
        client_context = headers.get("lambda-runtime-client-context")
        cognito_identity = headers.get("lambda-runtime-cognito-identity")
        context = LambdaContext(
            request_id,
            _parse_json_header(client_context, "Client Context") if client_context else None,
            _parse_json_header(cognito_identity, "Cognito Identity") if cognito_identity else None,
            int(headers.get("lambda-runtime-deadline-ms", "0")),
            headers.get("lambda-runtime-invoked-function-arn"),
        )
        try:
            event = json.loads(body) if body else {}
        except Exception as err:  # noqa: BLE001
            raise FaultException(FaultException.UNMARSHAL_ERROR, "Unable to unmarshal input: %s" % err)
        result = request_handler(event, context)
        try:
            response = to_json(result)
        except Exception as err:  # noqa: BLE001
            raise FaultException(FaultException.MARSHAL_ERROR, "Unable to marshal response: %s" % err)
    except FaultException as err:
        error = make_error(err.msg, err.exception_type, err.trace, request_id)
    except Exception:  # noqa: BLE001 - the handler's exception, whatever it is, is the function's error
        etype, value, tb = sys.exc_info()
        error = make_error(str(value), etype.__name__, traceback.format_list(_user_frames(tb)), request_id)
    base = "/%s/runtime/invocation/%s" % (RUNTIME_API_VERSION, request_id)
    if error is not None:
        log_error(error)
        headers = {"Content-Type": "application/json", ERROR_TYPE_HEADER: error["errorType"]}
        return client.answer_and_next(base + "/error", to_json(error).encode("utf-8"), headers)
    return client.answer_and_next(base + "/response", response.encode("utf-8"), {"Content-Type": "application/json"})


def main():
    # The script's own folder is not the function's: imports come from the task root and the layer folders.
    here = os.path.dirname(THIS_FILE)
    sys.path = [p for p in sys.path if os.path.abspath(p or ".") != here]
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    sys.path.insert(0, task_root)
    address = os.environ.get("AWS_LAMBDA_RUNTIME_API")
    if not address:
        sys.stderr.write("AWS_LAMBDA_RUNTIME_API is not set: this runs only inside an execution environment.\n")
        sys.exit(1)
    client = RuntimeApiClient(address)
    setup_logging()
    try:
        request_handler = get_handler(os.environ.get("_HANDLER", ""))
    except FaultException as err:
        error = make_error(err.msg, err.exception_type, err.trace)
    except Exception:  # noqa: BLE001 - whatever the module raised while it was imported
        etype, value, tb = sys.exc_info()
        error = make_error(str(value), etype.__name__, traceback.format_list(_user_frames(tb)))
    else:
        error = None
    if error is not None:
        log_error(error)
        client.post_init_error(error)
        sys.exit(1)
    headers, body = client.next()
    while True:
        headers, body = handle_event(client, request_handler, headers, body)


if __name__ == "__main__":
    main()
