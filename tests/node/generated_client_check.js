// A Node service's view of sfgate: a client built from proto/ at run time with
// @grpc/proto-loader and @grpc/grpc-js (how most Node services call gRPC), calling every
// RPC of sfgate.v1, binding a param, reading a trigger stream that receives a record created
// during the check, and decoding ErrorInfo and BadRequest from `grpc-status-details-bin`
// with the google.rpc protos of google-proto-files (loaded by protobufjs).
//
// Usage: node generated_client_check.js HOST:PORT
//
// Every call goes through an interceptor that records the methods called; the check fails
// if an RPC of the loaded services was not called. A new RPC therefore needs a step here:
// a function in `steps` (and the same in tests/go/main.go and
// tests/python/generated_client_check.py).
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const loader = require('@grpc/proto-loader');
const googleProtos = require('google-proto-files');

// The deadline of each unary call; sfgate answers DEADLINE_EXCEEDED when it passes.
const CALL_TIMEOUT_MS = 5000;
// How long the trigger stream may take to deliver the record created during the check: the
// test gateway polls every 100 ms and releases records 1 s old.
const EVENT_TIMEOUT_MS = 15000;

const target = process.argv[2];
const protoDir = path.join(__dirname, '..', '..', 'proto');
const files = fs
  .readdirSync(path.join(protoDir, 'sfgate', 'v1'))
  .filter((f) => f.endsWith('.proto'))
  .map((f) => `sfgate/v1/${f}`);
const definition = loader.loadSync(files, {
  includeDirs: [protoDir],
  longs: String, // int64 (total_size) arrives as a string
  enums: String, // enums as their names, TRIGGER_TYPE_NEW_OBJECT
  defaults: true,
  oneofs: true, // a oneof's case as a property: message.kind === 'event'
});
const v1 = grpc.loadPackageDefinition(definition).sfgate.v1;
const services = Object.values(v1).filter((s) => typeof s === 'function' && s.service);

// Records the full method name of every call made through the clients.
const called = new Set();
function record(options, nextCall) {
  called.add(options.method_definition.path);
  return new grpc.InterceptingCall(nextCall(options));
}
const credentials = grpc.credentials.createInsecure();
const salesforce = new v1.SalesforceService(target, credentials, { interceptors: [record] });
const triggers = new v1.TriggerService(target, credentials, { interceptors: [record] });

// The API key, sent as `authorization` metadata on every call.
function metadata() {
  const m = new grpc.Metadata();
  m.set('authorization', 'Bearer sandbox');
  return m;
}

function call(method, request) {
  return new Promise((resolve, reject) => {
    salesforce[method](request, metadata(), { deadline: Date.now() + CALL_TIMEOUT_MS }, (err, reply) =>
      err ? reject(err) : resolve(reply),
    );
  });
}

// google.rpc.Status and its details, from Google's own protos.
const rpc = googleProtos.loadSync(
  [googleProtos.getProtoPath('rpc', 'status.proto'), googleProtos.getProtoPath('rpc', 'error_details.proto')],
  { keepCase: true },
);

// The status details of a failed call, by message name (`ErrorInfo`, `BadRequest`, ...).
function details(err) {
  const [bin] = err.metadata.get('grpc-status-details-bin');
  assert.ok(bin, 'rich error details are sent');
  const status = rpc.lookupType('google.rpc.Status').decode(bin);
  assert.equal(status.code, err.code);
  const out = {};
  for (const any of status.details) {
    const name = any.type_url.split('/').pop();
    out[name.split('.').pop()] = rpc.lookupType(name).decode(any.value);
  }
  return out;
}

// A Struct in proto-loader's form: each value wrapped in its kind.
function struct(values) {
  const fields = {};
  for (const [k, v] of Object.entries(values)) {
    fields[k] = typeof v === 'number' ? { numberValue: v } : { stringValue: v };
  }
  return { fields };
}

// Unique per run, so the check sees only its own records.
const company = `Node Client ${crypto.randomUUID()}`;
let leadId;

async function newLead(lastName) {
  const created = await call('CreateObject', {
    sobject: 'Lead',
    fields: struct({ LastName: lastName, Company: company, NumberOfEmployees: 7 }),
  });
  assert.equal(created.id.length, 18);
  assert.equal(created.sobject, 'Lead');
  return created;
}

// Opens a New Object stream for this run's Leads, creates one once the stream is open, and
// resolves with the created Lead and its event.
function streamedLead() {
  return new Promise((resolve, reject) => {
    const stream = triggers.Subscribe(
      {
        newObject: {
          sobject: 'Lead',
          where: 'Company = :company',
          params: { company: { stringValue: company } },
          fields: ['LastName', 'Company'],
        },
      },
      metadata(),
      { deadline: Date.now() + EVENT_TIMEOUT_MS },
    );
    let created;
    let event;
    const done = () => {
      if (created && event) {
        stream.cancel();
        resolve({ created, event });
      }
    };
    // The response headers arrive once sfgate has started the subscription: from then on,
    // every new matching record is delivered.
    stream.on('metadata', () => {
      newLead('Streamed').then((lead) => {
        created = lead;
        done();
      }, reject);
    });
    stream.on('data', (message) => {
      if (message.kind === 'heartbeat') {
        assert.ok(message.heartbeat.cursor, 'a heartbeat carries a cursor');
      } else {
        event = message.event;
        done();
      }
    });
    stream.on('error', (err) => {
      if (err.code !== grpc.status.CANCELLED) reject(err);
    });
  });
}

const steps = [
  async function createObject() {
    leadId = (await newLead('Node')).id;
  },

  async function updateObject() {
    // No sobject: sfgate infers Lead from the Id's key prefix.
    const updated = await call('UpdateObject', { id: leadId, fields: struct({ Title: 'VP Operations' }) });
    assert.deepEqual([updated.id, updated.sobject], [leadId, 'Lead']);
  },

  async function executeSoqlQuery() {
    const found = await call('ExecuteSoqlQuery', {
      query: 'SELECT Id, Title, NumberOfEmployees FROM Lead WHERE Company = :company',
      params: { company: { stringValue: company } },
    });
    assert.equal(found.totalSize, '1'); // int64 as a string (longs: String)
    assert.equal(found.done, true);
    const record = found.records[0].fields;
    assert.equal(record.Id.stringValue, leadId);
    assert.equal(record.Title.stringValue, 'VP Operations');
    // Struct numbers are doubles, in proto-loader's form `{numberValue: 7}`.
    assert.equal(record.NumberOfEmployees.numberValue, 7);
  },

  async function addTopicToObject() {
    const request = { objectId: leadId, topicName: 'Callback requested' };
    const first = await call('AddTopicToObject', request);
    const again = await call('AddTopicToObject', request);
    assert.equal(first.created, true);
    assert.equal(first.topicId.length, 18);
    assert.equal(again.created, false);
    assert.equal(again.topicAssignmentId, first.topicAssignmentId);
  },

  async function getAccessToken() {
    const token = await call('GetAccessToken', {});
    assert.ok(token.accessToken);
    assert.equal(token.tokenType, 'Bearer');
    assert.match(token.instanceUrl, /^http:\/\/127\.0\.0\.1:/);
    // Timestamps arrive as {seconds: '...', nanos: n}.
    assert.ok(Number(token.expireTime.seconds) > Number(token.issuedAt.seconds), token);
  },

  async function subscribe() {
    const { created, event } = await streamedLead();
    assert.equal(event.trigger, 'TRIGGER_TYPE_NEW_OBJECT');
    assert.equal(event.sobject, 'Lead');
    assert.equal(event.recordId, created.id);
    assert.equal(event.record.fields.LastName.stringValue, 'Streamed');
    assert.equal(event.record.fields.Company.stringValue, company);
    assert.ok(event.cursor.length > 0);
    assert.ok(Number(event.createdDate.seconds) > 0);
  },

  async function deleteObject() {
    const deleted = await call('DeleteObject', { id: leadId });
    assert.deepEqual([deleted.id, deleted.sobject], [leadId, 'Lead']);
  },

  // A gateway refusal and a Salesforce refusal: a code, one ErrorInfo and a BadRequest
  // naming the fields; and a stream ended by its deadline.
  async function errorDetails() {
    const refusals = [
      [() => call('UpdateObject', { id: 'not-an-id', fields: struct({ Title: 'x' }) }), 'sfgate', 'INVALID_RECORD_ID', ['id']],
      // A Lead without LastName and Company: Salesforce names both.
      [
        () => call('CreateObject', { sobject: 'Lead', fields: struct({ Title: 'x' }) }),
        'salesforce.com',
        'REQUIRED_FIELD_MISSING',
        ['fields.LastName', 'fields.Company'],
      ],
    ];
    for (const [refused, domain, reason, fields] of refusals) {
      await assert.rejects(refused, (err) => {
        assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
        const d = details(err);
        assert.deepEqual([d.ErrorInfo.domain, d.ErrorInfo.reason], [domain, reason]);
        assert.deepEqual(d.BadRequest.field_violations.map((v) => v.field), fields);
        return true;
      });
    }

    // A deadline shorter than the stream: it ends with DEADLINE_EXCEEDED.
    const code = await new Promise((resolve) => {
      const stream = triggers.Subscribe({ newContact: {} }, metadata(), { deadline: Date.now() + 300 });
      stream.on('data', () => {});
      stream.on('error', (err) => resolve(err.code));
      stream.on('end', () => resolve('ended without a status'));
    });
    assert.equal(code, grpc.status.DEADLINE_EXCEEDED);
  },
];

async function main() {
  for (const step of steps) {
    await step();
    console.log('ok:', step.name);
  }
  const missing = services
    .flatMap((s) => Object.values(s.service).map((m) => m.path))
    .filter((p) => !called.has(p))
    .sort();
  assert.deepEqual(missing, [], `RPCs this check never called (add a step for each): ${missing}`);
  salesforce.close();
  triggers.close();
  console.log('generated node client: every RPC, a bound param, a trigger stream and rich errors all behaved');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
