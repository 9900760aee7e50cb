"""A Python service's view of sfgate: a client generated from proto/ with grpcio-tools,
calling every RPC of sfgate.v1, binding a param, reading a trigger stream that receives a
record created during the check, and reading ErrorInfo and BadRequest from the status
details with grpcio-status (grpc_status.rpc_status).

Usage: python generated_client_check.py HOST:PORT OUTDIR

Every call goes through one channel whose interceptor records the methods called; the
check fails if an RPC of the generated service descriptors was not called. A new RPC
therefore needs a step here: a method in `Check.STEPS` (and the same in tests/go/main.go
and tests/node/generated_client_check.js).
"""

import glob
import os
import random
import subprocess
import sys

# The deadline of each unary call in seconds; sfgate answers DEADLINE_EXCEEDED when it passes.
CALL_TIMEOUT = 5
# How long the trigger stream may take to deliver the record created during the check: the
# test gateway polls every 100 ms and releases records 1 s old.
EVENT_TIMEOUT = 15
# The API key, sent as `authorization` metadata on every call.
AUTH = [("authorization", "Bearer sandbox")]


def generate(outdir):
    proto = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "proto")
    files = sorted(os.path.relpath(f, proto) for f in glob.glob(os.path.join(proto, "sfgate/v1/*.proto")))
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", "-I", proto,
         f"--python_out={outdir}", f"--grpc_python_out={outdir}", *files],
        check=True,
    )
    sys.path.insert(0, outdir)


class Recorder:
    """A client interceptor that remembers the full method names called."""

    def __init__(self, grpc):
        recorder = self

        class Interceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
            def intercept_unary_unary(self, continuation, details, request):
                recorder.seen.add(details.method)
                return continuation(details, request)

            def intercept_unary_stream(self, continuation, details, request):
                recorder.seen.add(details.method)
                return continuation(details, request)

        self.seen = set()
        self.interceptor = Interceptor()

    def cover_every(self, *files):
        """Fails unless every RPC of every service in `files` was called."""
        every = {f"/{s.full_name}/{m.name}" for f in files for s in f.services_by_name.values() for m in s.methods}
        missing = sorted(every - self.seen)
        assert not missing, f"RPCs this check never called (add a step for each): {missing}"


def main(target, outdir):
    generate(outdir)
    import grpc
    from google.protobuf import struct_pb2
    from google.rpc import error_details_pb2
    from grpc_status import rpc_status
    from sfgate.v1 import salesforce_service_pb2 as pb
    from sfgate.v1 import salesforce_service_pb2_grpc as pb_grpc
    from sfgate.v1 import trigger_service_pb2 as tpb
    from sfgate.v1 import trigger_service_pb2_grpc as tpb_grpc

    def struct(values):
        s = struct_pb2.Struct()
        s.update(values)
        return s

    def details(err):
        """The status details of a failed call, by message name (ErrorInfo, BadRequest)."""
        status = rpc_status.from_call(err)
        assert status is not None and status.code == err.code().value[0], "rich error details are sent"
        out = {}
        for detail in status.details:
            for cls in (error_details_pb2.ErrorInfo, error_details_pb2.BadRequest):
                if detail.Is(cls.DESCRIPTOR):
                    msg = cls()
                    detail.Unpack(msg)
                    out[cls.__name__] = msg
        return out

    class Check:
        STEPS = ["create_object", "update_object", "execute_soql_query", "add_topic_to_object",
                 "get_access_token", "subscribe", "delete_object", "error_details"]

        def __init__(self, channel):
            self.salesforce = pb_grpc.SalesforceServiceStub(channel)
            self.triggers = tpb_grpc.TriggerServiceStub(channel)
            # Unique per run, so the check sees only its own records.
            self.company = f"Python Client {random.getrandbits(63)}"
            self.lead_id = None

        def new_lead(self, last_name):
            fields = struct({"LastName": last_name, "Company": self.company, "NumberOfEmployees": 7})
            created = self.salesforce.CreateObject(
                pb.CreateObjectRequest(sobject="Lead", fields=fields), metadata=AUTH, timeout=CALL_TIMEOUT)
            assert len(created.id) == 18 and created.sobject == "Lead", created
            return created

        def create_object(self):
            self.lead_id = self.new_lead("Python").id

        def update_object(self):
            # No sobject: sfgate infers Lead from the Id's key prefix.
            updated = self.salesforce.UpdateObject(
                pb.UpdateObjectRequest(id=self.lead_id, fields=struct({"Title": "VP Operations"})),
                metadata=AUTH, timeout=CALL_TIMEOUT)
            assert updated.id == self.lead_id and updated.sobject == "Lead", updated

        def execute_soql_query(self):
            found = self.salesforce.ExecuteSoqlQuery(
                pb.ExecuteSoqlQueryRequest(
                    query="SELECT Id, Title, NumberOfEmployees FROM Lead WHERE Company = :company",
                    params={"company": struct_pb2.Value(string_value=self.company)}),
                metadata=AUTH, timeout=CALL_TIMEOUT)
            assert found.total_size == 1 and found.done and len(found.records) == 1, found
            record = found.records[0]
            assert record["Id"] == self.lead_id and record["Title"] == "VP Operations", record
            # Struct numbers are doubles: 7 comes back as 7.0.
            assert isinstance(record["NumberOfEmployees"], float) and record["NumberOfEmployees"] == 7.0

        def add_topic_to_object(self):
            request = pb.AddTopicToObjectRequest(object_id=self.lead_id, topic_name="Callback requested")
            first = self.salesforce.AddTopicToObject(request, metadata=AUTH, timeout=CALL_TIMEOUT)
            again = self.salesforce.AddTopicToObject(request, metadata=AUTH, timeout=CALL_TIMEOUT)
            assert first.created and len(first.topic_id) == 18 and len(first.topic_assignment_id) == 18, first
            assert not again.created and again.topic_assignment_id == first.topic_assignment_id, again

        def get_access_token(self):
            token = self.salesforce.GetAccessToken(pb.GetAccessTokenRequest(), metadata=AUTH, timeout=CALL_TIMEOUT)
            assert token.access_token and token.token_type == "Bearer", token.token_type
            assert token.instance_url.startswith("http://127.0.0.1:"), token.instance_url
            assert token.HasField("issued_at") and token.expire_time.ToDatetime() > token.issued_at.ToDatetime()

        def subscribe(self):
            """Opens a New Object stream for this run's Leads, creates one once the stream is
            open, and waits for its event."""
            stream = self.triggers.Subscribe(
                tpb.SubscribeRequest(new_object=tpb.NewObjectTrigger(
                    sobject="Lead", where="Company = :company",
                    params={"company": struct_pb2.Value(string_value=self.company)},
                    fields=["LastName", "Company"])),
                metadata=AUTH, timeout=EVENT_TIMEOUT)
            # The response headers arrive once sfgate has started the subscription: from then
            # on, every new matching record is delivered.
            stream.initial_metadata()
            created = self.new_lead("Streamed")
            try:
                for message in stream:
                    if message.WhichOneof("kind") == "heartbeat":
                        assert message.heartbeat.cursor, "a heartbeat carries a cursor"
                        continue
                    event = message.event
                    assert event.trigger == tpb.TRIGGER_TYPE_NEW_OBJECT, event
                    assert event.record_id == created.id and event.sobject == "Lead", event
                    assert event.record["LastName"] == "Streamed" and event.record["Company"] == self.company
                    assert event.cursor and event.HasField("created_date"), event
                    return
                raise AssertionError("the stream ended before the event")
            finally:
                stream.cancel()

        def delete_object(self):
            deleted = self.salesforce.DeleteObject(
                pb.DeleteObjectRequest(id=self.lead_id), metadata=AUTH, timeout=CALL_TIMEOUT)
            assert deleted.id == self.lead_id and deleted.sobject == "Lead", deleted

        def error_details(self):
            """A gateway refusal and a Salesforce refusal: a code, one ErrorInfo and a
            BadRequest naming the fields; and a stream ended by its deadline."""
            fields = struct({"Title": "x"})
            refusals = [
                (lambda: self.salesforce.UpdateObject(pb.UpdateObjectRequest(id="not-an-id", fields=fields),
                                                      metadata=AUTH, timeout=CALL_TIMEOUT),
                 "sfgate", "INVALID_RECORD_ID", ["id"]),
                # A Lead without LastName and Company: Salesforce names both.
                (lambda: self.salesforce.CreateObject(pb.CreateObjectRequest(sobject="Lead", fields=fields),
                                                      metadata=AUTH, timeout=CALL_TIMEOUT),
                 "salesforce.com", "REQUIRED_FIELD_MISSING", ["fields.LastName", "fields.Company"]),
            ]
            for call, domain, reason, violations in refusals:
                try:
                    call()
                    raise AssertionError(f"{reason} expected")
                except grpc.RpcError as e:
                    assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e
                    d = details(e)
                    assert (d["ErrorInfo"].domain, d["ErrorInfo"].reason) == (domain, reason), d
                    assert [v.field for v in d["BadRequest"].field_violations] == violations, d

            # A deadline shorter than the stream: it ends with DEADLINE_EXCEEDED.
            stream = self.triggers.Subscribe(
                tpb.SubscribeRequest(new_contact=tpb.NewContactTrigger()), metadata=AUTH, timeout=0.3)
            try:
                for _ in stream:
                    pass
                raise AssertionError("the stream must end with its deadline")
            except grpc.RpcError as e:
                assert e.code() == grpc.StatusCode.DEADLINE_EXCEEDED, e

    recorder = Recorder(grpc)
    with grpc.insecure_channel(target) as channel:
        check = Check(grpc.intercept_channel(channel, recorder.interceptor))
        for step in Check.STEPS:
            getattr(check, step)()
            print("ok:", step)
    recorder.cover_every(pb.DESCRIPTOR, tpb.DESCRIPTOR)
    print("generated python client: every RPC, a bound param, a trigger stream and rich errors all behaved")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
