// Package bench is the library behind keyturn-bench: it fills a store with
// a realistic data set, drives loopback HTTP load against Keyturn and the
// reference servers, and reports throughput and latency percentiles.
//
// Fill writes through keyturn.Store, as the server does, so that the server
// serves the data unchanged. The load generator runs a fixed number of
// workers, each sending its next request as soon as the response to the
// previous one arrives (a closed loop), for a bounded time and request
// count. Every target listens on 127.0.0.1 only.
package bench
