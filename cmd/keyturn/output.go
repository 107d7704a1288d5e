package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/keyturn/keyturn/client"
)

// printer writes a command's result as text for people or as JSON for
// scripts.
type printer struct {
	w    io.Writer
	json bool
}

// print writes v as indented JSON in JSON mode, and calls text otherwise.
func (p printer) print(v any, text func(w io.Writer) error) error {
	if p.json {
		enc := json.NewEncoder(p.w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	return text(p.w)
}

// field is one line of a text record: a label and its value.
type field struct {
	label string
	value string
}

// writeFields writes the fields with aligned values, and leaves out those
// with no value.
func writeFields(w io.Writer, fields ...field) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, f := range fields {
		if f.value != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", f.label, f.value)
		}
	}
	return tw.Flush()
}

// writeTable writes a header and rows as aligned columns.
func writeTable(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, row := range rows {
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

// formatTime formats a time in UTC as RFC 3339, and the zero time as "".
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func userFields(u *client.User) []field {
	return []field{
		{"User id", u.UserID},
		{"User name", u.UserName},
		{"Display name", u.DisplayName},
		{"E-mail", u.Email},
		{"Status", u.Status},
		{"Identity source", u.IdentitySourceArn},
		{"Created", formatTime(u.CreationTime)},
	}
}

// approvals counts the APPROVED responses in a session.
func approvals(s *client.Session) int {
	n := 0
	for _, r := range s.ApproverResponses {
		if r.Response == "APPROVED" {
			n++
		}
	}
	return n
}

// approvalSummary describes a session's tally, such as "1 of 2 required
// approvals, from 3 approvers".
func approvalSummary(s *client.Session) string {
	return fmt.Sprintf("%d of %d required approvals, from %d approvers",
		approvals(s), s.ApprovalStrategy.MofN.MinApprovalsRequired, s.NumberOfApprovers)
}

// status formats a session's status with its status code, if any.
func status(s *client.Session) string {
	if s.StatusCode == "" {
		return s.Status
	}
	return s.Status + " (" + s.StatusCode + ")"
}

func sessionFields(s *client.Session) []field {
	team := s.ApprovalTeamArn
	if s.ApprovalTeamName != "" {
		team = s.ApprovalTeamName + " (" + s.ApprovalTeamArn + ")"
	}
	var metadata []string
	for _, k := range slices.Sorted(maps.Keys(s.Metadata)) {
		metadata = append(metadata, k+"="+s.Metadata[k])
	}
	return []field{
		{"Session", s.SessionArn},
		{"Team", team},
		{"Action", s.ActionName},
		{"Resource", s.ProtectedResourceArn},
		{"Description", s.Description},
		{"Status", status(s)},
		{"Message", s.StatusMessage},
		{"Approvals", approvalSummary(s)},
		{"Security", strings.Join(s.AdditionalSecurityRequirements, ", ")},
		{"Requester", s.RequesterPrincipalArn},
		{"Comment", s.RequesterComment},
		{"Metadata", strings.Join(metadata, ", ")},
		{"Started", formatTime(s.InitiationTime)},
		{"Expires", formatTime(s.ExpirationTime)},
		{"Completed", formatTime(s.CompletionTime)},
		{"Execution", s.ExecutionStatus},
	}
}

// writeSession writes a session's fields and then a table of its approvers'
// responses.
func writeSession(w io.Writer, s *client.Session, extra ...field) error {
	if err := writeFields(w, append(sessionFields(s), extra...)...); err != nil {
		return err
	}
	if len(s.ApproverResponses) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	var rows [][]string
	for _, r := range s.ApproverResponses {
		rows = append(rows, []string{r.ApproverID, r.IdentityID, r.Response, formatTime(r.ResponseTime)})
	}
	return writeTable(w, []string{"APPROVER ID", "IDENTITY ID", "RESPONSE", "TIME"}, rows)
}

// count formats a number with a noun in the singular or plural, as in
// "1 team" and "2 teams".
func count(n int, singular, plural string) string {
	if n == 1 {
		return "1 " + singular
	}
	return fmt.Sprintf("%d %s", n, plural)
}
