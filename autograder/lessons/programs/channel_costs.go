// What a channel operation, a sync.Mutex and a sync.WaitGroup cost in Go,
// each measured alone on one goroutine (uncontended), and a channel
// hand-off between two goroutines. Prints one line per case: name, ns/op.
package main

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

func main() {
	cases := []struct {
		name string
		run  func(b *testing.B)
	}{
		{"sync.Mutex Lock+Unlock", func(b *testing.B) {
			var mu sync.Mutex
			for i := 0; i < b.N; i++ {
				mu.Lock()
				mu.Unlock()
			}
		}},
		{"buffered chan send+receive", func(b *testing.B) {
			ch := make(chan int, 1)
			for i := 0; i < b.N; i++ {
				ch <- i
				<-ch
			}
		}},
		{"WaitGroup Add(1)+Done", func(b *testing.B) {
			var wg sync.WaitGroup
			for i := 0; i < b.N; i++ {
				wg.Add(1)
				wg.Done()
			}
		}},
		{"atomic.Int64 Add", func(b *testing.B) {
			var n atomic.Int64
			for i := 0; i < b.N; i++ {
				n.Add(1)
			}
		}},
		{"unbuffered chan hand-off", func(b *testing.B) {
			ch := make(chan int)
			go func() {
				for range ch {
				}
			}()
			for i := 0; i < b.N; i++ {
				ch <- i
			}
			close(ch)
		}},
	}
	for _, c := range cases {
		r := testing.Benchmark(c.run)
		fmt.Printf("%s\t%.1f\n", c.name, float64(r.T.Nanoseconds())/float64(r.N))
	}
}
