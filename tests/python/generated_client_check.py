"""A Python service's view of sfgate: a client generated from proto/ with grpcio-tools,
calling the actions and reading the rich error details.

Usage: python generated_client_check.py HOST:PORT OUTDIR
"""

import os
import subprocess
import sys


def generate(outdir):
    root = os.path.join(os.path.dirname(__file__), "..", "..")
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", "-I", os.path.join(root, "proto"),
         f"--python_out={outdir}", f"--grpc_python_out={outdir}",
         "sfgate/v1/salesforce_service.proto", "sfgate/v1/trigger_service.proto"],
        check=True,
    )
    sys.path.insert(0, outdir)


def main(target, outdir):
    generate(outdir)
    import grpc
    from google.protobuf import struct_pb2
    from google.rpc import error_details_pb2
    from grpc_status import rpc_status
    from sfgate.v1 import salesforce_service_pb2 as pb
    from sfgate.v1 import salesforce_service_pb2_grpc as rpc

    stub = rpc.SalesforceServiceStub(grpc.insecure_channel(target))
    auth = [("authorization", "Bearer sandbox")]

    fields = struct_pb2.Struct()
    fields.update({"LastName": "Python", "Company": "Generated Client", "NumberOfEmployees": 7})
    created = stub.CreateObject(pb.CreateObjectRequest(sobject="Lead", fields=fields), metadata=auth, timeout=5)
    assert len(created.id) == 18 and created.sobject == "Lead", created

    params = {"company": struct_pb2.Value(string_value="Generated Client")}
    found = stub.ExecuteSoqlQuery(
        pb.ExecuteSoqlQueryRequest(query="SELECT Id, NumberOfEmployees FROM Lead WHERE Company = :company", params=params),
        metadata=auth, timeout=5,
    )
    assert found.total_size == 1 and found.records[0]["Id"] == created.id, found
    # Struct numbers are doubles: 7 comes back as 7.0.
    assert found.records[0]["NumberOfEmployees"] == 7.0

    try:
        stub.UpdateObject(pb.UpdateObjectRequest(id="not-an-id", fields=fields), metadata=auth, timeout=5)
        raise AssertionError("a bad id must be refused")
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e.code()
        status = rpc_status.from_call(e)
        kinds = {}
        for detail in status.details:
            for cls in (error_details_pb2.ErrorInfo, error_details_pb2.BadRequest):
                if detail.Is(cls.DESCRIPTOR):
                    msg = cls()
                    detail.Unpack(msg)
                    kinds[cls.__name__] = msg
        assert kinds["ErrorInfo"].reason == "INVALID_RECORD_ID" and kinds["ErrorInfo"].domain == "sfgate", kinds
        assert [v.field for v in kinds["BadRequest"].field_violations] == ["id"], kinds
    print("generated python client: create, bound query and rich errors all behaved")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
