//go:build e2etest

package main

import (
	"context"
	"sync"

	"github.com/akrecycle/ak-recycle-alert/fcruntime"
)

// In the build of the end-to-end tests (e2e/, tag e2etest), the event "panic" panics in the handler and
// "panic-goroutine" in a goroutine the handler started; every other event runs the real handler.
func init() {
	testHook = func(h fcruntime.Handler) fcruntime.Handler {
		return func(ctx context.Context, inv fcruntime.Invocation, event []byte) ([]byte, error) {
			switch string(event) {
			case `"panic"`:
				panic("e2e: deliberate panic")
			case `"panic-goroutine"`:
				var wg sync.WaitGroup
				wg.Add(1)
				fcruntime.Go(ctx, func() {
					defer wg.Done()
					var m map[string]int
					m["boom"]++ // a nil map write: a runtime error in a goroutine
				})
				wg.Wait()
				return []byte(`{"ok":true}`), nil
			}
			return h(ctx, inv, event)
		}
	}
}
