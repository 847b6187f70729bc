package web

import (
	"testing"

	"github.com/vigil-oss/vigil/internal/vigil"
)

func TestTotalLabel(t *testing.T) {
	for total, want := range map[int]string{0: "0", 42: "42", vigil.MaxCountedTotal: "10000", vigil.MaxCountedTotal + 1: "10000+"} {
		if got := totalLabel(total); got != want {
			t.Errorf("totalLabel(%d) = %q, want %q", total, got, want)
		}
	}
}
