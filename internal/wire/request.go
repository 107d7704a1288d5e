package wire

import (
	"net/http"
	"strings"
)

// AccessKeyID returns the access key id of a SigV4 Authorization header,
// for logs, or "" when the request carries none. The key id is not a secret;
// the signature that follows it is not returned.
func AccessKeyID(r *http.Request) string {
	_, rest, ok := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, "/")
	if len(id) > 128 {
		id = id[:128]
	}
	return id
}
