// Package keyturn is the domain of Keyturn, a self-hosted implementation of
// AWS Multi-party Approval: approval teams, approvers, identity sources,
// sessions, votes and policies; the Error type and its codes; and the Store
// and Clock interfaces that the approval engine is written against.
//
// It imports only the standard library. The engine lives in
// internal/engine, the stores in internal/store, the MPA wire layer in
// internal/mpaapi, and Keyturn's own API in internal/ctlapi.
package keyturn
