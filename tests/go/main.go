// A Go service's view of sfgate: a client generated from proto/ with protoc-gen-go and
// protoc-gen-go-grpc (tests/go/build), calling every RPC of sfgate.v1, binding a param,
// reading a trigger stream that receives a record created during the check, and reading
// ErrorInfo and BadRequest from the status details with grpc's status package.
//
// Usage: sfgate-go-check HOST:PORT
//
// Every call goes through one connection whose interceptors record the methods called;
// the check fails if an RPC of the generated service descriptors was not called. A new
// RPC therefore needs a step here: a function in `steps` (and the same in
// tests/python/generated_client_check.py and tests/node/generated_client_check.js).
package main

import (
	"context"
	"fmt"
	"io"
	"math/rand"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/structpb"

	sfgatev1 "sfgate/v1"
)

// The deadline of each unary call; sfgate answers DEADLINE_EXCEEDED when it passes.
const callTimeout = 5 * time.Second

// How long the trigger stream may take to deliver the record created during the check:
// the test gateway polls every 100 ms and releases records 1 s old.
const eventTimeout = 15 * time.Second

type check struct {
	salesforce sfgatev1.SalesforceServiceClient
	triggers   sfgatev1.TriggerServiceClient
	company    string // unique per run, so the check sees only its own records
	leadID     string
}

// steps run in order; each calls one RPC or more and asserts what comes back.
var steps = []struct {
	name string
	run  func(*check)
}{
	{"CreateObject", (*check).createObject},
	{"UpdateObject", (*check).updateObject},
	{"ExecuteSoqlQuery", (*check).executeSoqlQuery},
	{"AddTopicToObject", (*check).addTopicToObject},
	{"GetAccessToken", (*check).getAccessToken},
	{"Subscribe", (*check).subscribe},
	{"DeleteObject", (*check).deleteObject},
	{"error details", (*check).errorDetails},
}

func main() {
	if len(os.Args) != 2 {
		fail("usage: sfgate-go-check HOST:PORT")
	}
	calls := &recorder{seen: map[string]bool{}}
	// grpc 1.33 (Debian 12): WithInsecure. Newer grpc-go spells it
	// grpc.WithTransportCredentials(insecure.NewCredentials()).
	conn, err := grpc.Dial(os.Args[1], grpc.WithInsecure(),
		grpc.WithUnaryInterceptor(calls.unary), grpc.WithStreamInterceptor(calls.stream))
	must(err)
	defer conn.Close()
	c := &check{
		salesforce: sfgatev1.NewSalesforceServiceClient(conn),
		triggers:   sfgatev1.NewTriggerServiceClient(conn),
		company:    fmt.Sprintf("Go Client %d", rand.New(rand.NewSource(time.Now().UnixNano())).Int63()),
	}
	for _, step := range steps {
		step.run(c)
		fmt.Println("ok:", step.name)
	}
	calls.coverEvery(sfgatev1.File_sfgate_v1_salesforce_service_proto, sfgatev1.File_sfgate_v1_trigger_service_proto)
	fmt.Println("generated go client: every RPC, a bound param, a trigger stream and rich errors all behaved")
}

// ctx carries the API key (the `authorization` metadata every sfgate call needs) and a deadline.
func ctx(timeout time.Duration) (context.Context, context.CancelFunc) {
	c := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer sandbox")
	return context.WithTimeout(c, timeout)
}

func (c *check) createObject() {
	lead := c.newLead("Go")
	c.leadID = lead.Id
}

// newLead creates a Lead of this run's company.
func (c *check) newLead(lastName string) *sfgatev1.CreateObjectResponse {
	fields, err := structpb.NewStruct(map[string]interface{}{
		"LastName": lastName, "Company": c.company, "NumberOfEmployees": 7,
	})
	must(err)
	ctx, cancel := ctx(callTimeout)
	defer cancel()
	created, err := c.salesforce.CreateObject(ctx, &sfgatev1.CreateObjectRequest{Sobject: "Lead", Fields: fields})
	must(err)
	expect(len(created.Id) == 18 && created.Sobject == "Lead", "created: %v", created)
	return created
}

func (c *check) updateObject() {
	fields, err := structpb.NewStruct(map[string]interface{}{"Title": "VP Operations"})
	must(err)
	ctx, cancel := ctx(callTimeout)
	defer cancel()
	// No sobject: sfgate infers Lead from the Id's key prefix.
	updated, err := c.salesforce.UpdateObject(ctx, &sfgatev1.UpdateObjectRequest{Id: c.leadID, Fields: fields})
	must(err)
	expect(updated.Id == c.leadID && updated.Sobject == "Lead", "updated: %v", updated)
}

func (c *check) executeSoqlQuery() {
	ctx, cancel := ctx(callTimeout)
	defer cancel()
	found, err := c.salesforce.ExecuteSoqlQuery(ctx, &sfgatev1.ExecuteSoqlQueryRequest{
		Query:  "SELECT Id, Title, NumberOfEmployees FROM Lead WHERE Company = :company",
		Params: map[string]*structpb.Value{"company": structpb.NewStringValue(c.company)},
	})
	must(err)
	expect(found.TotalSize == 1 && found.Done && len(found.Records) == 1, "found: %v", found)
	record := found.Records[0].AsMap()
	expect(record["Id"] == c.leadID && record["Title"] == "VP Operations", "record: %v", record)
	// Struct numbers are doubles: 7 comes back as float64(7).
	expect(record["NumberOfEmployees"] == float64(7), "NumberOfEmployees: %#v", record["NumberOfEmployees"])
}

func (c *check) addTopicToObject() {
	topic := func() *sfgatev1.AddTopicToObjectResponse {
		ctx, cancel := ctx(callTimeout)
		defer cancel()
		tagged, err := c.salesforce.AddTopicToObject(ctx, &sfgatev1.AddTopicToObjectRequest{
			ObjectId: c.leadID, TopicName: "Callback requested",
		})
		must(err)
		return tagged
	}
	first, again := topic(), topic()
	expect(first.Created && len(first.TopicId) == 18 && len(first.TopicAssignmentId) == 18, "first: %v", first)
	expect(!again.Created && again.TopicAssignmentId == first.TopicAssignmentId, "again: %v", again)
}

func (c *check) getAccessToken() {
	ctx, cancel := ctx(callTimeout)
	defer cancel()
	token, err := c.salesforce.GetAccessToken(ctx, &sfgatev1.GetAccessTokenRequest{})
	must(err)
	expect(token.AccessToken != "" && token.TokenType == "Bearer", "token type: %q", token.TokenType)
	expect(strings.HasPrefix(token.InstanceUrl, "http://127.0.0.1:"), "instance url: %q", token.InstanceUrl)
	expect(token.IssuedAt.IsValid() && token.ExpireTime.AsTime().After(token.IssuedAt.AsTime()),
		"issued %v, expires %v", token.IssuedAt, token.ExpireTime)
}

// subscribe opens a New Object stream for this run's Leads, creates one once the stream
// is open, and waits for its event.
func (c *check) subscribe() {
	ctx, cancel := ctx(eventTimeout)
	defer cancel()
	stream, err := c.triggers.Subscribe(ctx, &sfgatev1.SubscribeRequest{
		Trigger: &sfgatev1.SubscribeRequest_NewObject{NewObject: &sfgatev1.NewObjectTrigger{
			Sobject: "Lead",
			Where:   "Company = :company",
			Params:  map[string]*structpb.Value{"company": structpb.NewStringValue(c.company)},
			Fields:  []string{"LastName", "Company"},
		}},
	})
	must(err)
	// The response headers arrive once sfgate has started the subscription: from then on,
	// every new matching record is delivered.
	_, err = stream.Header()
	must(err)
	created := c.newLead("Streamed")
	for {
		message, err := stream.Recv()
		must(err)
		switch kind := message.Kind.(type) {
		case *sfgatev1.SubscribeResponse_Heartbeat:
			expect(kind.Heartbeat.Cursor != "", "heartbeat without a cursor")
		case *sfgatev1.SubscribeResponse_Event:
			event := kind.Event
			expect(event.Trigger == sfgatev1.TriggerType_TRIGGER_TYPE_NEW_OBJECT, "trigger: %v", event.Trigger)
			expect(event.RecordId == created.Id && event.Sobject == "Lead", "event: %v", event)
			record := event.Record.AsMap()
			expect(record["LastName"] == "Streamed" && record["Company"] == c.company, "record: %v", record)
			expect(event.Cursor != "" && event.CreatedDate.IsValid(), "event: %v", event)
			return // the deferred cancel ends the stream
		}
	}
}

func (c *check) deleteObject() {
	ctx, cancel := ctx(callTimeout)
	defer cancel()
	deleted, err := c.salesforce.DeleteObject(ctx, &sfgatev1.DeleteObjectRequest{Id: c.leadID})
	must(err)
	expect(deleted.Id == c.leadID && deleted.Sobject == "Lead", "deleted: %v", deleted)
}

// errorDetails reads a gateway refusal and a Salesforce refusal: a code, one ErrorInfo
// and a BadRequest naming the field.
func (c *check) errorDetails() {
	fields, err := structpb.NewStruct(map[string]interface{}{"Title": "x"})
	must(err)
	ctx1, cancel1 := ctx(callTimeout)
	defer cancel1()
	_, err = c.salesforce.UpdateObject(ctx1, &sfgatev1.UpdateObjectRequest{Id: "not-an-id", Fields: fields})
	expectDetails(err, codes.InvalidArgument, "sfgate", "INVALID_RECORD_ID", "id")

	ctx2, cancel2 := ctx(callTimeout)
	defer cancel2()
	_, err = c.salesforce.CreateObject(ctx2, &sfgatev1.CreateObjectRequest{Sobject: "Lead", Fields: fields})
	// A Lead without LastName and Company: Salesforce names both.
	expectDetails(err, codes.InvalidArgument, "salesforce.com", "REQUIRED_FIELD_MISSING", "fields.LastName", "fields.Company")

	// A deadline shorter than the call can take: the stream ends with DEADLINE_EXCEEDED.
	ctx3, cancel3 := ctx(300 * time.Millisecond)
	defer cancel3()
	stream, err := c.triggers.Subscribe(ctx3, &sfgatev1.SubscribeRequest{
		Trigger: &sfgatev1.SubscribeRequest_NewContact{NewContact: &sfgatev1.NewContactTrigger{}},
	})
	for err == nil {
		_, err = stream.Recv()
	}
	expect(status.Code(err) == codes.DeadlineExceeded, "a stream past its deadline: %v", err)
}

func expectDetails(err error, code codes.Code, domain, reason string, fields ...string) {
	st, ok := status.FromError(err)
	expect(ok && st.Code() == code, "want %v, got %v", code, err)
	var info *errdetails.ErrorInfo
	var violations []string
	for _, detail := range st.Details() {
		switch d := detail.(type) {
		case *errdetails.ErrorInfo:
			info = d
		case *errdetails.BadRequest:
			for _, v := range d.FieldViolations {
				violations = append(violations, v.Field)
			}
		case error:
			fail("a detail did not decode: %v", d)
		}
	}
	expect(info != nil && info.Domain == domain && info.Reason == reason, "ErrorInfo: %v", info)
	expect(fmt.Sprint(violations) == fmt.Sprint(fields), "BadRequest fields: %v, want %v", violations, fields)
}

// recorder remembers the full method names called through the connection.
type recorder struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (r *recorder) record(method string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen[method] = true
}

func (r *recorder) unary(ctx context.Context, method string, req, reply interface{},
	cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	r.record(method)
	return invoker(ctx, method, req, reply, cc, opts...)
}

func (r *recorder) stream(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn,
	method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	r.record(method)
	return streamer(ctx, desc, cc, method, opts...)
}

// coverEvery fails unless every RPC of every service in files was called.
func (r *recorder) coverEvery(files ...protoreflect.FileDescriptor) {
	var missing []string
	for _, file := range files {
		for i := 0; i < file.Services().Len(); i++ {
			service := file.Services().Get(i)
			for j := 0; j < service.Methods().Len(); j++ {
				method := fmt.Sprintf("/%s/%s", service.FullName(), service.Methods().Get(j).Name())
				if !r.seen[method] {
					missing = append(missing, method)
				}
			}
		}
	}
	sort.Strings(missing)
	expect(len(missing) == 0, "RPCs this check never called (add a step for each): %v", missing)
}

func must(err error) {
	if err == io.EOF {
		fail("the stream ended early")
	} else if err != nil {
		fail("%v", err)
	}
}

func expect(ok bool, format string, args ...interface{}) {
	if !ok {
		fail(format, args...)
	}
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "FAILED: "+format+"\n", args...)
	os.Exit(1)
}
