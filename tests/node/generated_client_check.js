// A Node service's view of sfgate: a client built from proto/ at run time with
// @grpc/proto-loader and @grpc/grpc-js (how most Node services call gRPC), calling the
// actions, reading the rich error details, and reading a trigger stream.
//
// Usage: node generated_client_check.js HOST:PORT
'use strict';

const assert = require('node:assert/strict');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const loader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

const target = process.argv[2];
const definition = loader.loadSync(
  ['sfgate/v1/salesforce_service.proto', 'sfgate/v1/trigger_service.proto'],
  {
    includeDirs: [path.join(__dirname, '..', '..', 'proto')],
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  },
);
const v1 = grpc.loadPackageDefinition(definition).sfgate.v1;
const credentials = grpc.credentials.createInsecure();
const salesforce = new v1.SalesforceService(target, credentials);
const triggers = new v1.TriggerService(target, credentials);

function metadata() {
  const m = new grpc.Metadata();
  m.set('authorization', 'Bearer sandbox');
  return m;
}

function call(method, request) {
  return new Promise((resolve, reject) => {
    salesforce[method](request, metadata(), { deadline: Date.now() + 5000 }, (err, reply) =>
      err ? reject(err) : resolve(reply),
    );
  });
}

// google.rpc.Status and the details read here, to decode `grpc-status-details-bin`.
const rpc = protobuf.Root.fromJSON({
  nested: {
    google: {
      nested: {
        protobuf: {
          nested: {
            Any: { fields: { type_url: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } },
          },
        },
        rpc: {
          nested: {
            Status: {
              fields: {
                code: { type: 'int32', id: 1 },
                message: { type: 'string', id: 2 },
                details: { rule: 'repeated', type: 'google.protobuf.Any', id: 3 },
              },
            },
            ErrorInfo: {
              fields: {
                reason: { type: 'string', id: 1 },
                domain: { type: 'string', id: 2 },
                metadata: { keyType: 'string', type: 'string', id: 3 },
              },
            },
            BadRequest: {
              fields: { field_violations: { rule: 'repeated', type: 'FieldViolation', id: 1 } },
              nested: {
                FieldViolation: {
                  fields: { field: { type: 'string', id: 1 }, description: { type: 'string', id: 2 } },
                },
              },
            },
          },
        },
      },
    },
  },
});

// The error details of a failed call, by message name (`ErrorInfo`, `BadRequest`, ...).
function details(err) {
  const [bin] = err.metadata.get('grpc-status-details-bin');
  assert.ok(bin, 'rich error details are sent');
  const status = rpc.lookupType('google.rpc.Status').decode(bin);
  assert.equal(status.code, err.code);
  const out = {};
  for (const any of status.details) {
    const name = any.type_url.split('/').pop();
    const type = rpc.lookupType(name);
    out[name.split('.').pop()] = type.decode(any.value);
  }
  return out;
}

function firstEvent(request) {
  return new Promise((resolve, reject) => {
    const stream = triggers.Subscribe(request, metadata());
    stream.on('data', (message) => {
      if (message.kind === 'event') {
        resolve(message.event);
        stream.cancel();
      }
    });
    stream.on('error', (err) => {
      if (err.code !== grpc.status.CANCELLED) reject(err);
    });
    setTimeout(() => reject(new Error('no event within 10 s')), 10000).unref();
  });
}

async function main() {
  const fields = {
    fields: {
      LastName: { stringValue: 'Node' },
      Company: { stringValue: 'Generated Node Client' },
      NumberOfEmployees: { numberValue: 9 },
    },
  };
  const created = await call('CreateObject', { sobject: 'Lead', fields });
  assert.equal(created.id.length, 18);
  assert.equal(created.sobject, 'Lead');

  const found = await call('ExecuteSoqlQuery', {
    query: 'SELECT Id, NumberOfEmployees FROM Lead WHERE Company = :company',
    params: { company: { stringValue: 'Generated Node Client' } },
  });
  // int64 arrives as a string with `longs: String`.
  assert.equal(found.totalSize, '1');
  assert.equal(found.records[0].fields.Id.stringValue, created.id);
  assert.equal(found.records[0].fields.NumberOfEmployees.numberValue, 9);

  await assert.rejects(call('UpdateObject', { id: 'not-an-id', fields }), (err) => {
    assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
    const d = details(err);
    assert.equal(d.ErrorInfo.reason, 'INVALID_RECORD_ID');
    assert.equal(d.ErrorInfo.domain, 'sfgate');
    assert.deepEqual(d.BadRequest.field_violations.map((v) => v.field), ['id']);
    return true;
  });

  // Every Contact since 2020: the sample data arrives as events at once.
  const event = await firstEvent({
    newContact: {},
    since: { seconds: '1577836800', nanos: 0 },
  });
  assert.equal(event.trigger, 'TRIGGER_TYPE_NEW_CONTACT');
  assert.equal(event.sobject, 'Contact');
  assert.equal(event.recordId.length, 18);
  assert.equal(event.record.fields.Id.stringValue, event.recordId);
  assert.ok(Number(event.createdDate.seconds) >= 1577836800, event.createdDate);
  assert.ok(event.cursor.length > 0);

  salesforce.close();
  triggers.close();
  console.log('generated node client: create, bound query, rich errors and a trigger stream all behaved');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
