package storetest

import (
	"bytes"
	"fmt"
	"reflect"
	"time"

	"github.com/bcvipps/bcvipps/connector/store"
)

// compare reports the fields in which got differs from want, comparing
// times with Equal and byte slices by content.
func compare(got, want store.Job) string {
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	var diff string
	for i := range gv.NumField() {
		name := gv.Type().Field(i).Name
		g, w := gv.Field(i).Interface(), wv.Field(i).Interface()
		same := false
		switch gt := g.(type) {
		case time.Time:
			same = gt.Equal(w.(time.Time))
		case []byte:
			same = bytes.Equal(gt, w.([]byte))
		default:
			if gb, ok := asBytes(g); ok {
				wb, _ := asBytes(w)
				same = bytes.Equal(gb, wb)
			} else {
				same = reflect.DeepEqual(g, w)
			}
		}
		if !same {
			diff += fmt.Sprintf("%s: got %v, want %v; ", name, g, w)
		}
	}
	return diff
}

func asBytes(v any) ([]byte, bool) {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8 {
		return rv.Bytes(), true
	}
	return nil, false
}
