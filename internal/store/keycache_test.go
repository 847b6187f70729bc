package store

import (
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

func TestKeyCache(t *testing.T) {
	var c keyCache
	now := time.Now()
	k := &vigil.IntegrationKey{ID: 7, ServiceID: 3}

	_, gen, ok := c.get("h", now)
	if ok {
		t.Fatal("empty cache hit")
	}
	c.put("h", k, now, gen)
	if got, _, ok := c.get("h", now.Add(keyCacheTTL/2)); !ok || got.ID != 7 {
		t.Fatal("a fresh entry must hit")
	}
	if _, _, ok := c.get("h", now.Add(keyCacheTTL+time.Millisecond)); ok {
		t.Fatal("an expired entry must miss")
	}

	// A lookup that overlapped a revoke must not put the key back.
	_, gen, _ = c.get("h2", now)
	c.forget(func(k *vigil.IntegrationKey) bool { return k.ID == 7 })
	c.put("h2", k, now, gen)
	if _, _, ok := c.get("h2", now); ok {
		t.Fatal("a key looked up before a forget was cached after it")
	}

	// forget drops by predicate: a deleted service's keys.
	_, gen, _ = c.get("h3", now)
	c.put("h3", &vigil.IntegrationKey{ID: 8, ServiceID: 4}, now, gen)
	c.put("h4", &vigil.IntegrationKey{ID: 9, ServiceID: 5}, now, gen)
	c.forget(func(k *vigil.IntegrationKey) bool { return k.ServiceID == 4 })
	if _, _, ok := c.get("h3", now); ok {
		t.Error("the deleted service's key is still cached")
	}
	if _, _, ok := c.get("h4", now); !ok {
		t.Error("another service's key was dropped")
	}
}
