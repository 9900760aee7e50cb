"""What a Python service would do instead of (or with) sfgate, timed for benches/gateway:
the same Contact lookup and Lead create, called sequentially from one fresh process,

  simple  http://SANDBOX N         simple-salesforce straight at the sandbox org (OAuth
                                   login, then a warm requests session)
  grpc    HOST:PORT N OUTDIR KEY   a client generated with grpcio-tools, through sfgate

Prints one JSON line: first_answer_ms (process start to the first lookup answered:
imports, login or channel, first call; code generation excluded), then per action the
latencies of N warm calls in ms and their wall time.
"""

import time

T0 = time.perf_counter()

import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

PHONE = "+14155550100"
LEAD = {"FirstName": "Ada", "LastName": "Bench", "Company": "Analytical Engines", "Phone": "+14155550199"}


def measure(calls, n):
    out = {}
    for name, call in calls.items():
        for _ in range(min(10, n)):
            call()
        samples = []
        start = time.perf_counter()
        for _ in range(n):
            t = time.perf_counter()
            call()
            samples.append((time.perf_counter() - t) * 1e3)
        out[name] = {"samples_ms": samples, "wall_s": time.perf_counter() - start}
    return out


def simple(sandbox, n):
    import urllib.parse

    import requests
    from requests.adapters import HTTPAdapter
    from simple_salesforce import Salesforce, format_soql

    class ToSandbox(HTTPAdapter):
        """Sends simple-salesforce's https://*.salesforce.com requests to the sandbox
        (as tests/python/simple_salesforce_check.py does)."""

        def __init__(self, base):
            super().__init__()
            self.base = urllib.parse.urlsplit(base)

        def send(self, request, **kwargs):
            url = urllib.parse.urlsplit(request.url)
            request.url = urllib.parse.urlunsplit((self.base.scheme, self.base.netloc, url.path, url.query, url.fragment))
            return super().send(request, **kwargs)

    session = requests.Session()
    session.mount("https://", ToSandbox(sandbox))
    t = time.perf_counter()
    sf = Salesforce(username="dev@sandbox.local", password="sandbox", consumer_key="sandbox",
                    consumer_secret="sandbox", session=session, version="62.0")
    login_ms = (time.perf_counter() - t) * 1e3
    soql = format_soql("SELECT Id, Name, Account.Name FROM Contact WHERE Phone = {}", PHONE)

    def lookup():
        assert sf.query(soql)["totalSize"] == 1

    def create():
        assert sf.Lead.create(LEAD)["success"] is True

    lookup()
    first = (time.perf_counter() - T0) * 1e3
    return {"first_answer_ms": first, "login_ms": login_ms, **measure({"lookup": lookup, "create": create}, n)}


def grpc_client(target, n, outdir, key):
    root = os.path.join(os.path.dirname(__file__), "..", "..")
    g = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", "-I", os.path.join(root, "proto"),
         f"--python_out={outdir}", f"--grpc_python_out={outdir}", "sfgate/v1/salesforce_service.proto"],
        check=True,
    )
    generation = time.perf_counter() - g
    sys.path.insert(0, outdir)
    import grpc
    from google.protobuf import struct_pb2

    from sfgate.v1 import salesforce_service_pb2 as pb
    from sfgate.v1 import salesforce_service_pb2_grpc as rpc

    stub = rpc.SalesforceServiceStub(grpc.insecure_channel(target))
    auth = [("authorization", f"Bearer {key}")]
    query = pb.ExecuteSoqlQueryRequest(
        query="SELECT Id, Name, Account.Name FROM Contact WHERE Phone = :phone",
        params={"phone": struct_pb2.Value(string_value=PHONE)},
    )
    fields = struct_pb2.Struct()
    fields.update(LEAD)
    create_req = pb.CreateObjectRequest(sobject="Lead", fields=fields)

    def lookup():
        assert stub.ExecuteSoqlQuery(query, metadata=auth, timeout=10).total_size == 1

    def create():
        assert len(stub.CreateObject(create_req, metadata=auth, timeout=10).id) == 18

    lookup()
    first = (time.perf_counter() - T0 - generation) * 1e3
    return {"first_answer_ms": first, **measure({"lookup": lookup, "create": create}, n)}


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "simple":
        result = simple(sys.argv[2], int(sys.argv[3]))
    else:
        result = grpc_client(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    print(json.dumps(result))
