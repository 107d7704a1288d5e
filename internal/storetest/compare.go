package storetest

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

var timeType = reflect.TypeFor[time.Time]()

// checkEqual fails the test with one line per field where got and want
// differ.
func checkEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	for _, d := range diff(got, want) {
		t.Errorf("%s: %s", what, d)
	}
}

// diff returns the paths at which got and want differ, each with both
// values. A nil slice or map equals an empty one, as it does after a JSON
// round trip with omitempty. Times are equal when they are the same instant
// in the same location, so a time that comes back in another zone differs.
func diff(got, want any) []string {
	var out []string
	diffValue(&out, "", reflect.ValueOf(got), reflect.ValueOf(want))
	return out
}

func diffValue(out *[]string, path string, got, want reflect.Value) {
	if !got.IsValid() || !want.IsValid() {
		if got.IsValid() != want.IsValid() {
			*out = append(*out, fmt.Sprintf("%s: got %v, want %v", pathOrRoot(path), got, want))
		}
		return
	}
	if got.Type() != want.Type() {
		*out = append(*out, fmt.Sprintf("%s: got type %s, want %s", pathOrRoot(path), got.Type(), want.Type()))
		return
	}

	if got.Type() == timeType {
		g, w := got.Interface().(time.Time), want.Interface().(time.Time)
		if !g.Equal(w) || g.Location() != w.Location() {
			*out = append(*out, fmt.Sprintf("%s: got %s, want %s", pathOrRoot(path), formatTime(g), formatTime(w)))
		}
		return
	}

	switch got.Kind() {
	case reflect.Pointer:
		if got.IsNil() || want.IsNil() {
			if got.IsNil() != want.IsNil() {
				*out = append(*out, fmt.Sprintf("%s: got %s, want %s", pathOrRoot(path), formatValue(got), formatValue(want)))
			}
			return
		}
		diffValue(out, path, got.Elem(), want.Elem())

	case reflect.Struct:
		for i := range got.NumField() {
			field := got.Type().Field(i)
			if !field.IsExported() {
				continue
			}
			diffValue(out, path+"."+field.Name, got.Field(i), want.Field(i))
		}

	case reflect.Slice:
		if got.Len() != want.Len() {
			*out = append(*out, fmt.Sprintf("%s: got %d elements %s, want %d elements %s",
				pathOrRoot(path), got.Len(), formatValue(got), want.Len(), formatValue(want)))
			return
		}
		for i := range got.Len() {
			diffValue(out, fmt.Sprintf("%s[%d]", path, i), got.Index(i), want.Index(i))
		}

	case reflect.Map:
		keys := map[string]reflect.Value{}
		for _, k := range append(got.MapKeys(), want.MapKeys()...) {
			keys[fmt.Sprint(k.Interface())] = k
		}
		names := make([]string, 0, len(keys))
		for name := range keys {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			k := keys[name]
			g, w := got.MapIndex(k), want.MapIndex(k)
			elem := fmt.Sprintf("%s[%q]", path, name)
			switch {
			case !g.IsValid():
				*out = append(*out, fmt.Sprintf("%s: missing, want %s", elem, formatValue(w)))
			case !w.IsValid():
				*out = append(*out, fmt.Sprintf("%s: got %s, want no entry", elem, formatValue(g)))
			default:
				diffValue(out, elem, g, w)
			}
		}

	default:
		if !reflect.DeepEqual(got.Interface(), want.Interface()) {
			*out = append(*out, fmt.Sprintf("%s: got %s, want %s", pathOrRoot(path), formatValue(got), formatValue(want)))
		}
	}
}

func pathOrRoot(path string) string {
	if path == "" {
		return "value"
	}
	return strings.TrimPrefix(path, ".")
}

func formatTime(t time.Time) string {
	return t.Format(time.RFC3339Nano) + " (" + t.Location().String() + ")"
}

func formatValue(v reflect.Value) string {
	if v.Kind() == reflect.Pointer && v.IsNil() {
		return "nil"
	}
	return fmt.Sprintf("%#v", v.Interface())
}

// requireFilled fails the test if v, a fixture, leaves an exported field at
// its zero value, except the fields named in exempt. A round trip of a
// fixture that passes proves that the store keeps every field, and a field
// added to a domain type later makes this check fail until the fixture
// sets it.
func requireFilled(t *testing.T, v any, exempt ...string) {
	t.Helper()
	var empty []string
	findZero(&empty, reflect.TypeOf(v).String(), reflect.ValueOf(v), exempt)
	for _, path := range empty {
		t.Fatalf("fixture leaves %s at its zero value: set it, so that the round trip covers it", path)
	}
}

func findZero(out *[]string, path string, v reflect.Value, exempt []string) {
	if v.Type() == timeType {
		if v.IsZero() {
			*out = append(*out, path)
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			*out = append(*out, path)
			return
		}
		findZero(out, path, v.Elem(), exempt)
	case reflect.Struct:
		for i := range v.NumField() {
			field := v.Type().Field(i)
			if !field.IsExported() || slices.Contains(exempt, field.Name) {
				continue
			}
			findZero(out, path+"."+field.Name, v.Field(i), exempt)
		}
	case reflect.Slice:
		if v.Len() == 0 {
			*out = append(*out, path)
		}
		for i := range v.Len() {
			findZero(out, fmt.Sprintf("%s[%d]", path, i), v.Index(i), exempt)
		}
	case reflect.Map:
		if v.Len() == 0 {
			*out = append(*out, path)
		}
	default:
		if v.IsZero() {
			*out = append(*out, path)
		}
	}
}
