package api

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/vigil"
)

func TestListCapsTotal(t *testing.T) {
	for _, c := range []struct {
		total      int
		wantTotal  int
		wantCapped bool
	}{
		{0, 0, false},
		{vigil.MaxCountedTotal, vigil.MaxCountedTotal, false},
		{vigil.MaxCountedTotal + 1, vigil.MaxCountedTotal, true},
	} {
		l := newList[int](nil, c.total, 0, 50)
		if l.Total != c.wantTotal || l.TotalCapped != c.wantCapped || l.Items == nil {
			t.Errorf("total %d: got %+v", c.total, l)
		}
		b, _ := json.Marshal(l)
		if strings.Contains(string(b), "total_capped") != c.wantCapped {
			t.Errorf("total %d: JSON %s", c.total, b)
		}
	}
}
