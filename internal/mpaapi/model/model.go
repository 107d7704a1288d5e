// Package model holds the MPA API's operations and input constraints, as
// facts taken from AWS's published service model (API version 2022-07-26),
// and validates decoded requests against them.
//
// The tables in model_gen.go are generated from botocore's copy of the
// model by internal/gen; run go generate in this folder to refresh them.
package model

//go:generate go run ./internal/gen -out model_gen.go

// Location says where a member travels in an HTTP request.
type Location string

// Member locations. The empty location is the JSON body.
const (
	InBody  Location = ""
	InURI   Location = "uri"
	InQuery Location = "querystring"
)

// Operation is one operation of the API.
type Operation struct {
	Name   string
	Method string
	// URI is the request URI template from the model, such as
	// "/approval-teams/{Arn}?Delete".
	URI    string
	Input  string // input shape name; empty when the operation takes none
	Output string // output shape name; empty when the operation returns none
	Errors []string
	// Idempotent operations may be retried by SDKs after a transient error.
	Idempotent bool
}

// Shape is a type of the model with its constraints.
type Shape struct {
	Type      string // structure, list, map, string, integer, boolean, timestamp
	Members   []Member
	Required  []string
	Union     bool
	Member    string // element shape of a list
	Key       string // key shape of a map
	Value     string // value shape of a map
	Min       int64
	HasMin    bool
	Max       int64
	HasMax    bool
	Pattern   string
	Enum      []string
	Sensitive bool
	// HTTPStatus and ServerFault describe an error shape.
	HTTPStatus  int
	ServerFault bool
}

// Member is one member of a structure.
type Member struct {
	Name             string
	Shape            string
	Location         Location
	LocationName     string
	IdempotencyToken bool
}

// Lookup returns the operation with the name, or nil.
func Lookup(name string) *Operation {
	for i := range Operations {
		if Operations[i].Name == name {
			return &Operations[i]
		}
	}
	return nil
}
