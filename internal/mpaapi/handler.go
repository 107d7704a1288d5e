// Package mpaapi serves the AWS Multi-party Approval API, version
// 2022-07-26, over HTTP, exactly as AWS's service model defines it, so that
// boto3, the AWS CLI and aws-sdk-go-v2 work against Keyturn unchanged.
//
// Each request goes through the same steps: route by method, path and
// query key; read the body; verify the SigV4 signature; gather the input
// members from the path, query and body; validate them against the model's
// constraints; run the operation on the engine; write the output shape.
package mpaapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/keyturn/keyturn"
	"github.com/keyturn/keyturn/internal/engine"
	"github.com/keyturn/keyturn/internal/mpaapi/model"
	"github.com/keyturn/keyturn/internal/sigv4"
	"github.com/keyturn/keyturn/internal/wire"
)

// Verifier authenticates a request whose body has been read.
type Verifier interface {
	Verify(r *http.Request, body []byte) (*sigv4.Identity, error)
}

// Handler serves the MPA API.
type Handler struct {
	engine   *engine.Engine
	verifier Verifier
	log      *slog.Logger
	router   *router
}

// New returns a handler for the MPA API on the engine.
func New(e *engine.Engine, v Verifier, log *slog.Logger) *Handler {
	return &Handler{engine: e, verifier: v, log: log, router: newRouter()}
}

// ServeHTTP handles one MPA API request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	requestID := wire.NewRequestID()
	w.Header().Set("x-amzn-RequestId", requestID)
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	opName := "unknown"
	defer func() {
		if p := recover(); p != nil {
			h.log.ErrorContext(r.Context(), "panic while handling request", "operation", opName, "request_id", requestID, "panic", p)
			wire.WriteError(rec, r, h.log, fmt.Errorf("panic: %v", p))
		}
		h.log.InfoContext(r.Context(), "request", "api", "mpa", "operation", opName, "status", rec.status,
			"error_type", rec.Header().Get("X-Amzn-ErrorType"), "access_key_id", wire.AccessKeyID(r),
			"duration_ms", time.Since(start).Milliseconds(), "request_id", requestID)
	}()

	out, err := h.serve(rec, r, &opName)
	if err != nil {
		wire.WriteError(rec, r, h.log, err)
		return
	}
	wire.WriteJSON(rec, http.StatusOK, out)
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, opName *string) (any, error) {
	m, err := h.router.find(r)
	if err != nil {
		return nil, err
	}
	*opName = m.op.Name

	body, err := wire.ReadBody(w, r)
	if err != nil {
		return nil, err
	}
	id, err := h.verifier.Verify(r, body)
	if err != nil {
		return nil, err
	}
	caller := engine.Caller{AccountID: id.AccountID, Region: id.Region, PrincipalArn: id.PrincipalArn, Operator: id.Operator, IdentityAdmin: id.IdentityAdmin}

	input, err := gatherInput(m, r, body)
	if err != nil {
		return nil, err
	}
	if vs := model.Validate(m.op.Input, input, ""); len(vs) > 0 {
		return nil, keyturn.Errorf(keyturn.ErrInvalid, "%s", model.Message(vs))
	}
	raw, err := json.Marshal(input)
	if err != nil {
		return nil, err
	}
	run, ok := operations[m.op.Name]
	if !ok {
		return nil, fmt.Errorf("mpaapi: operation %s has no implementation", m.op.Name)
	}
	return run(r.Context(), h, caller, raw)
}

// gatherInput collects the operation's input members from the body, the
// path labels and the query string into one JSON object, keyed by member
// name. Query values of integer members are converted to numbers.
func gatherInput(m *match, r *http.Request, body []byte) (map[string]any, error) {
	input := map[string]any{}
	if len(bytes.TrimSpace(body)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, wire.DecodeError(err)
		}
		if dec.More() {
			return nil, keyturn.Errorf(keyturn.ErrInvalid, "The request body is not valid JSON: it has data after the JSON object.")
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, keyturn.Errorf(keyturn.ErrInvalid, "The request body must be a JSON object.")
		}
		input = obj
	}
	shape := model.Shapes[m.op.Input]
	if shape == nil {
		return input, nil
	}
	query := r.URL.Query()
	for _, member := range shape.Members {
		switch member.Location {
		case model.InURI:
			// A path label always wins over a body member of the same name.
			input[member.Name] = m.labels[member.LocationName]
		case model.InQuery:
			delete(input, member.Name)
			if !query.Has(member.LocationName) {
				continue
			}
			v := query.Get(member.LocationName)
			if t := model.Shapes[member.Shape]; t != nil && t.Type == "integer" {
				if _, err := strconv.ParseInt(v, 10, 64); err != nil {
					return nil, keyturn.Errorf(keyturn.ErrInvalid,
						"1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must be an integer", v, member.Name)
				}
				input[member.Name] = json.Number(v)
				continue
			}
			input[member.Name] = v
		}
	}
	return input, nil
}

// statusRecorder remembers the status written, for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(status int) {
	s.status = status
	s.ResponseWriter.WriteHeader(status)
}

// opFunc runs one operation on its input, encoded as JSON with the model's
// member names.
type opFunc func(ctx context.Context, h *Handler, c engine.Caller, input []byte) (any, error)

// op adapts a typed operation to opFunc.
func op[In any](fn func(ctx context.Context, h *Handler, c engine.Caller, in *In) (any, error)) opFunc {
	return func(ctx context.Context, h *Handler, c engine.Caller, input []byte) (any, error) {
		in := new(In)
		if err := json.Unmarshal(input, in); err != nil {
			return nil, wire.DecodeError(err)
		}
		return fn(ctx, h, c, in)
	}
}
