"""A Salesforce Pub/Sub API client as Salesforce's Python quick start builds one, against the
sandbox org's event bus: stubs generated from the eventbus.v1 proto with grpcio-tools, the
session from the org's OAuth token endpoint, `accesstoken`/`instanceurl`/`tenantid`
metadata, GetTopic and GetSchema, a Subscribe request generator that asks for more events
when it has received what it asked for, payloads decoded with the `avro` package, and the
changedFields/nulledFields bitmaps expanded to field names. Nothing in it knows sfgate.

Usage: python pubsub_client_check.py REST_BASE_URL PUBSUB_HOST:PORT OUTDIR

It creates a Contact and updates it over REST, reads both change events from EARLIEST,
resumes after the CREATE's replay id (the UPDATE comes next), receives a live event, and
reads a refusal's `error-code` trailer. It prints "all behaved" when every check passed.
"""

import io
import json
import os
import subprocess
import sys
import threading
import urllib.parse
import urllib.request

TOPIC = "/data/ContactChangeEvent"
# The deadline of each call in seconds.
TIMEOUT = 30


def generate(outdir):
    proto = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "proto")
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", "-I", proto,
         f"--python_out={outdir}", f"--grpc_python_out={outdir}", "eventbus/v1/pubsub_api.proto"],
        check=True,
    )
    sys.path.insert(0, outdir)


def http(method, url, token=None, form=None, body=None):
    headers = {}
    data = None
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
        text = resp.read().decode()
        return json.loads(text) if text else None


class Session:
    """An OAuth session (username-password flow) and the org's REST API."""

    def __init__(self, base):
        token = http("POST", f"{base}/services/oauth2/token", form={
            "grant_type": "password", "client_id": "sandbox", "client_secret": "sandbox",
            "username": "dev@sandbox.local", "password": "sandbox",
        })
        self.token = token["access_token"]
        self.instance_url = token["instance_url"]
        # The identity URL ends in /<org id>/<user id>.
        self.org_id = token["id"].rstrip("/").split("/")[-2]
        self.metadata = (("accesstoken", self.token), ("instanceurl", self.instance_url),
                         ("tenantid", self.org_id))

    def rest(self, method, path, body=None):
        return http(method, f"{self.instance_url}/services/data/v62.0{path}", self.token, body=body)


def decode(schema, payload):
    import avro.io
    return avro.io.DatumReader(schema).read(avro.io.BinaryDecoder(io.BytesIO(payload)))


def record_of(field):
    """The record type inside a compound field's ["null", record] union."""
    return next(s for s in field.type.schemas if s.type == "record")


def expand(schema, bitmaps):
    """Field names from a bitmap header field: '0x…' over the top-level fields (bit i is
    field i), 'p-0x…' over the fields of the compound field at position p."""
    names = []
    for element in bitmaps:
        parent, _, bitmap = element.rpartition("-")
        value = int(bitmap, 16)
        if parent:
            field = schema.fields[int(parent)]
            children = record_of(field).fields
            names += [f"{field.name}.{children[i].name}" for i in range(value.bit_length()) if value >> i & 1]
        else:
            names += [schema.fields[i].name for i in range(value.bit_length()) if value >> i & 1]
    return sorted(names)


class Subscription:
    """Salesforce's pattern: a generator of FetchRequests that sends the next one when the
    events asked for have all arrived."""

    def __init__(self, stub, pb2, metadata, preset, replay_id=b"", batch=2):
        self.pb2 = pb2
        self.batch = batch
        self.more = threading.Semaphore(0)
        self.closed = False
        self.first = pb2.FetchRequest(topic_name=TOPIC, replay_preset=preset,
                                      replay_id=replay_id, num_requested=batch)
        self.stream = stub.Subscribe(self.requests(), metadata=metadata, timeout=TIMEOUT)

    def requests(self):
        yield self.first
        while True:
            self.more.acquire()
            if self.closed:
                return
            yield self.pb2.FetchRequest(topic_name=TOPIC, num_requested=self.batch)

    def events(self, n):
        out = []
        for response in self.stream:
            out += response.events
            if response.pending_num_requested == 0:
                self.more.release()
            if len(out) >= n:
                return out
        raise AssertionError(f"the stream ended after {len(out)} events")

    def close(self):
        self.closed = True
        self.more.release()
        self.stream.cancel()


def main(base, target, outdir):
    generate(outdir)
    import avro.schema
    import grpc
    from eventbus.v1 import pubsub_api_pb2 as pb2
    from eventbus.v1 import pubsub_api_pb2_grpc as pb2_grpc

    session = Session(base)
    channel = grpc.insecure_channel(target)
    stub = pb2_grpc.PubSubStub(channel)

    topic = stub.GetTopic(pb2.TopicRequest(topic_name=TOPIC), metadata=session.metadata, timeout=TIMEOUT)
    assert topic.can_subscribe and not topic.can_publish, topic
    assert topic.tenant_guid == session.org_id, topic
    info = stub.GetSchema(pb2.SchemaRequest(schema_id=topic.schema_id), metadata=session.metadata,
                          timeout=TIMEOUT)
    schema = avro.schema.parse(info.schema_json)
    assert schema.fields[0].name == "ChangeEventHeader", schema.fields[0].name

    contact = session.rest("POST", "/sobjects/Contact/", {
        "FirstName": "Grace", "LastName": "Hopper", "Title": "Rear Admiral", "Department": "Navy"})["id"]
    session.rest("PATCH", f"/sobjects/Contact/{contact}", {
        "LastName": "Murray", "Title": "Commodore", "Department": None})

    sub = Subscription(stub, pb2, session.metadata, pb2.EARLIEST)
    created, updated = sub.events(2)
    sub.close()
    for event in (created, updated):
        assert event.event.schema_id == topic.schema_id, event.event.schema_id
        assert len(event.replay_id) == 8, event.replay_id

    c = decode(schema, created.event.payload)
    header = c["ChangeEventHeader"]
    assert header["changeType"] == "CREATE", header
    assert header["entityName"] == "Contact", header
    assert header["recordIds"] == [contact], header
    assert header["changedFields"] == [], header
    assert c["Name"]["FirstName"] == "Grace" and c["Name"]["LastName"] == "Hopper", c["Name"]
    assert c["Title"] == "Rear Admiral" and c["Department"] == "Navy", c
    assert isinstance(c["CreatedDate"], int) and c["CreatedDate"] > 1_600_000_000_000, c["CreatedDate"]

    u = decode(schema, updated.event.payload)
    header = u["ChangeEventHeader"]
    assert header["changeType"] == "UPDATE", header
    assert header["recordIds"] == [contact], header
    changed = expand(schema, header["changedFields"])
    assert changed == ["Department", "LastModifiedDate", "Name.LastName", "Title"], changed
    nulled = expand(schema, header["nulledFields"])
    assert nulled == ["Department"], nulled
    assert u["Title"] == "Commodore" and u["Name"]["LastName"] == "Murray", u
    assert u["Name"]["FirstName"] is None and u["CreatedDate"] is None, "unchanged fields are null"

    # Resume after the CREATE: the UPDATE is next, then a change made while subscribed.
    sub = Subscription(stub, pb2, session.metadata, pb2.CUSTOM, created.replay_id, batch=1)
    (again,) = sub.events(1)
    assert again.replay_id == updated.replay_id, (again.replay_id, updated.replay_id)
    live = session.rest("POST", "/sobjects/Contact/", {"LastName": "Live"})["id"]
    (event,) = sub.events(1)
    sub.close()
    header = decode(schema, event.event.payload)["ChangeEventHeader"]
    assert header["recordIds"] == [live] and header["changeType"] == "CREATE", header

    # A refusal carries Salesforce's error code in the trailers.
    try:
        stub.GetTopic(pb2.TopicRequest(topic_name="/data/NoSuchChangeEvent"), metadata=session.metadata,
                      timeout=TIMEOUT)
        raise AssertionError("an unknown topic was found")
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.NOT_FOUND, e
        trailers = dict(e.trailing_metadata())
        assert trailers["error-code"] == "sfdc.platform.eventbus.grpc.topic.not.found", trailers
        assert "rpcId: " in e.details(), e.details()
    print("all behaved")


if __name__ == "__main__":
    main(*sys.argv[1:4])
